"""A person's agenda over some days (classes, cohort events, 1:1 sessions), as read
(`agenda_rows`) and as items (`agenda`), and the private calendar feed built from it. My
schedule's lines, ready to show, are put together in schedule_lines.py, which folds a staff
member's class days into one line a day or a week.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from operator import attrgetter

import sqlalchemy as sa
from babel.dates import format_date as babel_format_date
from flask import current_app
from flask_babel import (
    force_locale,
    get_locale,
    gettext,
)

from .. import audit
from ..clock import SEOUL, today_in_seoul
from ..cohorts.names import cohort_name, names_query
from ..extensions import db
from ..links import external_url
from ..models import (
    ClassDay,
    CoachingSession,
    Cohort,
    CohortEvent,
    CohortStaff,
    Enrollment,
    EnrollmentStatus,
    Role,
    SessionKind,
    SessionStatus,
    User,
)
from ..models.types import utcnow
from .services import kind_label


@dataclass
class AgendaItem:
    starts_at: datetime
    ends_at: datetime
    kind: str  # "class", "event", "session"
    title: str
    location: str = ""
    session: sa.Row | None = None  # a session: its id, kind, status… (see _agenda_sessions)
    # Seoul's times, day and hours, worked out once (a schedule shows hundreds of items).
    # Seoul times share one tzinfo, so sorting and filtering by them compares plain fields
    # (sessions and events come in UTC: comparing those with Seoul times converts each
    # time). Numeric hours need no locale: neither Babel nor strftime, a table.
    local_start: datetime = field(init=False, compare=False, repr=False)
    local_end: datetime = field(init=False, compare=False, repr=False)
    day: date = field(init=False, compare=False, repr=False)
    start_time: str = field(init=False, compare=False, repr=False)
    end_time: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        start = self.local_start = self.starts_at.astimezone(SEOUL)
        end = self.local_end = self.ends_at.astimezone(SEOUL)
        self.day = start.date()
        self.start_time = HOURS[start.hour * 60 + start.minute]
        self.end_time = HOURS[end.hour * 60 + end.minute]


# "HH:MM" of each minute of a day, by minute: strftime costs ten times the lookup.
HOURS = [f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in range(60)]


@cache
def _weekday_names_in(locale: str) -> tuple[str, ...]:
    # 2024-01-01 was a Monday: the names by date.weekday().
    return tuple(
        babel_format_date(date(2024, 1, 1 + weekday), "EEE", locale=locale) for weekday in range(7)
    )


def weekday_names() -> tuple[str, ...]:
    """The abbreviated weekday names in the request's language, Monday first, as
    format_date(day, "EEE") gives them: Babel once per language and process, not per day."""
    return _weekday_names_in(str(get_locale()))


def weekday_runs(days: list[date], names: tuple[str, ...] | None = None) -> str:
    """Consecutive days as ranges of abbreviated weekday names: "월–금", "Mon–Tue, Thu".

    `names`: weekday_names(), when the caller has them already."""
    names = weekday_names() if names is None else names
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(
        names[run[0].weekday()] + ("" if len(run) == 1 else "–" + names[run[-1].weekday()])
        for run in runs
    )


# An agenda's statements are built once, their values bound on each call: building one
# and working out its cache key costs more than running it over a month's rows.


def _cohort_ids(trainee_view: bool) -> sa.Select:
    """The cohorts on an agenda: a trainee's while enrolled, a staff member's assigned."""
    if trainee_view:
        return db.select(Enrollment.cohort_id).where(
            Enrollment.user_id == sa.bindparam("user_id"),
            Enrollment.status == EnrollmentStatus.ENROLLED,
        )
    return db.select(CohortStaff.cohort_id).where(CohortStaff.user_id == sa.bindparam("user_id"))


@cache
def _sessions_statement(trainee_view: bool, summary: bool) -> sa.Select:
    # The one join to users: no alias (an alias of User rebuilds its columns every time).
    # _timed_sessions unpacks the columns in this order.
    return (
        db.select(
            CoachingSession.id,
            CoachingSession.kind,
            CoachingSession.status,
            CoachingSession.starts_at,
            CoachingSession.ends_at,
            CoachingSession.location,
            CoachingSession.trainee_id,
            User.name.label("other"),
            *([CoachingSession.summary] if summary else []),
        )
        .join(
            User,
            User.id == (CoachingSession.staff_id if trainee_view else CoachingSession.trainee_id),
        )
        .where(
            (CoachingSession.trainee_id if trainee_view else CoachingSession.staff_id)
            == sa.bindparam("user_id"),
            CoachingSession.ends_at > sa.bindparam("begin"),
            CoachingSession.starts_at < sa.bindparam("finish"),
            CoachingSession.status != SessionStatus.CANCELLED,
        )
        .order_by(CoachingSession.starts_at, CoachingSession.id)
    )


@cache
def _class_cohorts_statement(trainee_view: bool) -> sa.Select:
    """The cohorts with classes in [first, last], as `names_query()` names them, each with
    its class days in `days`: ISO dates joined by commas. One row a cohort in one round
    trip, not a row a class day and then the cohorts: staff see hundreds of class days a
    month across a handful of cohorts. The days are grouped first, so only the cohorts
    found are joined to their names."""
    days = (
        sa.select(
            ClassDay.cohort_id,
            sa.func.aggregate_strings(sa.cast(ClassDay.day, sa.String), ",").label("days"),
        )
        .where(
            ClassDay.cohort_id.in_(_cohort_ids(trainee_view)),
            ClassDay.cancelled.is_(False),
            ClassDay.day >= sa.bindparam("first"),
            ClassDay.day <= sa.bindparam("last"),
        )
        .group_by(ClassDay.cohort_id)
        .subquery("class_days_in_span")
    )
    return names_query().add_columns(days.c.days).join(days, days.c.cohort_id == Cohort.id)


@cache
def _events_statement(trainee_view: bool) -> sa.Select:
    # _timed_events unpacks the columns in this order.
    return db.select(
        CohortEvent.starts_at, CohortEvent.ends_at, CohortEvent.title, CohortEvent.place
    ).where(
        CohortEvent.cohort_id.in_(_cohort_ids(trainee_view)),
        CohortEvent.starts_at < sa.bindparam("finish"),
        CohortEvent.ends_at > sa.bindparam("begin"),
    )


def _read(stmt: sa.Select, params: dict) -> list[sa.Row]:
    # Plain rows through the session's connection: the ORM's row loading costs a Python
    # call per column and row (hundreds of rows a page). Unlike Session.execute it does
    # not autoflush: agendas are read before their request changes anything.
    return db.session.connection().execute(stmt, params).all()


def _agenda_sessions(
    user: User, begin: datetime, finish: datetime, *, summary: bool
) -> list[sa.Row]:
    """The user's sessions meeting [begin, finish), as rows of what an agenda shows (id,
    kind, status, times, location, trainee_id, `other`: the other person's name; `summary`
    on request): a month of a busy coordinator's sessions, without building the models."""
    stmt = _sessions_statement(user.role == Role.TRAINEE, summary)
    return _read(stmt, {"user_id": user.id, "begin": begin, "finish": finish})


# Sort key without a Python call per item; Seoul times, so without time-zone arithmetic.
_STARTS_AT = attrgetter("local_start")


@dataclass
class CohortHours:
    """A cohort's daily class hours and the labels its class items show."""

    starts: time
    ends: time
    label: str
    title: str
    start_time: str  # "09:00"
    end_time: str


@dataclass
class AgendaRows:
    """What an agenda is made of, as read: session rows (see _agenda_sessions), (day,
    cohort_id) class days with their cohorts' hours, and cohort event rows (starts_at,
    ends_at, title, place)."""

    sessions: list[sa.Row]
    class_days: list[tuple[date, int]]
    cohorts: dict[int, CohortHours]
    events: list[sa.Row]


def agenda_rows(user: User, start: date, end: date, *, summary: bool = False) -> AgendaRows:
    begin = datetime.combine(start, time(), SEOUL)
    finish = datetime.combine(end + timedelta(days=1), time(), SEOUL)
    sessions = _agenda_sessions(user, begin, finish, summary=summary)
    trainee_view = user.role == Role.TRAINEE
    days: list[tuple[date, int]] = []
    cohorts: dict[int, CohortHours] = {}
    locale = str(get_locale())
    class_cohorts = _class_cohorts_statement(trainee_view)
    for row in _read(class_cohorts, {"user_id": user.id, "first": start, "last": end}):
        cohort = cohort_name(row)
        label = cohort.label(locale)
        starts, ends = cohort.class_starts_at, cohort.class_ends_at
        cohorts[cohort.id] = CohortHours(
            starts,
            ends,
            label,
            gettext("Class: %(cohort)s", cohort=label),
            HOURS[starts.hour * 60 + starts.minute],
            HOURS[ends.hour * 60 + ends.minute],
        )
        days += [(date.fromisoformat(day), cohort.id) for day in row.days.split(",")]
    events = _read(
        _events_statement(trainee_view), {"user_id": user.id, "begin": begin, "finish": finish}
    )
    return AgendaRows(sessions, days, cohorts, events)


def _class_item(day: date, hours: CohortHours) -> AgendaItem:
    return AgendaItem(
        datetime.combine(day, hours.starts, SEOUL),
        datetime.combine(day, hours.ends, SEOUL),
        "class",
        hours.title,
    )


def agenda(user: User, start: date, end: date, *, summary: bool = False) -> list[AgendaItem]:
    """Class days, cohort events and sessions between the dates, in time order.

    `summary`: load the sessions' summaries too (the calendar feed shows them).
    """
    rows = agenda_rows(user, start, end, summary=summary)
    kinds = {kind: kind_label(kind) for kind in SessionKind}
    sessions = [
        AgendaItem(s.starts_at, s.ends_at, "session", f"{kinds[s.kind]} · {s.other}", s.location, s)
        for s in rows.sessions
    ]
    classes = [_class_item(day, rows.cohorts[cohort_id]) for day, cohort_id in rows.class_days]
    events = [
        AgendaItem(event.starts_at, event.ends_at, "event", event.title, event.place)
        for event in rows.events
    ]
    return sorted([*sessions, *classes, *events], key=_STARTS_AT)


def agendas(
    user: User, *spans: tuple[date, date], slack: timedelta = timedelta(days=7)
) -> list[list[AgendaItem]]:
    """The agenda of each span of dates, read once over all of them when they lie close
    together (My schedule's month and its next two weeks, the usual case), else apiece."""
    start = min(first for first, _ in spans)
    end = max(last for _, last in spans)
    if end - start > sum((last - first for first, last in spans), slack):
        return [agenda(user, first, last) for first, last in spans]
    items = agenda(user, start, end)
    return [_within(items, first, last) for first, last in spans]


def seoul_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The days first to last as [begin, finish) in Seoul."""
    return (
        datetime.combine(first, time(), SEOUL),
        datetime.combine(last + timedelta(days=1), time(), SEOUL),
    )


def _within(items: list[AgendaItem], first: date, last: date) -> list[AgendaItem]:
    begin, finish = seoul_bounds(first, last)
    return [i for i in items if i.local_end > begin and i.local_start < finish]


def trainees_named(items: list[AgendaItem]) -> int:
    """How many trainees a schedule names (the sessions' other party, for staff)."""
    return len({item.session.trainee_id for item in items if item.session is not None})


def _feed_token(nonce: str) -> str:
    import hashlib
    import hmac

    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"calendar-feed:" + nonce.encode(), hashlib.sha256).hexdigest()


def _hash(token: str) -> str:
    import hashlib

    return hashlib.sha256(token.encode()).hexdigest()


def new_feed_link(user: User) -> str:
    """Create (or replace, revoking the old one) the user's private calendar link."""
    import secrets

    user.feed_nonce = secrets.token_hex(16)
    user.feed_token_hash = _hash(_feed_token(user.feed_nonce))
    audit.record(user, "user.feed_link_created", user, label=user.email, campus_id=user.campus_id)
    return feed_link(user)


def feed_link(user: User) -> str | None:
    if not user.feed_nonce:
        return None
    return external_url("sessions.feed", token=_feed_token(user.feed_nonce))


def revoke_feed(user: User) -> None:
    user.feed_nonce = None
    user.feed_token_hash = None
    audit.record(user, "user.feed_link_revoked", user, label=user.email, campus_id=user.campus_id)


def user_for_feed(token: str) -> User | None:
    if not token or len(token) > 128:
        return None
    user = db.session.scalar(db.select(User).where(User.feed_token_hash == _hash(token)))
    return user if user is not None and user.active else None


def ical(user: User) -> bytes:
    """The user's agenda from 30 days ago to 180 days ahead as iCalendar (RFC 5545)."""
    import hashlib

    from icalendar import Calendar, Event

    today = today_in_seoul()
    calendar = Calendar()
    calendar.add("prodid", "-//SeSAC MS//sesac_ms//KO")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"SeSAC · {user.name}")
    calendar.add("x-wr-timezone", "Asia/Seoul")
    with force_locale(user.locale):
        for item in agenda(
            user, today - timedelta(days=30), today + timedelta(days=180), summary=True
        ):
            event = Event()
            # Stable across processes (hash() of a str is salted per process): calendar
            # apps match events by UID, so a changing one duplicates the event.
            digest = hashlib.sha256(item.title.encode()).hexdigest()[:16]
            uid = (
                f"session-{item.session.id}"
                if item.session is not None
                else f"{item.kind}-{item.starts_at.timestamp():.0f}-{digest}"
            )
            event.add("uid", f"{uid}@sesac-ms")
            event.add("summary", item.title)
            event.add("dtstart", item.starts_at.astimezone(SEOUL))
            event.add("dtend", item.ends_at.astimezone(SEOUL))
            event.add("dtstamp", utcnow())
            if item.location:
                event.add("location", item.location)
            if item.session is not None and item.session.summary:
                event.add("description", item.session.summary)
            calendar.add_component(event)
    calendar.add_missing_timezones()  # RFC 5545: a VTIMEZONE for every TZID used
    return calendar.to_ical()
