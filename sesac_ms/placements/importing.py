"""Importing trainee records (교육생 이력) and certification attempts (자격증 응시), CSV or XLSX.

The formats are those of docs/formats.md. Both imports are all or nothing: the preview
checks every row and reports every problem by row and column; the import runs the
preview again, refuses the whole file if anything is wrong, and only then writes.
Rows are matched with what is stored (records by campus + course + cohort number +
e-mail, attempts by e-mail + exam + date), so importing the same file twice changes
nothing the second time: no new rows, no audit entries, no outcome history.

Services flush, never commit; the caller commits, or rolls back after any error.

This module is what routes, the CLI and tests import; it imports the uploads (kept by
imports/uploads.py) and names the rest, which lives by sub-area:
importing_common.py (kinds, results, helpers), importing_records.py (reading and checking
records), importing_records_writer.py (writing them) and importing_certifications.py.
"""

from __future__ import annotations

from flask_babel import gettext

from .. import audit
from ..applications.importing import ImportRefused  # one refusal for every import
from ..errors import Conflict
from ..imports import uploads
from ..models import UploadedFile, User
from .importing_certifications import (
    CERTIFICATION_COLUMNS,
    MAX_SCORE,
    RESULT_CHOICES,
    AttemptRow,
    import_certifications,
    preview_certifications,
)
from .importing_common import (
    CERTIFICATIONS,
    KINDS,
    NEW,
    RECORDS,
    UNCHANGED,
    UPDATED,
    ImportResult,
    NewCohort,
    Preview,
    parse_cohort_number,
)
from .importing_records import (
    EMPLOYMENT_TYPE_CHOICES,
    EXCLUSION_CHOICES,
    OUTCOME_CHOICES,
    RECORD_COLUMNS,
    STATUS_CHOICES,
    RecordRow,
    parse_phone,
    preview_records,
)
from .importing_records_writer import import_records

__all__ = [
    "CERTIFICATIONS",
    "CERTIFICATION_COLUMNS",
    "COLUMNS",
    "EMPLOYMENT_TYPE_CHOICES",
    "EXCLUSION_CHOICES",
    "IMPORTS",
    "KINDS",
    "MAX_SCORE",
    "NEW",
    "OUTCOME_CHOICES",
    "PREVIEWS",
    "RECORDS",
    "RECORD_COLUMNS",
    "RESULT_CHOICES",
    "STATUS_CHOICES",
    "UNCHANGED",
    "UPDATED",
    "AttemptRow",
    "ImportRefused",
    "ImportResult",
    "NewCohort",
    "Preview",
    "RecordRow",
    "import_certifications",
    "import_records",
    "import_upload",
    "parse_cohort_number",
    "parse_phone",
    "preview",
    "preview_certifications",
    "preview_records",
]

COLUMNS = {RECORDS: RECORD_COLUMNS, CERTIFICATIONS: CERTIFICATION_COLUMNS}


PREVIEWS = {RECORDS: preview_records, CERTIFICATIONS: preview_certifications}
IMPORTS = {RECORDS: import_records, CERTIFICATIONS: import_certifications}


def preview(kind: str, filename: str, content: bytes, *, actor: User | None = None) -> Preview:
    return PREVIEWS[kind](filename, content, actor=actor)


# --- uploads from the web -------------------------------------------------------------------


def import_upload(actor: User, upload: UploadedFile) -> ImportResult:
    """Import a stored upload, all or nothing, and mark it imported.

    Raises NotAllowed (another user's upload), Conflict (not a records or certifications
    upload, or already imported), reader.UnreadableFile, or ImportRefused. Flushes only.
    """
    if upload.kind not in KINDS:
        raise Conflict(gettext("This upload is not a trainee-records or certifications file."))
    uploads.claim_upload(actor, upload)
    result = IMPORTS[upload.kind](actor, upload.filename, upload.content)
    upload.content = b""  # the stored records now hold the data; the copy is not kept
    if result.changed:
        audit.record(
            actor,
            f"placements.{upload.kind}_imported",
            upload,
            {**result.as_dict(), "file": upload.filename},
            label=upload.filename,
            campus_id=actor.campus_id,
        )
    return result
