"""Forms of the cohorts blueprint."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..models import Track

TRACK_LABELS = {
    Track.AI_CORE_SW: _l("AI core / convergence (SW)"),
    Track.AI_CONVERGENCE_DX: _l("AI convergence (DX)"),
}


class CourseForm(FlaskForm):
    campus_id = SelectField(_l("Campus"), coerce=int, validators=[DataRequired()])
    title = StringField(_l("Course title"), validators=[DataRequired(), Length(max=200)])
    track = SelectField(
        _l("Track"),
        choices=[SelectChoice(t.value, label) for t, label in TRACK_LABELS.items()],
        validators=[DataRequired()],
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])


class CohortForm(FlaskForm):
    number = IntegerField(
        _l("Cohort number (기수)"), validators=[DataRequired(), NumberRange(min=1, max=999)]
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
