"""Reading and checking trainee records (교육생 이력), CSV or XLSX: one row per trainee
per cohort.

The format is that of docs/formats.md. The preview checks every row against what is
stored and reports every problem by row and column, writing nothing; rows are matched by
campus + course + cohort number + e-mail, so a file already imported shows no changes.
importing_records_writer.py writes a file that passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l

from ..applications.services import normalise_phone, today_in_seoul
from ..clock import SEOUL
from ..errors import DomainError, InvalidInput, each_error
from ..extensions import db
from ..imports.reader import (
    Cell,
    CellError,
    Column,
    Row,
    RowError,
    RowParser,
    Table,
    parse_date,
    parse_yes_no,
    read_table,
)
from ..models import (
    Campus,
    Cohort,
    Course,
    DropReason,
    EmploymentType,
    Enrollment,
    EnrollmentStatus,
    ExclusionReason,
    Outcome,
    OutcomeKind,
    Role,
    User,
)
from ..permissions import can
from . import services
from .importing_common import (
    CAMPUS_COLUMN,
    COHORT_COLUMN,
    NEW,
    RECORDS,
    UNCHANGED,
    UPDATED,
    CohortRow,
    NewCohort,
    Preview,
    _chunks,
    _limited,
    _need,
    _people,
    _sorted,
    _words,
    cohort_cells,
)
from .services import COMPLETED, OutcomeData

RECORD_COLUMNS = [
    CAMPUS_COLUMN,
    Column("course", "course", "과정명", True, _l("The course title")),
    COHORT_COLUMN,
    Column(
        "cohort_start",
        "cohort_start",
        "교육시작일",
        False,
        _l("For a cohort not stored yet: its first day of training (a date)"),
    ),
    Column(
        "cohort_end",
        "cohort_end",
        "교육종료일",
        False,
        _l("For a cohort not stored yet: its last day of training (a date)"),
    ),
    Column(
        "name",
        "name",
        "성명",
        True,
        _l("Full name; used when the person has no account yet (an account keeps its name)"),
    ),
    Column(
        "email",
        "email",
        "이메일",
        True,
        _l("A valid address; it identifies the person (a trainee account is made if needed)"),
    ),
    Column(
        "phone", "phone", "연락처", False, _l("010-1234-5678 or 01012345678; checked, not kept")
    ),
    Column("birth_date", "birth_date", "생년월일", False, _l("A date; checked, not kept")),
    Column(
        "status",
        "status",
        "수료상태",
        True,
        _l("in_training, completed or dropped"),
    ),
    Column(
        "status_date",
        "status_date",
        "수료일",
        False,
        _l("For completed and dropped trainees: the date of completion or of dropping out"),
    ),
    Column(
        "outcome",
        "outcome",
        "취업상태",
        False,
        _l("Completed trainees only: employed, founded or excluded; empty = none yet"),
    ),
    Column("company", "company", "회사명", False, _l("For employed and founded: the company")),
    Column("job_title", "job_title", "직무", False, _l("The job")),
    Column(
        "industry", "industry", "업종", False, _l("e.g. manufacturing, consulting, games, energy")
    ),
    Column(
        "employment_type",
        "employment_type",
        "고용형태",
        False,
        _l("permanent, contract, intern or freelance"),
    ),
    Column(
        "insured",
        "insured",
        "고용보험",
        False,
        _l("Y or N: the job is covered by employment insurance (empty: Y for employed)"),
    ),
    Column(
        "outcome_date",
        "outcome_date",
        "취업일",
        False,
        _l(
            "For employed, founded and excluded: the start of the job or business, or the date "
            "of the exclusion"
        ),
    ),
    Column(
        "exclusion_reason",
        "exclusion_reason",
        "제외사유",
        False,
        _l(
            "For excluded: further_study, military, illness (with sensitive_consent), "
            "emigration or other"
        ),
    ),
    Column(
        "sensitive_consent",
        "sensitive_consent",
        "민감정보동의",
        False,
        _l(
            "For illness exclusions: the date of the trainee's separate written consent to "
            "the processing of health data (PIPA art. 23); ignored on other rows"
        ),
    ),
]

# Korean and English spellings first: those two are named in the error.
STATUS_CHOICES = {
    EnrollmentStatus.ENROLLED: ("교육중", "in_training"),
    EnrollmentStatus.COMPLETED: ("수료", "completed"),
    EnrollmentStatus.DROPPED: ("중도탈락", "dropped"),
}
OUTCOME_CHOICES = {
    OutcomeKind.EMPLOYED: ("취업", "employed"),
    OutcomeKind.FOUNDED: ("창업", "founded"),
    OutcomeKind.EXCLUDED: ("취업제외", "excluded"),
}
EMPLOYMENT_TYPE_CHOICES = {
    EmploymentType.PERMANENT: ("정규직", "permanent"),
    EmploymentType.CONTRACT: ("계약직", "contract"),
    EmploymentType.INTERN: ("인턴", "intern"),
    EmploymentType.FREELANCE: ("프리랜서", "freelance"),
}
EXCLUSION_CHOICES = {
    ExclusionReason.FURTHER_STUDY: ("진학", "further_study"),
    ExclusionReason.MILITARY: ("입대", "military"),
    ExclusionReason.ILLNESS: ("질병", "illness"),
    ExclusionReason.EMIGRATION: ("출국", "emigration"),
    ExclusionReason.OTHER: ("기타", "other"),
}

# check_outcome names its fields; the file names its columns.
_OUTCOME_FIELDS = {
    "kind": "outcome",
    "outcome_on": "outcome_date",
    "company": "company",
    "job_title": "job_title",
    "industry": "industry",
    "employment_type": "employment_type",
    "insured": "insured",
    "exclusion_reason": "exclusion_reason",
    "health_consent": "sensitive_consent",
}


@dataclass
class RecordRow:
    """One checked row of a records file, with what is stored for it (None: not yet)."""

    number: int
    campus: str  # as stored, or as it will be created
    course: str
    cohort: int
    name: str
    email: str
    status: EnrollmentStatus
    status_on: date | None
    outcome: OutcomeData | None
    change: str = UNCHANGED
    account_name: str | None = None  # the stored account's name, when the person has one
    campus_key: tuple = ()
    cohort_key: tuple = ()
    campus_obj: Campus | None = field(default=None, repr=False)
    course_obj: Course | None = field(default=None, repr=False)
    cohort_obj: Cohort | None = field(default=None, repr=False)
    user: User | None = field(default=None, repr=False)
    enrollment: Enrollment | None = field(default=None, repr=False)
    current: Outcome | None = field(default=None, repr=False)


# --- cell parsers ---------------------------------------------------------------------------


def parse_phone(cell: Cell) -> str:
    text = cell if isinstance(cell, str) else ""
    # A number-typed Excel cell drops the leading zero: 1012345678 was 010-1234-5678.
    if text.isdigit() and text.startswith("1") and len(text) in (9, 10):
        text = "0" + text
    try:
        return normalise_phone(text)
    except InvalidInput as error:
        raise CellError(error.message) from None


# --- what is stored -------------------------------------------------------------------------


class _Stored:
    """Campuses, courses and cohorts as stored, each loaded once per import."""

    def __init__(self) -> None:
        campuses = list(db.session.scalars(db.select(Campus)))
        self._by_korean = {campus.name_ko: campus for campus in campuses}
        self._by_english = {campus.name_en.casefold(): campus for campus in campuses}
        self._courses: dict[int, dict[str, Course]] = {}
        self._cohorts: dict[int, dict[int, Cohort]] = {}

    def campus(self, name: str) -> Campus | None:
        """By its Korean name, or its English name in any case."""
        return self._by_korean.get(name) or self._by_english.get(name.casefold())

    def course(self, campus: Campus, title: str) -> Course | None:
        if campus.id not in self._courses:
            self._courses[campus.id] = {
                course.title: course
                for course in db.session.scalars(
                    db.select(Course).where(Course.campus_id == campus.id)
                )
            }
        return self._courses[campus.id].get(title)

    def cohort(self, course: Course, number: int) -> Cohort | None:
        if course.id not in self._cohorts:
            self._cohorts[course.id] = {
                cohort.number: cohort
                for cohort in db.session.scalars(
                    db.select(Cohort).where(Cohort.course_id == course.id)
                )
            }
        return self._cohorts[course.id].get(number)


# --- trainee records: reading ---------------------------------------------------------------


@dataclass
class _Parsed(CohortRow):
    cohort_start: date | None
    cohort_end: date | None
    name: str
    email: str | None
    status: EnrollmentStatus | None
    status_on: date | None
    outcome: OutcomeData | None


def _read_record(table: Table, row: Row, today: date) -> _Parsed:
    parser = RowParser(table, row)
    parsed = _Parsed(
        **cohort_cells(parser),
        cohort_start=parser.date("cohort_start"),
        cohort_end=parser.date("cohort_end"),
        name=_words(parser.text("name", max_length=100)),
        email=parser.email("email"),
        status=parser.choice("status", STATUS_CHOICES),
        status_on=parser.date("status_date"),
        outcome=None,
    )
    parser.value("phone", parse_phone)  # checked; an account has no phone to keep it in
    parser.date("birth_date")  # checked; likewise
    if parsed.status in (EnrollmentStatus.COMPLETED, EnrollmentStatus.DROPPED):
        _need(
            parser,
            "status_date",
            parsed.status_on,
            gettext(
                "Required for completed and dropped trainees: the date of completion "
                "or of dropping out."
            ),
        )
    parsed.outcome = _read_outcome(parser, parsed.status, today)
    return parsed


def _read_outcome(
    parser: RowParser, status: EnrollmentStatus | None, today: date
) -> OutcomeData | None:
    kind = parser.choice("outcome", OUTCOME_CHOICES)
    company = _words(parser.text("company", max_length=200))
    job_title = _words(parser.text("job_title", max_length=200))
    industry = _words(parser.text("industry", max_length=100))
    employment_type = parser.choice("employment_type", EMPLOYMENT_TYPE_CHOICES)
    insured = parser.yes_no("insured")
    outcome_on = parser.date("outcome_date")
    reason = parser.choice("exclusion_reason", EXCLUSION_CHOICES)
    if kind is None:
        return None
    if status is not None and status != EnrollmentStatus.COMPLETED:
        parser.error(
            "outcome",
            gettext(
                "Only completed trainees have an outcome; this row's status is "
                "“%(status)s”: leave the outcome empty.",
                status=STATUS_CHOICES[status][0 if str(get_locale()) == "ko" else 1],
            ),
        )
    if kind in (OutcomeKind.EMPLOYED, OutcomeKind.FOUNDED):
        _need(parser, "company", company, gettext("Required for employed and founded."))
    _need(
        parser,
        "outcome_date",
        outcome_on,
        gettext(
            "Required for employed, founded and excluded: the start of "
            "the job or business, or the date of the exclusion."
        ),
    )
    consent_on = None
    if kind == OutcomeKind.EXCLUDED:
        _need(parser, "exclusion_reason", reason, gettext("Required for excluded."))
        if reason == ExclusionReason.ILLNESS:
            consent_on = _read_consent(parser, today)
    if kind == OutcomeKind.EMPLOYED and insured is None:
        insured = True  # formats.md: Y unless the file says otherwise
    # Campus files fill every column of every row (insured N for a founder, a company
    # beside an exclusion): cells the row's outcome kind has no place for are ignored,
    # where the web form, which shows only the kind's fields, refuses them.
    if kind != OutcomeKind.EMPLOYED:
        employment_type, insured = None, None
    if kind not in (OutcomeKind.EMPLOYED, OutcomeKind.FOUNDED):
        company, job_title, industry = "", "", ""
    if kind != OutcomeKind.EXCLUDED:
        reason = None
    data = OutcomeData(
        kind=kind,
        outcome_on=outcome_on,
        company=company,
        job_title=job_title,
        industry=industry,
        employment_type=employment_type,
        insured=insured,
        exclusion_reason=reason,
        health_consent=consent_on is not None,
        health_consent_at=_consent_at(consent_on),
    )
    if not parser.errors:
        try:  # the rules every outcome meets, the web form's too
            _outcome_values(data)
        except DomainError as refusal:
            for error in each_error(refusal):
                parser.error(_OUTCOME_FIELDS.get(error.field or "", "outcome"), error.message)
    return data


def _read_consent(parser: RowParser, today: date) -> date | None:
    """The date of the trainee's separate written consent to an illness exclusion, which
    is health data (PIPA art. 23); None, with the row's error, when it is missing or wrong.

    The column is read on illness exclusions only: on any other row there is no health
    data for it to cover, so whatever it holds is ignored, not stored (and not refused:
    campus files fill it in for every trainee). A stored illness exclusion keeps the
    consent it was recorded with: its date is not compared, as the form does not compare
    when its box was ticked, so the same file imported again changes nothing.
    """
    column = "sensitive_consent"
    if parser.raw(column) == "":
        parser.error(
            column,
            gettext(
                "An illness exclusion is health data: it needs the trainee's separate "
                "consent. Give the date of their written consent in the sensitive_consent "
                "column, or leave this row's outcome empty and record "
                "the exclusion in the trainee's outcome form with that consent."
            ),
        )
        return None
    consent_on = parser.value(column, _parse_consent_date)
    if consent_on is not None and consent_on > today:
        parser.error(
            column,
            gettext("The consent is dated in the future: give the date the trainee signed it."),
        )
        return None
    return consent_on


def _parse_consent_date(cell: Cell) -> date | None:
    """A date; a bare yes (Y, O, 동의) gets its own message. Raises CellError."""
    try:
        return parse_date(cell)
    except CellError:
        try:
            said_yes = parse_yes_no(cell)
        except CellError:
            said_yes = False
        if said_yes:
            raise CellError(
                gettext(
                    "“%(value)s” says the trainee consented, but not when: give the date "
                    "of the written consent, e.g. 2025-08-29.",
                    value=cell,
                )
            ) from None
        raise


def _consent_at(consent_on: date | None) -> datetime | None:
    """The consent's date as the moment stored (the start of that day in Seoul), so it
    shows as that date; the outcome form stores the moment the box is ticked."""
    return None if consent_on is None else datetime.combine(consent_on, time(), tzinfo=SEOUL)


def _outcome_values(data: OutcomeData) -> dict[str, Any]:
    """The outcome's column values as record_outcome would store them (raises its errors)."""
    probe = Enrollment(status=EnrollmentStatus.COMPLETED)  # transient, never added
    return services.check_outcome(probe, data)


def _outcome_changes(current: Outcome | None, data: OutcomeData) -> bool:
    if current is None:
        return True
    values = _outcome_values(data)
    return any(getattr(current, key) != values[key] for key in services.COMPARED)


def _enrollment_values(enrollment: Enrollment | None, row: RecordRow) -> dict[str, Any]:
    """The enrollment's status as the row gives it.

    A stored status that the file's word covers is kept: 수료 covers completion by early
    employment (조기취업), 중도탈락 covers expulsion (제적); a stored drop reason is kept too.
    """
    stored = enrollment.status if enrollment is not None else None
    status = row.status
    covered = (status == EnrollmentStatus.COMPLETED and stored in COMPLETED) or (
        status == EnrollmentStatus.DROPPED and stored == EnrollmentStatus.EXPELLED
    )
    if covered:
        status = stored
    values: dict[str, Any] = {
        "status": status,
        "status_on": None if status == EnrollmentStatus.ENROLLED else row.status_on,
    }
    if status == EnrollmentStatus.DROPPED:
        kept = enrollment.drop_reason if enrollment is not None else None
        values["drop_reason"] = kept or DropReason.OTHER
    elif status != EnrollmentStatus.EXPELLED:
        values["drop_reason"] = None
    return values


def _check_cohort_dates(stored: _Stored, items: list[_Parsed], today: date) -> NewCohort | None:
    """Check the dates of the rows of one cohort; the cohort to create if it is not stored.

    A new cohort takes its dates from its rows, which must agree; a stored one keeps its
    own, which the rows may repeat but not contradict (checked per row). Status dates lie
    between the cohort's start and today.
    """
    new: NewCohort | None = None
    first = items[0]
    campus = stored.campus(first.campus)
    course = stored.course(campus, first.course) if campus else None
    existing = stored.cohort(course, first.number) if course else None
    if existing is not None:
        start_on = existing.start_on
    else:
        new = NewCohort(
            first.campus, first.course, first.number, rows=[item.row.number for item in items]
        )
        for item in items:
            for attribute, column in (("start_on", "cohort_start"), ("end_on", "cohort_end")):
                given = getattr(item, column)
                kept = getattr(new, attribute)
                if given is None:
                    continue
                if kept is None:
                    setattr(new, attribute, given)
                elif given != kept:
                    item.parser.error(
                        column,
                        gettext(
                            "An earlier row gives this new cohort %(date)s.",
                            date=kept.isoformat(),
                        ),
                    )
        for attribute, column in (("start_on", "cohort_start"), ("end_on", "cohort_end")):
            if getattr(new, attribute) is None:
                for item in items:
                    _need(
                        item.parser,
                        column,
                        None,
                        gettext(
                            "Cohort %(n)d of “%(course)s” at %(campus)s is not stored yet: "
                            "give its start and end dates to create it.",
                            n=new.number,
                            course=new.course,
                            campus=new.campus,
                        ),
                    )
        if new.start_on and new.end_on and new.end_on < new.start_on:
            first.parser.error("cohort_end", gettext("The cohort cannot end before it starts."))
        start_on = new.start_on
    for item in items:
        if item.status_on is None or item.status not in (
            EnrollmentStatus.COMPLETED,
            EnrollmentStatus.DROPPED,
        ):
            continue
        if start_on is not None and item.status_on < start_on:
            item.parser.error(
                "status_date",
                gettext("This is before the cohort starts (%(date)s).", date=start_on.isoformat()),
            )
        elif item.status_on > today:
            item.parser.error("status_date", gettext("This date is in the future."))
    return new


def preview_records(filename: str, content: bytes, *, actor: User | None = None) -> Preview:
    """Read a trainee-records file and check every row against what is stored; write nothing.

    `actor` None is the system (the CLI): every campus. Raises reader.UnreadableFile when
    the file is no table at all; every other problem is in Preview.errors.
    """
    table = read_table(filename, content, RECORD_COLUMNS)
    preview = Preview(
        RECORDS, filename, errors=list(table.errors), unknown_headers=table.unknown_headers
    )
    today = today_in_seoul()
    stored = _Stored()
    limited = _limited(actor)
    may_create = actor is None or can("cohort.manage", actor)
    parsed = [_read_record(table, row, today) for row in table.rows]
    people = _people({p.email for p in parsed if p.email})

    first_of: dict[tuple, int] = {}
    new_names: dict[str, tuple[str, int]] = {}  # e-mail of a new person -> (name, row)
    cohort_rows: dict[tuple, list[_Parsed]] = {}
    rows: dict[int, RecordRow] = {}
    for item in parsed:
        parser = item.parser
        campus = course = cohort = None
        campus_key: tuple = ()
        if item.campus:
            campus = stored.campus(item.campus)
            if limited and (campus is None or campus.id != actor.campus_id):
                parser.error(
                    "campus",
                    gettext(
                        "Not your campus: you may import rows of %(campus)s only.",
                        campus=actor.campus.name_ko if actor.campus else "—",
                    ),
                )
            campus_key = ("id", campus.id) if campus else ("new", item.campus.casefold())
        if campus is not None and item.course:
            course = stored.course(campus, item.course)
        if course is not None and item.number is not None:
            cohort = stored.cohort(course, item.number)
        cohort_key: tuple = ()
        if campus_key and item.course and item.number is not None:
            cohort_key = (campus_key, item.course, item.number)
            cohort_rows.setdefault(cohort_key, []).append(item)
            if cohort is None and campus is not None and not may_create:
                # Coordinators import into cohorts that exist; making one is a manager's.
                parser.error(
                    "course" if course is None else "cohort",
                    gettext(
                        "Cohort %(n)d of “%(course)s” is not stored, and you may not create "
                        "cohorts: ask a manager to create it, or to import this file.",
                        n=item.number,
                        course=item.course,
                    ),
                )
        if cohort is not None:
            for key, given, kept in (
                ("cohort_start", item.cohort_start, cohort.start_on),
                ("cohort_end", item.cohort_end, cohort.end_on),
            ):
                if given is not None and given != kept:
                    parser.error(
                        key,
                        gettext(
                            "Cohort %(n)d of this course is stored with %(date)s: correct the "
                            "date, or leave it empty.",
                            n=cohort.number,
                            date=kept.isoformat(),
                        ),
                    )
        user = people.get(item.email) if item.email else None
        if user is not None and user.role != Role.TRAINEE:
            parser.error(
                "email",
                gettext(
                    "%(email)s belongs to a staff account; only trainees can be imported.",
                    email=item.email,
                ),
            )
        elif user is None and item.email and item.name:
            name, first = new_names.setdefault(item.email, (item.name, item.row.number))
            if name != item.name:
                parser.error(
                    "name",
                    gettext(
                        "Row %(row)d gives this e-mail address another name (%(name)s).",
                        row=first,
                        name=name,
                    ),
                )
        if cohort_key and item.email:
            key = (cohort_key, item.email)
            if key in first_of:
                parser.error(
                    "email",
                    gettext(
                        "This trainee is also on row %(row)d for the same cohort.",
                        row=first_of[key],
                    ),
                )
            else:
                first_of[key] = item.row.number
        if item.status is not None and item.email and item.name and cohort_key:
            rows[item.row.number] = RecordRow(
                number=item.row.number,
                campus=campus.name_ko if campus else item.campus,
                course=course.title if course else item.course,
                cohort=item.number,
                name=item.name,
                email=item.email,
                status=item.status,
                status_on=item.status_on if item.status != EnrollmentStatus.ENROLLED else None,
                outcome=item.outcome,
                account_name=user.name if user else None,
                campus_key=campus_key,
                cohort_key=cohort_key,
                campus_obj=campus,
                course_obj=course,
                cohort_obj=cohort,
                user=user,
            )

    for key, items in cohort_rows.items():
        new = _check_cohort_dates(stored, items, today)
        if new is not None:
            preview.new_cohorts[key] = new

    for item in parsed:
        preview.errors.extend(item.parser.errors)
    if not table.rows:
        preview.errors.append(
            RowError(None, "", gettext("The file has no trainee rows under its header."))
        )
    preview.errors = _sorted(preview.errors)
    if preview.errors:
        return preview

    preview.rows = [rows[item.row.number] for item in parsed]
    _compare_records(preview.rows)
    preview.new_campuses = list(
        dict.fromkeys(row.campus for row in preview.rows if row.campus_obj is None)
    )
    preview.new_courses = list(
        dict.fromkeys((row.campus, row.course) for row in preview.rows if row.course_obj is None)
    )
    preview.new_accounts = len({row.email for row in preview.rows if row.user is None})
    return preview


def _compare_records(rows: list[RecordRow]) -> None:
    """Find each row's stored enrollment and current outcome, and what importing changes."""
    cohort_ids = sorted({row.cohort_obj.id for row in rows if row.cohort_obj and row.user})
    user_ids = sorted({row.user.id for row in rows if row.cohort_obj and row.user})
    enrollments: dict[tuple[int, int], Enrollment] = {}
    for chunk in _chunks(user_ids) if cohort_ids else ():
        for enrollment in db.session.scalars(
            db.select(Enrollment).where(
                Enrollment.cohort_id.in_(cohort_ids), Enrollment.user_id.in_(chunk)
            )
        ):
            enrollments[(enrollment.cohort_id, enrollment.user_id)] = enrollment
    current: dict[int, Outcome] = {}
    for chunk in _chunks(sorted(e.id for e in enrollments.values())):
        for outcome in db.session.scalars(
            db.select(Outcome).where(Outcome.enrollment_id.in_(chunk), Outcome.is_current)
        ):
            current[outcome.enrollment_id] = outcome
    for row in rows:
        if row.cohort_obj is not None and row.user is not None:
            row.enrollment = enrollments.get((row.cohort_obj.id, row.user.id))
        if row.enrollment is None:
            row.change = NEW
            continue
        row.current = current.get(row.enrollment.id)
        values = _enrollment_values(row.enrollment, row)
        changed = any(getattr(row.enrollment, key) != value for key, value in values.items())
        if row.outcome is not None and row.status == EnrollmentStatus.COMPLETED:
            changed = changed or _outcome_changes(row.current, row.outcome)
        row.change = UPDATED if changed else UNCHANGED
