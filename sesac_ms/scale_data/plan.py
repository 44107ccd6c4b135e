"""The shape of the history: how many cohorts each campus ran, of which courses, when.

Scale 1 is Seoul's real size over five years (issue 12 measured twice this): about 600
cohorts of 25–35 places across the 25 campuses, ~6 applications a place, ~10 1:1
sessions a trainee. The demo campus (구로) runs more, busier cohorts, so the demo
manager, coordinator and mentor see a full campus; the AI campuses run fewer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from .context import CampusPlan, CohortPlan, Context, CoursePlan

COHORTS_AT_SCALE_1 = 600
YEARS = 5
DEMO_WEIGHT, AI_WEIGHT = 2.5, 0.7
DEMO_MINIMUM = 3  # cohorts of the demo campus
CAPACITIES = (26, 28, 30, 30, 32, 33, 35)
APPLICATIONS_PER_PLACE = (4.3, 6.7)  # uniform; the demo campus gets a quarter more
DEPOSIT = 100_000  # won, refundable (some courses ask it)

# (title, English title, track, area): one campus runs a few of these.
COURSES = [
    ("AI 활용 웹 풀스택 개발자 과정", "AI-Powered Full-Stack Web Developer", "ai_core_sw", "web"),
    ("클라우드 엔지니어 양성과정", "Cloud Engineer Course", "ai_core_sw", "cloud"),
    ("빅데이터 분석가 과정", "Big Data Analyst Course", "ai_core_sw", "data"),
    ("AI 서비스 개발자 과정", "AI Service Developer Course", "ai_core_sw", "ai"),
    ("모바일 앱 개발자 과정", "Mobile App Developer Course", "ai_core_sw", "app"),
    ("정보보안 전문가 과정", "Information Security Specialist Course", "ai_core_sw", "security"),
    ("디지털 마케팅 실무과정", "Digital Marketing Practice", "ai_convergence_dx", "marketing"),
    ("UX/UI 서비스 기획 과정", "UX/UI Service Planning Course", "ai_convergence_dx", "planning"),
    ("AI 콘텐츠 크리에이터 과정", "AI Content Creator Course", "ai_convergence_dx", "content"),
    (
        "데이터 기반 서비스 기획자 과정",
        "Data-Driven Service Planner Course",
        "ai_convergence_dx",
        "planning",
    ),
    ("생성형 AI 프롬프트 엔지니어 과정", "Generative AI Prompt Engineer", "ai_core_sw", "ai"),
    ("MLOps 엔지니어 과정", "MLOps Engineer Course", "ai_core_sw", "ai"),
    ("자바 백엔드 개발자 과정", "Java Back-End Developer Course", "ai_core_sw", "web"),
    ("프론트엔드 개발자 과정 (React)", "Front-End Developer Course (React)", "ai_core_sw", "web"),
    ("AI 활용 업무자동화(RPA) 과정", "AI Work Automation (RPA)", "ai_convergence_dx", "planning"),
    ("게임 개발자 과정 (Unity)", "Game Developer Course (Unity)", "ai_core_sw", "game"),
    ("IoT 임베디드 SW 과정", "IoT Embedded Software Course", "ai_core_sw", "app"),
    ("핀테크 서비스 개발 과정", "Fintech Service Development", "ai_core_sw", "web"),
    ("이커머스 데이터 마케팅 과정", "E-Commerce Data Marketing", "ai_convergence_dx", "marketing"),
    ("AI 헬스케어 데이터 과정", "AI Healthcare Data Course", "ai_convergence_dx", "data"),
    ("DevOps 엔지니어 과정", "DevOps Engineer Course", "ai_core_sw", "cloud"),
    ("AI 영상 콘텐츠 제작 과정", "AI Video Content Production", "ai_convergence_dx", "content"),
    ("공공데이터 분석 실무과정", "Public Data Analysis Practice", "ai_convergence_dx", "data"),
    ("사이버보안 관제 실무과정", "Security Operations Practice", "ai_core_sw", "security"),
]  # fmt: skip
# area -> (job titles, exams the trainees sit)
AREAS = {
    "web": (["백엔드 개발자", "프론트엔드 개발자", "웹 개발자"], ["정보처리기사", "SQLD"]),
    "app": (["안드로이드 개발자", "iOS 개발자", "임베디드 SW 개발자"], ["정보처리기사"]),
    "cloud": (
        ["클라우드 엔지니어", "DevOps 엔지니어", "인프라 엔지니어"],
        ["AWS Certified Cloud Practitioner", "AZ-900"],
    ),
    "data": (
        ["데이터 분석가", "데이터 엔지니어", "BI 분석가"],
        ["ADsP", "SQLD", "빅데이터분석기사"],
    ),
    "ai": (["AI 엔지니어", "머신러닝 엔지니어", "AI 서비스 개발자"], ["AI-900", "정보처리기사"]),
    "security": (["보안 관제 요원", "정보보안 엔지니어"], ["정보보안기사", "리눅스마스터 2급"]),
    "planning": (["서비스 기획자", "PM", "PO"], ["ADsP", "컴퓨터활용능력 1급"]),
    "marketing": (
        ["퍼포먼스 마케터", "콘텐츠 마케터", "CRM 마케터"],
        ["GAIQ", "컴퓨터활용능력 1급"],
    ),
    "content": (["영상 편집자", "콘텐츠 PD", "AI 콘텐츠 크리에이터"], ["GTQ 1급"]),
    "game": (["게임 클라이언트 개발자", "게임 서버 개발자"], ["정보처리기사"]),
}
# exam -> (highest score, pass mark)
EXAMS = {
    "AI-900": (1000, 700),
    "AZ-900": (1000, 700),
    "AWS Certified Cloud Practitioner": (1000, 700),
    "정보처리기사": (100, 60),
    "SQLD": (100, 60),
    "ADsP": (100, 60),
    "빅데이터분석기사": (100, 60),
    "정보보안기사": (100, 60),
    "리눅스마스터 2급": (100, 60),
    "컴퓨터활용능력 1급": (100, 70),
    "GAIQ": (100, 80),
    "GTQ 1급": (100, 70),
}


def allocate(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights`, by largest remainder."""
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: shares[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def status_on(today: date, recruit_start: date, recruit_end: date, start: date, end: date) -> str:
    if today < recruit_start:
        return "planned"
    if today <= recruit_end:
        return "recruiting"
    if today < start:
        return "selecting"
    if today <= end:
        return "in_progress"
    return "finished"


@dataclass
class StaffCounts:
    managers: int
    coordinators: int
    mentors: int


def staff_counts(cohorts: int) -> StaffCounts:
    """A campus's staff grows with how many cohorts it runs."""
    return StaffCounts(1 + cohorts // 40, 2 + cohorts // 10, 3 + cohorts // 5)


def plan_campuses(campuses: list[CampusPlan], scale: float) -> None:
    """How many cohorts each campus ran; the demo campus always runs one that ended, one
    running and one recruiting, whatever the scale."""
    total = max(4, round(COHORTS_AT_SCALE_1 * scale))
    counts = allocate(total, [c.weight for c in campuses])
    for campus, count in zip(campuses, counts, strict=True):
        campus.cohorts = count
    demo = next((c for c in campuses if c.is_demo), None)
    while demo is not None and demo.cohorts < DEMO_MINIMUM:
        donor = max((c for c in campuses if c is not demo), key=lambda c: c.cohorts)
        donor.cohorts -= 1
        demo.cohorts += 1


def plan_courses(ctx: Context, campus: CampusPlan, taken: set[str]) -> list[CoursePlan]:
    """A few courses of the catalogue (2 to 11 by how busy the campus is), new titles only."""
    rng = ctx.rng
    wanted = max(2 if campus.is_demo else 1, min(11, round(campus.cohorts / 5)))
    catalogue = [c for c in COURSES if c[0] not in taken]
    rng.shuffle(catalogue)
    courses = []
    for title, title_en, track, area in catalogue[:wanted]:
        months = rng.choices((3, 4, 5, 6), (2, 10, 33, 55))[0]
        courses.append(
            CoursePlan(ctx.writer.next_id("courses"), campus, title, title_en, track, area, months)
        )
    return courses


def _snap(day: date, weekday: int) -> date:
    """The nearest earlier-or-same `weekday` (Monday 0)."""
    return day - timedelta(days=(day.weekday() - weekday) % 7)


def plan_cohorts(ctx: Context, campus: CampusPlan, courses: list[CoursePlan]) -> list[CohortPlan]:
    """The campus's cohorts spread over five years up to two months ahead.

    Each course runs its cohorts at even intervals with some jitter; on the demo campus the
    first course has a cohort running now and the second one recruiting now.
    """
    rng, today = ctx.rng, ctx.today
    first = today - timedelta(days=YEARS * 365 - 60)
    last = today + timedelta(days=60)
    per_course = allocate(campus.cohorts, [1.0] * len(courses))
    cohorts: list[CohortPlan] = []
    for index, (course, count) in enumerate(zip(courses, per_course, strict=True)):
        if not count:
            continue
        spacing = (last - first).days / count
        if campus.is_demo and index == 0:
            anchor = today - timedelta(days=40)
        elif campus.is_demo and index == 1:
            anchor = today + timedelta(days=30)
        else:
            anchor = last - timedelta(days=rng.random() * spacing)
        starts = []
        for j in range(count):
            offset = (count - 1 - j) * spacing
            jitter = 0 if j == count - 1 and campus.is_demo and index < 2 else spacing * 0.15
            start = anchor - timedelta(days=offset + rng.uniform(-jitter, jitter))
            starts.append(_snap(start, 0) if start.weekday() else start)
        recruiting = campus.is_demo and index == 1  # its last cohort recruits now
        for number, start in enumerate(sorted(starts), start=1):
            cohorts.append(_cohort(ctx, course, number, start, recruiting and number == count))
    return cohorts


def _cohort(
    ctx: Context, course: CoursePlan, number: int, start: date, recruiting: bool = False
) -> CohortPlan:
    rng, today = ctx.rng, ctx.today
    end = start + timedelta(days=round(course.months * 30.4))
    end = _snap(end, 4)  # a Friday
    recruit_end = start - timedelta(days=rng.randint(7, 21))
    recruit_start = recruit_end - timedelta(days=rng.randint(21, 35))
    if recruiting:  # open today, closing before the start
        recruit_end = min(start - timedelta(days=3), today + timedelta(days=rng.randint(5, 12)))
        recruit_start = today - timedelta(days=rng.randint(5, 20))
    status = status_on(today, recruit_start, recruit_end, start, end)
    campus = course.campus
    capacity = rng.choice(CAPACITIES[3:] if campus.is_demo else CAPACITIES)
    ratio = rng.uniform(*APPLICATIONS_PER_PLACE) * (1.25 if campus.is_demo else 1.0)
    applications = round(capacity * ratio)
    if status in ("finished", "in_progress"):
        filled = max(1, round(capacity * rng.uniform(0.94, 1.0)))
    elif status == "selecting":
        filled = round(capacity * rng.uniform(0.3, 1.0))
    else:
        filled = 0
    if status == "recruiting":
        window = (recruit_end - recruit_start).days or 1
        applications = max(3, round(applications * (today - recruit_start).days / window))
    elif status == "planned":
        applications = 0
    applications = max(applications, filled + (3 if applications else 0))
    deposit = DEPOSIT if course.id % 5 == 0 else 0
    return CohortPlan(
        id=ctx.writer.next_id("cohorts"),
        course=course,
        number=number,
        recruit_start_on=recruit_start,
        recruit_end_on=recruit_end,
        start_on=start,
        end_on=end,
        capacity=capacity,
        filled=filled,
        applications=applications,
        status=status,
        uses_assessment=rng.random() < 0.2,
        deposit_amount=deposit,
    )


def assign_staff(rng: random.Random, campus: CampusPlan, cohort: CohortPlan) -> None:
    """1–2 coordinators and 1–3 mentors; the demo staff take a large share of the demo campus."""

    def pick(pool: list, count: int) -> list:
        chosen: list = []
        candidates = list(pool)
        while candidates and len(chosen) < count:
            person = rng.choices(candidates, [p.weight for p in candidates])[0]
            candidates.remove(person)
            chosen.append(person)
        return chosen

    cohort.coordinators = pick(campus.coordinators, rng.choice((1, 1, 2)))
    cohort.mentors = pick(campus.mentors, rng.choice((1, 2, 2, 3)))
    if campus.is_demo:
        anchor = cohort.status in ("in_progress", "recruiting", "selecting")
        for pool, chosen, share in (
            (campus.coordinators, cohort.coordinators, 0.5),
            (campus.mentors, cohort.mentors, 0.45),
        ):
            demo = pool[0]  # the demo account comes first in its pool
            if demo not in chosen and (anchor or rng.random() < share):
                chosen.insert(0, demo)
