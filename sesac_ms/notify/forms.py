"""The notification preferences form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length

from .preferences import CHANNEL_LABELS


class PreferencesForm(FlaskForm):
    phone = StringField(
        _l("Mobile phone"),
        validators=[Length(max=30)],
        description=_l("For text and KakaoTalk messages, e.g. 010-1234-5678. Empty: e-mail only."),
    )
    channel = SelectField(
        _l("Send my messages by"),
        choices=[SelectChoice(str(value), label) for value, label in CHANNEL_LABELS.items()],
        validators=[InputRequired()],
        description=_l(
            "Without a KakaoTalk message for it, a message comes as a text; if neither "
            "reaches you, by e-mail."
        ),
    )
    essential_only = BooleanField(_l("Only essential messages (security and account)"))
