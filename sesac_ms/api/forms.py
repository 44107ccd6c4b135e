"""The form that makes a personal access token (account page)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import Length

from .tokens import LIFETIMES_DAYS, RESOURCES


class ApiTokenForm(FlaskForm):
    # The service checks the name (all problems at once, beside their fields).
    name = StringField(
        _l("Name"),
        validators=[Length(max=100)],
        description=_l("What uses it, so you can tell your tokens apart: “Campus dashboard”."),
    )
    days = SelectField(
        _l("Valid for"),
        choices=[SelectChoice(days, _l("%(num)d days", num=days)) for days in LIFETIMES_DAYS],
        coerce=int,
        default=90,
    )
    access = SelectField(
        _l("Access"),
        choices=[
            SelectChoice("read", _l("Read only")),
            SelectChoice("write", _l("Read and change")),
        ],
        default="read",
        description=_l("A token that changes records does so as you, within your role."),
    )
    resources = SelectMultipleField(
        _l("Only these resources"),
        choices=[SelectChoice(name, label) for name, label in RESOURCES.items()],
        description=_l("Choose none for every resource your role may use."),
        validate_choice=False,  # the service refuses unknown ones, beside this field
    )
