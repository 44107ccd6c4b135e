"""The form that subscribes a URL to events."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField

from .events import EVENTS


class WebhookForm(FlaskForm):
    # The service checks every field (all problems at once, beside their fields).
    url = StringField(
        _l("Address to send to"),
        description=_l("The https:// address of the receiving service."),
    )
    events = SelectMultipleField(
        _l("Events to send"),
        choices=[SelectChoice(name, label) for name, label in EVENTS.items()],
        validate_choice=False,
    )
    campus_id = SelectField(_l("Campus"), coerce=int, validate_choice=False)
