"""Courses, cohorts and their staff, class calendars, attendance marks and cohort events.

Attendance: one mark per class day (public holidays left out, a few days cancelled) per
trainee until they leave: mostly present, then late, left early, absent, excused (공가),
in proportions set by the trainee's profile; those who dropped out or were expelled
miss many more days. One sheet is saved per class day, so every mark of a day carries
the same recording time.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from . import logs
from .context import CohortPlan, Context, CoursePlan, Staff, Trainee, at, office_time
from .names import ATTENDANCE_NOTES, ROOMS

COURSE_COLUMNS = ("id", "campus_id", "title", "title_en", "track", "description", "created_at")
COHORT_COLUMNS = (
    "id", "course_id", "number", "recruit_start_on", "recruit_end_on", "start_on", "end_on",
    "capacity", "status", "seats_taken", "uses_screening", "uses_assessment", "uses_interview",
    "min_age", "max_age", "require_seoul", "require_unemployed", "offer_days", "class_weekdays",
    "class_starts_at", "class_ends_at", "lates_per_absence", "completion_threshold",
    "deposit_amount", "created_at", "grace_minutes",
)  # fmt: skip
STAFF_COLUMNS = ("id", "cohort_id", "user_id", "role")
DAY_COLUMNS = ("id", "cohort_id", "day", "cancelled", "added_by_hand", "note")
ATTENDANCE_COLUMNS = (
    "id", "enrollment_id", "class_day_id", "status", "note", "recorded_by_id", "recorded_at",
    "minutes_late", "minutes_left_early", "source",
)  # fmt: skip
EVENT_COLUMNS = (
    "id", "cohort_id", "kind", "title", "starts_at", "ends_at", "place", "description",
    "created_at",
)  # fmt: skip

MARKS = ("present", "late", "left_early", "absent", "excused")
# Cumulative weights of MARKS by profile: steady, uneven, struggling, expelled.
PROFILES = [
    (93.5, 96.5, 98.0, 99.0, 100.0),
    (86.0, 92.0, 95.0, 98.0, 100.0),
    (70.0, 78.0, 82.0, 97.0, 100.0),
    (55.0, 63.0, 67.0, 97.0, 100.0),
]


def declare(ctx: Context) -> None:
    for table, columns in (
        ("courses", COURSE_COLUMNS),
        ("cohorts", COHORT_COLUMNS),
        ("cohort_staff", STAFF_COLUMNS),
        ("class_days", DAY_COLUMNS),
        ("attendance", ATTENDANCE_COLUMNS),
        ("cohort_events", EVENT_COLUMNS),
    ):
        ctx.writer.declare(table, columns)


def write_course(ctx: Context, course: CoursePlan, created_on: date) -> None:
    created = ctx.clamp(office_time(ctx.rng, created_on))
    ctx.writer.add(
        "courses",
        (course.id, course.campus.id, course.title, course.title_en, course.track, "", created),
    )


def write_cohort(ctx: Context, cohort: CohortPlan) -> None:
    """The cohort row (seats_taken = its places held), its staff, and their log entries."""
    rng = ctx.rng
    campus = cohort.campus
    created = ctx.clamp(
        office_time(rng, cohort.recruit_start_on - timedelta(days=rng.randint(7, 25)))
    )
    ctx.writer.add(
        "cohorts",
        (
            cohort.id, cohort.course.id, cohort.number, cohort.recruit_start_on,
            cohort.recruit_end_on, cohort.start_on, cohort.end_on, cohort.capacity,
            cohort.status, cohort.filled, True, cohort.uses_assessment, True, 15, 39, True,
            True, 3, "01234", time(9, 0), time(18, 0), 3, 80, cohort.deposit_amount, created,
            10,
        ),
    )  # fmt: skip
    manager = rng.choice(campus.managers)
    values = {
        "number": cohort.number,
        "recruit_start_on": cohort.recruit_start_on,
        "recruit_end_on": cohort.recruit_end_on,
        "start_on": cohort.start_on,
        "end_on": cohort.end_on,
        "capacity": cohort.capacity,
    }
    changes = {k: [None, v] for k, v in values.items()}
    logs.change(
        ctx,
        created,
        manager,
        "cohort.created",
        "Cohort",
        cohort.id,
        cohort.label,
        campus.id,
        changes,
    )
    for staff in (*cohort.coordinators, *cohort.mentors):
        ctx.writer.add(
            "cohort_staff", (ctx.writer.next_id("cohort_staff"), cohort.id, staff.id, staff.role)
        )
        shown = {"staff": [None, f"{staff.label} ({staff.role})"]}
        logs.change(
            ctx,
            created + timedelta(minutes=5),
            manager,
            "cohort.staff_assigned",
            "Cohort",
            cohort.id,
            cohort.label,
            campus.id,
            shown,
        )


def class_days(ctx: Context, cohort: CohortPlan) -> list[tuple[int, date]]:
    """Write the cohort's calendar; return the days not cancelled, as (id, day)."""
    rng, writer = ctx.rng, ctx.writer
    days = []
    day = cohort.start_on
    while day <= cohort.end_on:
        if day.weekday() < 5 and day not in ctx.holidays:
            day_id = writer.next_id("class_days")
            cancelled = day < ctx.today and rng.random() < 0.006
            note = "강사 사정으로 휴강" if cancelled else ""
            writer.add("class_days", (day_id, cohort.id, day, cancelled, False, note))
            if not cancelled:
                days.append((day_id, day))
        day += timedelta(days=1)
    manager = rng.choice(cohort.campus.managers)
    moment = ctx.day_time(cohort.recruit_end_on)
    changes = {"added": len(days), "removed": 0}
    logs.change(
        ctx,
        moment,
        manager,
        "calendar.generated",
        "Cohort",
        cohort.id,
        cohort.label,
        cohort.campus.id,
        changes,
    )
    return days


def _last_day(ctx: Context, trainee: Trainee) -> date:
    """The last day a trainee is marked: up to leaving, or yesterday in a running cohort."""
    if trainee.status == "enrolled":
        return ctx.today - timedelta(days=1)
    assert trainee.status_on is not None
    if trainee.status in ("completed",):
        return trainee.status_on
    return trainee.status_on - timedelta(days=1)


def attendance(
    ctx: Context, cohort: CohortPlan, trainees: list[Trainee], days: list[tuple[int, date]]
) -> None:
    rng, writer = ctx.rng, ctx.writer
    campus = cohort.campus
    recorders = campus.managers
    marked_days = [d for d in days if d[1] < ctx.today]
    # One sheet a day: saved once, by one person, at one time.
    sheets = []
    for _day_id, day in marked_days:
        recorder = rng.choice(recorders)
        saved = at(day, 18, rng.randint(2, 45)) if rng.random() < 0.9 else at(day, 9, 40)
        sheets.append((recorder, ctx.clamp(saved)))
    by_day: list[dict[str, str]] = [{} for _ in marked_days]
    day_ids = [day_id for day_id, _ in marked_days]
    recorder_ids = [recorder.id for recorder, _ in sheets]
    times = [saved for _, saved in sheets]
    for trainee in trainees:
        last = _last_day(ctx, trainee)
        count = sum(1 for _, day in marked_days if day <= last)
        if not count:
            continue
        marks = rng.choices(MARKS, cum_weights=PROFILES[trainee.profile], k=count)
        first = writer.reserve("attendance", count)
        enrollment_id = trainee.enrollment_id
        rows = [
            (
                first + i,
                enrollment_id,
                day_ids[i],
                mark,
                "",
                recorder_ids[i],
                times[i],
                0,
                0,
                "manual",
            )  # fmt: skip
            for i, mark in enumerate(marks)
        ]
        for i, mark in enumerate(marks):
            if mark != "present" and rng.random() < 0.35:
                rows[i] = (*rows[i][:4], rng.choice(ATTENDANCE_NOTES[mark]), *rows[i][5:])
            if len(by_day[i]) < 40:
                by_day[i][trainee.name] = mark
        writer.extend("attendance", rows)
    for index, (_day_id, day) in enumerate(marked_days):
        recorder, saved = sheets[index]
        label = f"{cohort.label} {day.isoformat()}"
        if rng.random() < logs.ATTENDANCE_SHARE and by_day[index]:
            changes = {name: [None, mark] for name, mark in by_day[index].items()}
            logs.change(
                ctx,
                saved,
                recorder,
                "attendance.recorded",
                "Cohort",
                cohort.id,
                label,
                campus.id,
                changes,
            )
        if rng.random() < 0.08:
            logs.viewed(
                ctx,
                saved - timedelta(minutes=rng.randint(1, 30)),
                recorder,
                "cohorts.attendance",
                campus.id,
                subject_type="Cohort",
                subject_id=cohort.id,
                label=cohort.label,
                people_count=len(by_day[index]),
                filters={"day": day.isoformat()},
            )


EVENT_TITLES = {
    "special_lecture": "인사담당자 특강: {company}",
    "company_visit": "{company} 본사 견학",
    "hackathon": "{campus} 캠퍼스 해커톤",
    "matching_day": "{campus} 매칭데이",
    "job_fair": "서울 청년 일자리 박람회",
}


def events(ctx: Context, cohort: CohortPlan, days: list[tuple[int, date]]) -> int | None:
    """Lectures, visits, a hackathon, a matching day; returns the matching day's id."""
    rng, writer = ctx.rng, ctx.writer
    if not days:
        return None
    campus = cohort.campus
    kinds = ["special_lecture"] * max(1, cohort.course.months // 2) + ["company_visit"]
    if rng.random() < 0.5:
        kinds.append("hackathon")
    if rng.random() < 0.3:
        kinds.append("job_fair")
    kinds.append("matching_day")
    matching_day = None
    for kind in kinds:
        if kind == "matching_day":  # two to four weeks before the end
            _, day = days[max(0, len(days) - rng.randint(10, 20))]
        else:
            _, day = rng.choice(days)
        company = rng.choice(campus.companies)[1] if campus.companies else "협력기업"
        title = EVENT_TITLES[kind].format(company=company, campus=campus.name_ko)
        starts = at(day, 14 if kind != "hackathon" else 10)
        ends = starts + timedelta(hours=3 if kind != "hackathon" else 8)
        place = f"{campus.name_ko}캠퍼스 {rng.choice(ROOMS)}"
        created = ctx.clamp(office_time(rng, day - timedelta(days=rng.randint(7, 30))))
        event_id = writer.next_id("cohort_events")
        writer.add(
            "cohort_events", (event_id, cohort.id, kind, title, starts, ends, place, "", created)
        )
        if kind == "matching_day":
            matching_day = event_id
        if rng.random() < logs.EVENT_SHARE:
            changes = {"kind": [None, kind], "title": [None, title], "starts_at": [None, starts]}
            logs.change(
                ctx,
                created,
                rng.choice(campus.managers),
                "calendar.event_created",
                "CohortEvent",
                event_id,
                cohort.label,
                campus.id,
                changes,
            )
    return matching_day


def list_views(ctx: Context, cohort: CohortPlan, trainees: list[Trainee]) -> None:
    """Staff opening the applicant list, the roster and trainees' records."""
    rng = ctx.rng
    campus = cohort.campus
    staff: list[Staff] = [*campus.managers, *cohort.coordinators]
    if cohort.applications:
        first = cohort.recruit_start_on
        span = max(1, (min(cohort.start_on, ctx.today) - first).days)
        for _ in range(max(1, cohort.applications // 12)):
            moment = office_time(rng, first + timedelta(days=rng.randint(0, span)))
            filters = rng.choice((None, None, {"stage": "서류전형"}, {"stage": "면접"}))
            logs.viewed(
                ctx, moment, rng.choice(campus.managers), "applications.pipeline", campus.id,
                subject_type="Cohort", subject_id=cohort.id, label=cohort.label,
                people_count=cohort.applications, filters=filters,
            )  # fmt: skip
    if not trainees:
        return
    last = min(cohort.end_on + timedelta(days=60), ctx.today)
    span = max(1, (last - cohort.start_on).days)
    for _ in range(10 + cohort.course.months * 3):
        moment = office_time(rng, cohort.start_on + timedelta(days=rng.randint(0, span)))
        logs.viewed(
            ctx, moment, rng.choice(staff), "cohorts.roster", campus.id, subject_type="Cohort",
            subject_id=cohort.id, label=cohort.label, people_count=len(trainees),
        )  # fmt: skip
    for trainee in trainees:
        if rng.random() < 0.3:
            moment = office_time(rng, cohort.start_on + timedelta(days=rng.randint(0, span)))
            logs.viewed(
                ctx, moment, rng.choice(staff), "cohorts.trainee", campus.id,
                subject_type="Enrollment", subject_id=trainee.enrollment_id,
                label=trainee.label, person_id=trainee.user_id,
            )  # fmt: skip
    if rng.random() < 0.4:
        moment = office_time(rng, cohort.start_on + timedelta(days=rng.randint(0, span)))
        label = f"{cohort.label} 명단 (교육생 {len(trainees)}명)"
        logs.viewed(
            ctx, moment, rng.choice(campus.managers), "cohorts.roster_export", campus.id,
            subject_type="Cohort", subject_id=cohort.id, label=label, action="download",
            people_count=len(trainees), detail="XLSX", reason="고용노동부 훈련생 현황 보고",
        )  # fmt: skip
