"""Importing attendance marks (출결) of class days from a CSV or XLSX file: checking a file.

The format is that of docs/formats.md ("Attendance"): one row per trainee per class day,
naming the campus, the cohort, the trainee's e-mail address and the date, then either a
status or the arrival (and departure) time, from which the status is worked out by the
cohort's class hours (attendance_times.mark_from_times). All or nothing, as every
import: the preview checks every row against what is stored and reports every problem by
row and column, writing nothing; the import runs the preview again and writes only when
no row is wrong. Marks are matched by trainee and class day, so importing the same file
twice changes nothing the second time.

The file is read by imports/reader.py within the bounds of imports/limits.py; a web
upload waits in UploadedFile between its preview and its confirmation, as the other
imports' do (imports/uploads.py). Services flush, never commit; the caller rolls back
after any error.

This module checks a file against what is stored; attendance_import_rows.py reads the
cells of each row, and attendance_import_writer.py writes the marks of a file that passes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime, time

from flask_babel import format_date, gettext

from ..applications.importing import ImportRefused  # one refusal for every import
from ..clock import SEOUL, now_in_seoul, today_in_seoul
from ..extensions import db
from ..imports.reader import RowError, RowParser, read_table
from ..models import (
    Attendance,
    Campus,
    ClassDay,
    Cohort,
    Course,
    Enrollment,
    EnrollmentStatus,
    MarkSource,
    User,
)
from ..placements.importing_common import (
    NEW,
    UPDATED,
    Preview,
    _chunks,
    _limited,
    _sorted,
)
from .attendance_import_rows import ATTENDANCE_COLUMNS, MarkRow, _Parsed, _read_row
from .attendance_times import mark_from_times
from .roster import enrollment_status_label

UPLOAD_KIND = "attendance"  # UploadedFile.kind; the upload is its uploader's alone (no target)

# progress(label, total) -> a context manager yielding advance(steps), as scale_data's
Progress = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


@contextmanager
def _quiet(label: str, total: int) -> Iterator[Callable[[int], None]]:
    yield lambda steps: None


# --- what is stored --------------------------------------------------------------------------


class _Stored:
    """The campuses, cohorts, enrollments and class days the rows name, loaded in a few
    queries however long the file is."""

    def __init__(self, parsed: list[_Parsed]) -> None:
        campuses = list(db.session.scalars(db.select(Campus)))
        self._by_korean = {campus.name_ko: campus for campus in campuses}
        self._by_english = {campus.name_en.casefold(): campus for campus in campuses}
        wanted = {self.campus(item.campus) for item in parsed if item.campus}
        campus_ids = sorted(campus.id for campus in wanted if campus is not None)
        numbers = sorted({item.number for item in parsed if item.number is not None})
        self._cohorts: dict[tuple[int, int], list[Cohort]] = {}
        if campus_ids and numbers:
            for cohort in db.session.scalars(
                db.select(Cohort)
                .join(Course, Course.id == Cohort.course_id)
                .where(Course.campus_id.in_(campus_ids), Cohort.number.in_(numbers))
                .order_by(Cohort.id)
            ):
                self._cohorts.setdefault((cohort.campus_id, cohort.number), []).append(cohort)
        cohort_ids = sorted({c.id for cohorts in self._cohorts.values() for c in cohorts})
        emails = sorted({item.email for item in parsed if item.email})
        self._enrollments: dict[str, list[Enrollment]] = {}
        for chunk in _chunks(emails) if cohort_ids else ():
            for enrollment in db.session.scalars(
                db.select(Enrollment)
                .join(User, User.id == Enrollment.user_id)
                .where(User.email.in_(chunk), Enrollment.cohort_id.in_(cohort_ids))
                .order_by(Enrollment.id)
            ):
                self._enrollments.setdefault(enrollment.user.email, []).append(enrollment)
        on_roster = sorted({e.cohort_id for found in self._enrollments.values() for e in found})
        days = sorted({item.day for item in parsed if item.day is not None})
        self._days: dict[tuple[int, date], ClassDay] = {}
        for chunk in _chunks(days) if on_roster else ():
            for class_day in db.session.scalars(
                db.select(ClassDay).where(
                    ClassDay.cohort_id.in_(on_roster), ClassDay.day.in_(chunk)
                )
            ):
                self._days[(class_day.cohort_id, class_day.day)] = class_day

    def campus(self, name: str) -> Campus | None:
        """By its Korean name, or its English name in any case."""
        return self._by_korean.get(name) or self._by_english.get(name.casefold())

    def cohorts(self, campus: Campus, number: int, course: str) -> list[Cohort]:
        """The campus's cohorts of that number, of the course when one is named (its
        title, or its English title in any case)."""
        found = self._cohorts.get((campus.id, number), [])
        if course:
            found = [
                cohort
                for cohort in found
                if cohort.course.title == course
                or (cohort.course.title_en or "").casefold() == course.casefold()
            ]
        return found

    def enrollments(self, email: str, cohorts: list[Cohort]) -> list[Enrollment]:
        ids = {cohort.id for cohort in cohorts}
        return [e for e in self._enrollments.get(email, []) if e.cohort_id in ids]

    def class_day(self, cohort: Cohort, day: date) -> ClassDay | None:
        return self._days.get((cohort.id, day))


def _stored_marks(rows: list[MarkRow]) -> dict[tuple[int, int], Attendance]:
    day_ids = sorted({row.class_day.id for row in rows})
    marks: dict[tuple[int, int], Attendance] = {}
    for chunk in _chunks(sorted({row.enrollment.id for row in rows})) if day_ids else ():
        for record in db.session.scalars(
            db.select(Attendance).where(
                Attendance.enrollment_id.in_(chunk), Attendance.class_day_id.in_(day_ids)
            )
        ):
            marks[(record.enrollment_id, record.class_day_id)] = record
    return marks


# --- checking a file -------------------------------------------------------------------------


def _left_before(enrollment: Enrollment, day: date) -> bool:
    """Whether the trainee had left the cohort before the day (record_attendance's rule:
    the day they left is still theirs to be marked)."""
    return enrollment.status != EnrollmentStatus.ENROLLED and (
        enrollment.status_on is None or enrollment.status_on < day
    )


def preview_attendance(
    filename: str,
    content: bytes,
    *,
    actor: User | None = None,
    progress: Progress | None = None,
) -> Preview:
    """Read an attendance file and check every row against what is stored; write nothing.

    `actor` None is the system (the CLI): every campus; anyone else but an admin imports
    rows of their own campus only. Raises reader.UnreadableFile when the file is no table
    at all; every other problem is in Preview.errors, by row and column.
    """
    progress = progress or _quiet
    table = read_table(filename, content, ATTENDANCE_COLUMNS)
    preview = Preview(
        UPLOAD_KIND, filename, errors=list(table.errors), unknown_headers=table.unknown_headers
    )
    if not (table.has("status") or table.has("arrival")):
        preview.errors.append(
            RowError(
                1,
                "",
                gettext(
                    "Add a column headed “출결” or “status” for the marks, or “입실” or "
                    "“arrival” for the arrival times (or both)."
                ),
            )
        )
    today, now = today_in_seoul(), now_in_seoul()
    limited = _limited(actor)
    parsed = [_read_row(table, row) for row in table.rows]
    stored = _Stored(parsed)
    first_of: dict[tuple[int, int], int] = {}
    rows: list[MarkRow] = []
    with progress("Checking rows", len(parsed)) as advance:
        for index, item in enumerate(parsed, 1):
            row = _check_row(item, stored, actor if limited else None, today, now, first_of)
            if row is not None and not item.parser.errors:
                rows.append(row)
            preview.errors.extend(item.parser.errors)
            if index % 500 == 0:
                advance(500)
        advance(len(parsed) % 500)
    if not table.rows:
        preview.errors.append(
            RowError(None, "", gettext("The file has no attendance rows under its header."))
        )
    marks = _stored_marks(rows)
    for row in rows:
        row.record = marks.get((row.enrollment.id, row.class_day.id))
        if row.record is None:
            row.change = NEW
        elif any(getattr(row.record, key) != value for key, value in row.values().items()):
            row.change = UPDATED
            if _overrides_check_in_silently(row):
                preview.errors.append(
                    RowError(
                        row.number,
                        table.column_name("reason"),
                        gettext(
                            "Say why you change %(name)s's mark made from check-in times.",
                            name=row.name,
                        ),
                    )
                )
    preview.errors = _sorted(preview.errors)
    if not preview.errors:
        preview.rows = rows
    return preview


def _overrides_check_in_silently(row: MarkRow) -> bool:
    """A row changing the status check-in times made without saying why: refused, as on
    the sheet (record_attendance), which stays the authority with a reason on record."""
    record = row.record
    return (
        record is not None
        and record.source == MarkSource.CHECK_IN
        and record.status != row.status
        and (not row.note or row.note == record.note)
    )


def _check_row(
    item: _Parsed,
    stored: _Stored,
    limited_to: User | None,
    today: date,
    now: datetime,
    first_of: dict[tuple[int, int], int],
) -> MarkRow | None:
    """The row's trainee, cohort and class day as stored, or None with the row's errors."""
    parser = item.parser
    campus = stored.campus(item.campus) if item.campus else None
    if item.campus and campus is None:
        parser.error("campus", gettext("No campus is named “%(name)s”.", name=item.campus))
    elif campus is not None and limited_to is not None and campus.id != limited_to.campus_id:
        parser.error(
            "campus",
            gettext(
                "Not your campus: you may import rows of %(campus)s only.",
                campus=limited_to.campus.name_ko if limited_to.campus else "—",
            ),
        )
        return None
    if campus is None or item.number is None:
        return None
    cohorts = stored.cohorts(campus, item.number, item.course)
    if not cohorts:
        if item.course:
            message = gettext(
                "“%(course)s” at %(campus)s has no cohort %(n)d.",
                course=item.course,
                campus=campus.name_ko,
                n=item.number,
            )
        else:
            message = gettext(
                "%(campus)s has no cohort %(n)d.", campus=campus.name_ko, n=item.number
            )
        parser.error("cohort", message)
        return None
    if not item.email:
        return None
    enrollments = stored.enrollments(item.email, cohorts)
    if not enrollments:
        parser.error(
            "email", gettext("No trainee on this cohort's roster has this e-mail address.")
        )
        return None
    if len(enrollments) > 1:
        parser.error(
            "course",
            gettext(
                "This trainee is on %(n)d cohorts numbered %(number)d at %(campus)s: give "
                "the course title in a column headed “과정명” or “course”.",
                n=len(enrollments),
                number=item.number,
                campus=campus.name_ko,
            ),
        )
        return None
    enrollment = enrollments[0]
    cohort = enrollment.cohort
    if item.day is None:
        return None
    class_day = stored.class_day(cohort, item.day)
    if class_day is None:
        parser.error(
            "date",
            gettext("%(day)s is not a class day of this cohort.", day=format_date(item.day)),
        )
        return None
    if class_day.cancelled:
        parser.error("date", gettext("Class on %(day)s is cancelled.", day=format_date(item.day)))
        return None
    if item.day > today:
        parser.error(
            "date",
            gettext(
                "Attendance for %(day)s can be taken on that day, not before.",
                day=format_date(item.day),
            ),
        )
        return None
    if _left_before(enrollment, item.day):
        parser.error(
            "date",
            gettext(
                "%(name)s is no longer on the roster (%(status)s) and cannot be marked.",
                name=enrollment.user.name,
                status=enrollment_status_label(enrollment.status),
            )
            if enrollment.status_on is None
            else gettext(
                "%(name)s left the cohort on %(left)s (%(status)s): later days cannot be marked.",
                name=enrollment.user.name,
                left=format_date(enrollment.status_on),
                status=enrollment_status_label(enrollment.status),
            ),
        )
        return None
    key = (enrollment.id, class_day.id)
    if key in first_of:
        parser.error(
            "date",
            gettext("Row %(row)d marks this trainee on the same day.", row=first_of[key]),
        )
        return None
    first_of[key] = item.row.number
    arrived_at = _moment(parser, "arrival", item.day, item.arrival, now)
    left_at = _moment(parser, "departure", item.day, item.departure, now)
    if item.arrival is not None:
        mark = mark_from_times(cohort, item.day, arrived_at, left_at)
        status, late, early = mark.status, mark.minutes_late, mark.minutes_left_early
    elif item.status is not None:
        status, late, early = item.status, 0, 0
    else:
        return None
    return MarkRow(
        number=item.row.number,
        email=item.email,
        name=enrollment.user.name,
        day=item.day,
        status=status,
        note=item.reason if parser.table.has("reason") else None,
        timed=item.arrival is not None,
        arrived_at=arrived_at,
        left_at=left_at,
        minutes_late=late,
        minutes_left_early=early,
        cohort=cohort,
        enrollment=enrollment,
        class_day=class_day,
    )


def _moment(
    parser: RowParser, key: str, day: date, clock: time | None, now: datetime
) -> datetime | None:
    """The time on the row's date in Seoul, as the UTC moment stored; not yet come: an error."""
    if clock is None:
        return None
    moment = datetime.combine(day, clock, tzinfo=SEOUL)
    if moment > now:
        parser.error(key, gettext("This time has not come yet."))
    return moment.astimezone(UTC)


def check_attendance(
    filename: str,
    content: bytes,
    *,
    actor: User | None = None,
    progress: Progress | None = None,
) -> Preview:
    """The preview of a file that can be imported; ImportRefused, carrying every error,
    for one that cannot (the CLI's --dry-run, and the first step of an import)."""
    preview = preview_attendance(filename, content, actor=actor, progress=progress)
    if preview.errors:
        raise ImportRefused(preview.errors)
    return preview
