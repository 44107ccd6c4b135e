"""The mail outbox: every message is stored first and sent later by a sender (sesac_ms.mail).

A message is pending until sent (`sent_at`) or given up (`given_up_at`). A sender claims
a due message (`next_attempt_at` passed, no live claim) by writing its token and a lease
(`claimed_by`, `claimed_until`) and committing before it talks to the SMTP server, so two
senders never send the same message; a sender that dies leaves a claim that expires.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.CheckConstraint("sent_at IS NULL OR given_up_at IS NULL", name="sent_or_given_up"),
        sa.CheckConstraint("(claimed_by IS NULL) = (claimed_until IS NULL)", name="claim_whole"),
        sa.CheckConstraint("attempts >= 0", name="attempts"),
        # What senders look for: pending messages by when they are due. Partial, so the
        # index stays as small as the queue while sent mail accumulates.
        sa.Index(
            "ix_outbox_messages_due",
            "next_attempt_at",
            sqlite_where=sa.text("sent_at IS NULL AND given_up_at IS NULL"),
            postgresql_where=sa.text("sent_at IS NULL AND given_up_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254), index=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the message (re-)entered the queue: it is given up MAIL_GIVE_UP_AFTER later.
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    given_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(sa.Text)

    @property
    def given_up(self) -> bool:
        return self.given_up_at is not None
