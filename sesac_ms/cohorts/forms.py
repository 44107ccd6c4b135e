"""Forms of the cohorts blueprint."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..models import Track

TRACK_LABELS = {
    Track.AI_CORE_SW: _l("AI core / convergence (SW)"),
    Track.AI_CONVERGENCE_DX: _l("AI convergence (DX)"),
}


class CourseForm(FlaskForm):
    campus_id = SelectField(_l("Campus"), coerce=int, validators=[DataRequired()])
    title = StringField(_l("Course title"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(
        _l("English title"),
        validators=[Optional(), Length(max=200)],
        description=_l("Optional: shown on English pages instead of the course title."),
    )
    track = SelectField(
        _l("Track"),
        choices=[SelectChoice(t.value, label) for t, label in TRACK_LABELS.items()],
        validators=[DataRequired()],
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])


class CohortForm(FlaskForm):
    number = IntegerField(
        _l("Cohort number"), validators=[DataRequired(), NumberRange(min=1, max=999)]
    )
    recruit_start_on = DateField(_l("Recruiting opens"), validators=[DataRequired()])
    recruit_end_on = DateField(_l("Recruiting closes"), validators=[DataRequired()])
    start_on = DateField(_l("Training starts"), validators=[DataRequired()])
    end_on = DateField(_l("Training ends"), validators=[DataRequired()])
    capacity = IntegerField(
        _l("Capacity"),
        validators=[
            DataRequired(message=_l("Enter a capacity above zero.")),
            NumberRange(min=1, max=1000, message=_l("Enter a capacity between 1 and 1000.")),
        ],
    )


class StaffForm(FlaskForm):
    user_id = SelectField(_l("Staff member"), coerce=int, validators=[DataRequired()])


class ClassDayForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class EventForm(FlaskForm):
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    starts_at = DateTimeLocalField(_l("Starts at"), validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ends at"), validators=[DataRequired()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), validators=[DataRequired()])
    on = DateField(_l("Date"), validators=[Optional()])
    drop_reason = SelectField(_l("Reason for dropping out"), validators=[Optional()])
    note = TextAreaField(_l("Note or written override"), validators=[Optional(), Length(max=2000)])


class DepositForm(FlaskForm):
    action = SelectField(_l("Deposit"), validators=[DataRequired()])
    # Its own id: the status form on the same page has an "on" too.
    on = DateField(_l("Date"), validators=[DataRequired()], id="deposit_on")


class RosterExportForm(FlaskForm):
    reason = StringField(
        _l("Reason for the download"),
        validators=[
            DataRequired(message=_l("Say why you download this personal data.")),
            Length(min=5, max=500),
        ],
    )
    format = SelectField(
        _l("Format"), choices=[SelectChoice("xlsx", "XLSX"), SelectChoice("csv", "CSV")]
    )


class RosterRulesForm(FlaskForm):
    class_weekdays = StringField(
        _l("Class weekdays (0 = Monday … 6 = Sunday)"), validators=[DataRequired(), Length(max=7)]
    )
    class_starts_at = TimeField(_l("Class starts"), validators=[DataRequired()])
    class_ends_at = TimeField(_l("Class ends"), validators=[DataRequired()])
    lates_per_absence = IntegerField(
        _l("Lates or early leaves that make one absence"),
        validators=[DataRequired(), NumberRange(min=1, max=10)],
    )
    grace_minutes = IntegerField(
        _l("Grace minutes for check-in times"),
        validators=[Optional(), NumberRange(min=0, max=120)],
        description=_l(
            "Arriving this many minutes after the start, or leaving this many "
            "before the end, still counts as on time."
        ),
    )
    completion_threshold = IntegerField(
        _l("Attendance needed to complete (%)"),
        validators=[DataRequired(), NumberRange(min=1, max=100)],
    )
    deposit_amount = IntegerField(
        _l("Deposit (won, 0 = none)"), validators=[Optional(), NumberRange(min=0, max=10_000_000)]
    )


class CheckInForm(FlaskForm):
    """A trainee's check-in or check-out: the code on the classroom screen (or the QR link's)."""

    code = StringField(
        _l("Code on the screen"),
        validators=[
            DataRequired(message=_l("Enter the 6-digit code on the classroom screen.")),
            Length(max=40),
        ],
    )
    direction = RadioField(
        _l("I am"),
        choices=[
            SelectChoice("in", _l("Arriving (check in)")),
            SelectChoice("out", _l("Leaving (check out)")),
        ],
        default="in",
        validators=[DataRequired(message=_l("Choose checking in or checking out."))],
    )
    cohort_id = HiddenField()
