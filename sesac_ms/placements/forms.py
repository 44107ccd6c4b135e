"""Forms of the placements blueprint."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from ..models import (
    EmploymentType,
    ExclusionReason,
    OutcomeKind,
    ReferralStatus,
    RetentionResult,
    Verification,
    VerificationState,
)

OUTCOME_LABELS = {
    OutcomeKind.EMPLOYED: lazy_pgettext("outcome", "Employed"),
    OutcomeKind.FOUNDED: _l("Founded a business"),
    OutcomeKind.EXCLUDED: _l("Excluded from the employment target"),
}
EMPLOYMENT_TYPE_LABELS = {
    EmploymentType.PERMANENT: _l("Permanent"),
    EmploymentType.CONTRACT: _l("Contract"),
    EmploymentType.INTERN: _l("Intern"),
    EmploymentType.FREELANCE: _l("Freelance"),
}
EXCLUSION_LABELS = {
    ExclusionReason.FURTHER_STUDY: _l("Further study"),
    ExclusionReason.MILITARY: _l("Military service"),
    ExclusionReason.ILLNESS: _l("Illness"),
    ExclusionReason.EMIGRATION: _l("Emigration"),
    ExclusionReason.OTHER: _l("Other"),
}


def exclusion_labels(may_see_health: bool) -> dict:
    """The reasons' labels as the reader may see them: to a role that may not see health
    data (placements.services.may_see_health) an illness reads only as "sensitive", so the
    page it is given to has no way to show more."""
    if may_see_health:
        return EXCLUSION_LABELS
    return {**EXCLUSION_LABELS, ExclusionReason.ILLNESS: _l("sensitive")}


SALARY_BAND_LABELS = {
    "under_2400": _l("Under ₩24 million"),
    "2400_3000": _l("₩24–30 million"),
    "3000_3600": _l("₩30–36 million"),
    "3600_4800": _l("₩36–48 million"),
    "4800_plus": _l("₩48 million or more"),
}
VERIFICATION_LABELS = {
    Verification.INSURANCE_RECORD: _l("Employment insurance record"),
    Verification.EMPLOYMENT_CERTIFICATE: _l("Certificate of employment"),
    Verification.BUSINESS_REGISTRATION: _l("Business registration"),
    Verification.OTHER: _l("Other"),
}
STATE_LABELS = {
    VerificationState.UNVERIFIED: _l("Not verified yet"),
    VerificationState.VERIFIED: _l("Verified"),
    VerificationState.REJECTED: _l("Could not be verified"),
}
RETENTION_LABELS = {
    RetentionResult.STILL_EMPLOYED: _l("Still employed there"),
    RetentionResult.MOVED: _l("Moved to another job"),
    RetentionResult.LEFT: _l("Left employment"),
}
REFERRAL_LABELS = {
    ReferralStatus.PROPOSED: _l("Proposed"),
    ReferralStatus.SENT: _l("Sent"),
    ReferralStatus.INTERVIEW: _l("Interview"),
    ReferralStatus.HIRED: _l("Hired"),
    ReferralStatus.NOT_HIRED: _l("Not hired"),
}


def _choices(labels: dict, empty: bool = False) -> list[SelectChoice]:
    head = [SelectChoice("", "—")] if empty else []
    return head + [SelectChoice(getattr(k, "value", k), v) for k, v in labels.items()]


class OutcomeForm(FlaskForm):
    kind = SelectField(_l("Outcome"), choices=_choices(OUTCOME_LABELS), validators=[DataRequired()])
    outcome_on = DateField(
        _l("Date (job or business start, or exclusion)"), validators=[DataRequired()]
    )
    company = StringField(_l("Company or business"), validators=[Optional(), Length(max=200)])
    job_title = StringField(_l("Job title"), validators=[Optional(), Length(max=200)])
    industry = StringField(_l("Industry"), validators=[Optional(), Length(max=100)])
    # The parts of one kind of outcome are not sent when app.js hides (disables) them: a
    # missing choice is no choice (default ""), not an invalid one.
    employment_type = SelectField(
        _l("Employment type"),
        choices=_choices(EMPLOYMENT_TYPE_LABELS, True),
        default="",
    )
    insured = SelectField(
        _l("Employment insurance"),
        choices=[
            SelectChoice("", _l("Default (yes unless freelance)")),
            SelectChoice("y", _l("Yes")),
            SelectChoice("n", _l("No")),
        ],
        default="",
    )
    salary_band = SelectField(
        _l("Annual salary (optional)"),
        choices=_choices(SALARY_BAND_LABELS, True),
        validate_choice=False,  # the service names a band not in the list beside the field
    )
    exclusion_reason = SelectField(
        _l("Reason for the exclusion"),
        choices=_choices(EXCLUSION_LABELS, True),
        default="",
    )
    health_consent = BooleanField(
        _l("The trainee gave separate consent to record health data (illness only)")
    )
    evidence = TextAreaField(_l("Evidence"), validators=[Optional(), Length(max=2000)])
    verification = SelectField(_l("Verified by"), choices=_choices(VERIFICATION_LABELS, True))
    verification_state = SelectField(_l("Verification"), choices=_choices(STATE_LABELS))


class VerifyForm(FlaskForm):
    # "Mark unverified" and "Could not be verified" send no method: none is no choice.
    verification = SelectField(
        _l("Verified by"), choices=_choices(VERIFICATION_LABELS, True), default=""
    )
    verification_state = SelectField(_l("Verification"), choices=_choices(STATE_LABELS))


class RetentionForm(FlaskForm):
    # Own ids: the exam form on the same page has a "result" too.
    months = SelectField(
        _l("Check"),
        choices=[SelectChoice("6", _l("6 months")), SelectChoice("12", _l("12 months"))],
        id="retention_months",
    )
    checked_on = DateField(_l("Checked on"), validators=[DataRequired()], id="retention_on")
    result = SelectField(_l("Result"), choices=_choices(RETENTION_LABELS), id="retention_result")
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])


class AttemptForm(FlaskForm):
    exam = StringField(
        _l("Exam"), validators=[DataRequired(), Length(max=100)], description=_l("e.g. AI-900")
    )
    exam_on = DateField(_l("Exam date"), validators=[DataRequired()])
    result = SelectField(
        _l("Result"), choices=[SelectChoice("pass", _l("Pass")), SelectChoice("fail", _l("Fail"))]
    )
    score = IntegerField(_l("Score (optional)"), validators=[Optional(), NumberRange(min=0)])


class CompanyForm(FlaskForm):
    campus_id = SelectField(_l("Campus"), coerce=int, validators=[DataRequired()])
    name = StringField(_l("Company"), validators=[DataRequired(), Length(max=200)])
    industry = StringField(_l("Industry"), validators=[Optional(), Length(max=100)])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=100)])
    contact_email = EmailField(
        _l("Contact e-mail"), validators=[Optional(), Email(), Length(max=254)]
    )
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=30)])
    openings = TextAreaField(_l("Openings"), validators=[Optional(), Length(max=5000)])


class ReferralForm(FlaskForm):
    enrollment_id = SelectField(_l("Trainee"), coerce=int, validators=[DataRequired()])
    company_id = SelectField(_l("Company"), coerce=int, validators=[DataRequired()])
    position = StringField(_l("Position"), validators=[Optional(), Length(max=200)])
    matching_day_id = SelectField(_l("Matching day"), coerce=int, validators=[Optional()])
    consent = BooleanField(_l("The trainee agreed to share their data with this company"))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class ReferralStatusForm(FlaskForm):
    # No step chosen beforehand: the list's rows are at different steps, and none may move
    # to the first.
    status = SelectField(
        _l("Next step"), choices=_choices(REFERRAL_LABELS, True), validators=[DataRequired()]
    )
    started_on = DateField(_l("Job starts on (when hired)"), validators=[Optional()])
