"""Sending the outbox: claim due messages, send each once, back off by time on failure.

One pass (`send_pending`) repeats: claim a small batch of due messages and commit the
claim; send them over one SMTP connection, committing each result as it comes. The claim
is what makes two senders (two workers, cron and a worker) send each message once:

- PostgreSQL: the candidates are read `FOR UPDATE SKIP LOCKED`, so a second sender skips
  rows the first is claiming instead of waiting for them.
- SQLite: the claim is a conditional UPDATE (`... WHERE id IN (...) AND <still due and
  unclaimed>`); pysqlite begins the transaction at that UPDATE, which waits for the write
  lock, so a second sender sees the first one's claim and takes nothing.

A claim is a lease: a sender that dies leaves its messages to be taken again once
`claimed_until` has passed. Results are written only while the sender still holds the
claim (`WHERE claimed_by = token`).

A failed message is tried again after 1, 2, 4 … minutes (at most an hour); one still
failing MAIL_GIVE_UP_AFTER after it was queued is given up and shown on the admin outbox
page with its last error.

Every channel goes through the same claims: e-mail by SMTP (transport.py), text and
KakaoTalk messages by Solapi (sesac_ms/notify/channels.py). A phone message that Solapi
refuses falls back at once to the next channel (KakaoTalk → text → e-mail); one that
cannot reach Solapi is retried like mail and falls back after NOTIFY_CHANNEL_TRIES tries,
so only e-mail, the last channel, is ever given up. Each fallback is recorded on the
message (`fallbacks`, `fell_back_at`) and shown on the admin outbox page. A retry of a
phone message that is not urgent waits out the night-time quiet hours.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import OutboxMessage
from ..models.mail import Channel
from ..models.types import utcnow
from ..notify.channels import PhoneTransport, phone_transport_for
from ..notify.quiet import after_quiet_hours
from .transport import DeliveryFailed, ServerUnavailable, Transport, describe, transport_for

BATCH = 10  # messages claimed at a time
CLAIM_LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=1)
DEFAULT_GIVE_UP_AFTER = timedelta(days=3)
# Messages claimed but not yet tried are released this long before their lease ends.
LEASE_MARGIN = 30.0
DEFAULT_CHANNEL_TRIES = 3
# Where a phone message goes when its channel fails.
FALLBACK = {Channel.KAKAO: Channel.SMS, Channel.SMS: Channel.EMAIL}


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0  # not sent this time, given up included
    given_up: int = 0

    def add(self, other: SendResult) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.given_up += other.given_up

    @property
    def tried(self) -> int:
        return self.sent + self.failed


def retry_delay(attempts: int) -> timedelta:
    """Wait before the next try after `attempts` failed ones: 1 min, 2, 4, … at most 1 h."""
    return min(FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 16), MAX_RETRY)


def _seconds_or_duration(value: Any, default: timedelta) -> timedelta:
    if value is None:
        return default
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


def give_up_after() -> timedelta:
    return _seconds_or_duration(current_app.config.get("MAIL_GIVE_UP_AFTER"), DEFAULT_GIVE_UP_AFTER)


def claim_lease() -> timedelta:
    """Long enough for a batch even when every message waits out the SMTP timeout."""
    timeout = float(current_app.config.get("MAIL_TIMEOUT") or 10)
    return max(CLAIM_LEASE, timedelta(seconds=3 * BATCH * timeout))


def due(now: datetime) -> sa.ColumnElement[bool]:
    """Pending, its time come, and not claimed by a sender whose lease still runs."""
    return sa.and_(
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.given_up_at.is_(None),
        OutboxMessage.next_attempt_at <= now,
        sa.or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
    )


class _Claimed(NamedTuple):
    id: int
    recipient: str
    subject: str
    body: str
    attempts: int
    queued_at: datetime
    channel: Channel
    phone: str | None
    template_id: str | None
    template_values: dict[str, str] | None
    urgent: bool
    channel_attempts: int
    fallbacks: list[dict[str, Any]] | None


_CLAIMED_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.recipient,
    OutboxMessage.subject,
    OutboxMessage.body,
    OutboxMessage.attempts,
    OutboxMessage.queued_at,
    OutboxMessage.channel,
    OutboxMessage.phone,
    OutboxMessage.template_id,
    OutboxMessage.template_values,
    OutboxMessage.urgent,
    OutboxMessage.channel_attempts,
    OutboxMessage.fallbacks,
)


class _Transports:
    """A pass's transports: SMTP (or the log) for e-mail, Solapi (or the log) for phones,
    each opened only when a message needs it."""

    def __init__(self) -> None:
        self.config = current_app.config
        self.email: Transport = transport_for(self.config)
        self._phone: PhoneTransport | None = None

    @property
    def phone(self) -> PhoneTransport:
        if self._phone is None:
            self._phone = phone_transport_for(self.config)
        return self._phone

    def deliver(self, message: _Claimed) -> None:
        if message.channel == Channel.EMAIL:
            self.email.send(message.recipient, message.subject, message.body)
        elif message.channel == Channel.SMS:
            self.phone.send_sms(str(message.phone), message.body)
        else:
            self.phone.send_kakao(
                str(message.phone),
                message.body,
                message.template_id,
                message.template_values or {},
            )

    def close(self) -> None:
        try:
            self.email.close()
        finally:
            if self._phone is not None:
                self._phone.close()


def channel_tries() -> int:
    return max(int(current_app.config.get("NOTIFY_CHANNEL_TRIES") or DEFAULT_CHANNEL_TRIES), 1)


def _claim(
    session: Session,
    token: str,
    limit: int,
    now: datetime,
    lease: timedelta,
    ids: Collection[int] | None,
    channels: Collection[Channel] | None = None,
) -> list[_Claimed] | None:
    """Claim up to `limit` due messages and commit the claim; None when none is due.

    An empty list means others claimed the candidates first: look again.
    """
    candidates_query = (
        sa.select(OutboxMessage.id)
        .where(due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        # PostgreSQL locks the rows it returns and skips rows another sender has locked;
        # SQLite has no row locks (SQLAlchemy leaves the clause out) and relies on the
        # conditional UPDATE below.
        .with_for_update(skip_locked=True)
    )
    if ids is not None:
        candidates_query = candidates_query.where(OutboxMessage.id.in_(ids))
    if channels is not None:
        candidates_query = candidates_query.where(OutboxMessage.channel.in_(channels))
    candidates = session.scalars(candidates_query).all()
    if not candidates:
        session.rollback()
        return None
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates), due(now))
        .values(claimed_by=token, claimed_until=now + lease),
        execution_options={"synchronize_session": False},
    )
    claimed = [
        _Claimed(*row)
        for row in session.execute(
            sa.select(*_CLAIMED_COLUMNS)
            .where(OutboxMessage.claimed_by == token, OutboxMessage.id.in_(candidates))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        )
    ]
    session.commit()
    return claimed


def _finish(session: Session, token: str, message_id: int, **values: Any) -> None:
    """Write a message's result and drop the claim, if this sender still holds it."""
    result = session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == token)
        .values(claimed_by=None, claimed_until=None, **values),
        execution_options={"synchronize_session": False},
    )
    session.commit()
    if result.rowcount != 1:
        current_app.logger.warning(
            "mail %d: the claim expired before its result was written", message_id
        )


def _sent(session: Session, token: str, message: _Claimed, now: datetime) -> None:
    _finish(
        session,
        token,
        message.id,
        sent_at=now,
        attempts=OutboxMessage.attempts + 1,
        last_error=None,
    )


def _failed(
    session: Session,
    token: str,
    message: _Claimed,
    error: str,
    now: datetime,
    limit: timedelta,
    *,
    refused: bool = False,
) -> bool:
    """Record a failed attempt: retry later, or give up once `limit` has passed. True if
    given up. A phone message falls back to the next channel instead when `refused` (the
    provider said no to it) or after its channel's tries; a retry waits out the night."""
    if message.channel != Channel.EMAIL:
        if refused or message.channel_attempts + 1 >= channel_tries():
            _fall_back(session, token, message, error, now)
        else:
            _retry_phone(session, token, message, error, now)
        return False
    attempts = message.attempts + 1
    give_up = now - message.queued_at >= limit
    later: dict[str, Any] = (
        {"given_up_at": now} if give_up else {"next_attempt_at": now + retry_delay(attempts)}
    )
    _finish(
        session,
        token,
        message.id,
        attempts=OutboxMessage.attempts + 1,
        last_error=error[:1000],
        **later,
    )
    if give_up:
        current_app.logger.error(
            "mail %d given up after %d attempt(s): %s", message.id, attempts, error
        )
    else:
        current_app.logger.warning(
            "mail %d not sent (attempt %d), next try at %s: %s",
            message.id,
            attempts,
            later["next_attempt_at"].isoformat(timespec="seconds"),
            error,
        )
    return give_up


def _retry_phone(
    session: Session, token: str, message: _Claimed, error: str, now: datetime
) -> None:
    tries = message.channel_attempts + 1
    later = now + retry_delay(tries)
    if not message.urgent:
        later = after_quiet_hours(later)
    _finish(
        session,
        token,
        message.id,
        attempts=OutboxMessage.attempts + 1,
        channel_attempts=OutboxMessage.channel_attempts + 1,
        last_error=error[:1000],
        next_attempt_at=later,
    )
    current_app.logger.warning(
        "%s message %d not sent (try %d), next try at %s: %s",
        message.channel,
        message.id,
        tries,
        later.isoformat(timespec="seconds"),
        error,
    )


def _fall_back(session: Session, token: str, message: _Claimed, error: str, now: datetime) -> None:
    """Send the message by the next channel, due now (a text that is not urgent waits out
    the night), and record the step."""
    to = FALLBACK[message.channel]
    step = {"from": str(message.channel), "to": str(to), "error": error[:300]}
    step["at"] = now.isoformat(timespec="seconds")
    due = now if to == Channel.EMAIL or message.urgent else after_quiet_hours(now)
    _finish(
        session,
        token,
        message.id,
        attempts=OutboxMessage.attempts + 1,
        channel=to,
        channel_attempts=0,
        last_error=error[:1000],
        next_attempt_at=due,
        fallbacks=[*(message.fallbacks or []), step],
        fell_back_at=now,
    )
    current_app.logger.warning(
        "%s message %d not sent, falling back to %s: %s", message.channel, message.id, to, error
    )


def _release(session: Session, token: str, messages: Sequence[_Claimed]) -> None:
    """Give back claimed messages not tried: the next sender takes them at once."""
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_([m.id for m in messages]), OutboxMessage.claimed_by == token)
        .values(claimed_by=None, claimed_until=None),
        execution_options={"synchronize_session": False},
    )
    session.commit()


def _send_batch(
    session: Session,
    token: str,
    transports: _Transports,
    claimed: list[_Claimed],
    clock: Callable[[], datetime],
    lease: timedelta,
) -> tuple[SendResult, bool]:
    """Send the claimed messages; return the result and whether a server is unreachable."""
    limit = give_up_after()
    deadline = time.monotonic() + lease.total_seconds() - LEASE_MARGIN
    sent = failed = given_up = 0
    # The SMTP server or Solapi found unreachable in this batch, with the error: the
    # batch's other messages for it wait their turn again without being tried.
    down: dict[bool, str] = {}
    for index, message in enumerate(claimed):
        if time.monotonic() > deadline:  # the lease runs out: leave the rest to others
            _release(session, token, claimed[index:])
            break
        by_phone = message.channel != Channel.EMAIL
        if by_phone in down:
            given_up += _failed(session, token, message, down[by_phone], clock(), limit)
            failed += 1
            continue
        try:
            transports.deliver(message)
        except ServerUnavailable as error:
            down[by_phone] = str(error)
            given_up += _failed(session, token, message, str(error), clock(), limit)
            failed += 1
        except DeliveryFailed as error:
            given_up += _failed(session, token, message, str(error), clock(), limit, refused=True)
            failed += 1
        except Exception as error:  # a bug or an odd message: record it, go on with the rest
            current_app.logger.exception("mail %d could not be sent", message.id)
            given_up += _failed(
                session, token, message, describe(error), clock(), limit, refused=True
            )
            failed += 1
        else:
            _sent(session, token, message, clock())
            sent += 1
    return SendResult(sent, failed, given_up), bool(down)


def send_pending(
    limit: int = 100,
    *,
    now: datetime | None = None,
    ids: Collection[int] | None = None,
    channels: Collection[Channel] | None = None,
) -> SendResult:
    """Send up to `limit` due messages (only those of `ids`, of `channels`, if given),
    oldest due first.

    `now` fixes the pass's clock (tests); by default each step reads the time. The pass
    works in a session of its own and commits as it goes (claims, then each result), so
    it never commits its caller's work.
    """
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    lease = claim_lease()
    token = uuid.uuid4().hex
    transports = _Transports()
    total = SendResult()
    looks = 0
    try:
        with Session(db.engine) as session:
            while total.tried < limit and looks < limit + BATCH:
                looks += 1
                claimed = _claim(
                    session, token, min(BATCH, limit - total.tried), clock(), lease, ids, channels
                )
                if claimed is None:
                    break
                result, unreachable = _send_batch(session, token, transports, claimed, clock, lease)
                total.add(result)
                if unreachable:
                    break
    finally:
        transports.close()
    return total
