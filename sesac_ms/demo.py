"""Demo data: Seoul's 25 campuses, the article's courses, a few cohorts, one account per role.

Loading twice changes nothing: every record is looked up by its natural key first.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

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

# (campus, course title, English title, track) — the courses named in the article.
COURSES = [
    ("마포", "AI 엔지니어 과정", "AI Engineer Course", Track.AI_CORE_SW),
    ("중구", "AI 데이터 엔지니어 과정", "AI Data Engineer Course", Track.AI_CORE_SW),
    ("종로", "Smart AI Master 과정", "Smart AI Master Course", Track.AI_CORE_SW),
    (
        "구로",
        "AI 활용 데이터분석 취업캠프",
        "AI-Powered Data Analysis Job Camp",
        Track.AI_CONVERGENCE_DX,
    ),
    (
        "구로",
        "AI 활용 프로덕트 매니저 양성과정",
        "AI-Powered Product Manager Course",
        Track.AI_CONVERGENCE_DX,
    ),
    # 구로's first, completed cohort (demo_completed below), so its pages have results.
    ("구로", "AI 서비스 기획 실무과정", "AI Service Planning Course", Track.AI_CONVERGENCE_DX),
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
    plans.append((*COMPLETED_COHORT, COMPLETED_DATES, 30, CohortStatus.FINISHED))
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
    for campus_name, title, title_en, track in COURSES:
        if (campus_name, title) not in courses:
            course = Course(campus_id=campuses[campus_name].id, title=title, track=track)
            db.session.add(course)
            courses[(campus_name, title)] = course
        if courses[(campus_name, title)].title_en is None:  # demo data made before English titles
            courses[(campus_name, title)].title_en = title_en
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
    load_article_outcomes()
    load_running_cohort(today)
    load_completed_cohort(today)
    load_demo_sessions(today)
    return demo_accounts()


def demo_accounts() -> list[tuple[str, str]]:
    return [
        (role.value, email)
        for role, email, _ in DEMO_ACCOUNTS
        if find_user_by_email(email) is not None
    ]


# --- the article's figures ----------------------------------------------------------------
# First cohort of the three AI campuses (ended 2025-08-29): 86 completed, 82 in the
# employment target, 52 employed or founded within 30 days (63.4%); 종로 76.0% (19 of 25).
# (campus, completed, excluded, employed ≤30 days, founded ≤30 days, employed later, dropped)
ARTICLE_COHORTS = [
    ("마포", 32, 2, 17, 0, 5, 2),
    ("중구", 28, 1, 16, 0, 4, 1),
    ("종로", 26, 1, 19, 0, 2, 2),
]
FAMILY = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = [
    "민준",
    "서연",
    "도윤",
    "하은",
    "지호",
    "수아",
    "예준",
    "지유",
    "시우",
    "서윤",
    "주원",
    "채원",
    "하준",
    "지민",
    "은우",
    "다은",
    "건우",
    "예린",
    "우진",
    "소율",
]
COMPANIES = [
    ("한빛제조", "제조"),
    ("누리컨설팅", "컨설팅"),
    ("별빛게임즈", "게임"),
    ("그린에너지솔루션", "에너지"),
    ("데이터웨이브", "IT"),
]
ABROAD = ("Contoso Korea", "IT")


def _name(index: int) -> str:
    return FAMILY[index % len(FAMILY)] + GIVEN[(index * 7) % len(GIVEN)]


def load_article_outcomes() -> None:
    """Trainees, completions, outcomes and AI-900 attempts matching the article."""
    from .models import (
        CertificationAttempt,
        EmploymentType,
        Enrollment,
        EnrollmentStatus,
        Exam,
        ExclusionReason,
        Outcome,
        OutcomeKind,
        User,
    )

    campuses = {c.name_ko: c for c in db.session.scalars(db.select(Campus))}
    exam = db.session.scalar(db.select(Exam).where(Exam.name == "AI-900"))
    if exam is None:
        exam = Exam(name="AI-900")
        db.session.add(exam)
        db.session.flush()
    for campus_name, completed, excluded, employed, founded, later, dropped in ARTICLE_COHORTS:
        campus = campuses[campus_name]
        cohort = db.session.scalar(
            db.select(Cohort)
            .join(Cohort.course)
            .where(Course.campus_id == campus.id, Cohort.number == 1)
        )
        end = cohort.end_on
        total = completed + dropped
        for i in range(total):
            email = f"{campus.name_en.lower().replace('-', '')}1-{i + 1:02d}@trainee.sesac.example"
            user = find_user_by_email(email)
            if user is None:
                user = User(
                    email=email,
                    name=_name(i + len(campus_name) * 11),
                    role=Role.TRAINEE,
                    campus_id=campus.id,
                )
                db.session.add(user)
                db.session.flush()
            enrollment = db.session.scalar(
                db.select(Enrollment).where(
                    Enrollment.cohort_id == cohort.id, Enrollment.user_id == user.id
                )
            )
            if enrollment is not None:
                continue
            is_completed = i < completed
            enrollment = Enrollment(
                cohort_id=cohort.id,
                user_id=user.id,
                status=EnrollmentStatus.COMPLETED if is_completed else EnrollmentStatus.DROPPED,
                status_on=end if is_completed else cohort.start_on + timedelta(days=30 + i),
                drop_reason=None if is_completed else "personal",
            )
            db.session.add(enrollment)
            db.session.flush()
            if not is_completed:
                continue
            outcome = None
            if i < excluded:
                outcome = Outcome(
                    kind=OutcomeKind.EXCLUDED,
                    outcome_on=end + timedelta(days=10),
                    exclusion_reason=(ExclusionReason.MILITARY, ExclusionReason.FURTHER_STUDY)[
                        i % 2
                    ],
                )
            elif i < excluded + employed + founded:
                n = i - excluded
                if n < founded:
                    outcome = Outcome(
                        kind=OutcomeKind.FOUNDED,
                        company=f"{_name(i)} 스튜디오",
                        industry="IT",
                        outcome_on=end + timedelta(days=20),
                    )
                else:
                    company, industry = COMPANIES[n % len(COMPANIES)]
                    outcome = Outcome(
                        kind=OutcomeKind.EMPLOYED,
                        company=company,
                        industry=industry,
                        job_title="AI 엔지니어",
                        employment_type=EmploymentType.PERMANENT,
                        insured=True,
                        outcome_on=end + timedelta(days=3 + (n * 5) % 27),
                        verification_state="verified",
                        verification="insurance_record",
                    )
            elif i < excluded + employed + founded + later:
                n = i - excluded - employed - founded
                company, industry = ABROAD if n == 0 else COMPANIES[n % len(COMPANIES)]
                outcome = Outcome(
                    kind=OutcomeKind.EMPLOYED,
                    company=company,
                    industry=industry,
                    job_title="데이터 분석가",
                    employment_type=EmploymentType.CONTRACT,
                    insured=n != 0,
                    outcome_on=end + timedelta(days=45 + 20 * n),
                )
            if outcome is not None:
                outcome.enrollment_id = enrollment.id
                outcome.source = "demo"
                db.session.add(outcome)
            if campus_name == "마포" and i < 21:  # AI-900: 21 sat, 18 passed
                first_try_passed = i < 16
                db.session.add(
                    CertificationAttempt(
                        user_id=user.id,
                        exam_id=exam.id,
                        exam_on=date(2025, 8, 20),
                        passed=first_try_passed,
                        score=820 if first_try_passed else 610,
                    )
                )
                if 16 <= i < 18:  # passed on the second try
                    db.session.add(
                        CertificationAttempt(
                            user_id=user.id,
                            exam_id=exam.id,
                            exam_on=date(2025, 9, 10),
                            passed=True,
                            score=760,
                        )
                    )
    db.session.flush()


def load_running_cohort(today: date) -> None:
    """The demo trainee and a few classmates on the running 구로 cohort, with its calendar."""
    from .cohorts.roster import generate_class_days
    from .models import Enrollment, User

    course = db.session.scalar(
        db.select(Course).where(Course.title == "AI 활용 데이터분석 취업캠프")
    )
    cohort = db.session.scalar(
        db.select(Cohort).where(Cohort.course_id == course.id, Cohort.number == 1)
    )
    people = [find_user_by_email("trainee@sesac.example")]
    for i in range(5):
        email = f"guro1-{i + 1:02d}@trainee.sesac.example"
        user = find_user_by_email(email)
        if user is None:
            user = User(
                email=email,
                name=_name(100 + i),
                role=Role.TRAINEE,
                campus_id=cohort.course.campus_id,
            )
            db.session.add(user)
            db.session.flush()
        people.append(user)
    for user in people:
        if not db.session.scalar(
            db.select(Enrollment.id).where(
                Enrollment.cohort_id == cohort.id, Enrollment.user_id == user.id
            )
        ):
            db.session.add(Enrollment(cohort_id=cohort.id, user_id=user.id))
    db.session.flush()
    admin = find_user_by_email("admin@sesac.example")
    generate_class_days(admin, cohort)
    db.session.flush()
    _demo_attendance(cohort, today, admin)


# Attendance of the running cohort, one pattern a trainee (P present, L late, E left early,
# A absent, X excused), repeated over the past class days: the last trainee falls behind.
ATTENDANCE_PATTERNS = [
    "PPPPPPPPPL",
    "PPPPLPPPPP",
    "PPPPPPPPPP",
    "PPXPPPPPPP",
    "PPLPPEPPPP",
    "PAPPAPPALP",
]


def _demo_attendance(cohort: Cohort, today: date, recorder) -> None:
    from .models import Attendance, AttendanceStatus, ClassDay, Enrollment, User

    already = db.session.scalar(
        db.select(sa.func.count(Attendance.id))
        .join(ClassDay, ClassDay.id == Attendance.class_day_id)
        .where(ClassDay.cohort_id == cohort.id)
    )
    if already:
        return
    codes = {
        "P": AttendanceStatus.PRESENT,
        "L": AttendanceStatus.LATE,
        "E": AttendanceStatus.LEFT_EARLY,
        "A": AttendanceStatus.ABSENT,
        "X": AttendanceStatus.EXCUSED,
    }
    days = db.session.scalars(
        db.select(ClassDay)
        .where(ClassDay.cohort_id == cohort.id, ClassDay.day < today, ClassDay.cancelled.is_(False))
        .order_by(ClassDay.day)
    ).all()
    enrollments = db.session.scalars(
        db.select(Enrollment)
        .join(User, User.id == Enrollment.user_id)
        .where(Enrollment.cohort_id == cohort.id)
        .order_by(Enrollment.id)
    ).all()
    for n, enrollment in enumerate(enrollments):
        pattern = ATTENDANCE_PATTERNS[n % len(ATTENDANCE_PATTERNS)]
        for i, day in enumerate(days):
            db.session.add(
                Attendance(
                    enrollment_id=enrollment.id,
                    class_day_id=day.id,
                    status=codes[pattern[i % len(pattern)]],
                    recorded_by_id=recorder.id,
                )
            )
    db.session.flush()


# --- 구로's completed cohort ------------------------------------------------------------------
# 구로 opened on 2025-10-13; its first cohort ran to 2026-02-27 and shows every role the
# results side: outcomes, referrals to companies, 6-month retention checks. It ended in 2026,
# so the article's figures (2025) stay what they are with `--year 2025`.
COMPLETED_COHORT = ("구로", "AI 서비스 기획 실무과정", 1)
COMPLETED_DATES = (date(2025, 8, 25), date(2025, 9, 26), date(2025, 10, 13), date(2026, 2, 27))
# (name, industry, contact, e-mail, phone, openings)
GURO_COMPANIES = [
    (
        "지밸리데이터",
        "IT",
        "정채용",
        "recruit@gvalley-data.example",
        "02-850-1100",
        "데이터 분석가",
    ),
    (
        "구로스마트팩토리",
        "제조",
        "한인사",
        "hr@guro-factory.example",
        "02-850-2200",
        "생산 데이터 기획",
    ),
    (
        "디지털단지커머스",
        "유통",
        "오담당",
        "jobs@dgcommerce.example",
        "02-850-3300",
        "서비스 기획자",
    ),
    (
        "누리컨설팅",
        "컨설팅",
        "서매니저",
        "people@nuri-consulting.example",
        "02-850-4400",
        "AI 컨설턴트",
    ),
]
# One trainee a row: (status, outcome, days after the end, company or reason, referral status,
# 6-month retention). Status C completed, E early employment, D dropped; outcome J job,
# F founded, X excluded, "" none yet. 30 days: 12 employed + 1 founded of 20 (65.0%); in
# all 16 of 20 (80.0%).
GURO_PEOPLE = [
    ("E", "J", -10, 0, "hired", "still_employed"),
    ("C", "J", 5, 1, "hired", "still_employed"),
    ("C", "J", 8, 0, "hired", "still_employed"),
    ("C", "J", 12, 2, "hired", "moved"),
    ("C", "J", 14, 3, "", "still_employed"),
    ("C", "J", 17, 1, "hired", "still_employed"),
    ("C", "J", 20, 0, "", "left"),
    ("C", "J", 22, 2, "", "still_employed"),
    ("C", "J", 25, 3, "hired", "still_employed"),
    ("C", "J", 27, 1, "", "still_employed"),
    ("C", "J", 29, 0, "", "still_employed"),
    ("C", "J", 30, 2, "", ""),
    ("C", "F", 25, None, "", ""),
    ("C", "J", 45, 3, "not_hired", "still_employed"),
    ("C", "J", 62, 1, "", ""),
    ("C", "J", 80, 0, "", ""),
    ("C", "X", 20, "further_study", "", ""),
    ("C", "", 0, 0, "interview", ""),
    ("C", "", 0, 2, "not_hired", ""),
    ("C", "", 0, 1, "sent", ""),
    ("C", "", 0, 3, "proposed", ""),
    ("D", "", 0, None, "", ""),
    ("D", "", 0, None, "", ""),
    ("D", "", 0, None, "", ""),
]
JOB_TITLES = ["서비스 기획자", "데이터 분석가", "PM", "AI 서비스 운영"]


def load_completed_cohort(today: date) -> None:
    """구로's completed cohort: trainees, attendance, outcomes, referrals, retention checks.

    Records are added only with a new enrollment, so loading twice adds nothing.
    """
    from datetime import datetime, time

    from .clock import SEOUL
    from .cohorts.roster import generate_class_days
    from .models import (
        Company,
        EmploymentType,
        Enrollment,
        EnrollmentStatus,
        ExclusionReason,
        Outcome,
        OutcomeKind,
        Referral,
        ReferralStatus,
        RetentionCheck,
        RetentionResult,
        User,
        VerificationState,
    )
    from .models.roster import DropReason

    campus_name, title, number = COMPLETED_COHORT
    cohort = db.session.scalar(
        db.select(Cohort).join(Cohort.course).where(Course.title == title, Cohort.number == number)
    )
    campus_id = cohort.course.campus_id
    coordinator = find_user_by_email("coordinator@sesac.example")
    admin = find_user_by_email("admin@sesac.example")
    if not db.session.scalar(
        db.select(CohortStaff.id).where(
            CohortStaff.cohort_id == cohort.id, CohortStaff.user_id == coordinator.id
        )
    ):
        db.session.add(
            CohortStaff(cohort_id=cohort.id, user_id=coordinator.id, role=StaffRole.COORDINATOR)
        )
    companies = {
        c.name: c
        for c in db.session.scalars(db.select(Company).where(Company.campus_id == campus_id))
    }
    for name, industry, contact, email, phone, openings in GURO_COMPANIES:
        if name not in companies:
            companies[name] = Company(
                campus_id=campus_id,
                name=name,
                industry=industry,
                contact_name=contact,
                contact_email=email,
                contact_phone=phone,
                openings=openings,
            )
            db.session.add(companies[name])
    generate_class_days(admin, cohort)
    db.session.flush()
    from .models import ClassDay

    days = db.session.scalars(
        db.select(ClassDay)
        .where(ClassDay.cohort_id == cohort.id, ClassDay.cancelled.is_(False))
        .order_by(ClassDay.day)
    ).all()
    end = cohort.end_on
    consent_at = datetime.combine(end - timedelta(days=25), time(10), SEOUL)
    for i, (status, kind, after, detail, referral, retention) in enumerate(GURO_PEOPLE):
        email = f"guro-plan1-{i + 1:02d}@trainee.sesac.example"
        user = find_user_by_email(email)
        if user is None:
            user = User(email=email, name=_name(200 + i), role=Role.TRAINEE, campus_id=campus_id)
            db.session.add(user)
            db.session.flush()
        if db.session.scalar(
            db.select(Enrollment.id).where(
                Enrollment.cohort_id == cohort.id, Enrollment.user_id == user.id
            )
        ):
            continue
        dropped_on = cohort.start_on + timedelta(days=20 + 9 * i % 40)
        enrollment = Enrollment(
            cohort_id=cohort.id,
            user_id=user.id,
            status={
                "C": EnrollmentStatus.COMPLETED,
                "E": EnrollmentStatus.EARLY_EMPLOYED,
                "D": EnrollmentStatus.DROPPED,
            }[status],
            status_on=dropped_on if status == "D" else end,
            drop_reason=DropReason.PERSONAL if status == "D" else None,
        )
        db.session.add(enrollment)
        db.session.flush()
        _completed_attendance(enrollment, days, dropped_on if status == "D" else end, i, admin)
        company = companies[GURO_COMPANIES[detail][0]] if isinstance(detail, int) else None
        if referral and company is not None:
            db.session.add(
                Referral(
                    enrollment_id=enrollment.id,
                    company_id=company.id,
                    position=GURO_COMPANIES[detail][5],
                    status=ReferralStatus(referral),
                    sharing_consent_at=consent_at,
                    created_by_id=coordinator.id,
                )
            )
        if not kind:
            continue
        outcome = Outcome(
            enrollment_id=enrollment.id,
            kind={"J": OutcomeKind.EMPLOYED, "F": OutcomeKind.FOUNDED, "X": OutcomeKind.EXCLUDED}[
                kind
            ],
            outcome_on=end + timedelta(days=after),
            source="demo",
            recorded_by_id=coordinator.id,
        )
        if kind == "J":
            outcome.company, outcome.industry = company.name, company.industry
            outcome.job_title = JOB_TITLES[i % len(JOB_TITLES)]
            outcome.employment_type = (EmploymentType.PERMANENT, EmploymentType.CONTRACT)[
                i % 3 == 2
            ]
            outcome.insured = True
            outcome.salary_band = ("3000_3600", "2400_3000", "3600_4800")[i % 3]
            if after <= 30:
                outcome.verification_state = VerificationState.VERIFIED
                outcome.verification = "insurance_record"
        elif kind == "F":
            outcome.company, outcome.industry = f"{_name(200 + i)} 랩", "IT"
        else:
            outcome.exclusion_reason = ExclusionReason(detail)
        db.session.add(outcome)
        db.session.flush()
        for months in (6, 12):
            checked_on = outcome.outcome_on + timedelta(days=183 if months == 6 else 365)
            if retention and checked_on <= today:
                db.session.add(
                    RetentionCheck(
                        outcome_id=outcome.id,
                        months=months,
                        checked_on=checked_on,
                        result=RetentionResult(retention),
                        recorded_by_id=coordinator.id,
                    )
                )
    db.session.flush()


def _completed_attendance(enrollment, days, until: date, n: int, recorder) -> None:
    """Attendance up to the trainee's last day: above 80% for those who completed."""
    from .models import Attendance, AttendanceStatus

    codes = {
        "P": AttendanceStatus.PRESENT,
        "L": AttendanceStatus.LATE,
        "E": AttendanceStatus.LEFT_EARLY,
        "A": AttendanceStatus.ABSENT,
        "X": AttendanceStatus.EXCUSED,
    }
    pattern = "PAAPAAPPAA" if until < enrollment.cohort.end_on else ATTENDANCE_PATTERNS[n % 5]
    for i, day in enumerate(d for d in days if d.day <= until):
        db.session.add(
            Attendance(
                enrollment_id=enrollment.id,
                class_day_id=day.id,
                status=codes[pattern[i % len(pattern)]],
                recorded_by_id=recorder.id,
            )
        )


def load_demo_sessions(today: date) -> None:
    """1:1 sessions for the running 구로 cohort, so the mentor's and coordinator's pages and
    the trainee's schedule show real content: Saturday times the mentor offers (one booked
    by the demo trainee), a portfolio review the coordinator scheduled, and one held last
    Saturday with its log and a follow-up. Made through the services, so every rule holds;
    nothing is added when the mentor already has times."""
    from .clock import SEOUL
    from .models import AvailabilitySlot, CoachingSession, SessionKind
    from .sessions import services as sessions

    mentor = find_user_by_email("mentor@sesac.example")
    coordinator = find_user_by_email("coordinator@sesac.example")
    trainee = find_user_by_email("trainee@sesac.example")
    if db.session.scalar(
        db.select(AvailabilitySlot.id).where(AvailabilitySlot.staff_id == mentor.id).limit(1)
    ) or db.session.scalar(
        db.select(CoachingSession.id).where(CoachingSession.staff_id == mentor.id).limit(1)
    ):
        return
    cohort = sessions.active_enrollment(trainee).cohort
    classmate = find_user_by_email("guro1-01@trainee.sesac.example")

    next_saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    last_saturday = today - timedelta(days=(today.weekday() - 5) % 7 or 7)

    def at(day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour), tzinfo=SEOUL)

    room = "구로캠퍼스 3층 상담실"
    slots = sessions.publish_slots(
        mentor, kind=SessionKind.MENTORING, starts_at=at(next_saturday, 10), location=room, weeks=2
    )
    sessions.book_slot(trainee, slots[0])
    sessions.schedule(
        coordinator,
        trainee=classmate,
        cohort=cohort,
        kind=SessionKind.PORTFOLIO,
        starts_at=at(next_saturday, 14),
        minutes=None,
        location=room,
    )
    sessions.log_unscheduled(
        mentor,
        trainee=trainee,
        cohort=cohort,
        kind=SessionKind.MENTORING,
        starts_at=at(last_saturday, 11),
        minutes=50,
        location=room,
        entry=sessions.SessionLog(
            summary="데이터 분석 포트폴리오 주제를 정했습니다. 공공데이터로 상권 분석을 해 보세요.",
            staff_notes="분석 경험이 적어 기초 통계 복습이 필요함.",
            follow_ups=[("포트폴리오 주제 한 쪽 요약 작성", today + timedelta(days=7))],
        ),
    )
    db.session.flush()
