"""What the generator's parts share: the plan's records, the random source, the writer."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone

from .names import People
from .writer import BulkWriter, TimeOrderedLog

# Seoul keeps UTC+9 all year: a fixed offset is exact and cheaper than zoneinfo per row.
KST = timezone(timedelta(hours=9))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Seoul wall-clock time on `day` as an aware datetime."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=KST)


def office_time(rng: random.Random, day: date) -> datetime:
    """Some time in office hours (09:00–18:59) on `day`, Seoul."""
    return at(day, rng.randint(9, 18), rng.randint(0, 59))


@dataclass
class Staff:
    id: int
    name: str
    email: str
    role: str  # manager | coordinator | mentor
    weight: float = 1.0  # how much of the campus's work falls to them

    @property
    def label(self) -> str:
        return f"{self.name} <{self.email}>"


@dataclass
class CampusPlan:
    id: int
    name_ko: str
    name_en: str
    district: str
    weight: float
    is_demo: bool = False
    cohorts: int = 0
    managers: list[Staff] = field(default_factory=list)
    coordinators: list[Staff] = field(default_factory=list)
    mentors: list[Staff] = field(default_factory=list)
    # (id, name, industry, opening)
    companies: list[tuple[int, str, str, str]] = field(default_factory=list)


@dataclass
class CoursePlan:
    id: int
    campus: CampusPlan
    title: str
    title_en: str
    track: str
    area: str
    months: int


@dataclass
class CohortPlan:
    id: int
    course: CoursePlan
    number: int
    recruit_start_on: date
    recruit_end_on: date
    start_on: date
    end_on: date
    capacity: int
    filled: int  # places held: enrolled (running, ended) or accepted (selecting)
    applications: int
    status: str
    uses_assessment: bool
    deposit_amount: int
    coordinators: list[Staff] = field(default_factory=list)
    mentors: list[Staff] = field(default_factory=list)

    @property
    def campus(self) -> CampusPlan:
        return self.course.campus

    @property
    def label(self) -> str:
        """As Cohort.label() reads in Korean."""
        track = "AI융합" if self.course.track == "ai_convergence_dx" else "AI핵심"
        return f"({self.campus.name_ko}{self.number}기/{track}) {self.course.title}"


@dataclass
class Trainee:
    """One enrolled trainee of the cohort being generated."""

    user_id: int
    enrollment_id: int
    application_id: int
    name: str
    email: str
    status: str
    status_on: date | None  # completion, drop-out or expulsion
    enrolled_at: datetime
    profile: int  # 0 steady, 1 uneven, 2 struggling (attendance and sessions)

    @property
    def label(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def completed(self) -> bool:
        return self.status in ("completed", "early_employed")


@dataclass
class Context:
    rng: random.Random
    writer: BulkWriter
    audit: TimeOrderedLog
    access: TimeOrderedLog
    people: People
    now: datetime
    today: date
    holidays: frozenset[date]
    exams: dict[str, int]  # exam name -> id
    session_minutes: dict[str, int]
    admin: Staff | None = None
    # Hours each staff member is booked (hour index: see sessions.hour_key).
    busy: dict[int, set[int]] = field(default_factory=dict)

    def clamp(self, moment: datetime) -> datetime:
        """Nothing is recorded in the future."""
        if moment < self.now:
            return moment
        return self.now - timedelta(minutes=self.rng.randint(1, 600))

    def day_time(self, day: date) -> datetime:
        return self.clamp(office_time(self.rng, day))


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CLASS_START, CLASS_END = time(9, 0), time(18, 0)
