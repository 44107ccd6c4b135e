"""My schedule's lines, ready to show: a coordinator's page shows some 180 lines in the
month and 80 in the next two weeks, so the text of each line is put together here once and
the template only writes it out (as HTML, as_html); the staff's lines come straight from
the agenda's rows (agenda.py), without an AgendaItem each, their class days folded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import (
    gettext,
    ngettext,
)
from markupsafe import Markup, escape

from ..clock import SEOUL
from ..models import (
    SessionKind,
    SessionStatus,
    User,
)
from .agenda import (
    HOURS,
    AgendaItem,
    AgendaRows,
    CohortHours,
    agenda_rows,
    agendas,
    seoul_bounds,
    trainees_named,
    weekday_names,
    weekday_runs,
)
from .services import kind_label, status_label


class MonthLine(NamedTuple):
    """A line in a day of the month view, as shown."""

    kind: str  # its CSS class suffix: "session", "class" or "event"
    title: str  # in full, for the tooltip
    text: str  # the line: "09:00 Career", "Class", "11 classes", an event's title
    href: str = ""  # a session's page


class NextLine(NamedTuple):
    """A line in the next two weeks, as shown."""

    when: str  # "토 11-28 09:00–10:00"; a week of classes: "11-23 – 11-27"
    title: str  # "Career · 최교육생"; a week of classes: "Class Mon–Fri 09:00–18:00"
    href: str = ""  # a session's page
    status: str = ""  # a session's status
    location: str = ""
    cohort: str = ""  # a week of classes: whose
    week: bool = False  # a week of a cohort's classes in one line


@dataclass
class Schedule:
    """My schedule's lines: the month's by day, in time order, and the next days'; and how
    many trainees they name (the personal-data access log counts them)."""

    month: dict[date, list[MonthLine]]
    upcoming: list[NextLine]
    trainees: int


class _Lines:
    """Writes one page's lines: each label looked up once a page, each day's once."""

    def __init__(self, session_url: str) -> None:
        self.session_url = session_url  # a session's page is this followed by its id
        self.kinds = {kind: kind_label(kind) for kind in SessionKind}
        self.statuses = {status: status_label(status) for status in SessionStatus}
        self.class_text = gettext("Class")
        self.weekdays = weekday_names()
        self.days: dict[date, str] = {}
        self.counts: dict[int, str] = {}
        self.weeks: dict[tuple[str, str], str] = {}

    def day(self, day: date) -> str:
        """format_date(day, "EEE MM-dd"): "토 11-28", "Sat 11-28"."""
        label = self.days.get(day)
        if label is None:
            label = self.days[day] = f"{self.weekdays[day.weekday()]} {day:%m-%d}"
        return label

    def classes(self, count: int) -> str:
        title = self.counts.get(count)
        if title is None:
            title = self.counts[count] = ngettext("%(num)d class", "%(num)d classes", count)
        return title

    def month_session(
        self, session_id: int, kind: SessionKind, title: str, start_time: str
    ) -> MonthLine:
        return MonthLine(
            "session", title, f"{start_time} {self.kinds[kind]}", f"{self.session_url}{session_id}"
        )

    def month(self, kind: str, title: str) -> MonthLine:
        """A line of a class ("class"; "class_day", several), or of an event."""
        if kind == "class":
            return MonthLine("class", title, self.class_text)
        return MonthLine("class" if kind == "class_day" else kind, title, title)

    def next(
        self,
        day: date,
        start_time: str,
        end_time: str,
        title: str,
        location: str,
        session_id: int | None = None,
        status: SessionStatus | None = None,
    ) -> NextLine:
        when = f"{self.day(day)} {start_time}–{end_time}"
        if session_id is None:
            return NextLine(when, title, location=location)
        href = f"{self.session_url}{session_id}"
        return NextLine(when, title, href, self.statuses[status], location)

    def week(
        self, first: date, last: date, days: str, start_time: str, end_time: str, cohort: str
    ) -> NextLine:
        """A week of a cohort's classes: "11-23 – 11-27", "Class Mon–Fri 09:00–18:00"."""
        title = self.weeks.get((days, start_time + end_time))
        if title is None:
            title = self.weeks[days, start_time + end_time] = gettext(
                "Class %(days)s %(hours)s", days=days, hours=f"{start_time}–{end_time}"
            )
        return NextLine(f"{first:%m-%d} – {last:%m-%d}", title, cohort=cohort, week=True)


class _Escaped(dict):
    """Each text escaped once a page: a schedule repeats its labels, days, hours and names
    hundreds of times."""

    def __missing__(self, text: str) -> str:
        html = self[text] = str(escape(text))
        return html


def _month_line_html(line: MonthLine, escaped: _Escaped) -> str:
    kind, title, text, href = line
    if href:
        return (
            f'<div class="month-item month-item-session text-truncate" title="{escaped[title]}">'
            f'<a href="{escape(href)}">{escaped[text]}</a></div>'
        )
    return (
        f'<div class="month-item month-item-{escaped[kind]} text-truncate" '
        f'title="{escaped[title]}">{escaped[text]}</div>'
    )


def _next_line_html(line: NextLine, escaped: _Escaped) -> str:
    when, title, href, status, location, cohort, week = line
    if week:
        whose = f' · <span class="text-break">{escaped[cohort]}</span>' if cohort else ""
        return (
            f'\n        <li class="list-group-item small text-muted"><div>{escaped[when]}</div>'
            f"<div>{escaped[title]}{whose}</div></li>"
        )
    if href:
        what = (
            f'<a href="{escape(href)}">{escaped[title]}</a> '
            f'<span class="badge text-bg-light border">{escaped[status]}</span>'
        )
    else:
        what = escaped[title]
    where = f'<div class="text-muted text-break">{escaped[location]}</div>' if location else ""
    return (
        f'\n        <li class="list-group-item small"><div class="text-muted">{escaped[when]}</div>'
        f"{what}{where}</li>"
    )


@dataclass
class ScheduleHtml:
    """My schedule's lines as HTML, escaped: each day's lines of the month view, and the
    next days' list items (empty when nothing is planned). Put together here rather than
    in the template: a coordinator's page has some 260 lines, and the template's escaping
    and attribute lookups per line cost more than building the lines."""

    month: dict[date, Markup]
    upcoming: Markup


def as_html(schedule: Schedule) -> ScheduleHtml:
    escaped = _Escaped()
    line_html: dict[MonthLine, str] = {}  # classes' and events' lines repeat from day to day
    month = {}
    for day, lines in schedule.month.items():
        parts = []
        for line in lines:
            html = line_html.get(line)
            if html is None:
                html = _month_line_html(line, escaped)
                if not line.href:
                    line_html[line] = html
            parts.append(html)
        month[day] = Markup("".join(parts))
    upcoming = Markup("".join([_next_line_html(line, escaped) for line in schedule.upcoming]))
    return ScheduleHtml(month, upcoming)


def schedule_of(
    items: list[AgendaItem], next_items: list[AgendaItem], *, session_url: str
) -> Schedule:
    """The lines of agenda items (agenda()), each item a line: the month's, the next days'."""
    lines = _Lines(session_url)
    by_day: dict[date, list[MonthLine]] = {}
    for item in items:
        s = item.session
        line = (
            lines.month(item.kind, item.title)
            if s is None
            else lines.month_session(s.id, s.kind, item.title, item.start_time)
        )
        by_day.setdefault(item.day, []).append(line)
    shown = []
    for item in next_items:
        s = item.session
        if s is None:
            line = lines.next(item.day, item.start_time, item.end_time, item.title, item.location)
        else:
            line = lines.next(
                item.day, item.start_time, item.end_time, item.title, item.location, s.id, s.status
            )
        shown.append(line)
    return Schedule(by_day, shown, trainees_named([*items, *next_items]))


def trainee_schedule(
    user: User, month: tuple[date, date], upcoming: tuple[date, date], *, session_url: str
) -> Schedule:
    """A trainee's month and next days: each class day, event and session a line."""
    items, next_items = agendas(user, month, upcoming)
    return schedule_of(items, next_items, session_url=session_url)


class _Timed(NamedTuple):
    """A session or an event as a staff schedule shows it, worked out once from its row
    (a row's fields by name cost ten times a tuple's)."""

    starts_at: datetime  # UTC, as read: the spans are compared in UTC
    ends_at: datetime
    starts: datetime  # in Seoul; its end in Seoul only where the end is shown
    start_time: str  # "09:00"
    title: str
    location: str
    session_id: int | None = None  # a session's
    kind: SessionKind | None = None
    status: SessionStatus | None = None
    trainee_id: int | None = None


def _timed_sessions(rows: list[sa.Row], kinds: dict[SessionKind, str]) -> list[_Timed]:
    timed = []
    # The columns of _sessions_statement, in its order.
    for session_id, kind, status, starts_at, ends_at, location, trainee_id, other, *_ in rows:
        starts = starts_at.astimezone(SEOUL)
        timed.append(
            _Timed(
                starts_at,
                ends_at,
                starts,
                HOURS[starts.hour * 60 + starts.minute],
                f"{kinds[kind]} · {other}",
                location,
                session_id,
                kind,
                status,
                trainee_id,
            )
        )
    return timed


def _timed_events(rows: list[sa.Row]) -> list[_Timed]:
    timed = []
    for starts_at, ends_at, title, place in rows:  # the columns of _events_statement
        starts = starts_at.astimezone(SEOUL)
        start_time = HOURS[starts.hour * 60 + starts.minute]
        timed.append(_Timed(starts_at, ends_at, starts, start_time, title, place))
    return timed


def _end_time(timed: _Timed) -> str:
    ends = timed.ends_at.astimezone(SEOUL)
    return HOURS[ends.hour * 60 + ends.minute]


def _utc_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    begin, finish = seoul_bounds(first, last)
    return begin.astimezone(UTC), finish.astimezone(UTC)


_FIRST = itemgetter(0)


def _classes_by_day(rows: AgendaRows) -> list[tuple[date, list[CohortHours]]]:
    """The class days read, by day in date order: each day's classes in the rows' order."""
    per_day: dict[date, list[CohortHours]] = {}
    cohorts = rows.cohorts
    for day, cohort_id in rows.class_days:
        classes = per_day.get(day)
        if classes is None:
            per_day[day] = [cohorts[cohort_id]]
        else:
            classes.append(cohorts[cohort_id])
    return sorted(per_day.items(), key=_FIRST)


def _month_classes(
    per_day: list[tuple[date, list[CohortHours]]], first: date, last: date, lines: _Lines
) -> list[tuple[datetime, date, MonthLine]]:
    """A staff member's class days in the month view, folded: a day of one class is that
    class, a day of several one line, "11 classes", at the earliest start. A coordinator
    staffs many cohorts; one line a cohort would bury the day's sessions."""
    shown = []
    for day, classes in per_day:
        if not first <= day <= last:
            continue
        if len(classes) == 1:
            starts, line = classes[0].starts, lines.month("class", classes[0].title)
        else:
            starts = min(hours.starts for hours in classes)
            line = lines.month("class_day", lines.classes(len(classes)))
        shown.append((datetime.combine(day, starts, SEOUL), day, line))
    return shown


def _next_classes(
    per_day: list[tuple[date, list[CohortHours]]], first: date, last: date, lines: _Lines
) -> list[tuple[datetime, NextLine]]:
    """A staff member's class days in the next days, folded: a cohort's class days of one
    week with the same hours are one line ("Class Mon–Tue, Thu 09:00–18:00"), at the first
    day's start; a lone day is a line of its own. Ten "Class" lines in two weeks would bury
    the sessions a staff member comes to the schedule for."""
    weeks: dict[tuple, tuple[CohortHours, list[date]]] = {}
    for day, classes in per_day:
        if not first <= day <= last:
            continue
        week = day.isocalendar()[:2]
        for hours in classes:
            key = (week, hours.label, hours.starts, hours.ends)
            found = weeks.get(key)
            if found is None:
                weeks[key] = (hours, [day])
            else:
                found[1].append(day)
    shown = []
    for hours, days in weeks.values():
        if len(days) == 1:
            line = lines.next(days[0], hours.start_time, hours.end_time, hours.title, "")
        else:
            runs = weekday_runs(days, lines.weekdays)
            line = lines.week(
                days[0], days[-1], runs, hours.start_time, hours.end_time, hours.label
            )
        shown.append((datetime.combine(days[0], hours.starts, SEOUL), line))
    return shown


def staff_schedule(
    user: User, month: tuple[date, date], upcoming: tuple[date, date], *, session_url: str
) -> Schedule:
    """A staff member's month, a day's classes folded into one line (_month_classes), and
    next days, a week of a cohort's classes folded into one line (_next_classes): the
    lines made from the rows, without an AgendaItem per row first (a coordinator has
    hundreds of class days and sessions a month). Read once when the spans lie close
    together, else apiece."""
    lines = _Lines(session_url)
    start, end = min(month[0], upcoming[0]), max(month[1], upcoming[1])
    if end - start > (month[1] - month[0]) + (upcoming[1] - upcoming[0]) + timedelta(days=7):
        month_rows, next_rows = agenda_rows(user, *month), agenda_rows(user, *upcoming)
    else:
        month_rows = next_rows = agenda_rows(user, start, end)
    month_sessions = _timed_sessions(month_rows.sessions, lines.kinds)
    month_events = _timed_events(month_rows.events)
    if next_rows is month_rows:
        next_sessions, next_events = month_sessions, month_events
    else:
        next_sessions = _timed_sessions(next_rows.sessions, lines.kinds)
        next_events = _timed_events(next_rows.events)
    trainees: set[int | None] = set()

    # Sorted by start as agenda() sorts: sessions, then classes, then events at one time.
    begin, finish = _utc_bounds(*month)
    in_month: list[tuple[datetime, date, MonthLine]] = []
    for s in month_sessions:
        if s.ends_at > begin and s.starts_at < finish:
            trainees.add(s.trainee_id)
            line = lines.month_session(s.session_id, s.kind, s.title, s.start_time)
            in_month.append((s.starts, s.starts.date(), line))
    month_classes = _classes_by_day(month_rows)
    in_month += _month_classes(month_classes, *month, lines)
    for e in month_events:
        if e.ends_at > begin and e.starts_at < finish:
            in_month.append((e.starts, e.starts.date(), lines.month("event", e.title)))
    by_day: dict[date, list[MonthLine]] = {}
    for _, day, line in sorted(in_month, key=_FIRST):
        by_day.setdefault(day, []).append(line)

    begin, finish = _utc_bounds(*upcoming)
    following: list[tuple[datetime, NextLine]] = []
    for s in next_sessions:
        if s.ends_at > begin and s.starts_at < finish:
            trainees.add(s.trainee_id)
            line = lines.next(
                s.starts.date(),
                s.start_time,
                _end_time(s),
                s.title,
                s.location,
                s.session_id,
                s.status,
            )
            following.append((s.starts, line))
    next_classes = month_classes if next_rows is month_rows else _classes_by_day(next_rows)
    following += _next_classes(next_classes, *upcoming, lines)
    for e in next_events:
        if e.ends_at > begin and e.starts_at < finish:
            line = lines.next(e.starts.date(), e.start_time, _end_time(e), e.title, e.location)
            following.append((e.starts, line))
    shown = [line for _, line in sorted(following, key=_FIRST)]
    return Schedule(by_day, shown, len(trainees))
