"""What a user chooses about their messages: mobile number, channel, essential ones only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from .. import audit
from ..errors import Problems
from ..extensions import db
from ..models import User
from ..models.mail import Channel
from .phone import normalise_phone

CHANNEL_LABELS: dict[str, Any] = {
    Channel.KAKAO: _l("KakaoTalk"),
    Channel.SMS: _l("Text message"),
    Channel.EMAIL: _l("E-mail"),
}


def channel_label(channel: str) -> str:
    return str(CHANNEL_LABELS.get(channel, CHANNEL_LABELS[Channel.EMAIL]))


@dataclass(frozen=True)
class Preferences:
    phone: str | None  # as typed; empty or None: no number
    channel: str
    essential_only: bool = False


def check(phone: str | None, channel: str | None) -> str | None:
    """Check what the form parsed (None: a field that did not parse, skipped); return the
    number normalised (None for none). Raises DomainErrors with every problem at once."""
    problems = Problems()
    normalised = None
    if phone and phone.strip():
        with problems.check():
            normalised = normalise_phone(phone, "phone")
    if channel is not None and channel not in CHANNEL_LABELS:
        problems.add(gettext("Choose how your messages should come."), "channel")
    elif channel in (Channel.KAKAO, Channel.SMS) and normalised is None and not problems:
        problems.add(
            gettext("Enter your mobile number to get text or KakaoTalk messages."), "channel"
        )
    problems.raise_any()
    return normalised


def update(actor: User, user: User, preferences: Preferences) -> None:
    """Store the user's choices; a changed mobile number is audited (personal data).
    Raises DomainErrors; flushes, never commits."""
    phone = check(preferences.phone, preferences.channel)
    if phone != user.phone:
        audit.record(
            actor,
            "user.updated",
            user,
            {"phone": [user.phone, phone]},
            label=user.email,
            campus_id=user.campus_id,
        )
        user.phone = phone
    user.notify_channel = preferences.channel
    user.notify_opt_out = preferences.essential_only
    db.session.flush()
