"""Settings from the environment, parsed by the type of their default and refused when malformed.

Environment variables are text: read naively, `MAIL_USE_TLS=false` is the non-empty string
"false", which is true. Each variable is therefore parsed by the type of the setting's
default (`config.py`): booleans accept true/false, yes/no, on/off, 1/0; numbers must be
numbers; durations are seconds; anything else refuses to start with a message naming the
variable and what it expected.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

PREFIX = "SESAC_"
# Settings read from the environment under their own name, not only as SESAC_<NAME>.
PLAIN_NAMES = (
    "SECRET_KEY",
    "RATELIMIT_STORAGE_URI",
    "PUBLIC_BASE_URL",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USE_TLS",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER",
    "SOLAPI_API_KEY",
    "SOLAPI_API_SECRET",
    "SOLAPI_SENDER",
    "KAKAO_PFID",
    "PROXY_FIX_COUNT",
)
# SESAC_ variables that choose how the app starts rather than set a setting.
NOT_SETTINGS = frozenset({"SESAC_ENV", "SESAC_INSTANCE_PATH"})

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


class InvalidSetting(ValueError):
    """An environment variable whose value does not fit its setting; the app refuses to start."""


def parse_value(variable: str, text: str, default: Any) -> Any:
    """`text` converted to the type of `default`, or InvalidSetting naming the variable."""
    value = text.strip()
    if isinstance(default, bool):
        word = value.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise InvalidSetting(
            f"{variable}={text!r}: expected true or false (or 1/0, yes/no, on/off)"
        )
    if isinstance(default, timedelta):
        try:
            seconds = float(value)
        except ValueError:
            raise InvalidSetting(f"{variable}={text!r}: expected a number of seconds") from None
        if seconds < 0:
            raise InvalidSetting(f"{variable}={text!r}: expected a number of seconds, not negative")
        return timedelta(seconds=seconds)
    if isinstance(default, int):
        try:
            return int(value)
        except ValueError:
            raise InvalidSetting(f"{variable}={text!r}: expected a whole number") from None
    if isinstance(default, float):
        try:
            return float(value)
        except ValueError:
            raise InvalidSetting(f"{variable}={text!r}: expected a number") from None
    if isinstance(default, dict | list | tuple):
        try:
            parsed = json.loads(value)
        except ValueError:
            raise InvalidSetting(f"{variable}={text!r}: expected JSON") from None
        if not isinstance(parsed, dict if isinstance(default, dict) else list):
            kind = "a JSON object" if isinstance(default, dict) else "a JSON list"
            raise InvalidSetting(f"{variable}={text!r}: expected {kind}")
        return parsed
    return text


def read_environment(config: dict[str, Any], environ: Mapping[str, str]) -> None:
    """Overlay `config` with the plain variables and every SESAC_<NAME> variable, parsed.

    Collects every malformed variable before refusing, so one start shows them all.
    """
    problems: list[str] = []
    updates: dict[str, Any] = {}
    candidates = [(name, name) for name in PLAIN_NAMES if name in environ]
    candidates += [
        (variable, variable[len(PREFIX) :])
        for variable in sorted(environ)
        if variable.startswith(PREFIX) and variable not in NOT_SETTINGS
    ]
    for variable, name in candidates:
        try:
            updates[name] = parse_value(variable, environ[variable], config.get(name))
        except InvalidSetting as problem:
            problems.append(str(problem))
    if problems:
        raise InvalidSetting("invalid settings in the environment: " + "; ".join(problems))
    config.update(updates)
