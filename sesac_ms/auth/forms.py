"""Forms of the log-in and password pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

PASSWORD_HELP = _l("At least 12 characters. A sentence you remember is a good password.")


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField(_l("Keep me logged in on this device"))
    next = HiddenField()


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired()], description=PASSWORD_HELP
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired()], description=PASSWORD_HELP
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two passwords differ.")),
        ],
    )


class CodeForm(FlaskForm):
    """A 6-digit code of an authenticator app, or a recovery code."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])


class PasskeyForm(FlaskForm):
    """A new passkey: its name, and the browser's answer (filled by static/js/passkeys.js)."""

    name = StringField(
        _l("Name of the passkey"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("So you can tell your keys apart, e.g. “work laptop” or “blue key”."),
    )
    credential = HiddenField(validators=[DataRequired(), Length(max=20_000)])


class PasskeySignInForm(FlaskForm):
    credential = HiddenField(validators=[DataRequired(), Length(max=20_000)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])


class LocaleForm(FlaskForm):
    locale = HiddenField(validators=[DataRequired()])
    next = HiddenField()


class ButtonForm(FlaskForm):
    """An empty form: a POST button that still carries the CSRF token."""
