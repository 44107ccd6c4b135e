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
from ..models.types import utcnow
from .transport import DeliveryFailed, ServerUnavailable, Transport, describe, transport_for

BATCH = 10  # messages claimed at a time
CLAIM_LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=1)
DEFAULT_GIVE_UP_AFTER = timedelta(days=3)
# Messages claimed but not yet tried are released this long before their lease ends.
LEASE_MARGIN = 30.0


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


def _claim(
    session: Session,
    token: str,
    limit: int,
    now: datetime,
    lease: timedelta,
    ids: Collection[int] | None,
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
            sa.select(
                OutboxMessage.id,
                OutboxMessage.recipient,
                OutboxMessage.subject,
                OutboxMessage.body,
                OutboxMessage.attempts,
                OutboxMessage.queued_at,
            )
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
    session: Session, token: str, message: _Claimed, error: str, now: datetime, limit: timedelta
) -> bool:
    """Record a failed attempt: retry later, or give up once `limit` has passed. True if
    given up."""
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
    transport: Transport,
    claimed: list[_Claimed],
    clock: Callable[[], datetime],
    lease: timedelta,
) -> tuple[SendResult, bool]:
    """Send the claimed messages; return the result and whether the server is unreachable."""
    limit = give_up_after()
    deadline = time.monotonic() + lease.total_seconds() - LEASE_MARGIN
    sent = failed = given_up = 0
    for index, message in enumerate(claimed):
        if time.monotonic() > deadline:  # the lease runs out: leave the rest to others
            _release(session, token, claimed[index:])
            break
        try:
            transport.send(message.recipient, message.subject, message.body)
        except ServerUnavailable as error:
            # Nothing can go out now: every message of the batch waits its turn again.
            for waiting in claimed[index:]:
                given_up += _failed(session, token, waiting, str(error), clock(), limit)
                failed += 1
            return SendResult(sent, failed, given_up), True
        except DeliveryFailed as error:
            given_up += _failed(session, token, message, str(error), clock(), limit)
            failed += 1
        except Exception as error:  # a bug or an odd message: record it, go on with the rest
            current_app.logger.exception("mail %d could not be sent", message.id)
            given_up += _failed(session, token, message, describe(error), clock(), limit)
            failed += 1
        else:
            _sent(session, token, message, clock())
            sent += 1
    return SendResult(sent, failed, given_up), False


def send_pending(
    limit: int = 100, *, now: datetime | None = None, ids: Collection[int] | None = None
) -> SendResult:
    """Send up to `limit` due messages (only those of `ids` if given), oldest due first.

    `now` fixes the pass's clock (tests); by default each step reads the time. The pass
    works in a session of its own and commits as it goes (claims, then each result), so
    it never commits its caller's work.
    """
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    lease = claim_lease()
    token = uuid.uuid4().hex
    transport = transport_for(current_app.config)
    total = SendResult()
    looks = 0
    try:
        with Session(db.engine) as session:
            while total.tried < limit and looks < limit + BATCH:
                looks += 1
                claimed = _claim(
                    session, token, min(BATCH, limit - total.tried), clock(), lease, ids
                )
                if claimed is None:
                    break
                result, unreachable = _send_batch(session, token, transport, claimed, clock, lease)
                total.add(result)
                if unreachable:
                    break
    finally:
        transport.close()
    return total
