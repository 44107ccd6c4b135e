"""Settings from the environment are parsed by type; a malformed value refuses to start."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sesac_ms import create_app
from sesac_ms.settings_env import InvalidSetting, parse_value, read_environment


@pytest.mark.parametrize(
    "text, expected",
    [
        ("false", False),
        ("False", False),
        ("0", False),
        ("no", False),
        ("off", False),
        ("true", True),
        ("TRUE", True),
        ("1", True),
        ("yes", True),
        (" on ", True),
    ],
)
def test_booleans_are_words_not_non_empty_strings(text: str, expected: bool) -> None:
    assert parse_value("MAIL_USE_TLS", text, True) is expected


@pytest.mark.parametrize(
    "text, default, message",
    [
        ("maybe", True, "expected true or false"),
        ("", False, "expected true or false"),
        ("five", 5, "expected a whole number"),
        ("2.5", 5, "expected a whole number"),
        ("soon", timedelta(minutes=1), "expected a number of seconds"),
        ("-3", timedelta(minutes=1), "not negative"),
        ("x", 0.5, "expected a number"),
        ("[1]", {}, "expected a JSON object"),
    ],
)
def test_malformed_values_are_refused_with_the_variable_named(text, default, message) -> None:
    with pytest.raises(InvalidSetting, match=message) as caught:
        parse_value("SESAC_SOMETHING", text, default)
    assert "SESAC_SOMETHING" in str(caught.value)


def test_numbers_and_durations_become_numbers_and_durations() -> None:
    assert parse_value("MAIL_PORT", "2525", 587) == 2525
    assert parse_value("X", "900", timedelta(minutes=15)) == timedelta(seconds=900)
    assert parse_value("X", '{"a": 1}', {}) == {"a": 1}
    assert parse_value("MAIL_SERVER", "smtp.example", None) == "smtp.example"


def test_every_bad_variable_is_reported_at_once_and_nothing_is_applied() -> None:
    config = {"MAIL_USE_TLS": True, "MAIL_PORT": 587, "LOGIN_MAX_FAILURES": 5}
    environ = {"MAIL_USE_TLS": "nope", "MAIL_PORT": "smtp", "SESAC_LOGIN_MAX_FAILURES": "3"}
    with pytest.raises(InvalidSetting) as caught:
        read_environment(config, environ)
    assert "MAIL_USE_TLS" in str(caught.value) and "MAIL_PORT" in str(caught.value)
    assert config == {"MAIL_USE_TLS": True, "MAIL_PORT": 587, "LOGIN_MAX_FAILURES": 5}


def test_the_app_reads_typed_settings_from_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SESAC_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("MAIL_USE_TLS", "false")
    monkeypatch.setenv("MAIL_PORT", "2525")
    monkeypatch.setenv("SESAC_LOGIN_MAX_FAILURES", "7")
    monkeypatch.setenv("SESAC_LOGIN_LOCKOUT", "60")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    assert app.config["MAIL_USE_TLS"] is False
    assert app.config["MAIL_PORT"] == 2525
    assert app.config["LOGIN_MAX_FAILURES"] == 7
    assert app.config["LOGIN_LOCKOUT"] == timedelta(seconds=60)
    assert "ENV" not in app.config and "INSTANCE_PATH" not in app.config


def test_the_app_refuses_to_start_on_a_malformed_boolean(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SESAC_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("MAIL_USE_TLS", "sometimes")
    with pytest.raises(InvalidSetting, match="MAIL_USE_TLS='sometimes'"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
