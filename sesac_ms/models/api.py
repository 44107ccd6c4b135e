"""Personal access tokens of the JSON API (sesac_ms/api)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .people import User
from .types import UTCDateTime, utcnow


class ApiToken(db.Model):
    """A token a user made for a program of theirs: it acts with the user's role and campus.

    Only the SHA-256 of the secret is kept; the secret is shown once when it is made. A
    read-only token may only read; `resources` narrows it to some resources (None: all).
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The secret's first characters, shown in lists so the owner can tell tokens apart.
    prefix: Mapped[str] = mapped_column(sa.String(16))
    can_write: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    resources: Mapped[str | None] = mapped_column(sa.String(300))  # "cohorts,applications"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")

    @property
    def resource_names(self) -> list[str]:
        return self.resources.split(",") if self.resources else []
