"""Importing certification attempts (자격증 응시) of known trainees, CSV or XLSX.

The format is that of docs/formats.md; all or nothing, as the records import. Attempts
are matched by e-mail + exam + date, so importing the same file twice changes nothing
the second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..applications.importing import ImportRefused  # one refusal for every import
from ..applications.services import today_in_seoul
from ..errors import DomainError
from ..extensions import db
from ..imports.reader import Column, RowError, RowParser, read_table
from ..models import CertificationAttempt, Cohort, Course, Enrollment, Role, User
from . import services
from .importing_common import (
    _DATE_HELP,
    CERTIFICATIONS,
    NEW,
    UNCHANGED,
    UPDATED,
    ImportResult,
    Preview,
    _chunks,
    _limited,
    _people,
    _sorted,
    _words,
)

CERTIFICATION_COLUMNS = [
    Column("email", "email", "이메일", True, _l("The e-mail address of a trainee already known")),
    Column("exam", "exam", "자격증", True, _l("The exam, e.g. AI-900")),
    Column("exam_date", "exam_date", "응시일", True, _DATE_HELP),
    Column("result", "result", "결과", True, _l("pass or fail")),
    Column("score", "score", "점수", False, _l("Optional: a whole number")),
]

RESULT_CHOICES = {True: ("합격", "pass", "passed"), False: ("불합격", "fail", "failed")}

MAX_SCORE = 1_000_000


@dataclass
class AttemptRow:
    """One checked row of a certifications file."""

    number: int
    email: str
    exam: str
    exam_on: date
    passed: bool
    score: int | None
    trainee: User = field(repr=False)
    change: str = UNCHANGED


def _in_campus(trainees: list[User], campus_id: int | None) -> set[int]:
    """The trainees who belong to the campus, or are enrolled in one of its cohorts."""
    ids = {user.id for user in trainees if user.campus_id == campus_id}
    others = sorted(user.id for user in trainees if user.id not in ids)
    for chunk in _chunks(others):
        ids.update(
            db.session.scalars(
                db.select(Enrollment.user_id)
                .join(Cohort, Cohort.id == Enrollment.cohort_id)
                .join(Course, Course.id == Cohort.course_id)
                .where(Enrollment.user_id.in_(chunk), Course.campus_id == campus_id)
            )
        )
    return ids


def preview_certifications(filename: str, content: bytes, *, actor: User | None = None) -> Preview:
    """Read a certifications file and check every row; write nothing.

    Raises reader.UnreadableFile when the file is no table at all.
    """
    table = read_table(filename, content, CERTIFICATION_COLUMNS)
    preview = Preview(
        CERTIFICATIONS, filename, errors=list(table.errors), unknown_headers=table.unknown_headers
    )
    today = today_in_seoul()
    parsed = []
    for row in table.rows:
        parser = RowParser(table, row)
        email = parser.email("email")
        exam = _words(parser.text("exam", max_length=100))
        exam_on = parser.date("exam_date")
        passed = parser.choice("result", RESULT_CHOICES)
        score = parser.integer("score")
        if exam_on is not None and exam_on > today:
            parser.error("exam_date", gettext("This date is in the future."))
        if score is not None and not 0 <= score <= MAX_SCORE:
            parser.error(
                "score", gettext("A score is a whole number from 0 to %(max)d.", max=MAX_SCORE)
            )
        parsed.append((row, parser, email, exam, exam_on, passed, score))
    people = _people({item[2] for item in parsed if item[2]})
    trainees = [user for user in people.values() if user.role == Role.TRAINEE]
    limited = _limited(actor)
    allowed = _in_campus(trainees, actor.campus_id) if limited else {u.id for u in trainees}

    first_of: dict[tuple, int] = {}
    rows = []
    for row, parser, email, exam, exam_on, passed, score in parsed:
        trainee = people.get(email) if email else None
        if email and (trainee is None or trainee.id not in allowed):
            parser.error(
                "email",
                gettext(
                    "No trainee of your campus has this e-mail address: import their records first."
                )
                if limited
                else gettext("No trainee has this e-mail address: import their records first."),
            )
            trainee = None
        if trainee is not None and exam and exam_on is not None:
            key = (trainee.id, exam.upper(), exam_on)
            if key in first_of:
                parser.error(
                    "exam",
                    gettext("Row %(row)d gives the same exam on the same day.", row=first_of[key]),
                )
            else:
                first_of[key] = row.number
        preview.errors.extend(parser.errors)
        if not parser.errors and trainee is not None and passed is not None:
            rows.append(AttemptRow(row.number, email, exam, exam_on, passed, score, trainee))
    if not table.rows:
        preview.errors.append(
            RowError(None, "", gettext("The file has no exam rows under its header."))
        )
    preview.errors = _sorted(preview.errors)
    if preview.errors:
        return preview

    stored: dict[tuple, CertificationAttempt] = {}
    for chunk in _chunks(sorted({row.trainee.id for row in rows})):
        for attempt in db.session.scalars(
            db.select(CertificationAttempt).where(CertificationAttempt.user_id.in_(chunk))
        ):
            stored[(attempt.user_id, attempt.exam.name.upper(), attempt.exam_on)] = attempt
    for row in rows:
        attempt = stored.get((row.trainee.id, row.exam.upper(), row.exam_on))
        if attempt is None:
            row.change = NEW
        elif attempt.passed != row.passed or attempt.score != row.score:
            row.change = UPDATED
    preview.rows = rows
    return preview


def import_certifications(actor: User | None, filename: str, content: bytes) -> ImportResult:
    """Import a certifications file, all or nothing (see import_records)."""
    preview = preview_certifications(filename, content, actor=actor)
    if preview.errors:
        raise ImportRefused(preview.errors)
    result = ImportResult(CERTIFICATIONS)
    errors: list[RowError] = []
    for row in preview.rows:
        try:
            recorded = services.record_attempt(
                actor, row.trainee, row.exam, row.exam_on, row.passed, row.score
            )
        except DomainError as error:
            errors.append(RowError(row.number, "", error.message))
            continue
        if recorded is None:
            result.unchanged += 1
        elif row.change == NEW:
            result.created += 1
        else:
            result.updated += 1
    if errors:
        raise ImportRefused(errors)
    return result
