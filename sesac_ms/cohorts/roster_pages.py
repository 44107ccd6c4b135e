"""What the roster pages show: the roster's lines, the attendance sheet, the calendar's month,
a trainee's attendance record and the roster export, each built from only the columns it
shows, with every label and date formatted once per distinct value (roster.py keeps the
rules: calendar, attendance, completion, deposits, and the attendance-rate figures).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask_babel import format_date, gettext, ngettext

from .. import audit, spreadsheet_out
from ..clock import SEOUL
from ..extensions import db
from ..models import (
    Attendance,
    AttendanceStatus,
    ClassDay,
    Cohort,
    Enrollment,
    EnrollmentStatus,
    MarkSource,
    User,
)
from ..models.audit import AccessAction
from .roster import (
    AttendanceSummary,
    attendance_label,
    deposit_label,
    enrollment_status_label,
    flag_label,
    summaries,
)


@dataclass(slots=True)
class CalendarDay:
    id: int
    day: date
    text: str  # "EEE, yyyy-MM-dd"
    cancelled: bool
    added_by_hand: bool
    note: str


@dataclass(slots=True)
class CalendarMonth:
    """One month of a cohort's class calendar, and the way to the others."""

    month: date  # its first day
    months: list[tuple[date, int]]  # every month of the cohort, with its class days
    days: list[CalendarDay]  # the month's class days, cancelled ones included
    total: int  # class days of the whole cohort, cancelled ones left out


def _first_of_month(day: date) -> date:
    return day.replace(day=1)


def calendar_month(cohort: Cohort, month: str | None, today: date) -> CalendarMonth:
    """The month asked for ("2026-09"), else today's; a month outside the cohort is taken
    as its nearest month, so the page always lands on the cohort's own days."""
    rows = db.session.execute(
        db.select(
            ClassDay.id, ClassDay.day, ClassDay.cancelled, ClassDay.added_by_hand, ClassDay.note
        )
        .where(ClassDay.cohort_id == cohort.id)
        .order_by(ClassDay.day)
    ).all()
    # The cohort's months, and any a day kept from earlier dates of the cohort falls in.
    first = _first_of_month(min([cohort.start_on] + [row.day for row in rows[:1]]))
    last = _first_of_month(max([cohort.end_on] + [row.day for row in rows[-1:]]))
    try:
        shown = date.fromisoformat(f"{month}-01") if month else _first_of_month(today)
    except ValueError:
        shown = _first_of_month(today)
    shown = min(max(shown, first), last)
    per_month: dict[date, int] = {}
    days = []
    write = day_formatter()
    for day_id, day, cancelled, by_hand, note in rows:
        key = _first_of_month(day)
        if not cancelled:
            per_month[key] = per_month.get(key, 0) + 1
        if key == shown:
            days.append(CalendarDay(day_id, day, write(day), cancelled, by_hand, note or ""))
    months, key = [], first
    while key <= last:
        months.append((key, per_month.get(key, 0)))
        key = (key + timedelta(days=32)).replace(day=1)
    return CalendarMonth(shown, months, days, sum(per_month.values()))


@dataclass(slots=True)
class SheetRow:
    enrollment_id: int
    name: str
    status: str  # the recorded mark's value; when none is recorded, see `sheet_rows`
    note: str
    arrived: str = ""  # check-in time (HH:MM, Seoul), "" when none
    left: str = ""
    minutes_late: int = 0
    minutes_left_early: int = 0
    checked_in: bool = False  # the mark was made from check-in times, not set by hand


def sheet_rows(cohort: Cohort, class_day: ClassDay) -> list[SheetRow]:
    """`sheet` as the attendance page shows it: only the columns it needs, by name.

    A trainee with nothing recorded starts as present, or as absent once anyone has
    checked in that day (then no check-in means not there).
    """
    rows = db.session.execute(
        db.select(
            Enrollment.id,
            User.name,
            Enrollment.status,
            Enrollment.status_on,
            Attendance.status,
            Attendance.note,
            Attendance.id,
            Attendance.arrived_at,
            Attendance.left_at,
            Attendance.minutes_late,
            Attendance.minutes_left_early,
            Attendance.source,
        )
        .join(User, User.id == Enrollment.user_id)
        .outerjoin(
            Attendance,
            sa.and_(
                Attendance.enrollment_id == Enrollment.id, Attendance.class_day_id == class_day.id
            ),
        )
        .where(Enrollment.cohort_id == cohort.id)
        .order_by(User.name, Enrollment.id)
    ).all()
    rows = [
        row
        for row in rows
        if row.status == EnrollmentStatus.ENROLLED
        or row[6] is not None
        or (row.status_on is not None and row.status_on >= class_day.day)
    ]
    anyone_checked_in = any(row.arrived_at is not None for row in rows)
    unrecorded = AttendanceStatus.ABSENT if anyone_checked_in else AttendanceStatus.PRESENT

    def clock(moment: datetime | None) -> str:
        return moment.astimezone(SEOUL).strftime("%H:%M") if moment else ""

    return [
        SheetRow(
            enrollment_id,
            name,
            AttendanceStatus(mark).value if mark else unrecorded.value,
            note or "",
            clock(arrived_at),
            clock(left_at),
            minutes_late or 0,
            minutes_left_early or 0,
            source == MarkSource.CHECK_IN,
        )
        for (
            enrollment_id,
            name,
            _status,
            _status_on,
            mark,
            note,
            _record_id,
            arrived_at,
            left_at,
            minutes_late,
            minutes_left_early,
            source,
        ) in rows
    ]


@dataclass
class TraineeRecord:
    """What else the roster shows of a trainee: 1:1 sessions, certifications, outcome."""

    sessions: dict[str, int] = field(default_factory=dict)  # completed sessions by kind
    passed_exams: list[str] = field(default_factory=list)
    failed_exams: list[str] = field(default_factory=list)
    outcome: str | None = None  # the current outcome's kind


@cache
def _records_statement() -> sa.CompoundSelect:
    """records()' statement, built once (building it cost more than running it); the
    cohort is bound as cohort_id."""
    from ..models import CertificationAttempt, CoachingSession, Exam, Outcome, SessionStatus

    # Each trainee's records joined to their enrollment in this cohort (no id list first);
    # the three kinds of record share one statement as (part, enrollment, text, number),
    # their text read as plain text whatever the column's own type.
    mine = sa.and_(Enrollment.cohort_id == sa.bindparam("cohort_id"))
    sessions = (
        db.select(
            sa.literal(0).label("part"),
            Enrollment.id,
            sa.type_coerce(CoachingSession.kind, sa.String).label("text"),
            sa.func.count().label("n"),
        )
        .join(Enrollment, sa.and_(mine, Enrollment.user_id == CoachingSession.trainee_id))
        .where(
            CoachingSession.cohort_id == sa.bindparam("cohort_id"),
            CoachingSession.status == SessionStatus.COMPLETED,
        )
        .group_by(Enrollment.id, CoachingSession.kind)
    )
    exams = (
        db.select(
            sa.literal(1),
            Enrollment.id,
            Exam.name,
            sa.func.max(sa.case((CertificationAttempt.passed, 1), else_=0)),
        )
        .select_from(CertificationAttempt)
        .join(Exam, Exam.id == CertificationAttempt.exam_id)
        .join(Enrollment, sa.and_(mine, Enrollment.user_id == CertificationAttempt.user_id))
        .group_by(Enrollment.id, Exam.name)
    )
    outcomes = (
        db.select(sa.literal(2), Outcome.enrollment_id, Outcome.kind, sa.literal(0))
        .join(Enrollment, Enrollment.id == Outcome.enrollment_id)
        .where(mine, Outcome.is_current)
    )
    return sa.union_all(sessions, exams, outcomes)


def records(cohort: Cohort) -> dict[int, TraineeRecord]:
    """Sessions by kind, exam results and current outcome per enrollment, in one query."""
    result: dict[int, TraineeRecord] = {}
    for part, enrollment_id, text, n in db.session.execute(
        _records_statement(), {"cohort_id": cohort.id}
    ).all():
        record = result.setdefault(enrollment_id, TraineeRecord())
        if part == 0:
            record.sessions[str(text)] = n
        elif part == 1:
            (record.passed_exams if n else record.failed_exams).append(text)
        else:
            record.outcome = str(text)
    for record in result.values():  # exams in the order of their names
        record.passed_exams.sort()
        record.failed_exams.sort()
    return result


def outcome_label(kind: str | None) -> str:
    from flask_babel import pgettext

    return {
        None: "",
        "employed": pgettext("outcome", "Employed"),
        "founded": gettext("Founded"),
        "excluded": gettext("Excluded"),
    }[kind]


def labeller() -> Callable[[Callable[[Any], str], Any], str]:
    """`once(label, value)`: label(value), worked out once per distinct value for one page
    or file (a roster of 35 repeats a handful of statuses, deposits and session kinds)."""
    labels: dict[tuple[Callable[[Any], str], Any], str] = {}

    def once(label: Callable[[Any], str], value: Any) -> str:
        text = labels.get((label, value))
        if text is None:
            text = labels[(label, value)] = label(value)
        return text

    return once


@dataclass(slots=True)
class RosterRow:
    """One trainee's line on the roster, every text ready to show."""

    enrollment_id: int
    name: str
    status: str
    status_value: str
    status_on: str
    rate: float | None
    absent: int
    late_or_early: int
    flags: list[tuple[str, str]]  # (flag, label)
    # still reachable, for trainees with class days to come (None otherwise)
    reachable: float | None
    absences_left: int
    minutes_off: int  # minutes late and left early, from check-in times
    rate_text: str  # "92.5%", or "—" before any class day
    reach_text: str  # "best 95.0% · 3 absences left", "" when nothing is to come
    minutes_text: str  # "(12 min)", "" when none
    sessions: str
    passed_exams: str
    outcome: str
    deposit: str


ROSTER_SORTS = ("name", "status", "rate")


def roster_rows(cohort: Cohort, sort: str = "name") -> list[RosterRow]:
    """The roster page's lines, sorted by name, status or attendance rate (lowest first).

    Only the shown columns are read; each label and date is formatted once per distinct
    value, so a long roster costs little more than a short one.
    """
    from ..sessions.services import kind_label

    figures = summaries(cohort)
    extras = records(cohort)
    once = labeller()

    def reach_text(reach: tuple[float | None, int]) -> str:
        reachable, absences_left = reach
        if reachable is None:
            return ""
        best = gettext("best %(rate)s", rate=f"{reachable:.1f}%")
        left = ngettext("%(num)d absence left", "%(num)d absences left", absences_left)
        return f"{best} · {left}"

    def minutes_text(minutes: int) -> str:
        return f"({gettext('%(n)d min', n=minutes)})" if minutes else ""

    none = AttendanceSummary()
    rows = []
    for enrollment_id, name, status, status_on, deposit in db.session.execute(
        db.select(
            Enrollment.id,
            User.name,
            Enrollment.status,
            Enrollment.status_on,
            Enrollment.deposit_status,
        )
        .join(User, User.id == Enrollment.user_id)
        .where(Enrollment.cohort_id == cohort.id)
        .order_by(User.name, Enrollment.id)
    ):
        summary = figures.get(enrollment_id, none)
        extra = extras.get(enrollment_id)
        status = EnrollmentStatus(status)
        sessions = sorted(extra.sessions.items()) if extra else []
        reachable = (
            summary.reachable if summary.days_left and status == EnrollmentStatus.ENROLLED else None
        )
        minutes_off = summary.minutes_late + summary.minutes_left_early
        rows.append(
            RosterRow(
                enrollment_id=enrollment_id,
                name=name,
                status=once(enrollment_status_label, status),
                status_value=status.value,
                status_on=once(format_date, status_on) if status_on else "",
                rate=summary.rate,
                absent=summary.absent,
                late_or_early=summary.late + summary.left_early,
                flags=[(flag, once(flag_label, flag)) for flag in summary.flags],
                reachable=reachable,
                absences_left=summary.absences_left,
                minutes_off=minutes_off,
                rate_text="—" if summary.rate is None else f"{summary.rate:.1f}%",
                reach_text=once(reach_text, (reachable, summary.absences_left)),
                minutes_text=once(minutes_text, minutes_off),
                sessions=", ".join(f"{once(kind_label, kind)} {n}" for kind, n in sessions),
                passed_exams=", ".join(extra.passed_exams) if extra else "",
                outcome=once(outcome_label, extra.outcome) if extra else "",
                deposit=once(deposit_label, deposit),
            )
        )
    if sort == "status":
        rows.sort(key=lambda row: row.status_value)
    elif sort == "rate":
        rows.sort(key=lambda row: 101.0 if row.rate is None else row.rate)
    return rows


def latest_class_day(cohort: Cohort, on_or_before: date) -> tuple[int, date] | None:
    """The id and date of the cohort's last class held on or before the day, if any."""
    row = db.session.execute(
        db.select(ClassDay.id, ClassDay.day)
        .where(
            ClassDay.cohort_id == cohort.id,
            ClassDay.cancelled.is_(False),
            ClassDay.day <= on_or_before,
        )
        .order_by(ClassDay.day.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def export_rows(cohort: Cohort) -> tuple[list[str], list[list[Any]]]:
    from ..sessions.services import kind_label

    figures = summaries(cohort)
    extras = records(cohort)
    headers = [
        gettext("Name"),
        gettext("E-mail"),
        gettext("Status"),
        gettext("Status date"),
        gettext("Attendance rate (%)"),
        gettext("Days taken"),
        gettext("Absent"),
        gettext("Late"),
        gettext("Left early"),
        gettext("Excused"),
        gettext("Deposit"),
        gettext("1:1 sessions"),
        gettext("Certifications passed"),
        gettext("Outcome"),
    ]
    rows = []
    once = labeller()
    none, nothing = AttendanceSummary(), TraineeRecord()
    for enrollment_id, name, email, status, status_on, deposit in db.session.execute(
        db.select(
            Enrollment.id,
            User.name,
            User.email,
            Enrollment.status,
            Enrollment.status_on,
            Enrollment.deposit_status,
        )
        .join(User, User.id == Enrollment.user_id)
        .where(Enrollment.cohort_id == cohort.id)
        .order_by(User.name, Enrollment.id)
    ):
        summary = figures.get(enrollment_id, none)
        extra = extras.get(enrollment_id, nothing)
        sessions = sorted(extra.sessions.items())
        rows.append(
            [
                name,
                email,
                once(enrollment_status_label, status),
                status_on.isoformat() if status_on else "",
                round(summary.rate, 1) if summary.rate is not None else "",
                summary.days,
                summary.absent,
                summary.late,
                summary.left_early,
                summary.excused,
                once(deposit_label, deposit),
                ", ".join(f"{once(kind_label, kind)} {n}" for kind, n in sessions),
                ", ".join(extra.passed_exams),
                once(outcome_label, extra.outcome),
            ]
        )
    return headers, rows


def export(actor: User, cohort: Cohort, fmt: str, reason: str) -> tuple[bytes, str, str]:
    """The roster as CSV (UTF-8 with BOM) or XLSX; the download is logged with its reason."""
    from flask_babel import force_locale

    with force_locale("ko"):  # Korean headers, as the other offices expect
        headers, rows = export_rows(cohort)
    audit.record_access(
        actor,
        AccessAction.DOWNLOAD,
        gettext("Roster of %(cohort)s (%(n)d trainees)", cohort=cohort.label(), n=len(rows)),
        subject=cohort,
        page="cohorts.roster_export",
        detail=fmt.upper(),
        people_count=len(rows),
        reason=reason,
    )
    name = f"roster-{cohort.id}"
    if fmt == "xlsx":
        content = spreadsheet_out.xlsx_bytes(headers, rows, sheet_title="명단")
        return content, spreadsheet_out.XLSX_MIMETYPE, f"{name}.xlsx"
    content = spreadsheet_out.csv_bytes(headers, rows)
    return content, spreadsheet_out.CSV_MIMETYPE, f"{name}.csv"


def day_formatter() -> Callable[[date], str]:
    """Dates written as the `date('EEE, yyyy-MM-dd')` filter writes them, the weekday's name
    looked up once per weekday instead of formatting each date through Babel."""
    names: dict[int, str] = {}

    def write(day: date) -> str:
        name = names.get(day.weekday())
        if name is None:
            name = names[day.weekday()] = format_date(day, "EEE")
        return f"{name}, {day.isoformat()}"

    return write


def times_text(
    arrived_at: datetime | None,
    left_at: datetime | None,
    minutes_late: int = 0,
    minutes_left_early: int = 0,
) -> str:
    """A day's check-in times as people read them: "09:12–17:40 · 12 minutes late · …"."""
    if arrived_at is None and left_at is None:
        return ""

    def clock(moment: datetime | None) -> str:
        return moment.astimezone(SEOUL).strftime("%H:%M") if moment else "…"

    parts = [f"{clock(arrived_at)}–{clock(left_at)}"]
    if minutes_late:
        parts.append(ngettext("%(num)d minute late", "%(num)d minutes late", minutes_late))
    if minutes_left_early:
        parts.append(ngettext("%(num)d minute early", "%(num)d minutes early", minutes_left_early))
    return " · ".join(parts)


def attendance_record(enrollment: Enrollment, today: date) -> list[tuple[str, str, str, str]]:
    """(day, mark, note, times) of each class held up to today, the latest first, ready to
    show; '—' where no mark was recorded. Kept under the cohort's attendance version (marks,
    check-ins and class days raise it), the day and the reader's language."""
    from flask_babel import get_locale

    from ..reports import figures_cache
    from . import attendance_versions

    key = (
        "attendance record",
        enrollment.cohort_id,
        attendance_versions.current(enrollment.cohort_id),
        today,
        enrollment.id,
        str(get_locale()),
    )
    return figures_cache.kept(
        key, lambda: _attendance_record(enrollment, today), figures_cache.trainees_store()
    )


def _attendance_record(enrollment: Enrollment, today: date) -> list[tuple[str, str, str, str]]:
    write = day_formatter()
    labels: dict[Any, str] = {}
    rows = []
    for day, status, note, arrived, left, late, early in db.session.execute(
        db.select(
            ClassDay.day,
            Attendance.status,
            Attendance.note,
            Attendance.arrived_at,
            Attendance.left_at,
            Attendance.minutes_late,
            Attendance.minutes_left_early,
        )
        .outerjoin(
            Attendance,
            sa.and_(
                Attendance.class_day_id == ClassDay.id,
                Attendance.enrollment_id == enrollment.id,
            ),
        )
        .where(
            ClassDay.cohort_id == enrollment.cohort_id,
            ClassDay.cancelled.is_(False),
            ClassDay.day <= today,
        )
        .order_by(ClassDay.day.desc())
    ):
        if status is None:
            mark = "—"
        else:
            mark = labels.get(status) or labels.setdefault(status, attendance_label(status))
        rows.append(
            (write(day), mark, note or "", times_text(arrived, left, late or 0, early or 0))
        )
    return rows
