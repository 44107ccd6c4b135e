"""Writing the marks of a checked attendance file, one audit entry per class day, and
confirming a web upload of one.

attendance_import.py reads and checks the file; import_attendance runs that check again
and writes only when no row is wrong. Flushes, never commits.
"""

from __future__ import annotations

from typing import Any

from flask_babel import format_date, gettext
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..errors import Conflict
from ..extensions import db
from ..imports import uploads
from ..models import Attendance, MarkSource, UploadedFile, User
from ..placements.importing_common import UNCHANGED, ImportResult
from .attendance_import import UPLOAD_KIND, Progress, _quiet, check_attendance
from .attendance_import_rows import MarkRow

# --- writing a file --------------------------------------------------------------------------


def import_attendance(
    actor: User | None,
    filename: str,
    content: bytes,
    *,
    progress: Progress | None = None,
) -> ImportResult:
    """Import an attendance file, all or nothing.

    `actor` None is the system (the CLI). Each new or changed mark is stored as coming
    from an import, and each class day whose marks changed gets one audit entry, as a
    day of the sheet does. Raises reader.UnreadableFile, ImportRefused carrying every
    error by row and column, or Conflict when someone marked one of the days meanwhile;
    then nothing is written that the caller's rollback would not undo. Flushes only.
    """
    progress = progress or _quiet
    preview = check_attendance(filename, content, actor=actor, progress=progress)
    result = ImportResult(UPLOAD_KIND)
    days: dict[int, list[MarkRow]] = {}
    for row in preview.rows:
        days.setdefault(row.class_day.id, []).append(row)
    with progress("Writing attendance", len(preview.rows)) as advance:
        for rows in days.values():
            _write_day(actor, rows, result)
            advance(len(rows))
    return result


def _write_day(actor: User | None, rows: list[MarkRow], result: ImportResult) -> None:
    """Store the marks of one class day and its audit entry: {trainee: [before, after]}."""
    changes: dict[str, Any] = {}
    names = [row.name for row in rows]
    recorded_by = actor.id if actor is not None else None
    for row in rows:
        if row.change == UNCHANGED:
            result.unchanged += 1
            continue
        # The audit entry names trainees as the sheet's does; two of one name by address.
        label = row.name if names.count(row.name) == 1 else f"{row.name} <{row.email}>"
        if row.record is None:
            db.session.add(
                Attendance(
                    enrollment_id=row.enrollment.id,
                    class_day_id=row.class_day.id,
                    recorded_by_id=recorded_by,
                    source=MarkSource.IMPORT,
                    **{"note": "", **row.values()},
                )
            )
            changes[label] = [None, row.status]
            result.created += 1
        else:
            before = row.record.status
            for key, value in row.values().items():
                setattr(row.record, key, value)
            row.record.recorded_by_id = recorded_by
            row.record.source = MarkSource.IMPORT
            # Only the times or the note changed: the status is named, not "from X to X".
            changes[label] = [before, row.status] if before != row.status else row.status
            result.updated += 1
    if not changes:
        return
    cohort, class_day = rows[0].cohort, rows[0].class_day
    try:
        db.session.flush()
    except IntegrityError:  # a mark of the day stored since the preview: check again
        raise Conflict(
            gettext(
                "Attendance for %(day)s was recorded meanwhile: nothing was imported. "
                "Upload the file again to see what it changes now.",
                day=format_date(class_day.day),
            )
        ) from None
    audit.record(
        actor,
        "attendance.imported",
        cohort,
        changes,
        label=f"{cohort.label()} {class_day.day.isoformat()}",
        campus_id=cohort.campus_id,
    )


# --- uploads from the web --------------------------------------------------------------------


def import_upload(actor: User, upload: UploadedFile) -> ImportResult:
    """Import a stored upload, all or nothing, and mark it imported.

    Raises NotAllowed (another user's upload), Conflict (not an attendance upload, already
    imported, or a day marked meanwhile), reader.UnreadableFile, or ImportRefused (the
    file, or what is stored, changed since the preview). Flushes only.
    """
    if upload.kind != UPLOAD_KIND:
        raise Conflict(gettext("This upload is not an attendance file."))
    uploads.claim_upload(actor, upload)
    result = import_attendance(actor, upload.filename, upload.content)
    upload.content = b""  # the marks now hold the data; the copy is not kept
    return result
