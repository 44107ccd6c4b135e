"""Audit entries read as sentences in Korean and English, on every page that shows them."""

from __future__ import annotations

import ast
import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext

import sesac_ms
from sesac_ms import audit_text
from sesac_ms.applications.services import stage_label
from sesac_ms.cohorts.roster import attendance_label, enrollment_status_label
from sesac_ms.extensions import db
from sesac_ms.models import AuditEntry, Enrollment, EnrollmentStatus, Outcome, OutcomeKind, Role
from sesac_ms.placements import importing_common

SOURCE = Path(sesac_ms.__file__).parent

# What the code writes for each action (object kind, stored label, changes), as in the
# services: the pages below must read every one of them without a code, class name or ∅.
SAMPLES: dict[str, tuple[str, str, dict]] = {
    "application.submitted": (
        "Application",
        "Data Kim <data.kim@example.com>",
        {"stage": [None, "submitted"], "source": [None, "web"]},
    ),
    "application.stage_changed": ("Application", "", {"stage": ["submitted", "screening"]}),
    "application.accepted": (
        "Application",
        "",
        {"stage": ["interview", "accepted"], "reason": [None, "좋은 면접"]},
    ),
    "application.waitlisted": (
        "Application",
        "",
        {"stage": ["interview", "waitlisted"], "waitlist_rank": [None, 3]},
    ),
    "application.rejected": (
        "Application",
        "",
        {"stage": ["screening", "rejected"], "reason": [None, "x"]},
    ),
    "application.waitlist_moved": ("Application", "", {"waitlist_rank": [2, 1]}),
    "application.withdrawn": ("Application", "", {"stage": ["accepted", "withdrawn"]}),
    "application.offered": (
        "Application",
        "",
        {"stage": ["waitlisted", "offered"], "offer_expires_on": [None, "2026-03-04"]},
    ),
    "application.offer_accepted": ("Application", "", {"stage": ["offered", "accepted"]}),
    "application.offer_lapsed": ("Application", "", {"stage": ["offered", "lapsed"]}),
    "application.scored": (
        "Application",
        "",
        {"stage": "screening", "score": [None, 80], "comment": [None, "좋음"]},
    ),
    "application.interview_assigned": (
        "Application",
        "",
        {"interview": [None, "2026-03-02T01:00:00+00:00"], "interviewer": "박면접"},
    ),
    "application.enrolled": ("Application", "", {"stage": ["accepted", "enrolled"]}),
    "applications.imported": (
        "UploadedFile",
        "list.xlsx · 데이터 1기",
        {"created": 3, "skipped": 1, "file": "list.xlsx"},
    ),
    "applications.destroyed": (
        "Cohort",
        "데이터 1기",
        {"destroyed": 2, "application_ids": [1, 2], "retention_cutoff": "2023-03-01"},
    ),
    "interview_slot.created": (
        "InterviewSlot",
        "데이터 1기",
        {
            "starts_at": [None, "2026-03-02T01:00:00+00:00"],
            "interviewer": [None, "박면접"],
            "location": [None, "3층"],
        },
    ),
    "interview_slot.deleted": (
        "InterviewSlot",
        "데이터 1기",
        {"starts_at": ["2026-03-02T01:00:00+00:00", None]},
    ),
    "user.created": (
        "User",
        "new@sesac.example",
        {
            "email": [None, "new@sesac.example"],
            "name": [None, "새 멘토"],
            "role": [None, "mentor"],
            "campus_id": [None, "CAMPUS"],
        },
    ),
    "user.updated": ("User", "u@sesac.example", {"role": ["mentor", "coordinator"]}),
    "user.activated": ("User", "u@sesac.example", {"active": [False, True]}),
    "user.deactivated": ("User", "u@sesac.example", {"active": [True, False]}),
    "user.locked": (
        "User",
        "u@sesac.example",
        {"locked_until": [None, "2026-03-01T05:00:00+00:00"]},
    ),
    "user.login_failed": ("User", "u@sesac.example", {}),
    "user.login_failed_unknown": ("AddressWithoutAccount", "", {}),
    "access_review.recorded": (
        "AccessReview",
        "2026-02",
        {"month": [None, "2026-02"], "note": [None, "이상 없음"]},
    ),
    "user.password_set": ("User", "u@sesac.example", {}),
    "user.password_changed": ("User", "u@sesac.example", {}),
    "user.totp_enabled": ("User", "u@sesac.example", {}),
    "user.totp_removed": ("User", "u@sesac.example", {}),
    "user.passkey_added": ("User", "u@sesac.example", {"passkey": [None, "업무용 노트북"]}),
    "user.passkey_removed": ("User", "u@sesac.example", {"passkey": ["업무용 노트북", None]}),
    "user.api_token_made": ("User", "u@sesac.example", {"api_token": [None, "캠퍼스 대시보드"]}),
    "webhook.created": (
        "WebhookSubscription",
        "https://203.0.113.7/hooks",
        {"url": [None, "https://203.0.113.7/hooks"], "events": [None, "session.booked"]},
    ),
    "webhook.paused": ("WebhookSubscription", "https://203.0.113.7/hooks", {}),
    "webhook.resumed": ("WebhookSubscription", "https://203.0.113.7/hooks", {}),
    "webhook.deleted": (
        "WebhookSubscription",
        "https://203.0.113.7/hooks",
        {"url": ["https://203.0.113.7/hooks", None]},
    ),
    "user.api_token_revoked": ("User", "u@sesac.example", {"api_token": ["캠퍼스 대시보드", None]}),
    "user.recovery_codes_made": ("User", "u@sesac.example", {}),
    "user.recovery_code_used": ("User", "u@sesac.example", {}),
    "user.second_factor_reset": (
        "User",
        "u@sesac.example",
        {"authenticator": [True, False], "passkeys": [2, 0]},
    ),
    "user.feed_link_created": ("User", "u@sesac.example", {}),
    "user.feed_link_revoked": ("User", "u@sesac.example", {}),
    "campus.created": (
        "Campus",
        "마포",
        {
            "name_ko": [None, "마포"],
            "name_en": [None, "Mapo"],
            "district": [None, "마포구"],
            "ai_specialised": [None, False],
            "opening_order": [None, None],
            "session_cancel_cutoff_hours": [None, 24],
            "source": "import",
        },
    ),
    "campus.updated": ("Campus", "마포", {"partner_company": [None, "파트너"]}),
    "course.created": (
        "Course",
        "데이터 과정",
        {"title": [None, "데이터 과정"], "track": [None, "ai_convergence_dx"]},
    ),
    "course.updated": ("Course", "데이터 과정", {"description": ["", "새 설명"]}),
    "cohort.created": (
        "Cohort",
        "데이터 1기",
        {
            "number": [None, 1],
            "recruit_start_on": [None, "2026-01-05"],
            "capacity": [None, 30],
        },
    ),
    "cohort.updated": ("Cohort", "데이터 1기", {"capacity": [30, 32]}),
    "cohort.status_changed": ("Cohort", "데이터 1기", {"status": ["planned", "recruiting"]}),
    "cohort.staff_assigned": (
        "Cohort",
        "데이터 1기",
        {"staff": [None, "박멘토 <mentor@sesac.example> (mentor)"]},
    ),
    "cohort.staff_removed": (
        "Cohort",
        "데이터 1기",
        {"staff": ["박멘토 <mentor@sesac.example> (mentor)", None]},
    ),
    "cohort.roster_rules": (
        "Cohort",
        "데이터 1기",
        {
            "class_weekdays": ["01234", "0123"],
            "class_starts_at": ["09:00:00", "09:30:00"],
            "deposit_amount": [0, 100000],
        },
    ),
    "cohort.selection_settings": (
        "Cohort",
        "데이터 1기",
        {"uses_assessment": [True, False], "min_age": [None, 19]},
    ),
    "calendar.generated": ("Cohort", "데이터 1기", {"added": 80, "removed": 0}),
    "calendar.day_added": ("Cohort", "데이터 1기", {"day": [None, "2026-03-07"], "note": ""}),
    "calendar.day_cancelled": (
        "Cohort",
        "데이터 1기",
        {"day": ["2026-03-03", None], "note": "삼일절 대체"},
    ),
    "calendar.event_created": (
        "CohortEvent",
        "데이터 1기",
        {
            "kind": [None, "hackathon"],
            "title": [None, "해커톤"],
            "starts_at": [None, "2026-04-01T00:00:00+00:00"],
        },
    ),
    "calendar.event_deleted": ("CohortEvent", "데이터 1기", {"title": ["해커톤", None]}),
    "attendance.recorded": ("Cohort", "데이터 1기 2026-03-02", {"최교육": [None, "late"]}),
    "attendance.checked_in": (
        "Cohort",
        "데이터 1기 2026-03-02",
        {"최교육": [None, "2026-03-02T00:05:00+00:00"]},
    ),
    "attendance.checked_out": (
        "Cohort",
        "데이터 1기 2026-03-02",
        {"최교육": [None, "2026-03-02T09:01:00+00:00"]},
    ),
    "attendance.imported": (
        "Cohort",
        "데이터 1기 2026-03-02",
        {"최교육": ["absent", "excused"], "김교육": [None, "present"], "이교육": "late"},
    ),
    "roster.enrolled": (
        "Enrollment",
        "최교육 <t@sesac.example>",
        {"user": [None, "t@sesac.example"], "source": "import"},
    ),
    "roster.status_changed": (
        "Enrollment",
        "최교육 <t@sesac.example>",
        {
            "status": ["enrolled", "dropped"],
            "status_on": [None, "2026-04-01"],
            "drop_reason": [None, "personal"],
        },
    ),
    "roster.deposit": (
        "Enrollment",
        "최교육 <t@sesac.example>",
        {"deposit_status": ["due", "paid"], "deposit_paid_on": [None, "2026-02-09"]},
    ),
    "sessions.slots_published": (
        "User",
        "mentor@sesac.example",
        {"kind": "mentoring", "first": "2026-03-05T05:00:00+00:00", "weeks": 4},
    ),
    "session.booked": (
        "CoachingSession",
        "최교육 · 박멘토",
        {
            "kind": "portfolio",
            "starts_at": "2026-03-05T05:00:00+00:00",
            "trainee": "t@sesac.example",
            "staff": "mentor@sesac.example",
        },
    ),
    "session.scheduled": ("CoachingSession", "최교육 · 박멘토", {"kind": "career"}),
    "session.rescheduled": (
        "CoachingSession",
        "최교육 · 박멘토",
        {
            "starts_at": ["2026-03-05T05:00:00+00:00", "2026-03-06T05:00:00+00:00"],
            "slot_id": [4, None],
        },
    ),
    "session.cancelled": (
        "CoachingSession",
        "최교육 · 박멘토",
        {"status": ["scheduled", "cancelled"], "cancel_reason": [None, "아픔"]},
    ),
    "session.marked": ("CoachingSession", "최교육 · 박멘토", {"status": ["scheduled", "no_show"]}),
    "session.logged": (
        "CoachingSession",
        "최교육 · 박멘토",
        {"summary": ["", "이력서 검토"], "staff_notes": ["…", "…"], "follow_ups": ["포트폴리오"]},
    ),
    "session.follow_up_done": ("CoachingSession", "최교육 · 박멘토", {"follow_up": "포트폴리오"}),
    "outcome.recorded": (
        "Outcome",
        "최교육 <t@sesac.example>",
        {
            "kind": [None, "excluded"],
            "outcome_on": [None, "2026-07-01"],
            "insured": [None, None],
            "exclusion_reason": [None, "(sensitive)"],
        },
    ),
    "outcome.verified": (
        "Outcome",
        "t@sesac.example",
        {
            "verification": [None, "insurance_record"],
            "verification_state": ["unverified", "verified"],
        },
    ),
    "outcome.retention": ("Outcome", "t@sesac.example", {"months": 6, "result": "moved"}),
    "company.created": ("Company", "좋은회사", {"name": [None, "좋은회사"]}),
    "referral.created": (
        "Referral",
        "t@sesac.example",
        {"company": [None, "좋은회사"], "position": [None, "데이터 분석"]},
    ),
    "referral.updated": ("Referral", "t@sesac.example", {"status": ["proposed", "sent"]}),
    "certification.recorded": (
        "CertificationAttempt",
        "t@sesac.example",
        {"exam": [None, "SQLD"], "passed": [None, True], "score": [None, 70]},
    ),
    "datarequest.created": (
        "DataRequest",
        "김교육 <t@sesac.example>",
        {"kind": [None, "correction"], "text": [None, "전화번호가 틀렸습니다"]},
    ),
    "datarequest.resolved": (
        "DataRequest",
        "김교육 <t@sesac.example>",
        {"status": ["open", "done"], "resolution": [None, "고쳤습니다"]},
    ),
    "placements.records_imported": (
        "UploadedFile",
        "records.xlsx",
        {"created": 2, "updated": 1, "unchanged": 0, "campuses": 0, "file": "records.xlsx"},
    ),
    "placements.certifications_imported": (
        "UploadedFile",
        "certs.csv",
        {"created": 2, "updated": 0, "unchanged": 1, "file": "certs.csv"},
    ),
    "retention.run": (
        "RetentionRun",
        "",
        {
            "applicants": 12,
            "trainees": 3,
            "session_notes": 40,
            "uploaded_files": 2,
            "outbox_messages": 310,
            "access_records": 0,
        },
    ),
}

# What must never reach a page: an action code, a model's class name, the empty-set sign.
CODE = re.compile(r"\b[a-z_]+\.[a-z_]+\b")
# ("Application", "Outcome"… are English words too: the names no sentence uses are checked.)
CLASS_NAMES = re.compile(
    r"\b(Enrollment|CoachingSession|OutcomeRecord|InterviewSlot|CohortEvent|UploadedFile"
    r"|CertificationAttempt|AuditEntry|RetentionCheck|PersonalDataAccess|ApplicationScore)\b"
)
# Data people typed or uploaded, which may look like a code: e-mail addresses, file names.
DATA = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+|[\w-]+\.(xlsx|csv)\b")


# --- the table of actions -------------------------------------------------------------------


def _written_actions() -> set[str]:
    """Every action code passed to audit.record (or its wrappers) anywhere in the package."""
    found: set[str] = set()

    def codes(node: ast.expr) -> set[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.IfExp):
            return codes(node.body) | codes(node.orelse)
        if isinstance(node, ast.JoinedStr):  # f"placements.{upload.kind}_imported"
            text = ast.unparse(node)
            assert text == "f'placements.{upload.kind}_imported'", text
            return {f"placements.{kind}_imported" for kind in importing_common.KINDS}
        if isinstance(node, ast.Name) and node.id == "action":
            return set()  # a wrapper passing its own argument on: its callers are scanned
        raise AssertionError(f"an audit action that is not a literal: {ast.unparse(node)}")

    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = getattr(func.value, "id", "") if isinstance(func, ast.Attribute) else ""
            if (owner == "audit" and name == "record") or name in ("_record", "_audit"):
                found |= codes(node.args[1])
    return found


def test_every_action_the_code_writes_has_a_sentence_and_a_sample():
    written = _written_actions()

    assert len(written) > 50  # the scan found the calls
    assert written - audit_text.ACTIONS.keys() == set()
    assert set(SAMPLES) == set(audit_text.ACTIONS)


@pytest.fixture
def entries(app, campus):
    """One stored entry of every kind, newest last, as if made by a manager or the system."""
    made = []
    for n, (action, (kind, label, changes)) in enumerate(SAMPLES.items()):
        changes = {
            key: [campus.id if v == "CAMPUS" else v for v in value]
            if isinstance(value, list) and key != "follow_ups"
            else value
            for key, value in changes.items()
        }
        system = action in ("application.offer_lapsed", "user.locked")
        entry = AuditEntry(
            at=datetime(2026, 3, 1, 1, 0, tzinfo=UTC) + timedelta(minutes=n),  # newest last
            actor_id=None,
            actor_label="system" if system else "김매니저 <manager@sesac.example>",
            action=action,
            object_type=kind,
            object_id=n + 1,
            object_label=label,
            campus_id=campus.id,
            changes=changes,
        )
        db.session.add(entry)
        made.append(entry)
    db.session.commit()
    return made


def _check_readable(text: str, where: str) -> None:
    shown = DATA.sub("", text)
    assert "∅" not in shown, where
    assert "%(" not in shown, where
    assert not CODE.search(shown), f"{where}: {CODE.search(shown).group()!r} in {shown!r}"
    assert not CLASS_NAMES.search(shown), f"{where}: {CLASS_NAMES.search(shown).group()!r}"


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_every_kind_of_entry_reads_as_sentences(app, entries, locale):
    with app.test_request_context(), force_locale(locale):
        for entry in entries:
            said = audit_text.describe_entry(entry)
            assert said.headline.endswith("."), entry.action
            assert said.headline[0] != "%", entry.action
            for sentence in [said.headline, *said.details]:
                _check_readable(sentence, f"{entry.action} ({locale})")
            # only hidden fields (ids of deleted rows) and empty values leave no sentence
            shown = {
                k
                for k, v in entry.changes.items()
                if k not in audit_text.HIDDEN_FIELDS
                and v not in ("", None, [None, None], ["", None], [None, ""], ["", ""])
            }
            assert len(said.details) == len(shown), entry.action


def test_values_read_with_their_labels_in_each_language(app, entries):
    by_action = {entry.action: entry for entry in entries}
    for locale in ("ko", "en"):
        with app.test_request_context(), force_locale(locale):
            stage = str(audit_text.describe_entry(by_action["application.stage_changed"]))
            assert stage_label("submitted") in stage and stage_label("screening") in stage
            assert stage.startswith("김매니저")
            dropped = str(audit_text.describe_entry(by_action["roster.status_changed"]))
            assert enrollment_status_label(EnrollmentStatus.DROPPED) in dropped
            late = str(audit_text.describe_entry(by_action["attendance.recorded"]))
            assert f"최교육: “{attendance_label('late')}”" in late
            created = str(audit_text.describe_entry(by_action["user.created"]))
            assert ("Guro" if locale == "en" else "구로") in created  # the campus by name
            lapsed = str(audit_text.describe_entry(by_action["application.offer_lapsed"]))
            assert "system" not in lapsed.split()
            sensitive = str(audit_text.describe_entry(by_action["outcome.recorded"]))
            assert gettext("health data, not shown") in sensitive
            times = str(audit_text.describe_entry(by_action["application.interview_assigned"]))
            assert "2026-03-02 10:00" in times  # 01:00 UTC is 10:00 in Seoul


def test_the_english_sentence_names_who_did_what(app, entries):
    by_action = {entry.action: entry for entry in entries}
    with app.test_request_context(), force_locale("en"):
        said = audit_text.describe_entry(by_action["application.stage_changed"], "this application")
    assert said.headline == "김매니저 moved this application on to the next stage."
    assert said.details == ["Stage changed from “Submitted” to “Document screening”."]


def test_an_unknown_action_still_reads_as_a_sentence(app, campus):
    entry = AuditEntry(
        actor_label="김매니저 <m@sesac.example>",
        action="something.new",
        object_type="Cohort",
        object_label="데이터 1기",
        changes={"brand_new_field": [None, "x"]},
    )
    with app.test_request_context(), force_locale("en"):
        said = audit_text.describe_entry(entry)
    assert said.headline == "김매니저 changed cohort 데이터 1기."
    assert said.details == ["Brand new field: “x”."]


# --- the pages --------------------------------------------------------------------------


def _page(response) -> str:
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    body = html.split("<main", 1)[-1]
    return " ".join(
        re.sub(
            r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", "", body, flags=re.S)
        ).split()
    )


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_the_audit_log_and_the_dashboard_show_sentences_only(client, login_as, entries, locale):
    login_as(Role.ADMIN, locale=locale)

    log = _page(client.get("/admin/audit"))
    dashboard = _page(client.get("/"))

    _check_readable(log, f"audit log ({locale})")
    _check_readable(dashboard, f"dashboard ({locale})")
    with force_locale(locale):
        assert gettext("user accounts") in log  # the filter names areas, not code prefixes
        headline = audit_text.describe_entry(entries[-1]).headline
    assert headline in log and headline in dashboard


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_the_application_history_shows_sentences_only(
    client, login_as, make_open_cohort, make_application, campus, locale
):
    from sesac_ms.applications import services

    manager = login_as(Role.MANAGER, campus=campus, locale=locale)
    cohort = make_open_cohort(course=None)
    application = make_application(cohort)
    services.advance(manager, application)
    services.record_score(manager, application, application.stage, 80, "좋음")
    db.session.commit()

    page = _page(client.get(f"/applications/{application.id}"))

    _check_readable(page, f"application ({locale})")
    with force_locale(locale):
        assert stage_label("screening") in page and gettext("this application") in page


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_the_placement_history_names_where_an_outcome_came_from(
    client, login_as, make_cohort, make_user, campus, locale
):
    login_as(Role.COORDINATOR, campus=campus, locale=locale)
    cohort = make_cohort(
        recruit_start_on=date(2025, 8, 1),
        recruit_end_on=date(2025, 8, 20),
        start_on=date(2025, 9, 1),
        end_on=date(2026, 1, 30),
    )
    trainee = make_user(Role.TRAINEE, campus=campus, name="박수료")
    enrollment = Enrollment(
        cohort_id=cohort.id,
        user_id=trainee.id,
        status=EnrollmentStatus.COMPLETED,
        status_on=cohort.end_on,
    )
    db.session.add(enrollment)
    db.session.flush()
    for source, current in (("import", False), ("web", True)):
        db.session.add(
            Outcome(
                enrollment_id=enrollment.id,
                kind=OutcomeKind.FOUNDED,
                outcome_on=date(2026, 2, 1),
                source=source,
                is_current=current,
            )
        )
    db.session.commit()

    page = _page(client.get(f"/placements/{enrollment.id}"))

    with force_locale(locale):  # the history card, between its heading and the next card's
        history = page.split(gettext("History"), 1)[1].split(gettext("Certifications"), 1)[0]
    _check_readable(history, f"placement history ({locale})")
    assert "· web" not in history and "· import" not in history
    with force_locale(locale):
        assert audit_text.source_label("import") in page
        assert audit_text.source_label("web") in page


def test_campus_names_cost_one_query_however_many_entries(client, login_as, campus, count_queries):
    login_as(Role.ADMIN)
    campus_id = campus.id

    def add(n: int) -> None:
        for _ in range(n):
            db.session.add(
                AuditEntry(
                    actor_label="김매니저 <m@sesac.example>",
                    action="user.updated",
                    object_type="User",
                    object_label="u@sesac.example",
                    changes={"campus_id": [None, campus_id]},
                )
            )
        db.session.commit()

    def measure() -> int:
        db.session.expunge_all()
        with count_queries() as statements:
            page = _page(client.get("/admin/audit"))
        assert "구로" in page
        return statements()

    add(2)
    client.get("/admin/audit")
    few = measure()
    add(10)
    assert measure() == few
