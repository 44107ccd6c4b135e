"""Sending a message: whom, by which channel, when; the outbox does the rest.

`send(person, kind, **values)` is the one way the app sends anything. It renders the
message of `kind` (templates.py) in the person's language, chooses the channel, and
queues it in the outbox (sesac_ms.mail), which sends it once the caller's transaction
commits and retries it, falling back from KakaoTalk to a text to e-mail. The channel:

- e-mail for messages that must reach the mailbox (`email_only`), and for people with no
  usable mobile number;
- otherwise the person's choice (users: the preferences page; applicants:
  NOTIFY_APPLICANT_CHANNEL): KakaoTalk when its template for the kind is registered
  (KAKAO_TEMPLATES) or nothing is really sent (development), else a text message;
- phones are left out altogether when MAIL_SERVER is set but Solapi is not (channels.py).

Someone who wants essential messages only gets no other (`send` returns None). A text or
KakaoTalk message that is not urgent waits out the quiet hours (21:00–08:00 Seoul).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app

from .. import mail
from ..models import Application, Cohort, OutboxMessage, User
from ..models.mail import Channel
from ..models.types import utcnow
from . import channels
from .phone import phone_or_none
from .quiet import after_quiet_hours
from .templates import TEMPLATES, Template, render

CHANNELS = tuple(Channel)
PHONE_CHANNELS = (Channel.KAKAO, Channel.SMS)
# A change to a session this close is urgent ("same day"): it goes out at night too.
URGENT_WITHIN = timedelta(hours=12)


@dataclass(frozen=True)
class Recipient:
    """Whom a message goes to, and how they want it."""

    name: str
    email: str
    locale: str = "ko"
    phone: str | None = None
    channel: str = Channel.EMAIL
    essential_only: bool = False


def recipient_of(person: User | Application | Recipient) -> Recipient:
    """A user, an applicant (who chose no channel) or a Recipient as it is."""
    if isinstance(person, Recipient):
        return person
    if isinstance(person, User):
        return Recipient(
            name=person.name,
            email=person.email,
            locale=person.locale,
            phone=phone_or_none(person.phone),
            channel=person.notify_channel,
            essential_only=person.notify_opt_out,
        )
    return Recipient(
        name=person.name,
        email=person.email,
        locale=person.locale,
        phone=phone_or_none(person.phone),
        channel=current_app.config.get("NOTIFY_APPLICANT_CHANNEL") or Channel.EMAIL,
    )


def kakao_template_id(kind: str, locale: str, config: Mapping[str, Any]) -> str | None:
    """The registered KakaoTalk template of `kind` in `locale` ("<kind>:en" for English)."""
    templates = config.get("KAKAO_TEMPLATES") or {}
    return templates.get(kind if locale == "ko" else f"{kind}:{locale}")


def choose_channel(
    recipient: Recipient, kind: str, config: Mapping[str, Any]
) -> tuple[Channel, str | None]:
    """The channel a message of `kind` takes to `recipient`, and its KakaoTalk template."""
    template = TEMPLATES[kind]
    wanted = recipient.channel if recipient.channel in CHANNELS else Channel.EMAIL
    if (
        template.email_only
        or wanted == Channel.EMAIL
        or not recipient.phone
        or not channels.phones_reachable(config)
    ):
        return Channel.EMAIL, None
    if wanted == Channel.KAKAO:
        template_id = kakao_template_id(kind, recipient.locale, config)
        # Development logs KakaoTalk messages even without a registered template.
        if not channels.is_live(config) or (template_id and config.get("KAKAO_PFID")):
            return Channel.KAKAO, template_id
    return Channel.SMS, None


def is_urgent(template: Template, urgent: bool | None) -> bool:
    return template.urgent if urgent is None else urgent


def starts_soon(starts_at: datetime, now: datetime | None = None) -> bool:
    """Whether a change to something starting at `starts_at` is urgent (same day)."""
    return starts_at - (now or utcnow()) < URGENT_WITHIN


def send(
    person: User | Application | Recipient,
    kind: str,
    /,
    *,
    urgent: bool | None = None,
    now: datetime | None = None,
    **values: Any,
) -> OutboxMessage | None:
    """Queue the message `kind` for `person` with `values` (see templates.py); None when
    they want essential messages only and this one is not. `urgent` overrides the kind's
    own urgency (same-day session changes). `person` and `kind` are positional, so a
    value may be called "kind" too. Raises KeyError for an unknown kind or a missing
    value. Adds to the session; the caller commits."""
    template = TEMPLATES[kind]
    recipient = recipient_of(person)
    if recipient.essential_only and not template.essential:
        return None
    values.setdefault("name", recipient.name)
    message = render(kind, recipient.locale, values)
    config = current_app.config
    channel, template_id = choose_channel(recipient, kind, config)
    now = now or utcnow()
    urgent = is_urgent(template, urgent)
    due = now if urgent or channel == Channel.EMAIL else after_quiet_hours(now)
    return mail.queue(
        recipient.email,
        message.subject,
        message.body,
        channel=channel,
        phone=recipient.phone if channel != Channel.EMAIL else None,
        kind=kind,
        template_id=template_id,
        template_values=message.variables if channel == Channel.KAKAO else None,
        urgent=urgent,
        now=now,
        not_before=due,
    )


# --- messages other areas send by name -------------------------------------------------


def send_attendance_at_risk(
    trainee: User, cohort: Cohort, absences_left: int, *, link: str = ""
) -> OutboxMessage | None:
    """Tell a trainee how many more absences they can afford in `cohort` (not urgent: a
    text at night waits until 08:00; None if they want essential messages only)."""
    return send(
        trainee, "attendance_at_risk", cohort=cohort.label, absences_left=absences_left, link=link
    )


def send_attendance_digest(
    manager: User, cohort: Cohort, trainees: Sequence[tuple[str, int]], *, link: str = ""
) -> OutboxMessage | None:
    """One message to a manager listing the trainees of `cohort` close to the limit, as
    (trainee's name, absences they can still afford); nothing when the list is empty."""
    if not trainees:
        return None
    return send(
        manager, "attendance_digest", cohort=cohort.label, trainees=list(trainees), link=link
    )
