"""The forms of "My data": asking the campus, and the campus's answer."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..models import RequestKind
from .requests import ANSWERS, KIND_LABELS, RESOLUTION_MAX_LENGTH, STATUS_LABELS, TEXT_MAX_LENGTH


class RequestForm(FlaskForm):
    kind = SelectField(
        _l("What do you ask for?"),
        choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()],
        default=RequestKind.CORRECTION.value,
        validators=[InputRequired()],
    )
    text = TextAreaField(
        _l("What is wrong, or what do you want?"),
        validators=[Length(max=TEXT_MAX_LENGTH)],
        description=_l(
            "Name the record and the field, e.g. “My phone number on the application is "
            "010-1234-5678, not 010-1234-5687.” The campus answers within 10 days."
        ),
    )


class ResolveForm(FlaskForm):
    status = SelectField(
        _l("Answer"),
        choices=[SelectChoice(s.value, STATUS_LABELS[s]) for s in ANSWERS],
        validators=[InputRequired()],
    )
    note = TextAreaField(
        _l("What was done, or why it was refused"),
        validators=[Length(max=RESOLUTION_MAX_LENGTH)],
        description=_l("The person reads this on their page. Do the correction itself first."),
    )
