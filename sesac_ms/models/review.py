"""The monthly review of personal-data access (제8조②): which month was reviewed, by whom."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class AccessReview(db.Model):
    """An administrator's record that a month of access was reviewed; one per month."""

    __tablename__ = "access_reviews"
    __table_args__ = (sa.CheckConstraint("length(month) = 7", name="month_is_yyyy_mm"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7), unique=True)  # "2026-10", Seoul time
    reviewed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    reviewed_by_label: Mapped[str] = mapped_column(sa.String(300))  # kept if the user goes
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    note: Mapped[str] = mapped_column(sa.String(2000), default="", server_default="")
