"""Demo data: Seoul's 25 campuses, the article's courses, a few cohorts, one account per role.

Loading twice changes nothing: every record is looked up by its natural key first.
"""

from __future__ import annotations

from datetime import date, timedelta

from .auth.services import create_user, find_user_by_email
from .extensions import db
from .models import Campus, Cohort, CohortStaff, CohortStatus, Course, Role, StaffRole, Track

DEMO_PASSWORD = "sesac-demo-2025"

# (Korean name, English name, district, opened on) in opening order (public).
CAMPUSES = [
    ("영등포", "Yeongdeungpo", "영등포구", None),
    ("금천", "Geumcheon", "금천구", None),
    ("마포", "Mapo", "마포구", None),
    ("용산", "Yongsan", "용산구", None),
    ("강서", "Gangseo", "강서구", None),
    ("강동", "Gangdong", "강동구", None),
    ("동작", "Dongjak", "동작구", None),
    ("광진", "Gwangjin", "광진구", None),
    ("서대문", "Seodaemun", "서대문구", None),
    ("중구", "Jung-gu", "중구", None),
    ("종로", "Jongno", "종로구", None),
    ("성동", "Seongdong", "성동구", None),
    ("동대문", "Dongdaemun", "동대문구", None),
    ("성북", "Seongbuk", "성북구", None),
    ("도봉", "Dobong", "도봉구", None),
    ("강북", "Gangbuk", "강북구", None),
    ("관악", "Gwanak", "관악구", None),
    ("노원", "Nowon", "노원구", None),
    ("은평", "Eunpyeong", "은평구", None),
    ("강남", "Gangnam", "강남구", None),
    ("송파", "Songpa", "송파구", None),
    ("서초", "Seocho", "서초구", None),
    ("양천", "Yangcheon", "양천구", None),
    ("구로", "Guro", "구로구", date(2025, 10, 13)),
    ("중랑", "Jungnang", "중랑구", date(2025, 11, 3)),
]
AI_PARTNERS = {"마포": "Microsoft", "중구": "Salesforce", "종로": "Intel"}

# (campus, course title, track) — the courses named in the article.
COURSES = [
    ("마포", "AI 엔지니어 과정", Track.AI_CORE_SW),
    ("중구", "AI 데이터 엔지니어 과정", Track.AI_CORE_SW),
    ("종로", "Smart AI Master 과정", Track.AI_CORE_SW),
    ("구로", "AI 활용 데이터분석 취업캠프", Track.AI_CONVERGENCE_DX),
    ("구로", "AI 활용 프로덕트 매니저 양성과정", Track.AI_CONVERGENCE_DX),
]

DEMO_CAMPUS = "구로"
DEMO_ACCOUNTS = [
    (Role.ADMIN, "admin@sesac.example", "운영본부 관리자"),
    (Role.MANAGER, "manager@sesac.example", "김매니저"),
    (Role.COORDINATOR, "coordinator@sesac.example", "이잡코디"),
    (Role.MENTOR, "mentor@sesac.example", "박멘토"),
    (Role.TRAINEE, "trainee@sesac.example", "최교육생"),
]


def _cohort_plans(
    today: date,
) -> list[tuple[str, str, int, tuple[date, date, date, date], int, CohortStatus]]:
    """(campus, course, number, (recruit start, recruit end, start, end), capacity, status)."""
    first = (date(2025, 3, 24), date(2025, 4, 18), date(2025, 5, 7), date(2025, 8, 29))
    second = (date(2025, 7, 14), date(2025, 8, 15), date(2025, 9, 8), date(2025, 12, 19))
    running = (
        today - timedelta(days=75),
        today - timedelta(days=50),
        today - timedelta(days=40),
        today + timedelta(days=80),
    )
    recruiting = (
        today - timedelta(days=10),
        today + timedelta(days=20),
        today + timedelta(days=35),
        today + timedelta(days=150),
    )
    plans = []
    for campus, title, capacity in (
        ("마포", "AI 엔지니어 과정", 40),
        ("중구", "AI 데이터 엔지니어 과정", 40),
        ("종로", "Smart AI Master 과정", 34),
    ):
        plans.append((campus, title, 1, first, capacity, CohortStatus.FINISHED))
        plans.append((campus, title, 2, second, capacity, CohortStatus.FINISHED))
    plans.append(("구로", "AI 활용 데이터분석 취업캠프", 1, running, 30, CohortStatus.IN_PROGRESS))
    plans.append(
        ("구로", "AI 활용 프로덕트 매니저 양성과정", 1, running, 30, CohortStatus.IN_PROGRESS)
    )
    plans.append(
        ("구로", "AI 활용 데이터분석 취업캠프", 2, recruiting, 30, CohortStatus.RECRUITING)
    )
    return plans


def load_demo_data(today: date | None = None) -> list[tuple[str, str]]:
    """Create what is missing and return the demo log-ins as (role, e-mail)."""
    today = today or date.today()
    campuses = {c.name_ko: c for c in db.session.scalars(db.select(Campus))}
    for order, (name_ko, name_en, district, opened_on) in enumerate(CAMPUSES, start=1):
        if name_ko not in campuses:
            campus = Campus(
                name_ko=name_ko,
                name_en=name_en,
                district=district,
                opening_order=order,
                opened_on=opened_on,
                ai_specialised=name_ko in AI_PARTNERS,
                partner_company=AI_PARTNERS.get(name_ko),
            )
            db.session.add(campus)
            campuses[name_ko] = campus
    db.session.flush()

    courses = {(c.campus.name_ko, c.title): c for c in db.session.scalars(db.select(Course))}
    for campus_name, title, track in COURSES:
        if (campus_name, title) not in courses:
            course = Course(campus_id=campuses[campus_name].id, title=title, track=track)
            db.session.add(course)
            courses[(campus_name, title)] = course
    db.session.flush()

    existing = {(c.course_id, c.number): c for c in db.session.scalars(db.select(Cohort))}
    for campus_name, title, number, dates, capacity, status in _cohort_plans(today):
        course = courses[(campus_name, title)]
        if (course.id, number) not in existing:
            cohort = Cohort(
                course_id=course.id,
                number=number,
                recruit_start_on=dates[0],
                recruit_end_on=dates[1],
                start_on=dates[2],
                end_on=dates[3],
                capacity=capacity,
                status=status,
            )
            db.session.add(cohort)
            existing[(course.id, number)] = cohort
    db.session.flush()

    demo_campus = campuses[DEMO_CAMPUS]
    for role, email, name in DEMO_ACCOUNTS:
        if find_user_by_email(email) is None:
            create_user(
                None,
                email=email,
                name=name,
                role=role,
                campus=None if role == Role.ADMIN else demo_campus,
                password=DEMO_PASSWORD,
                send_link=False,
            )
    db.session.flush()

    running = existing[(courses[(DEMO_CAMPUS, "AI 활용 데이터분석 취업캠프")].id, 1)]
    assigned = set(
        db.session.scalars(
            db.select(CohortStaff.user_id).where(CohortStaff.cohort_id == running.id)
        )
    )
    for role, email in (
        (StaffRole.COORDINATOR, "coordinator@sesac.example"),
        (StaffRole.MENTOR, "mentor@sesac.example"),
    ):
        user = find_user_by_email(email)
        if user.id not in assigned:
            db.session.add(CohortStaff(cohort_id=running.id, user_id=user.id, role=role))
    db.session.flush()
    return demo_accounts()


def demo_accounts() -> list[tuple[str, str]]:
    return [
        (role.value, email)
        for role, email, _ in DEMO_ACCOUNTS
        if find_user_by_email(email) is not None
    ]
