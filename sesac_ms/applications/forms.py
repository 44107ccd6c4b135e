"""Forms of the applications blueprint."""

import time

from flask import current_app
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from itsdangerous import BadSignature, URLSafeTimedSerializer
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..models import Education, EmploymentStatus
from ..models.applications import OUTSIDE_SEOUL
from ..seoul import SEOUL_DISTRICTS, district_name
from .services import MOTIVATION_MAX_LENGTH, today_in_seoul

EMPLOYMENT_LABELS = {
    EmploymentStatus.UNEMPLOYED: _l("Not employed"),
    EmploymentStatus.EMPLOYED: _l("Employed"),
    EmploymentStatus.SELF_EMPLOYED: _l("Self-employed"),
    EmploymentStatus.STUDENT: _l("Student"),
}
EDUCATION_LABELS = {
    Education.HIGH_SCHOOL: _l("High school"),
    Education.COLLEGE: _l("Junior college"),
    Education.UNIVERSITY: _l("University"),
    Education.GRADUATE: _l("Graduate school"),
    Education.OTHER: _l("Other"),
}


def _district_choices() -> list[SelectChoice]:
    """Seoul's districts in the page's language and its alphabetical order."""
    locale = str(get_locale())
    districts = sorted((district_name(d, locale), d) for d in SEOUL_DISTRICTS)
    return (
        [SelectChoice("", _l("Choose…"))]
        + [SelectChoice(d, name) for name, d in districts]
        + [SelectChoice(OUTSIDE_SEOUL, _l("Outside Seoul"))]
    )


class ApplicationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    phone = TelField(
        _l("Mobile phone"),
        validators=[DataRequired(), Length(max=20)],
        description=_l("e.g. 010-1234-5678"),
    )
    birth_date = DateField(_l("Birth date"), validators=[DataRequired()])
    district = SelectField(
        _l("District you live in"), choices=_district_choices, validators=[DataRequired()]
    )
    seoul_university = BooleanField(_l("I study at or graduated from a university in Seoul"))
    employment_status = SelectField(
        _l("Current employment"),
        validators=[DataRequired()],
        choices=[SelectChoice("", _l("Choose…"))]
        + [SelectChoice(k.value, v) for k, v in EMPLOYMENT_LABELS.items()],
    )
    education = SelectField(
        _l("Education"),
        validators=[DataRequired()],
        choices=[SelectChoice("", _l("Choose…"))]
        + [SelectChoice(k.value, v) for k, v in EDUCATION_LABELS.items()],
    )
    motivation = TextAreaField(
        _l("Why do you apply?"),
        validators=[DataRequired(), Length(max=MOTIVATION_MAX_LENGTH)],
        description=_l("%(max)d characters at most.", max=MOTIVATION_MAX_LENGTH),
    )
    portfolio_url = URLField(
        _l("Portfolio link (optional)"), validators=[Optional(), Length(max=500)]
    )
    consent = BooleanField(
        _l("I agree to the collection and use of my personal data as described above (required).")
    )
    # Bots: a field people never see (visually hidden, out of the tab order, hidden from
    # screen readers) that form-filling robots fill, and the signed time the form was opened.
    homepage = StringField(_l("Leave this field empty"))
    opened = HiddenField()

    def validate_birth_date(self, field: DateField) -> None:
        if field.data is not None and field.data >= today_in_seoul():
            raise ValidationError(_l("The birth date must be in the past."))

    def is_bot(self) -> bool:
        return bool((self.homepage.data or "").strip())

    def stamp(self) -> None:
        """Sign the time the form is shown, unless it carries a valid stamp already."""
        if self._opened_at() is None:
            self.opened.data = form_age_signer().dumps(OPENED)

    def age_problem(self) -> str | None:
        """Why the form cannot be taken now (sent too fast or too late), or None."""
        opened_at = self._opened_at()
        if opened_at is None:
            return gettext(
                "This form was opened more than a day ago or could not be checked. "
                "Your answers are kept below: check them and send the form again."
            )
        if time.time() - opened_at < current_app.config["APPLY_FORM_MIN_SECONDS"]:
            return gettext(
                "The form was sent within seconds of opening it. Your answers are kept "
                "below: check them and send the form again."
            )
        return None

    def _opened_at(self) -> float | None:
        max_age = current_app.config["APPLY_FORM_MAX_AGE"].total_seconds()
        try:
            value, opened_at = form_age_signer().loads(
                self.opened.data or "", max_age=max_age, return_timestamp=True
            )
        except BadSignature:  # SignatureExpired included
            return None
        return opened_at.timestamp() if value == OPENED else None


OPENED = "application-form"


def form_age_signer(**options: object) -> URLSafeTimedSerializer:
    """Signs the time the application form was shown, with the app's secret key."""
    return URLSafeTimedSerializer(current_app.secret_key, salt="application-form-opened", **options)


class LostLinkForm(FlaskForm):
    email = EmailField(
        _l("The e-mail address you applied with"),
        validators=[DataRequired(), Email(), Length(max=254)],
    )


class SettingsForm(FlaskForm):
    uses_screening = BooleanField(_l("Document screening"))
    uses_assessment = BooleanField(_l("Basic-skills assessment"))
    uses_interview = BooleanField(_l("Interview"))
    min_age = IntegerField(
        _l("Lowest age (full years on the start date)"),
        validators=[Optional(), NumberRange(min=0, max=120)],
    )
    max_age = IntegerField(
        _l("Highest age (full years on the start date)"),
        validators=[Optional(), NumberRange(min=0, max=120)],
    )
    require_seoul = BooleanField(_l("Lives in Seoul or studies at a Seoul university"))
    require_unemployed = BooleanField(_l("Not employed"))
    offer_days = IntegerField(
        _l("Days to take a freed place"), validators=[InputRequired(), NumberRange(min=1, max=30)]
    )


class ScoreForm(FlaskForm):
    stage = SelectField(_l("Stage"), validators=[DataRequired()])
    score = IntegerField(
        _l("Score (0–100)"), validators=[InputRequired(), NumberRange(min=0, max=100)]
    )
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=1000)])


class SlotForm(FlaskForm):
    interviewer_id = SelectField(_l("Interviewer"), coerce=int, validators=[DataRequired()])
    starts_at = DateTimeLocalField(_l("Starts at"), validators=[DataRequired()])
    minutes = IntegerField(
        _l("Minutes"), default=30, validators=[InputRequired(), NumberRange(min=5, max=240)]
    )
    location = StringField(
        _l("Place or online meeting link"), validators=[DataRequired(), Length(max=300)]
    )


class AssignSlotForm(FlaskForm):
    # The service says which slots may be given (free, of this cohort), in its own words.
    slot_id = SelectField(
        _l("Interview slot"), coerce=int, validators=[DataRequired()], validate_choice=False
    )


class UploadForm(FlaskForm):
    file = FileField(
        _l("File (CSV or XLSX)"),
        validators=[
            FileRequired(),
            FileAllowed(["csv", "xlsx"], _l("Upload a .csv or .xlsx file.")),
        ],
    )
