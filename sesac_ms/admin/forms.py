"""Forms of the admin blueprint."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ..models import Role

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator (head office)"),
    Role.MANAGER: _l("Campus manager"),
    Role.COORDINATOR: _l("Job coordinator"),
    Role.MENTOR: _l("Mentor"),
    Role.TRAINEE: _l("Trainee"),
}


class CampusForm(FlaskForm):
    name_ko = StringField(_l("Name in Korean"), validators=[DataRequired(), Length(max=50)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=50)])
    district = StringField(_l("District"), validators=[DataRequired(), Length(max=50)])
    opening_order = IntegerField(_l("Opening order"), validators=[Optional(), NumberRange(min=1)])
    opened_on = DateField(_l("Opened on"), validators=[Optional()])
    ai_specialised = BooleanField(_l("AI-specialised campus"))
    partner_company = StringField(_l("Partner company"), validators=[Optional(), Length(max=100)])
    session_cancel_cutoff_hours = IntegerField(
        _l("Trainees may cancel a 1:1 session until (hours before)"),
        default=24,
        validators=[Optional(), NumberRange(min=0, max=240)],
    )


class UserForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()],
        validators=[DataRequired()],
    )
    campus_id = SelectField(
        _l("Campus"),
        coerce=int,
        validators=[Optional()],
        description=_l("Everyone but an administrator belongs to one campus."),
    )


class ExportForm(FlaskForm):
    reason = StringField(
        _l("Reason for the download"),
        validators=[
            DataRequired(message=_l("Say why you download this personal data.")),
            Length(min=5, max=500),
        ],
    )


class LogFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    action = StringField(_l("Action"), validators=[Optional(), Length(max=60)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])


class AccessLogFilterForm(FlaskForm):
    """The access log's filters, read from the query string so a filtered view can be linked."""

    class Meta:
        csrf = False

    who = StringField(
        _l("Staff member who looked"),
        validators=[Optional(), Length(max=100)],
        description=_l("Name, e-mail or user number."),
    )
    person = StringField(
        _l("Whose data"),
        validators=[Optional(), Length(max=100)],
        description=_l("Name, e-mail or user number of the person the data is about."),
    )
    action = SelectField(
        _l("Action"),
        choices=[
            SelectChoice("", _l("All")),
            SelectChoice("view", _l("View")),
            SelectChoice("change", _l("Change")),
            SelectChoice("download", _l("Download")),
        ],
        validators=[Optional()],
    )
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))


class ReviewMonthForm(FlaskForm):
    """The month the access review shows, from the query string so it can be linked."""

    class Meta:
        csrf = False

    month = StringField(
        _l("Month"),
        validators=[Optional(), Regexp(r"^\d{4}-\d{2}$", message=_l("As YYYY-MM, e.g. 2026-10."))],
        render_kw={"type": "month", "placeholder": "YYYY-MM"},
    )


class RecordReviewForm(FlaskForm):
    month = HiddenField(validators=[DataRequired()])
    note = TextAreaField(
        _l("Note"),
        validators=[Optional(), Length(max=2000)],
        description=_l("What you checked, what you followed up, or that nothing was unusual."),
    )


class ReviewExportForm(ExportForm):
    format = SelectField(
        _l("Format"), choices=[SelectChoice("xlsx", "XLSX"), SelectChoice("csv", "CSV")]
    )
