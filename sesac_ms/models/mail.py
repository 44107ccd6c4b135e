"""The outbox: every message is stored first and sent later by a sender (sesac_ms.mail).

A message is pending until sent (`sent_at`) or given up (`given_up_at`). A sender claims
a due message (`next_attempt_at` passed, no live claim) by writing its token and a lease
(`claimed_by`, `claimed_until`) and committing before it talks to the SMTP server, so two
senders never send the same message; a sender that dies leaves a claim that expires.

A message goes by e-mail, text message or KakaoTalk (`channel`, chosen by sesac_ms.notify).
A phone message that cannot go falls back to the next channel (KakaoTalk → text → e-mail):
`fallbacks` keeps each step with its error, `fell_back_at` the last one. Every message
carries its e-mail form (recipient, subject, body), so e-mail is always the last resort.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, enum_type, utcnow


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    KAKAO = "kakao"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.CheckConstraint("sent_at IS NULL OR given_up_at IS NULL", name="sent_or_given_up"),
        sa.CheckConstraint("(claimed_by IS NULL) = (claimed_until IS NULL)", name="claim_whole"),
        sa.CheckConstraint("attempts >= 0", name="attempts"),
        sa.CheckConstraint("channel_attempts >= 0", name="channel_attempts"),
        sa.CheckConstraint("channel = 'email' OR phone IS NOT NULL", name="phone_for_phone"),
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
    # How it goes: by e-mail to `recipient`, or by text / KakaoTalk to `phone` (`body` is
    # the text; KakaoTalk fills its registered template `template_id` with `template_values`).
    channel: Mapped[Channel] = mapped_column(
        enum_type(Channel, "message_channel"), default=Channel.EMAIL, server_default="email"
    )
    phone: Mapped[str | None] = mapped_column(sa.String(13))
    kind: Mapped[str | None] = mapped_column(sa.String(40))  # sesac_ms.notify.templates
    template_id: Mapped[str | None] = mapped_column(sa.String(64))
    template_values: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)
    # Urgent messages ignore the night-time quiet hours (security, same-day changes).
    urgent: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    channel_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    fallbacks: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)
    fell_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    @property
    def given_up(self) -> bool:
        return self.given_up_at is not None
