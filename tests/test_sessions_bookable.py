"""Times that can be booked: publishing over class hours, and the trainee's list.

A staff member's times are seen by the trainees of the cohorts they are assigned to. A
time over the class hours of every such cohort is refused (nobody could book it); over
some cohorts' hours it is published only once the staff member ticks "Publish during their
class hours" (trainees of the other cohorts can book it). A trainee is listed only the
times they can book: not in their class hours, not over their own or the staff member's
sessions, not past. The refusals a trainee reads speak to them in the second person.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from flask_babel import force_locale

from sesac_ms.cohorts import roster
from sesac_ms.errors import NotAllowed
from sesac_ms.extensions import db
from sesac_ms.models import (
    AuditEntry,
    AvailabilitySlot,
    Cohort,
    CohortStaff,
    Role,
    SessionKind,
    StaffRole,
    User,
)
from sesac_ms.sessions import services
from tests import test_sessions as base
from tests.test_sessions import (
    SEOUL,
    at,
    en,
    field_errors,
    first_class_day,
    flashes,
    local,
    publish,
    scheduled,
    slots_of,
    text,
    today,
)

# The fixtures of the sessions tests (pytest finds fixtures by module attribute).
client_of = base.client_of
cohort = base.cohort
coordinator = base.coordinator
enrol = base.enrol
make_running_cohort = base.make_running_cohort
staff_of = base.staff_of
trainee = base.trainee

PUBLISH_ANYWAY = "Publish during their class hours"


def with_class_days(cohort: Cohort, manager: User) -> Cohort:
    roster.generate_class_days(manager, cohort)
    db.session.commit()
    return cohort


def refused_message(day: date, classes: str) -> str:
    return en(
        "No trainee of yours could book this time: on %(day)s every cohort you "
        "serve has class then. Class hours: %(classes)s. Choose a time outside them.",
        day=day.isoformat(),
        classes=classes,
    )


def warning_message(day: date, classes: str) -> str:
    return en(
        "On %(day)s trainees of these cohorts have class at that time and cannot book "
        "it: %(classes)s. Your other cohorts can. To publish it anyway, tick “Publish "
        "during their class hours”.",
        day=day.isoformat(),
        classes=classes,
    )


def test_a_time_every_cohort_has_class_in_is_refused_naming_the_cohort(
    client_of, make_user, coordinator, trainee, cohort
):
    cohort.class_starts_at = time(9, 30)
    with_class_days(cohort, make_user(Role.MANAGER))
    day = first_class_day(cohort)
    client = client_of(coordinator)

    def post(starts_at: datetime, weeks: int = 1, **extra):
        data = {"kind": "career", "starts_at": local(starts_at), "weeks": weeks, "location": "R"}
        return client.post("/sessions/slots", data={**data, **extra})

    page = text(client.get("/sessions/slots"))
    assert f"{cohort.label('en')} · 09:30–18:00" in page  # the hours, beside the time field

    at_two = datetime.combine(day, time(14), SEOUL)
    refused = post(at_two)
    ticked = post(at_two, during_class="y")  # ticking does not help: nobody could book it
    evening_series = post(datetime.combine(day, time(17, 45), SEOUL), weeks=2)

    expected = [refused_message(day, f"{cohort.label('en')} 09:30–18:00")]
    assert refused.status_code == ticked.status_code == 200
    assert field_errors(refused, "starts_at") == field_errors(ticked, "starts_at") == expected
    assert PUBLISH_ANYWAY not in text(refused)  # no box to override a refusal
    assert field_errors(evening_series, "starts_at") == expected  # 17:45–18:15 runs into class
    assert slots_of(coordinator) == []

    # Before class, after class, and a day without class are fine.
    assert post(datetime.combine(day, time(9), SEOUL)).status_code == 302  # ends 09:30
    assert post(datetime.combine(day, time(18), SEOUL)).status_code == 302
    saturday = day + timedelta(days=(5 - day.weekday()) % 7)
    assert post(datetime.combine(saturday, time(14), SEOUL)).status_code == 302
    assert len(slots_of(coordinator)) == 3


def test_a_time_over_some_cohorts_class_is_published_only_when_ticked(
    client_of, make_user, make_running_cohort, staff_of, enrol, coordinator, trainee, cohort
):
    manager = make_user(Role.MANAGER)
    with_class_days(cohort, manager)
    evening = make_running_cohort()
    evening.class_starts_at, evening.class_ends_at = time(19), time(22)
    with_class_days(evening, manager)
    db.session.add(
        CohortStaff(cohort_id=evening.id, user_id=coordinator.id, role=StaffRole.COORDINATOR)
    )
    db.session.commit()
    night_owl = enrol(evening, "Trainee Evening")
    day = first_class_day(cohort)
    starts_at = datetime.combine(day, time(14), SEOUL)
    client = client_of(coordinator)
    data = {"kind": "career", "starts_at": local(starts_at), "weeks": 1, "location": "R"}

    warned = client.post("/sessions/slots", data=data)

    assert warned.status_code == 200
    assert field_errors(warned, "starts_at") == [
        warning_message(day, f"{cohort.label('en')} 09:00–18:00")
    ]
    assert PUBLISH_ANYWAY in text(warned)
    assert slots_of(coordinator) == []
    # With another field wrong too, both show at once, and the box is still offered.
    both = client.post("/sessions/slots", data={**data, "location": " "})
    assert field_errors(both, "starts_at") == field_errors(warned, "starts_at")
    assert field_errors(both, "location") and PUBLISH_ANYWAY in text(both)
    assert slots_of(coordinator) == []

    published = client.post("/sessions/slots", data={**data, "during_class": "y"})

    assert published.status_code == 302
    (slot,) = slots_of(coordinator)
    assert slot.starts_at == starts_at
    entry = db.session.scalar(
        db.select(AuditEntry).where(AuditEntry.action == "sessions.slots_published")
    )
    assert entry.changes.get("during_class") is True
    # The day cohort's trainee is not offered it; the evening cohort's trainee books it.
    assert f"/sessions/book/{slot.id}" not in text(client_of(trainee).get("/sessions/book"))
    evening_client = client_of(night_owl)
    assert f"/sessions/book/{slot.id}" in text(evening_client.get("/sessions/book"))
    assert evening_client.post(f"/sessions/book/{slot.id}").status_code == 302


def test_the_list_leaves_out_times_the_staff_member_is_busy_in(
    client_of, enrol, coordinator, trainee, cohort
):
    busy = publish(coordinator, at(3, 19))
    free = publish(coordinator, at(3, 20))
    # Staff scheduled another trainee directly over their own published time.
    scheduled(coordinator, enrol(cohort, "Trainee Other"), cohort, busy.starts_at, kind="career")
    client = client_of(trainee)

    listed = text(client.get("/sessions/book"))

    assert f"/sessions/book/{busy.id}" not in listed
    assert f"/sessions/book/{free.id}" in listed
    refused = client.post(f"/sessions/book/{busy.id}", follow_redirects=True)
    assert [m for m in flashes(refused) if "Coach Kim" in m]  # the staff member, by name


def test_a_trainee_not_in_training_is_told_so_in_the_second_person(make_user, coordinator, cohort):
    slot = publish(coordinator, at(3, 19))
    outsider = make_user(Role.TRAINEE, locale="en")
    with force_locale("en"), pytest.raises(NotAllowed) as refused:
        services.book_slot(outsider, slot)
    assert refused.value.message == en("You can book sessions only while you are in training.")


def test_the_trainees_list_runs_as_many_queries_for_12_times_as_for_2(
    client_of, make_user, staff_of, count_queries, trainee, cohort
):
    with_class_days(cohort, make_user(Role.MANAGER))
    days = [d for d in roster.planned_days(cohort) if d > today() + timedelta(days=1)]
    client = client_of(trainee)

    def add(n: int, offset: int) -> list[AvailabilitySlot]:
        """n bookable evening times and n unlisted in-class ones, each of its own mentor."""
        shown = []
        for i in range(offset, offset + n):
            mentor = staff_of(cohort, Role.MENTOR, f"Mentor {i}")
            shown.append(publish(mentor, datetime.combine(days[i], time(19), SEOUL)))
            start = datetime.combine(days[i], time(11), SEOUL)
            db.session.add(
                AvailabilitySlot(
                    staff_id=mentor.id,
                    kind=SessionKind.CAREER,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=30),
                    location=f"IN-CLASS-{i}",
                )
            )
        db.session.commit()
        return shown

    def measure(shown: list[int]) -> int:
        db.session.expunge_all()
        with count_queries() as statements:
            response = client.get("/sessions/book")
        page = text(response)
        assert all(f"/sessions/book/{slot_id}" in page for slot_id in shown)
        assert "IN-CLASS" not in page
        return statements()

    shown = [slot.id for slot in add(2, 0)]
    client.get("/sessions/book")  # warm up
    with_two = measure(shown)
    shown += [slot.id for slot in add(10, 2)]
    with_twelve = measure(shown)

    assert with_twelve == with_two, f"{with_two} queries for 2 times, {with_twelve} for 12"
