"""Importing applicants gathered outside the system (on paper, another form) from CSV or XLSX.

All or nothing: `preview` reports every bad cell; `import_file` reads the stored upload
again, refuses the whole file if any row is wrong, and otherwise submits each new
applicant through services.submit_application (source "import", no mail). Rows whose
e-mail address already applied to the cohort are skipped, so importing the same file
twice changes nothing. Services flush, never commit; the caller rolls back on any error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from .. import audit
from ..errors import Conflict, InvalidInput, NotAllowed
from ..extensions import db
from ..imports.reader import (
    Cell,
    CellError,
    Column,
    RowError,
    RowParser,
    normalise_name,
    read_table,
)
from ..models import Application, Cohort, Education, EmploymentStatus, UploadedFile, User
from ..models.applications import OUTSIDE_SEOUL
from ..models.types import utcnow
from ..seoul import DISTRICT_NAMES_EN, SEOUL_DISTRICTS
from . import services
from .services import MOTIVATION_MAX_LENGTH, ApplicantDetails

UPLOAD_KIND = "applicants"

COLUMNS = [
    Column("name", "name", "성명", True, _l("Full name")),
    Column(
        "email",
        "email",
        "이메일",
        True,
        _l("A valid address; one application per address and cohort"),
    ),
    Column(
        "phone",
        "phone",
        "연락처",
        True,
        _l("A mobile number: 010-1234-5678 or 01012345678"),
        aliases=("휴대폰",),
    ),
    Column(
        "birth_date",
        "birth_date",
        "생년월일",
        True,
        _l("A date: 2001-08-29, 2001.08.29, 2001/08/29, 20010829 or an Excel date"),
    ),
    Column(
        "district",
        "district",
        "거주지",
        True,
        _l("A Seoul district in Korean or English (e.g. Guro-gu or Guro), or outside_seoul"),
    ),
    Column(
        "seoul_university",
        "seoul_university",
        "서울소재대학",
        False,
        _l("Y or N (empty: N): studies at or graduated from a university in Seoul"),
    ),
    Column(
        "employment_status",
        "employment_status",
        "취업상태",
        True,
        _l("unemployed, employed, self_employed or student"),
    ),
    Column(
        "education",
        "education",
        "학력",
        True,
        _l("high_school, college, university, graduate or other"),
    ),
    Column(
        "motivation",
        "motivation",
        "지원동기",
        True,
        _l("Why they apply; %(max)d characters at most", max=MOTIVATION_MAX_LENGTH),
    ),
    Column(
        "portfolio_url",
        "portfolio_url",
        "포트폴리오",
        False,
        _l("Optional: a link starting with http:// or https://"),
    ),
    Column(
        "consent",
        "consent",
        "개인정보동의",
        True,
        _l(
            "Y: the applicant agreed in writing to the collection and use of their "
            "personal data; any other value refuses the row"
        ),
    ),
]

EMPLOYMENT_CHOICES = {
    EmploymentStatus.UNEMPLOYED: ("미취업", "unemployed"),
    EmploymentStatus.EMPLOYED: ("재직", "employed", "재직중"),
    EmploymentStatus.SELF_EMPLOYED: ("자영업", "self_employed"),
    EmploymentStatus.STUDENT: ("학생", "student"),
}
EDUCATION_CHOICES = {
    Education.HIGH_SCHOOL: ("고졸", "high_school"),
    Education.COLLEGE: ("전문대", "college", "전문대졸"),
    Education.UNIVERSITY: ("대졸", "university"),
    Education.GRADUATE: ("대학원", "graduate"),
    Education.OTHER: ("기타", "other"),
}
OUTSIDE_SEOUL_SPELLINGS = frozenset(normalise_name(s) for s in ("서울 외", OUTSIDE_SEOUL))
# "구로구" or "구로" (every stem is unique among the 25), also after "서울" or "서울특별시";
# in English "Guro-gu" or "Guro".
_DISTRICTS = (
    {normalise_name(d): d for d in SEOUL_DISTRICTS}
    | {normalise_name(d[:-1]): d for d in SEOUL_DISTRICTS}
    | {normalise_name(en): d for d, en in DISTRICT_NAMES_EN.items()}
    | {normalise_name(en.removesuffix("-gu")): d for d, en in DISTRICT_NAMES_EN.items()}
)


class ImportRefused(InvalidInput):
    """The file has errors, so nothing of it was imported; `errors` lists every one."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(
            gettext(
                "Nothing was imported: the file has %(n)d error(s). Correct "
                "them and upload the file again.",
                n=len(errors),
            ),
            "file",
        )
        self.errors = errors


@dataclass
class PreviewRow:
    number: int
    details: ApplicantDetails


@dataclass
class Preview:
    filename: str
    rows: list[PreviewRow] = field(default_factory=list)  # new applicants, to import
    skipped: list[PreviewRow] = field(default_factory=list)  # already applied: left alone
    errors: list[RowError] = field(default_factory=list)
    unknown_headers: list[str] = field(default_factory=list)

    @property
    def can_import(self) -> bool:
        return not self.errors


@dataclass
class ImportResult:
    created: int
    skipped: int


def parse_district(cell: Cell) -> str:
    """A Seoul district as stored (구로구) or OUTSIDE_SEOUL. Raises CellError."""
    text = cell.isoformat() if not isinstance(cell, str) else cell
    key = normalise_name(text)
    if key in OUTSIDE_SEOUL_SPELLINGS:
        return OUTSIDE_SEOUL
    for prefix in ("서울특별시", "서울시", "서울"):
        if key.startswith(prefix) and key[len(prefix) :] in _DISTRICTS:
            key = key[len(prefix) :]
            break
    if key in _DISTRICTS:
        return _DISTRICTS[key]
    raise CellError(
        gettext(
            "“%(value)s” is not a Seoul district: write one such as Guro-gu, "
            "or outside_seoul for someone living outside Seoul.",
            value=text,
        )
    )


def _phone(cell: Cell) -> str:
    text = cell if isinstance(cell, str) else ""
    # A number-typed Excel cell drops the leading zero: 1012345678 was 010-1234-5678.
    if text.isdigit() and text.startswith("1") and len(text) in (9, 10):
        text = "0" + text
    try:
        return services.normalise_phone(text)
    except InvalidInput as error:
        raise CellError(error.message) from None


def _read_row(parser: RowParser) -> ApplicantDetails:
    """The applicant of one row; a wrong cell leaves its field empty and an error in parser."""
    details = ApplicantDetails(
        name=parser.text("name", max_length=100),
        email=parser.email("email") or "",
        phone=parser.value("phone", _phone) or "",
        birth_date=parser.date("birth_date"),
        district=parser.value("district", parse_district) or "",
        seoul_university=bool(parser.yes_no("seoul_university", default=False)),
        employment_status=parser.choice("employment_status", EMPLOYMENT_CHOICES) or "",
        education=parser.choice("education", EDUCATION_CHOICES) or "",
        motivation=parser.text("motivation", max_length=MOTIVATION_MAX_LENGTH),
        portfolio_url=parser.text("portfolio_url", max_length=500) or None,
    )
    consent = parser.yes_no("consent")
    if consent is False:
        parser.error(
            "consent",
            gettext(
                "The applicant has not agreed to the collection and "
                "use of personal data (Y): the row cannot be imported."
            ),
        )
    return details


def preview(cohort: Cohort, filename: str, content: bytes) -> Preview:
    """Read the file and check every row, without writing anything.

    Raises reader.UnreadableFile when the file is no table at all; every other problem is
    in Preview.errors, by row and column.
    """
    table = read_table(filename, content, COLUMNS)
    result = Preview(
        filename=filename, unknown_headers=table.unknown_headers, errors=list(table.errors)
    )
    today = services.today_in_seoul()
    first_row_of: dict[str, int] = {}
    parsed: list[PreviewRow] = []
    for row in table.rows:
        parser = RowParser(table, row)
        details = _read_row(parser)
        if details.email in first_row_of:
            parser.error(
                "email",
                gettext(
                    "This e-mail address is also on row %(row)d; an applicant can apply once.",
                    row=first_row_of[details.email],
                ),
            )
        elif details.email:
            first_row_of[details.email] = row.number
        valid = not parser.errors
        if valid:
            try:  # the rules every application meets, the web form's too
                details = services.check_details(details, today)
            except InvalidInput as error:
                valid = False
                # A missing column was reported once, on the header row, not on every row.
                if not error.field or table.has(error.field):
                    parser.error(error.field or "", error.message)
        result.errors.extend(parser.errors)
        if valid:
            parsed.append(PreviewRow(row.number, details))
    if not table.rows:
        result.errors.append(
            RowError(None, "", gettext("The file has no applicant rows under its header."))
        )
    already = set(
        db.session.scalars(db.select(Application.email).where(Application.cohort_id == cohort.id))
    )
    for row in parsed:
        (result.skipped if row.details.email in already else result.rows).append(row)
    return result


def store_upload(actor: User, cohort: Cohort, filename: str, content: bytes) -> UploadedFile:
    """Keep an uploaded applicant file until its import is confirmed.

    The actor's earlier unconfirmed uploads for this cohort are deleted: a new upload
    replaces them, and personal data is kept no longer than needed.
    """
    db.session.execute(
        sa.delete(UploadedFile)
        .where(
            UploadedFile.kind == UPLOAD_KIND,
            UploadedFile.target_id == cohort.id,
            UploadedFile.uploaded_by_id == actor.id,
            UploadedFile.imported_at.is_(None),
        )
        .execution_options(synchronize_session=False)
    )
    upload = UploadedFile(
        kind=UPLOAD_KIND,
        filename=filename[:255],
        content=content,
        uploaded_by_id=actor.id,
        target_id=cohort.id,
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def cohort_of(upload: UploadedFile) -> Cohort | None:
    """The cohort an applicant upload is for; None for another kind of upload."""
    if upload.kind != UPLOAD_KIND or upload.target_id is None:
        return None
    return db.session.get(Cohort, upload.target_id)


def import_file(actor: User, cohort: Cohort, upload: UploadedFile) -> ImportResult:
    """Import the new applicants of a stored upload, all or nothing, and mark it imported.

    Raises NotAllowed (another user's upload), Conflict (already imported, or for another
    cohort), reader.UnreadableFile, or ImportRefused carrying every error. Nothing is
    committed; after any error the caller rolls back and nothing is left half-written.
    """
    if upload.kind != UPLOAD_KIND or upload.target_id != cohort.id:
        raise Conflict(gettext("This upload is not an applicant file of this cohort."), "file")
    if upload.uploaded_by_id != actor.id:
        raise NotAllowed(
            gettext(
                "Only the person who uploaded a file can confirm its import: "
                "upload it again yourself."
            ),
            "file",
        )
    # Claim the upload with one conditional UPDATE, so that a double click or a second
    # tab cannot import it twice; a refusal below rolls the claim back with the rest.
    claimed = db.session.execute(
        sa.update(UploadedFile)
        .where(UploadedFile.id == upload.id, UploadedFile.imported_at.is_(None))
        .values(imported_at=utcnow())
    )
    if claimed.rowcount != 1:
        raise Conflict(gettext("This file was already imported."), "file")
    checked = preview(cohort, upload.filename, upload.content)
    if checked.errors:
        raise ImportRefused(checked.errors)
    for row in checked.rows:
        services.submit_application(
            cohort, row.details, consent=True, source="import", actor=actor, send_mail=False
        )
    result = ImportResult(created=len(checked.rows), skipped=len(checked.skipped))
    # The applications now hold the data; the uploaded copy of it is not kept.
    upload.content = b""
    audit.record(
        actor,
        "applications.imported",
        upload,
        {"created": result.created, "skipped": result.skipped, "file": upload.filename},
        label=f"{upload.filename} · {cohort.label()}",
        campus_id=cohort.campus_id,
    )
    return result
