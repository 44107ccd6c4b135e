"""The half-signed-in state between the password and the second factor.

A right password alone never logs anyone in when a second factor is due: it leaves, in the
signed session cookie, who passed the password step, the session version they had then,
where they were going and until when (a few minutes). Only the second step (a code, a
passkey, or setting one up when the role requires it) turns that into a session with
`finish`. A password change, a deactivation or a reset bumps the session version and so
voids a half-signed-in state too.
"""

from __future__ import annotations

import time

from flask import current_app, session
from flask_login import login_user

from ..extensions import db
from ..models import User

KEY = "half_signed_in"
# How the session passed the second step: "factor" (it gave one) or "exempt" (none was
# due: a role without the requirement and no factor set up). A session without it, as one
# restored from a remember-me cookie, goes through `second_step_due`; an exempt one does
# again when the policy comes to require its role.
DONE = "second_factor_done"
FACTOR, EXEMPT = "factor", "exempt"


def start(user: User, *, next_url: str, remember: bool, enrol: bool) -> None:
    session.clear()
    session["locale"] = user.locale  # the second step speaks the user's language
    session[KEY] = {
        "user": user.id,
        "version": user.session_version,
        "until": time.time() + current_app.config["SECOND_FACTOR_STEP_SECONDS"],
        "next": next_url,
        "remember": bool(remember),
        "enrol": bool(enrol),
    }


def state() -> dict | None:
    value = session.get(KEY)
    if not isinstance(value, dict) or value.get("until", 0) < time.time():
        return None
    return value


def user(*, enrol: bool | None = None) -> User | None:
    """The half-signed-in user, or None (none, expired, deactivated, or a newer session
    version). With `enrol`, only a state of that kind (setting up vs. giving a code)."""
    value = state()
    if value is None or (enrol is not None and value["enrol"] != enrol):
        return None
    found = db.session.get(User, value["user"])
    if found is None or not found.active or found.session_version != value["version"]:
        return None
    return found


def finish(found: User) -> str:
    """Log the user in for real; return where they were going."""
    value = state() or {}
    session.clear()
    session.permanent = True
    login_user(found, remember=value.get("remember", False))
    session["locale"] = found.locale
    session[DONE] = FACTOR
    return value.get("next", "")


def mark_exempt(role: str) -> None:
    """No second factor was due for this role: kept with the role, so that later requests
    need no query to know it is still not due (see `exempt_role`)."""
    session[DONE] = f"{EXEMPT}:{role}"


def passed() -> str | None:
    """FACTOR, EXEMPT, or None when this session has not been through the second step."""
    value = session.get(DONE)
    return value.partition(":")[0] if isinstance(value, str) else None


def exempt_role() -> str | None:
    """The role an exempt session signed in with."""
    value = session.get(DONE)
    return value.partition(":")[2] or None if isinstance(value, str) else None
