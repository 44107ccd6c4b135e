"""The API's request and response shapes (marshmallow): they validate what comes in, shape
what goes out, and are what the OpenAPI document is generated from.

Times are ISO 8601 with the Asia/Seoul offset (2026-03-02T09:00:00+09:00); days are
YYYY-MM-DD. Staff-only notes are never part of a shape a trainee's token can read. Unknown
fields and query parameters are refused (marshmallow's default, and api.StrictParser), so a
misspelt filter is reported rather than ignored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import get_locale
from marshmallow import Schema, fields, validate

from ..clock import SEOUL
from ..models import (
    AttendanceStatus,
    CohortStatus,
    DepositStatus,
    EmploymentType,
    EnrollmentStatus,
    ExclusionReason,
    MarkSource,
    OutcomeKind,
    ReferralStatus,
    SessionKind,
    SessionStatus,
    Stage,
    Track,
    Verification,
    VerificationState,
)
from ..models.applications import SCORED_STAGES, Education, EmploymentStatus
from ..models.people import Role
from ..reports.services import LEVELS
from .tokens import RESOURCES

MAX_PAGE = 200
MAX_ID = 2**31 - 1  # the database's INTEGER ids (sesac_ms.MAX_DATABASE_ID)


def id_filter() -> fields.Integer:
    """A filter by a record's id: a whole number an id can be."""
    return fields.Integer(validate=validate.Range(1, MAX_ID))


class SeoulDateTime(fields.DateTime):
    """A stored UTC time, written in Asia/Seoul with its offset."""

    def _serialize(self, value: datetime | None, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return value.astimezone(SEOUL).isoformat()


class PageQuery(Schema):
    cursor = fields.Integer(
        validate=validate.Range(0, MAX_ID),
        metadata={"description": "`next_cursor` of the previous page; leave out for the first."},
    )
    limit = fields.Integer(
        load_default=50,
        validate=validate.Range(1, MAX_PAGE),
        metadata={"description": f"Items per page, 1 to {MAX_PAGE}."},
    )


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """A page of items in a stable order, and the cursor of the next page (null: the last)."""
    return type(
        name,
        (Schema,),
        {
            "items": fields.List(fields.Nested(item), required=True),
            "next_cursor": fields.Integer(
                allow_none=True,
                required=True,
                metadata={"description": "Pass as `cursor` for the next page; null on the last."},
            ),
        },
    )


class TokenSchema(Schema):
    name = fields.String(required=True)
    can_write = fields.Boolean(required=True)
    resources = fields.List(
        fields.String(validate=validate.OneOf(list(RESOURCES))),
        required=True,
        attribute="resource_names",
        metadata={"description": "Resources the token is narrowed to; empty: all."},
    )
    expires_at = SeoulDateTime(required=True)


class MeSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.Email(required=True)
    role = fields.Enum(Role, by_value=True, required=True)
    campus_id = fields.Integer(allow_none=True, required=True)
    locale = fields.String(required=True)
    token = fields.Nested(TokenSchema, required=True)


class CampusSchema(Schema):
    id = fields.Integer(required=True)
    name_ko = fields.String(required=True)
    name_en = fields.String(required=True)
    district = fields.String(required=True)
    opened_on = fields.Date(allow_none=True, required=True)
    ai_specialised = fields.Boolean(required=True)


class CourseSchema(Schema):
    id = fields.Integer(required=True)
    campus_id = fields.Integer(required=True)
    title = fields.String(required=True)
    title_en = fields.String(allow_none=True, required=True)
    track = fields.Enum(Track, by_value=True, required=True)
    description = fields.String(required=True)


class CourseQuery(PageQuery):
    campus_id = id_filter()


class ClassDaySchema(Schema):
    id = fields.Integer(required=True)
    day = fields.Date(required=True)
    cancelled = fields.Boolean(required=True)
    note = fields.String(required=True)


class CohortSchema(Schema):
    id = fields.Integer(required=True)
    course_id = fields.Integer(required=True)
    campus_id = fields.Integer(required=True)
    number = fields.Integer(required=True)
    label = fields.Method(
        "_label", required=True, metadata={"type": "string", "description": "As staff name it."}
    )
    status = fields.Enum(CohortStatus, by_value=True, required=True)
    recruit_start_on = fields.Date(required=True)
    recruit_end_on = fields.Date(required=True)
    start_on = fields.Date(required=True)
    end_on = fields.Date(required=True)
    capacity = fields.Integer(required=True)
    seats_taken = fields.Integer(required=True)
    class_weekdays = fields.Method(
        "_weekdays",
        required=True,
        metadata={"type": "array", "items": {"type": "integer"}, "description": "Monday is 0."},
    )
    class_starts_at = fields.Time(required=True)
    class_ends_at = fields.Time(required=True)
    completion_threshold = fields.Integer(required=True, metadata={"description": "Percent."})

    def _label(self, cohort: Any) -> str:
        return cohort.label(str(get_locale()))

    def _weekdays(self, cohort: Any) -> list[int]:
        return [int(day) for day in cohort.class_weekdays]


class CohortDetailSchema(CohortSchema):
    class_days = fields.List(fields.Nested(ClassDaySchema), required=True)


class CohortQuery(PageQuery):
    campus_id = id_filter()
    course_id = id_filter()
    status = fields.Enum(CohortStatus, by_value=True)


class ApplicationSchema(Schema):
    id = fields.Integer(required=True)
    cohort_id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    phone = fields.String(required=True)
    birth_date = fields.Date(required=True)
    district = fields.String(required=True)
    seoul_university = fields.Boolean(required=True)
    employment_status = fields.Enum(EmploymentStatus, by_value=True, required=True)
    education = fields.Enum(Education, by_value=True, required=True)
    motivation = fields.String(required=True)
    portfolio_url = fields.String(allow_none=True, required=True)
    stage = fields.Enum(Stage, by_value=True, required=True)
    eligible = fields.Boolean(required=True)
    waitlist_rank = fields.Integer(allow_none=True, required=True)
    average_score = fields.Float(allow_none=True, required=True)
    decision_reason = fields.String(allow_none=True, required=True)
    decided_at = SeoulDateTime(allow_none=True, required=True)
    offer_expires_on = fields.Date(allow_none=True, required=True)
    submitted_at = SeoulDateTime(required=True)


class ApplicationQuery(PageQuery):
    cohort_id = id_filter()
    stage = fields.Enum(Stage, by_value=True)
    eligible = fields.Boolean()


# The stages a manager can move an application to: the next selection stage, or a decision.
MOVES = (*SCORED_STAGES, Stage.ACCEPTED, Stage.WAITLISTED, Stage.REJECTED)


class ApplicationChange(Schema):
    stage = fields.String(
        required=True,
        validate=validate.OneOf([stage.value for stage in MOVES]),
        metadata={
            "description": "The next selection stage, or a decision: accepted, waitlisted, "
            "rejected (a rejection needs a reason)."
        },
    )
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class EmploymentQuery(Schema):
    by = fields.String(load_default="campus", validate=validate.OneOf(LEVELS))
    campus_id = id_filter()
    year = fields.Integer(validate=validate.Range(2000, 2100))
    within_days = fields.Integer(validate=validate.Range(0, 3650))


class EmploymentRowSchema(Schema):
    campus = fields.String(required=True)
    course = fields.String(required=True)
    cohort = fields.Raw(
        required=True,
        metadata={"type": ["integer", "string"], "description": "Cohort number, or empty."},
    )
    completed = fields.Integer(required=True)
    excluded = fields.Integer(required=True)
    target = fields.Integer(required=True)
    employed = fields.Integer(required=True)
    founded = fields.Integer(required=True)
    rate = fields.Float(
        allow_none=True,
        required=True,
        metadata={"description": "(employed + founded) / target in percent, one decimal."},
    )
    cohort_id = fields.Integer(allow_none=True, required=True)


class EmploymentReportSchema(Schema):
    rows = fields.List(fields.Nested(EmploymentRowSchema), required=True)
    total = fields.Nested(EmploymentRowSchema, required=True)


class CertificationQuery(Schema):
    by = fields.String(
        load_default="exam",
        validate=validate.OneOf(["exam", "campus"]),
        metadata={"description": "One row per exam, or per campus and exam."},
    )
    campus_id = id_filter()


class CertificationRowSchema(Schema):
    campus = fields.String(required=True)
    exam = fields.String(required=True)
    candidates = fields.Integer(required=True)
    passed = fields.Integer(required=True)
    rate = fields.Float(allow_none=True, required=True, metadata={"description": "Percent."})


class CertificationReportSchema(Schema):
    rows = fields.List(fields.Nested(CertificationRowSchema), required=True)


class ProblemEntrySchema(Schema):
    location = fields.String(
        required=True, metadata={"description": "json, query, path or headers."}
    )
    pointer = fields.String(
        required=True, metadata={"description": "JSON pointer to the field, as /reason."}
    )
    detail = fields.String(required=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details, with every field's problem in `errors`."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.List(fields.Nested(ProblemEntrySchema))


class SlotSchema(Schema):
    id = fields.Integer(required=True)
    staff_id = fields.Integer(required=True)
    staff_name = fields.Function(
        lambda slot: slot.staff.name, required=True, metadata={"type": "string"}
    )
    kind = fields.Enum(SessionKind, by_value=True, required=True)
    starts_at = SeoulDateTime(required=True)
    ends_at = SeoulDateTime(required=True)
    location = fields.String(required=True)


class SlotList(Schema):
    items = fields.List(fields.Nested(SlotSchema), required=True)


class SessionSchema(Schema):
    id = fields.Integer(required=True)
    cohort_id = fields.Integer(required=True)
    trainee_id = fields.Integer(required=True)
    staff_id = fields.Integer(required=True)
    kind = fields.Enum(SessionKind, by_value=True, required=True)
    status = fields.Enum(SessionStatus, by_value=True, required=True)
    starts_at = SeoulDateTime(required=True)
    ends_at = SeoulDateTime(required=True)
    location = fields.String(required=True)
    summary = fields.String(required=True, metadata={"description": "What the trainee reads."})
    links = fields.String(required=True)
    cancel_reason = fields.String(allow_none=True, required=True)
    staff_notes = fields.Method(
        "_staff_notes",
        required=True,
        metadata={
            "type": ["string", "null"],
            "description": "Staff-only notes: null for a token that may not read them "
            "(every trainee's).",
        },
    )

    def _staff_notes(self, session: Any) -> str | None:
        from ..sessions.services import can_see_notes
        from .guard import current_token

        token = current_token()
        return session.staff_notes if token and can_see_notes(token.user, session) else None


class SessionQuery(PageQuery):
    status = fields.Enum(SessionStatus, by_value=True)
    kind = fields.Enum(SessionKind, by_value=True)


class SessionChange(Schema):
    status = fields.String(
        validate=validate.OneOf(["cancelled", "completed", "no_show"]),
        metadata={
            "description": "cancelled (with a reason; trainees until the campus's cut-off), or "
            "for staff: completed or no_show once it has started."
        },
    )
    reason = fields.String(load_default="", validate=validate.Length(max=500))
    summary = fields.String(validate=validate.Length(max=5000))
    staff_notes = fields.String(validate=validate.Length(max=5000))
    links = fields.String(validate=validate.Length(max=2000))


class EnrollmentSchema(Schema):
    id = fields.Integer(required=True)
    cohort_id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    name = fields.Function(lambda e: e.user.name, required=True, metadata={"type": "string"})
    status = fields.Enum(EnrollmentStatus, by_value=True, required=True)
    status_on = fields.Date(allow_none=True, required=True)
    enrolled_at = SeoulDateTime(required=True)
    deposit_status = fields.Enum(DepositStatus, by_value=True, required=True)


class EnrollmentQuery(PageQuery):
    cohort_id = id_filter()
    status = fields.Enum(EnrollmentStatus, by_value=True)


class MarkSchema(Schema):
    enrollment_id = fields.Integer(required=True)
    name = fields.String(required=True)
    status = fields.Enum(
        AttendanceStatus, by_value=True, allow_none=True, required=True,
        metadata={"description": "null: not marked yet."},
    )  # fmt: skip
    note = fields.String(required=True)
    arrived_at = SeoulDateTime(allow_none=True, required=True)
    left_at = SeoulDateTime(allow_none=True, required=True)
    minutes_late = fields.Integer(required=True)
    minutes_left_early = fields.Integer(required=True)
    source = fields.Enum(MarkSource, by_value=True, allow_none=True, required=True)


class SheetSchema(Schema):
    class_day = fields.Nested(ClassDaySchema, required=True)
    marks = fields.List(fields.Nested(MarkSchema), required=True)


class MarkChange(Schema):
    enrollment_id = fields.Integer(required=True, validate=validate.Range(1, MAX_ID))
    status = fields.Enum(AttendanceStatus, by_value=True, required=True)
    note = fields.String(
        load_default="",
        validate=validate.Length(max=200),
        metadata={"description": "The reason; needed to change a mark made from check-in."},
    )


class SheetChange(Schema):
    marks = fields.List(
        fields.Nested(MarkChange), required=True, validate=validate.Length(min=1, max=500)
    )


class OutcomeSchema(Schema):
    """A graduate's current outcome; an exclusion's reason (it may be health data) and its
    evidence are never part of it."""

    id = fields.Integer(required=True)
    enrollment_id = fields.Integer(required=True)
    kind = fields.Enum(OutcomeKind, by_value=True, required=True)
    outcome_on = fields.Date(required=True)
    company = fields.String(allow_none=True, required=True)
    job_title = fields.String(allow_none=True, required=True)
    industry = fields.String(allow_none=True, required=True)
    employment_type = fields.Enum(EmploymentType, by_value=True, allow_none=True, required=True)
    insured = fields.Boolean(allow_none=True, required=True)
    verification_state = fields.Enum(VerificationState, by_value=True, required=True)
    created_at = SeoulDateTime(required=True)


class OutcomeQuery(PageQuery):
    cohort_id = id_filter()
    kind = fields.Enum(OutcomeKind, by_value=True)


class ReferralSchema(Schema):
    id = fields.Integer(required=True)
    enrollment_id = fields.Integer(required=True)
    company_id = fields.Integer(required=True)
    company = fields.Function(lambda r: r.company.name, required=True, metadata={"type": "string"})
    position = fields.String(required=True)
    status = fields.Enum(ReferralStatus, by_value=True, required=True)
    sharing_consent_at = SeoulDateTime(required=True)
    created_at = SeoulDateTime(required=True)


class ReferralQuery(PageQuery):
    cohort_id = id_filter()
    status = fields.Enum(ReferralStatus, by_value=True)


class CertificationSchema(Schema):
    id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    exam = fields.Function(lambda a: a.exam.name, required=True, metadata={"type": "string"})
    exam_on = fields.Date(required=True)
    passed = fields.Boolean(required=True)
    score = fields.Integer(allow_none=True, required=True)


class FollowUpSchema(Schema):
    id = fields.Integer(required=True)
    session_id = fields.Integer(required=True)
    text = fields.String(required=True)
    due_on = fields.Date(allow_none=True, required=True)
    done_at = SeoulDateTime(allow_none=True, required=True)


class FollowUpQuery(PageQuery):
    open = fields.Boolean(metadata={"description": "true: not done yet; false: done."})


class ScoreChange(Schema):
    stage = fields.String(
        required=True, validate=validate.OneOf([stage.value for stage in SCORED_STAGES])
    )
    score = fields.Integer(required=True, validate=validate.Range(0, 100))
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class FollowUpChange(Schema):
    done = fields.Boolean(
        required=True, validate=validate.Equal(True), metadata={"description": "Only true."}
    )


class OutcomeRecord(Schema):
    """A graduate's outcome as the outcome form takes it; the fields of another kind are
    refused. An illness exclusion needs `health_consent` (the trainee's separate consent)."""

    enrollment_id = fields.Integer(required=True, validate=validate.Range(1, MAX_ID))
    kind = fields.Enum(OutcomeKind, by_value=True, required=True)
    outcome_on = fields.Date(required=True)
    company = fields.String(load_default="", validate=validate.Length(max=200))
    job_title = fields.String(load_default="", validate=validate.Length(max=200))
    industry = fields.String(load_default="", validate=validate.Length(max=100))
    employment_type = fields.Enum(EmploymentType, by_value=True, load_default=None)
    insured = fields.Boolean(load_default=None)
    exclusion_reason = fields.Enum(ExclusionReason, by_value=True, load_default=None)
    health_consent = fields.Boolean(load_default=False)
    evidence = fields.String(load_default="", validate=validate.Length(max=2000))


class VerificationChange(Schema):
    verification_state = fields.Enum(VerificationState, by_value=True, required=True)
    verification = fields.Enum(Verification, by_value=True, load_default=None)


class ReferralCreate(Schema):
    enrollment_id = fields.Integer(required=True, validate=validate.Range(1, MAX_ID))
    company_id = fields.Integer(required=True, validate=validate.Range(1, MAX_ID))
    position = fields.String(load_default="", validate=validate.Length(max=200))
    consent = fields.Boolean(
        required=True,
        metadata={"description": "The trainee agreed to share their data with the company."},
    )


class ReferralChange(Schema):
    status = fields.Enum(ReferralStatus, by_value=True, required=True)
    started_on = fields.Date(
        load_default=None, metadata={"description": "For hired: the day the job starts."}
    )


class SlotPublish(Schema):
    kind = fields.Enum(SessionKind, by_value=True, required=True)
    starts_at = fields.AwareDateTime(
        required=True,
        default_timezone=SEOUL,
        metadata={"description": "ISO 8601; without an offset, Seoul time."},
    )
    location = fields.String(required=True, validate=validate.Length(min=1, max=300))
    weeks = fields.Integer(load_default=1, validate=validate.Range(1, 26))
    during_class = fields.Boolean(
        load_default=False,
        metadata={"description": "Publish even over class hours of some cohorts you serve."},
    )
