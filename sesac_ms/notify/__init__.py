"""Messages to people: one service for every message the app sends, by KakaoTalk, text
message or e-mail, through the durable outbox (sesac_ms.mail).

    from .. import notify
    notify.send(user, "session_booked", other=..., kind=..., when=..., link=...)

templates.py holds every kind with its text; service.py chooses the channel and the
time; channels.py is the provider adapter (Solapi); phone.py normalises mobile numbers;
preferences.py is what a user chooses on /notify/preferences (routes.py).
"""

from ..models.mail import Channel
from .phone import normalise_phone, phone_or_none
from .quiet import after_quiet_hours, is_quiet
from .service import (
    Recipient,
    choose_channel,
    recipient_of,
    send,
    send_attendance_at_risk,
    send_attendance_digest,
    starts_soon,
)
from .templates import KINDS, TEMPLATES, kakao_template_text, render

__all__ = [
    "KINDS",
    "TEMPLATES",
    "Channel",
    "Recipient",
    "after_quiet_hours",
    "choose_channel",
    "is_quiet",
    "kakao_template_text",
    "normalise_phone",
    "phone_or_none",
    "recipient_of",
    "render",
    "send",
    "send_attendance_at_risk",
    "send_attendance_digest",
    "starts_soon",
]
