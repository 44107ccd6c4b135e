"""WTForms' own messages follow the request's language, from catalogs parsed once."""

from __future__ import annotations

from flask_babel import force_locale
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from sesac_ms import i18n_speed


class _Form(FlaskForm):
    class Meta:
        csrf = False

    name = StringField(validators=[Length(max=2)])


def _message(app, locale: str) -> str:
    with (
        app.test_request_context("/", method="POST", data={"name": "abcdef"}),
        force_locale(locale),
    ):
        form = _Form()
        assert not form.validate()
        return form.name.errors[0]


def test_wtforms_messages_are_in_the_requests_language_and_parsed_once(app):
    english, korean = _message(app, "en"), _message(app, "ko")
    assert english == "Field cannot be longer than 2 characters."
    assert korean != english and any("가" <= ch <= "힣" for ch in korean)
    kept = dict(i18n_speed._WTFORMS)
    assert {"en", "ko"} <= set(kept)
    _message(app, "ko")
    assert i18n_speed._WTFORMS["ko"] is kept["ko"]
