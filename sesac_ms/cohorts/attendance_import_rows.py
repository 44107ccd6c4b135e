"""Reading the rows of an attendance file (docs/formats.md, "Attendance"): its columns, the
cells of each row and the rules between them (a status or the times, a departure after the
arrival, an excused day's reason).

What is stored comes later: attendance_import.py checks each row read here against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from flask_babel import format_date, gettext
from flask_babel import lazy_gettext as _l

from ..clock import SEOUL
from ..imports.reader import Cell, CellError, Column, Row, RowParser, Table
from ..models import Attendance, AttendanceStatus, ClassDay, Cohort, Enrollment
from ..placements.importing_common import (
    _DATE_HELP,
    CAMPUS_COLUMN,
    COHORT_COLUMN,
    UNCHANGED,
    CohortRow,
    _words,
    cohort_cells,
)

ATTENDANCE_COLUMNS = [
    CAMPUS_COLUMN,
    Column(
        "course",
        "course",
        "과정명",
        False,
        _l(
            "Optional: the course title, needed only when the trainee is on two cohorts "
            "of that number at the campus"
        ),
    ),
    COHORT_COLUMN,
    Column(
        "email",
        "email",
        "이메일",
        True,
        _l("The e-mail address of a trainee on the cohort's roster"),
    ),
    Column("date", "date", "날짜", True, _DATE_HELP, aliases=("일자", "출결일", "훈련일자")),
    Column(
        "status",
        "status",
        "출결",
        False,
        _l(
            "present, late, left_early, absent or excused (or the Korean words the "
            "attendance sheet uses); leave it empty when the row gives times"
        ),
        aliases=("출결상태",),
    ),
    Column(
        "arrival",
        "arrival",
        "입실",
        False,
        _l("Instead of a status: the arrival time in Seoul, e.g. 09:05"),
        aliases=("입실시간", "arrived_at", "check_in"),
    ),
    Column(
        "departure",
        "departure",
        "퇴실",
        False,
        _l("With an arrival time: the departure time, e.g. 18:00 (empty: stayed to the end)"),
        aliases=("퇴실시간", "left_at", "check_out"),
    ),
    Column(
        "reason",
        "reason",
        "사유",
        False,
        _l("Required for excused days: the proof, e.g. a medical certificate; else a note"),
        aliases=("비고", "note"),
    ),
]

# Korean and English spellings first: those two are named in the error. The Korean words
# are those the attendance sheet shows (roster.attendance_label).
STATUS_CHOICES = {
    AttendanceStatus.PRESENT: ("출석", "present"),
    AttendanceStatus.LATE: ("지각", "late"),
    AttendanceStatus.LEFT_EARLY: ("조퇴", "left_early", "left early"),
    AttendanceStatus.ABSENT: ("결석", "absent"),
    AttendanceStatus.EXCUSED: ("공가", "excused"),
}

NOTE_MAX_LENGTH = 200  # Attendance.note


# --- times -----------------------------------------------------------------------------------

_CLOCK = re.compile(
    r"(?P<before>오전|오후|am|pm)?\s*(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?"
    r"\s*(?P<after>오전|오후|am|pm)?",
    re.IGNORECASE,
)


def parse_clock(cell: Cell) -> tuple[time, date | None]:
    """A time of day: 09:05, 9:05:30, 오후 6:00 (as Korean Excel writes a time cell into a
    CSV), 6:00 PM, or an Excel time cell; with the date when the cell is a date and time.

    Raises CellError.
    """
    if isinstance(cell, datetime):
        return cell.time().replace(microsecond=0), cell.date()
    if isinstance(cell, date):
        raise CellError(
            gettext("“%(value)s” is not a time: write it as 09:05.", value=cell.isoformat())
        )
    text = cell.strip()
    match = _CLOCK.fullmatch(text)
    if match is None or (match["before"] and match["after"]):
        raise CellError(gettext("“%(value)s” is not a time: write it as 09:05.", value=text))
    hour, minute, second = int(match["h"]), int(match["m"]), int(match["s"] or 0)
    half = (match["before"] or match["after"] or "").casefold()
    if half:
        if not 1 <= hour <= 12:
            raise CellError(gettext("“%(value)s” is not a time that exists.", value=text))
        hour = hour % 12 + (12 if half in ("오후", "pm") else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise CellError(gettext("“%(value)s” is not a time that exists.", value=text))
    return time(hour, minute, second), None


def _clock_text(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(SEOUL).strftime("%H:%M")


# --- rows ------------------------------------------------------------------------------------


@dataclass
class MarkRow:
    """One checked row of an attendance file, with the mark stored for it (None: none yet)."""

    number: int
    email: str
    name: str
    day: date
    status: AttendanceStatus
    note: str | None  # None: the file has no reason column, and the stored note is kept
    timed: bool  # the row gives times, which set the status and the minutes
    arrived_at: datetime | None
    left_at: datetime | None
    minutes_late: int
    minutes_left_early: int
    cohort: Cohort = field(repr=False)
    enrollment: Enrollment = field(repr=False)
    class_day: ClassDay = field(repr=False)
    record: Attendance | None = field(default=None, repr=False)
    change: str = UNCHANGED

    @property
    def arrival(self) -> str:
        """The arrival as Seoul's clock shows it (HH:MM), "" without one."""
        return _clock_text(self.arrived_at)

    @property
    def departure(self) -> str:
        return _clock_text(self.left_at)

    def values(self) -> dict[str, Any]:
        """What the row sets on the stored mark. A status row leaves stored check-in times
        alone (the status overrides what they made, as on the sheet); a row without a
        reason column leaves the stored note alone."""
        values: dict[str, Any] = {"status": self.status}
        if self.note is not None:
            values["note"] = self.note
        if self.timed:
            values.update(
                arrived_at=self.arrived_at,
                left_at=self.left_at,
                minutes_late=self.minutes_late,
                minutes_left_early=self.minutes_left_early,
            )
        return values


@dataclass
class _Parsed(CohortRow):
    email: str | None
    day: date | None
    status: AttendanceStatus | None
    arrival: time | None
    departure: time | None
    reason: str


def _read_row(table: Table, row: Row) -> _Parsed:
    """The cells of one row and the rules between them; the stored records come later."""
    parser = RowParser(table, row)
    parsed = _Parsed(
        **cohort_cells(parser),
        email=parser.email("email"),
        day=parser.date("date"),
        status=parser.choice("status", STATUS_CHOICES),
        arrival=None,
        departure=None,
        reason=_words(parser.text("reason", max_length=NOTE_MAX_LENGTH)),
    )
    for key in ("arrival", "departure"):
        clock = parser.value(key, parse_clock)
        if clock is None:
            continue
        moment, on = clock
        if on is not None and parsed.day is not None and on != parsed.day:
            parser.error(
                key,
                gettext("This time is on %(day)s, not on the row's date.", day=format_date(on)),
            )
        setattr(parsed, key, moment)
    given = {key: parser.raw(key) != "" for key in ("status", "arrival", "departure")}
    if given["status"] and (given["arrival"] or given["departure"]):
        parser.error(
            "status",
            gettext("Give a status or the times, not both: the times make the status."),
        )
    elif not given["status"] and not given["arrival"]:
        if given["departure"]:
            parser.error("arrival", gettext("A departure time needs the arrival time too."))
        elif table.has("status") or table.has("arrival"):
            parser.error(
                "status" if table.has("status") else "arrival",
                gettext("Give a status, or the arrival time."),
            )
    if parsed.arrival and parsed.departure and parsed.departure <= parsed.arrival:
        parser.error(
            "departure",
            gettext(
                "The departure (%(departure)s) is not after the arrival (%(arrival)s).",
                departure=parsed.departure.strftime("%H:%M"),
                arrival=parsed.arrival.strftime("%H:%M"),
            ),
        )
    # (A reason given but too long has its own error already.)
    if parsed.status == AttendanceStatus.EXCUSED and parser.raw("reason") == "":
        parser.error(
            "reason",
            gettext("An excused day needs its reason: name the proof, e.g. a medical certificate."),
        )
    return parsed
