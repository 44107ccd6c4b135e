"""Staff schedules fold a week of class days into one line; sessions stay rows of their own."""

from __future__ import annotations

from datetime import date, datetime, time

from flask import Flask
from flask_babel import force_locale

from sesac_ms.clock import SEOUL
from sesac_ms.sessions.agenda import AgendaItem, fold_class_weeks

COHORT = "(구로1기/AI융합) AI 활용 데이터분석 취업캠프"


def _class(day: date, starts: time = time(9, 30), ends: time = time(18), cohort: str = COHORT):
    return AgendaItem(
        datetime.combine(day, starts, SEOUL),
        datetime.combine(day, ends, SEOUL),
        "class",
        f"Class: {cohort}",
        cohort_label=cohort,
    )


def _session(day: date, at: time) -> AgendaItem:
    start = datetime.combine(day, at, SEOUL)
    return AgendaItem(start, start.replace(hour=at.hour + 1), "session", "Career · 최교육생")


def test_a_week_of_classes_is_one_line_and_sessions_stay(app: Flask) -> None:
    # Mon 2026-11-30 … Fri 12-04, then Mon 12-07, Tue 12-08, Thu 12-10 (Wednesday cancelled).
    week1 = [_class(date(2026, 11, 30)), *(_class(date(2026, 12, d)) for d in range(1, 5))]
    week2 = [_class(date(2026, 12, d)) for d in (7, 8, 10)]
    tuesday_evening = _session(date(2026, 12, 1), time(19))
    items = sorted([*week1, *week2, tuesday_evening], key=lambda item: item.starts_at)
    with app.test_request_context(), force_locale("ko"):
        folded = fold_class_weeks(items)
    assert [item.kind for item in folded] == ["class_week", "session", "class_week"]
    first, session, second = folded
    assert first.days == "월–금"
    assert (first.starts_at, first.ends_at) == (week1[0].starts_at, week1[-1].ends_at)
    assert first.cohort_label == COHORT
    assert session is tuesday_evening
    assert second.days == "월–화, 목"
    with app.test_request_context(), force_locale("en"):
        assert fold_class_weeks(week2)[0].days == "Mon–Tue, Thu"


def test_different_hours_or_cohorts_and_lone_days_are_not_merged(app: Flask) -> None:
    monday, tuesday = date(2026, 11, 30), date(2026, 12, 1)
    items = [
        _class(monday),
        _class(monday, cohort="(구로2기/AI융합) 다른 과정"),
        _class(tuesday, starts=time(13)),
    ]
    with app.test_request_context(), force_locale("ko"):
        folded = fold_class_weeks(items)
    assert folded == items  # nothing shares a week, cohort and hours: every day stays a row
