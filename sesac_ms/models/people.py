"""People: user accounts with their role and campus, one-time password tokens, log-in failures."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, enum_type, utcnow

if TYPE_CHECKING:
    from .campus import Campus


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    COORDINATOR = "coordinator"
    MENTOR = "mentor"
    TRAINEE = "trainee"


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (
        # Everyone but an admin belongs to exactly one campus.
        sa.CheckConstraint("role = 'admin' OR campus_id IS NOT NULL", name="campus_unless_admin"),
        # The dashboards' active accounts per role, counted from the index alone.
        sa.Index("ix_users_role_active", "role", "active"),
        # The user list's order: its pages read from the index, not by sorting everyone.
        sa.Index("ix_users_name_id", "name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    role: Mapped[Role] = mapped_column(enum_type(Role, "user_role"), index=True)
    campus_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campuses.id", ondelete="RESTRICT"), index=True
    )
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    locale: Mapped[str] = mapped_column(sa.String(5), default="ko", server_default="ko")
    # Bumped by log-out, password change and deactivation: every cookie that
    # carries an older version stops working (see auth.sessions).
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Bumped by an UPDATE before a booking checks for overlaps: the row lock (PostgreSQL)
    # or the write lock (SQLite) serialises racing bookings of the same person.
    schedule_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # The private calendar feed: HMAC(SECRET_KEY, nonce), found by its SHA-256.
    feed_nonce: Mapped[str | None] = mapped_column(sa.String(32))
    feed_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Messages (sesac_ms.notify): a mobile number as 010-1234-5678, the channel the user
    # prefers (a Channel value: kakao, sms, email; checked by the service, not a CHECK, so
    # the migration could add it to this much-referenced table without copying it), and
    # whether they want essential messages only.
    phone: Mapped[str | None] = mapped_column(sa.String(13))
    notify_channel: Mapped[str] = mapped_column(
        sa.String(8), default="kakao", server_default="kakao"
    )
    notify_opt_out: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    campus: Mapped[Campus | None] = relationship(lazy="joined")

    # Flask-Login protocol -------------------------------------------------
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class PasswordToken(db.Model):
    """A one-time link to set a password; only the SHA-256 of the token is stored."""

    __tablename__ = "password_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


class LoginFailureCount(db.Model):
    """Failed log-ins in a row for one e-mail address, and the lockout they led to.

    Keyed by the normalised address whether or not an account has it: an unknown address
    is counted and locked exactly like a real one, so the log-in page never tells which
    addresses exist. Every worker shares it; it changes only by single atomic statements.
    """

    __tablename__ = "login_failures"
    __table_args__ = (sa.CheckConstraint("failures >= 0", name="failures_not_negative"),)

    email: Mapped[str] = mapped_column(sa.String(254), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime())
