"""What the imports of the placements area share: kinds, results, previews, the cells that
name a cohort (which the attendance import reads too), small helpers.

The trainee-records import is in importing_records.py, the certifications import in
importing_certifications.py; importing.py ties the uploads to them and is what callers
import.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..imports.reader import Cell, CellError, Column, Row, RowError, RowParser
from ..models import Role, User

RECORDS = "records"
CERTIFICATIONS = "certifications"
KINDS = (RECORDS, CERTIFICATIONS)

# What importing a row does to what is stored.
NEW = "new"
UPDATED = "updated"
UNCHANGED = "unchanged"

_DATE_HELP = _l("A date: 2025-08-29, 2025.08.29, 2025/08/29, 20250829 or an Excel date")


# --- results --------------------------------------------------------------------------------


@dataclass
class NewCohort:
    """A cohort the import creates: its dates come from its rows."""

    campus: str
    course: str
    number: int
    start_on: date | None = None
    end_on: date | None = None
    rows: list[int] = field(default_factory=list)

    @property
    def capacity(self) -> int:
        return max(len(self.rows), 1)


@dataclass
class Preview:
    kind: str
    filename: str
    rows: list[Any] = field(default_factory=list)  # RecordRow or AttemptRow, when no error
    errors: list[RowError] = field(default_factory=list)
    unknown_headers: list[str] = field(default_factory=list)
    new_campuses: list[str] = field(default_factory=list)
    new_courses: list[tuple[str, str]] = field(default_factory=list)  # (campus, title)
    new_cohorts: dict[tuple, NewCohort] = field(default_factory=dict)
    new_accounts: int = 0

    @property
    def can_import(self) -> bool:
        return not self.errors

    def count(self, change: str) -> int:
        return sum(1 for row in self.rows if row.change == change)

    @property
    def has_changes(self) -> bool:
        return any(row.change != UNCHANGED for row in self.rows)


@dataclass
class ImportResult:
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    campuses: int = 0
    courses: int = 0
    cohorts: int = 0
    accounts: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def as_dict(self) -> dict[str, int]:
        keys = ("created", "updated", "unchanged")
        if self.kind == RECORDS:
            keys += ("campuses", "courses", "cohorts", "accounts")
        return {key: getattr(self, key) for key in keys}


# --- the cells that name a cohort --------------------------------------------------------------

CAMPUS_COLUMN = Column(
    "campus",
    "campus",
    "캠퍼스",
    True,
    _l("The campus name as stored, in Korean or English, e.g. Guro"),
)
COHORT_COLUMN = Column("cohort", "cohort", "기수", True, _l("The cohort number, e.g. 3"))

_COHORT_NUMBER = re.compile(r"(?:제\s*)?(\d{1,4})\s*기?")


def parse_cohort_number(cell: Cell) -> int:
    """3, 3기 (also 제3기); raises CellError."""
    text = cell.isoformat() if isinstance(cell, date) else cell.strip()
    match = _COHORT_NUMBER.fullmatch(text)
    if match is None or int(match[1]) < 1:
        raise CellError(
            gettext("“%(value)s” is not a cohort number: write a number such as 3.", value=text)
        )
    return int(match[1])


@dataclass
class CohortRow:
    """A row, as read, of a file whose rows name a cohort (cohort_cells); the row's other
    cells are in the dataclasses that extend it."""

    row: Row
    parser: RowParser
    campus: str
    course: str
    number: int | None


def cohort_cells(parser: RowParser) -> dict[str, Any]:
    """CohortRow's fields, as `parser` reads the row: the cells that name a cohort, as every
    file naming one gives them (the campus, the course title and the cohort number)."""
    return {
        "row": parser.row,
        "parser": parser,
        "campus": _words(parser.text("campus", max_length=50)),
        "course": _words(parser.text("course", max_length=200)),
        "number": parser.value("cohort", parse_cohort_number),
    }


# --- helpers -----------------------------------------------------------------------------------


def _words(text: str) -> str:
    return " ".join(text.split())


def _chunks(values: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _sorted(errors: list[RowError]) -> list[RowError]:
    """By row (the file as a whole first); a row's own errors keep their order."""
    return sorted(errors, key=lambda error: error.row or 0)


def _limited(actor: User | None) -> bool:
    """Staff other than admins import rows of their own campus only; the CLI (None) any."""
    return actor is not None and actor.role != Role.ADMIN


def _people(emails: set[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    for chunk in _chunks(sorted(emails)):
        for user in db.session.scalars(db.select(User).where(User.email.in_(chunk))):
            found[user.email] = user
    return found


def _need(parser: RowParser, key: str, value: Any, message: str) -> None:
    """An error for a cell required by the row's other cells, unless it was already wrong."""
    if value in (None, "") and parser.raw(key) == "":
        parser.error(key, message)
