"""Requests of data subjects (정보주체): to correct, delete or see their personal data.

A trainee asks from their "My data" page, an applicant from their private status link. The
academy answers within ten days (개인정보 보호법 시행령 제41조·제43조·제44조): `due_on` is
the day the answer is due. A manager of the person's campus (or an administrator) resolves
the request with a note saying what was done; the audit log keeps who and when.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, enum_type, utcnow

if TYPE_CHECKING:
    from .applications import Application
    from .people import User


class RequestKind(StrEnum):
    CORRECTION = "correction"  # 정정
    DELETION = "deletion"  # 삭제
    ACCESS = "access"  # 열람: something the download does not hold


class RequestStatus(StrEnum):
    OPEN = "open"
    DONE = "done"  # done as asked (or in part: the note says)
    REFUSED = "refused"  # refused with the reason in the note (e.g. a record the law keeps)


class DataRequest(db.Model):
    __tablename__ = "data_requests"
    __table_args__ = (
        sa.CheckConstraint(
            "(status = 'open') = (resolved_at IS NULL)", name="resolved_when_closed"
        ),
        # The open requests of a campus by deadline: the managers' list and dashboard count.
        sa.Index("ix_data_requests_campus_id_status_due_on", "campus_id", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RequestKind] = mapped_column(enum_type(RequestKind, "data_request_kind"))
    status: Mapped[RequestStatus] = mapped_column(
        enum_type(RequestStatus, "data_request_status"),
        default=RequestStatus.OPEN,
        server_default=RequestStatus.OPEN.value,
        index=True,
    )
    # Who asks: a trainee's account, or an application (an applicant has no account). Kept
    # with the campus when the record goes (a destroyed application), so the request and
    # its answer still show whose campus answered it.
    campus_id: Mapped[int] = mapped_column(sa.ForeignKey("campuses.id", ondelete="RESTRICT"))
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_on: Mapped[date] = mapped_column(index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    resolution: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    user: Mapped[User | None] = relationship(foreign_keys=[user_id], lazy="raise")
    application: Mapped[Application | None] = relationship(lazy="raise")
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id], lazy="raise")

    @property
    def is_open(self) -> bool:
        return self.status == RequestStatus.OPEN
