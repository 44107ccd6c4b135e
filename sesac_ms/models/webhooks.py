"""Webhooks: a campus's subscriptions to events, and the durable outbox of their deliveries.

A delivery is written in the same transaction as the change it tells of (sesac_ms.webhooks
reads the audit entry), so it exists exactly when the change was committed. A sender claims
a due delivery with a lease (`claimed_by`, `claimed_until`) committed before it calls the
URL, as the mail outbox does, so two senders never deliver the same one twice at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .campus import Campus
from .people import User
from .types import UTCDateTime, utcnow


class WebhookSubscription(db.Model):
    """A URL told of some events of one campus (every campus: an administrator's)."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    campus_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campuses.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(sa.String(500))
    events: Mapped[str] = mapped_column(sa.String(500))  # "application.decided,session.booked"
    # The signing secret, encrypted (crypto.py): shown once, used to sign every delivery.
    secret_encrypted: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Deliveries given up one after another; at WEBHOOK_PAUSE_AFTER the subscription pauses.
    failures_in_a_row: Mapped[int] = mapped_column(default=0, server_default="0")
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    owner: Mapped[User] = relationship(lazy="joined")
    campus: Mapped[Campus | None] = relationship(lazy="joined")

    @property
    def event_names(self) -> list[str]:
        return self.events.split(",") if self.events else []


class WebhookDelivery(db.Model):
    """One event sent (or to send) to one subscription, with the last answer it got."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.CheckConstraint(
            "delivered_at IS NULL OR given_up_at IS NULL", name="delivered_or_given_up"
        ),
        sa.CheckConstraint("(claimed_by IS NULL) = (claimed_until IS NULL)", name="claim_whole"),
        sa.Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            sqlite_where=sa.text("delivered_at IS NULL AND given_up_at IS NULL"),
            postgresql_where=sa.text("delivered_at IS NULL AND given_up_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(sa.String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    claimed_by: Mapped[str | None] = mapped_column(sa.String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    given_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status: Mapped[int | None]  # the HTTP status of the last answer
    last_response: Mapped[str | None] = mapped_column(sa.String(1000))  # its start
    last_error: Mapped[str | None] = mapped_column(sa.String(500))  # no answer: why
