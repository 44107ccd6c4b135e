"""Forms of the sessions blueprint."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..models import SessionKind

KIND_LABELS = {
    SessionKind.MENTORING: _l("Industry mentoring"),
    SessionKind.PORTFOLIO: _l("Portfolio coaching"),
    SessionKind.MOCK_INTERVIEW: _l("Mock interview"),
    SessionKind.CAREER: _l("Career counselling"),
}


def _kinds() -> list[SelectChoice]:
    return [SelectChoice(k.value, v) for k, v in KIND_LABELS.items()]


class SlotForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=_kinds, validators=[DataRequired()])
    starts_at = DateTimeLocalField(_l("Starts at"), validators=[DataRequired()])
    weeks = IntegerField(
        _l("Repeat weekly for (weeks)"),
        default=1,
        validators=[InputRequired(), NumberRange(min=1, max=26)],
    )
    location = StringField(
        _l("Place or online meeting link"), validators=[DataRequired(), Length(max=300)]
    )
    # Shown once the service warned that some cohorts have class then (see bookable.py).
    during_class = BooleanField(_l("Publish during their class hours"))


class ScheduleForm(FlaskForm):
    trainee = SelectField(_l("Trainee"), validators=[DataRequired()])
    kind = SelectField(_l("Kind"), choices=_kinds, validators=[DataRequired()])
    starts_at = DateTimeLocalField(_l("Starts at"), validators=[DataRequired()])
    minutes = IntegerField(
        _l("Minutes"),
        validators=[Optional(), NumberRange(min=5, max=480)],
        description=_l("Empty: the usual length of the kind."),
    )
    location = StringField(
        _l("Place or online meeting link"), validators=[Optional(), Length(max=300)]
    )


class LogForm(FlaskForm):
    summary = TextAreaField(
        _l("Summary the trainee sees"),
        validators=[
            DataRequired(message=_l("Write the summary the trainee sees.")),
            Length(max=5000),
        ],
    )
    staff_notes = TextAreaField(
        _l("Notes only staff see"), validators=[Optional(), Length(max=5000)]
    )
    links = TextAreaField(
        _l("Links (portfolio, résumé version…)"), validators=[Optional(), Length(max=2000)]
    )
    follow_up_lines = TextAreaField(
        _l("Follow-ups, one per line (“what | 2026-12-01”)"),
        validators=[Optional(), Length(max=5000)],
    )


class QuickLogForm(LogForm):
    trainee = SelectField(_l("Trainee"), validators=[DataRequired()])
    kind = SelectField(_l("Kind"), choices=_kinds, validators=[DataRequired()])
    starts_at = DateTimeLocalField(_l("Started at"), validators=[DataRequired()])
    minutes = IntegerField(
        _l("Minutes"), default=30, validators=[InputRequired(), NumberRange(min=5, max=480)]
    )
    location = StringField(
        _l("Place or online meeting link"), validators=[Optional(), Length(max=300)]
    )


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=1000)])


class RescheduleForm(FlaskForm):
    starts_at = DateTimeLocalField(_l("New time"), validators=[DataRequired()])
