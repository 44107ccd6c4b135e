"""The certification report: per exam (and campus), trainees who sat it and those with a
pass, summed from the per-exam-and-campus rows reports.exam_tallies keeps."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Campus, CertificationAttempt, Exam, ExamResults, User
from .services import _campus_name, rate

CERTIFICATION_COLUMNS = ("campus", "exam", "candidates", "passed", "rate")


@dataclass
class CertificationRow:
    campus: str
    exam: str
    candidates: int
    passed: int
    rate: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def certification_report(
    *,
    by_campus: bool = False,
    campus_id: int | None = None,
    locale: str = "ko",
    from_records: bool = False,
) -> list[CertificationRow]:
    """Per exam (and campus): trainees who sat it and those with at least one pass.

    Summed from the per-exam-and-campus rows (reports.exam_tallies); `from_records` counts
    the attempts instead (the check proves both equal)."""
    if from_records:
        per_person = (
            db.select(
                CertificationAttempt.exam_id,
                User.campus_id,
                sa.func.max(sa.case((CertificationAttempt.passed, 1), else_=0)).label("passed"),
                sa.literal(1).label("candidates"),
            )
            .join(User, User.id == CertificationAttempt.user_id)
            .group_by(CertificationAttempt.exam_id, CertificationAttempt.user_id, User.campus_id)
            .subquery()
        )
    else:
        per_person = ExamResults.__table__.alias("per_group")
    group = [Exam.name]
    if by_campus:
        group = [_campus_name(locale), Campus.opening_order, Exam.name]
    candidates = sa.func.coalesce(sa.func.sum(per_person.c.candidates), 0)
    stmt = (
        db.select(*group, candidates, sa.func.coalesce(sa.func.sum(per_person.c.passed), 0))
        .select_from(per_person)
        .join(Exam, Exam.id == per_person.c.exam_id)
        .outerjoin(Campus, Campus.id == per_person.c.campus_id)
        .group_by(*group)
        .having(candidates > 0)
    )
    if campus_id:
        stmt = stmt.where(per_person.c.campus_id == campus_id)
    # By campus, then exam: campuses without an opening order (added later) by name, so the
    # order never rests on how the database happens to read the rows.
    by = [Campus.opening_order.nulls_last(), group[0]] if by_campus else []
    stmt = stmt.order_by(*by, Exam.name)
    rows = []
    for record in db.session.execute(stmt).all():
        campus = record[0] if by_campus else ""
        exam, candidates, passed = record[-3], int(record[-2]), int(record[-1])
        rows.append(
            CertificationRow(campus or "", exam, candidates, passed, rate(passed, candidates))
        )
    return rows


def certification_differences() -> list[str]:
    """The certification report summed against counted, both groupings, all campuses and each."""
    differences = []
    campus_ids = [None, *db.session.scalars(db.select(Campus.id).order_by(Campus.id))]
    for campus_id in campus_ids:
        for by_campus in (False, True):
            summed_rows = certification_report(by_campus=by_campus, campus_id=campus_id)
            counted_rows = certification_report(
                by_campus=by_campus, campus_id=campus_id, from_records=True
            )
            if summed_rows != counted_rows:
                differences.append(
                    f"certifications by_campus={by_campus} campus_id={campus_id or 'all'}: "
                    f"summed {summed_rows} != counted {counted_rows}"
                )
    return differences
