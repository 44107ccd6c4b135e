"""Putting mail in the outbox, and what an admin or the command line may do to the queue.

Requests only queue. A worker (`flask mail worker`) or cron (`flask mail send`) sends.
The one exception is development without MAIL_SERVER: a request then writes the mail it
queued itself (never anyone else's) to the log once it has committed, so people running
the app locally see their mail in the console at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Response, current_app, has_request_context
from flask_babel import gettext
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..errors import Conflict
from ..extensions import db
from ..models import OutboxMessage
from ..models.mail import Channel
from ..models.types import utcnow
from ..notify.channels import is_live
from .sender import send_pending

# Session.info keys: the messages queued in the open transaction, and (inside a request)
# the ids of those that were committed.
_QUEUED = "sesac_ms.mail.queued"
_COMMITTED = "sesac_ms.mail.committed"

FAILED = "failed"
PENDING = "pending"
FELL_BACK = "fell_back"  # sent or not: messages that fell back to another channel
STATES = (FAILED, PENDING, FELL_BACK)


def queue(
    recipient: str,
    subject: str,
    body: str,
    *,
    channel: Channel = Channel.EMAIL,
    phone: str | None = None,
    kind: str | None = None,
    template_id: str | None = None,
    template_values: dict[str, str] | None = None,
    urgent: bool = False,
    now: datetime | None = None,
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Store a message to send; it is sent once the caller's transaction commits, never
    before (and never if it rolls back), and not before `not_before` if given.

    By default an e-mail to `recipient`; sesac_ms.notify chooses another `channel` (with
    the `phone` it goes to, and a KakaoTalk template). Code that sends people messages
    calls `notify.send`, which renders the message and chooses the channel."""
    now = now or utcnow()
    message = OutboxMessage(
        recipient=recipient,
        subject=subject,
        body=body,
        created_at=now,
        queued_at=now,
        next_attempt_at=not_before or now,
        channel=channel,
        phone=phone,
        kind=kind,
        template_id=template_id,
        template_values=template_values,
        urgent=urgent,
    )
    db.session.add(message)
    db.session.info.setdefault(_QUEUED, []).append(message)
    return message


@event.listens_for(Session, "after_commit")
def _note_committed(session: Session) -> None:
    """Remember which of a request's queued messages are now stored for good."""
    queued = session.info.pop(_QUEUED, None)
    if not queued or not has_request_context():
        return
    states = [sa.inspect(message) for message in queued]
    # identity, not .id: no SQL may run here; a message rolled back to a savepoint is
    # transient again and has none.
    ids = [state.identity[0] for state in states if state.persistent and state.identity]
    session.info.setdefault(_COMMITTED, []).extend(ids)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_QUEUED, None)


def logged_channels(config: Any) -> list[Channel]:
    """The channels whose messages only go to the log: e-mail without MAIL_SERVER, text
    and KakaoTalk without Solapi settings."""
    logged = [] if config.get("MAIL_SERVER") else [Channel.EMAIL]
    return logged + ([] if is_live(config) else [Channel.SMS, Channel.KAKAO])


def send_after_request(response: Response) -> Response:
    """Write the messages this request queued and committed to the log, if they only go
    there (no MAIL_SERVER, no Solapi settings: development).

    Messages that really go out are never sent by the request: the worker sends them, so
    an SMTP or Solapi outage never slows a request down or costs a message its tries.
    """
    committed = db.session.info.pop(_COMMITTED, None)
    channels = logged_channels(current_app.config) if committed else []
    if committed and channels:
        try:
            send_pending(len(committed), ids=committed, channels=channels)
        except Exception:  # never fail a request that already committed
            current_app.logger.exception("writing this request's mail to the log failed")
    return response


# --- the queue as an admin and the command line see it ----------------------------------


def outbox_query(state: str = "") -> sa.Select[tuple[OutboxMessage]]:
    """Unsent messages, given-up ones first (newest first), then pending ones by due time;
    `state` narrows to FAILED or PENDING. FELL_BACK: the messages, sent or not, that fell
    back from KakaoTalk or text to another channel, the latest first."""
    if state == FELL_BACK:
        return (
            sa.select(OutboxMessage)
            .where(OutboxMessage.fell_back_at.is_not(None))
            .order_by(OutboxMessage.fell_back_at.desc(), OutboxMessage.id.desc())
        )
    query = sa.select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
    if state == FAILED:
        query = query.where(OutboxMessage.given_up_at.is_not(None))
    elif state == PENDING:
        query = query.where(OutboxMessage.given_up_at.is_(None))
    return query.order_by(
        OutboxMessage.given_up_at.is_(None),
        OutboxMessage.given_up_at.desc(),
        OutboxMessage.next_attempt_at,
        OutboxMessage.id,
    )


def outbox_counts() -> dict[str, int]:
    """How many messages are given up, how many wait to be sent, how many fell back."""
    failed, pending = db.session.execute(
        sa.select(
            sa.func.count(OutboxMessage.given_up_at),
            sa.func.count(OutboxMessage.id) - sa.func.count(OutboxMessage.given_up_at),
        ).where(OutboxMessage.sent_at.is_(None))
    ).one()
    fell_back = db.session.scalar(
        sa.select(sa.func.count(OutboxMessage.id)).where(OutboxMessage.fell_back_at.is_not(None))
    )
    return {FAILED: failed, PENDING: pending, FELL_BACK: fell_back or 0}


def make_pending_due(now: datetime | None = None) -> int:
    """Every message waiting to be retried becomes due now; return how many."""
    now = now or utcnow()
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.given_up_at.is_(None),
            OutboxMessage.next_attempt_at > now,
        )
        .values(next_attempt_at=now),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount


def _back_in_queue(now: datetime) -> dict[str, Any]:
    """A given-up message queued afresh: tries from one minute apart, a new give-up period."""
    return {"given_up_at": None, "queued_at": now, "next_attempt_at": now, "attempts": 0}


def requeue_failed(now: datetime | None = None) -> int:
    """Put every given-up message back in the queue; return how many."""
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.given_up_at.is_not(None))
        .values(**_back_in_queue(now or utcnow())),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount


def requeue_message(message: OutboxMessage, now: datetime | None = None) -> None:
    """Send one message again soon: a given-up one goes back in the queue, a pending one
    becomes due now. Raises Conflict for a message already sent. Flushes, never commits."""
    if message.sent_at is not None:
        raise Conflict(gettext("This message was already sent."))
    now = now or utcnow()
    values = _back_in_queue(now) if message.given_up else {"next_attempt_at": now}
    for name, value in values.items():
        setattr(message, name, value)
    db.session.flush()
