"""Administration: accounts, campuses, the personal-data export and the two append-only logs."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from html import unescape
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from sesac_ms import audit
from sesac_ms.extensions import db
from sesac_ms.models import (
    AuditEntry,
    Campus,
    OutboxMessage,
    PersonalDataAccess,
    Role,
    User,
)
from sesac_ms.models.audit import AccessAction
from tests.conftest import login


def ko(message: str, **values) -> str:
    """The message as a Korean user reads it, from the app's own catalogue."""
    with force_locale("ko"):
        return gettext(message, **values)


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def field_errors(response, name: str) -> list[str]:
    """The messages the forms macro renders beside the field called `name`."""
    html = response.get_data(as_text=True)
    for block in re.split(r'<div class="(?:form-check )?mb-3', html):
        if re.search(rf'<(?:input|select|textarea)\b[^>]*\bname="{name}"', block):
            found = re.findall(r'<div class="invalid-feedback">(.*?)</div>', block, re.S)
            return [unescape(message.strip()) for message in found]
    raise AssertionError(f"the page has no field {name!r}")


def entries(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def accesses(action: AccessAction) -> list[PersonalDataAccess]:
    return list(
        db.session.scalars(
            db.select(PersonalDataAccess)
            .where(PersonalDataAccess.action == action)
            .order_by(PersonalDataAccess.id)
        )
    )


def user_by_email(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == email))


@pytest.fixture
def other_campus(make_campus):
    return make_campus("중랑", name_en="Jungnang", district="중랑구", opening_order=25)


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN, name="운영본부 관리자")


@pytest.fixture
def other_client(app):
    """A second browser, for the person whose account the admin changes."""
    return app.test_client()


# --- creating users -------------------------------------------------------------------


def test_admin_creates_a_user_who_gets_a_set_password_link(client, campus, admin):
    response = client.post(
        "/admin/users/new",
        data={
            "email": "New.Manager@SeSAC.example",
            "name": "신규 매니저",
            "role": "manager",
            "campus_id": campus.id,
        },
        follow_redirects=True,
    )

    person = user_by_email("new.manager@sesac.example")
    assert person is not None
    assert (person.name, person.role, person.campus_id) == ("신규 매니저", Role.MANAGER, campus.id)
    assert person.password_hash is None
    assert response.request.path == f"/admin/users/{person.id}"
    assert ko(
        "%(name)s was created and a link to set a password was mailed to %(email)s.",
        name="신규 매니저",
        email="new.manager@sesac.example",
    ) in text(response)
    [message] = db.session.scalars(db.select(OutboxMessage)).all()
    assert message.recipient == "new.manager@sesac.example"
    link = re.search(r"http://localhost/auth/set-password/\S+", message.body).group(0)
    assert client.get(urlsplit(link).path).status_code == 200  # the link really works
    [created] = [e for e in entries("user.created") if e.object_id == person.id]
    assert created.actor_id == admin.id
    assert created.changes["role"] == [None, "manager"]
    assert created.changes["campus_id"] == [None, campus.id]


@pytest.mark.parametrize("role", ["manager", "coordinator", "mentor", "trainee"])
def test_staff_and_trainees_need_a_campus(client, admin, role):
    response = client.post(
        "/admin/users/new",
        data={
            "email": "nocampus@sesac.example",
            "name": "캠퍼스 없음",
            "role": role,
            "campus_id": 0,
        },
    )

    assert response.status_code == 200
    assert field_errors(response, "campus_id") == [ko("Choose the campus this person belongs to.")]
    assert user_by_email("nocampus@sesac.example") is None
    assert db.session.scalar(db.select(sa.func.count(OutboxMessage.id))) == 0


def test_an_administrator_belongs_to_no_campus(client, campus, admin):
    response = client.post(
        "/admin/users/new",
        data={
            "email": "second.admin@sesac.example",
            "name": "두번째 관리자",
            "role": "admin",
            "campus_id": campus.id,
        },
    )

    assert response.status_code == 302
    assert user_by_email("second.admin@sesac.example").campus_id is None


def test_a_duplicate_e_mail_is_refused_whatever_its_case(client, campus, admin, make_user):
    make_user(Role.TRAINEE, email="dup@sesac.example", name="원래 사용자")

    response = client.post(
        "/admin/users/new",
        data={
            "email": "DUP@sesac.example",
            "name": "중복 사용자",
            "role": "trainee",
            "campus_id": campus.id,
        },
    )

    assert response.status_code == 200
    assert field_errors(response, "email") == [
        ko("A user with this e-mail address already exists.")
    ]
    assert db.session.scalars(
        db.select(User.name).where(User.email == "dup@sesac.example")
    ).all() == ["원래 사용자"]


# --- changing users ---------------------------------------------------------------------


def test_a_new_role_and_campus_are_audited_and_end_the_users_sessions(
    client, other_client, admin, make_user, campus, other_campus
):
    person = make_user(Role.MANAGER, name="김매니저")
    assert login(other_client, person.email).status_code == 302
    assert other_client.get("/").status_code == 200
    version = person.session_version

    response = client.post(
        f"/admin/users/{person.id}/edit",
        data={
            "email": person.email,
            "name": "김매니저",
            "role": "coordinator",
            "campus_id": other_campus.id,
        },
    )

    assert response.status_code == 302
    db.session.refresh(person)
    assert (person.role, person.campus_id) == (Role.COORDINATOR, other_campus.id)
    assert person.session_version == version + 1
    [entry] = entries("user.updated")
    assert entry.actor_id == admin.id
    assert entry.changes == {
        "role": ["manager", "coordinator"],
        "campus_id": [campus.id, other_campus.id],
    }
    [change] = accesses(AccessAction.CHANGE)
    assert change.subject_id == person.id
    logged_out = other_client.get("/auth/password")
    assert logged_out.status_code == 302
    assert urlsplit(logged_out.location).path == "/auth/login"


def test_a_new_name_alone_keeps_the_users_sessions(client, other_client, admin, make_user, campus):
    person = make_user(Role.MENTOR, name="박멘토")
    login(other_client, person.email)
    version = person.session_version

    client.post(
        f"/admin/users/{person.id}/edit",
        data={"email": person.email, "name": "박현직", "role": "mentor", "campus_id": campus.id},
    )

    db.session.refresh(person)
    assert person.name == "박현직"
    assert person.session_version == version
    assert entries("user.updated")[0].changes == {"name": ["박멘토", "박현직"]}
    assert other_client.get("/").status_code == 200


def test_deactivating_logs_the_user_out_and_activating_lets_them_back(
    client, other_client, admin, make_user
):
    person = make_user(Role.TRAINEE, name="최교육생")
    login(other_client, person.email)

    response = client.post(f"/admin/users/{person.id}/deactivate", follow_redirects=True)

    assert ko("%(name)s was deactivated and logged out everywhere.", name="최교육생") in (
        text(response)
    )
    db.session.refresh(person)
    assert person.active is False
    assert entries("user.deactivated")[0].changes == {"active": [True, False]}
    assert entries("user.deactivated")[0].actor_id == admin.id
    assert other_client.get("/auth/password").status_code == 302
    assert login(other_client, person.email).status_code == 200  # the form again: refused

    response = client.post(f"/admin/users/{person.id}/activate", follow_redirects=True)

    assert ko("%(name)s can log in again.", name="최교육생") in text(response)
    db.session.refresh(person)
    assert person.active is True
    assert entries("user.activated")[0].changes == {"active": [False, True]}
    assert login(other_client, person.email).status_code == 302


def test_an_admin_cannot_deactivate_himself(client, admin):
    page = client.get(f"/admin/users/{admin.id}")
    response = client.post(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)

    assert f"/admin/users/{admin.id}/deactivate" not in text(page)
    assert ko("You cannot deactivate your own account.") in text(response)
    db.session.refresh(admin)
    assert admin.active is True
    assert entries("user.deactivated") == []
    assert client.get("/admin/users").status_code == 200  # still logged in


# --- campuses ---------------------------------------------------------------------------

NEW_CAMPUS = {
    "name_ko": "중랑",
    "name_en": "Jungnang",
    "district": "중랑구",
    "opening_order": "25",
    "opened_on": "2025-11-03",
    "partner_company": "",
}


def test_admin_creates_a_campus(client, admin):
    response = client.post("/admin/campuses/new", data=NEW_CAMPUS, follow_redirects=True)

    assert response.request.path == "/admin/campuses"
    campus = db.session.scalar(db.select(Campus).where(Campus.name_ko == "중랑"))
    assert (campus.name_en, campus.opening_order, campus.ai_specialised) == ("Jungnang", 25, False)
    [entry] = entries("campus.created")
    assert entry.actor_id == admin.id
    assert entry.changes["name_ko"] == [None, "중랑"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name_ko", "구로", "Another campus has this Korean name."),
        ("name_en", "Guro", "Another campus has this English name."),
        ("opening_order", "24", "Another campus has this opening order."),
    ],
)
def test_a_campus_with_a_taken_name_is_refused(client, campus, admin, field, value, message):
    response = client.post("/admin/campuses/new", data={**NEW_CAMPUS, field: value})

    assert response.status_code == 200
    assert field_errors(response, field) == [ko(message)]
    assert db.session.scalars(db.select(Campus.name_ko)).all() == ["구로"]
    assert entries("campus.created") == []


def test_renaming_a_campus_onto_another_is_refused_but_keeping_its_own_name_is_fine(
    client, campus, other_campus, admin
):
    response = client.post(
        f"/admin/campuses/{other_campus.id}/edit", data={**NEW_CAMPUS, "name_ko": "구로"}
    )

    assert field_errors(response, "name_ko") == [ko("Another campus has this Korean name.")]
    db.session.refresh(other_campus)
    assert other_campus.name_ko == "중랑"

    response = client.post(
        f"/admin/campuses/{other_campus.id}/edit", data={**NEW_CAMPUS, "district": "서울 중랑구"}
    )

    assert response.status_code == 302
    db.session.refresh(other_campus)
    assert other_campus.district == "서울 중랑구"
    [entry] = entries("campus.updated")
    assert entry.changes["district"] == ["중랑구", "서울 중랑구"]


# --- personal data: views and downloads ---------------------------------------------------


def test_viewing_a_users_page_is_logged_with_the_address(client, admin, make_user):
    person = make_user(Role.TRAINEE, name="최교육생", email="trainee.kim@sesac.example")

    response = client.get(f"/admin/users/{person.id}", environ_base={"REMOTE_ADDR": "203.0.113.7"})

    assert response.status_code == 200
    assert "trainee.kim@sesac.example" in text(response)
    [view] = accesses(AccessAction.VIEW)
    assert (view.actor_id, view.subject_type, view.subject_id) == (admin.id, "User", person.id)
    assert view.subject_label == "최교육생 <trainee.kim@sesac.example>"
    assert view.ip_address == "203.0.113.7"


@pytest.mark.parametrize("reason", ["", "   ", "확인"])
def test_a_download_without_a_reason_is_refused(client, admin, make_user, reason):
    make_user(Role.TRAINEE, name="최교육생")

    form = client.get("/admin/users/export")
    response = client.post("/admin/users/export", data={"reason": reason})

    assert form.status_code == 200 and form.mimetype == "text/html"
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "Content-Disposition" not in response.headers
    assert field_errors(response, "reason")
    if not reason.strip():
        assert field_errors(response, "reason") == [ko("Say why you download this personal data.")]
    assert accesses(AccessAction.DOWNLOAD) == []


def test_a_download_with_a_reason_is_a_korean_capable_csv_and_is_logged(
    client, admin, make_user, campus
):
    make_user(Role.TRAINEE, name="최교육생", email="choi@sesac.example")
    make_user(Role.MENTOR, name="박멘토", email="park@sesac.example", active=False)

    response = client.post(
        "/admin/users/export?role=trainee",
        data={"reason": "수료생 명단 점검 (2025 하반기)"},
        environ_base={"REMOTE_ADDR": "198.51.100.4"},
    )

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    with force_locale("ko"):
        header = [
            gettext("Name"),
            gettext("E-mail"),
            gettext("Role"),
            gettext("Campus"),
            gettext("Active"),
        ]
        trainee = gettext("Trainee")
    assert trainee != "Trainee"  # the role as the page names it, never its code
    assert rows == [header, ["최교육생", "choi@sesac.example", trainee, "구로", "Y"]]
    [download] = accesses(AccessAction.DOWNLOAD)
    assert download.actor_id == admin.id
    assert download.reason == "수료생 명단 점검 (2025 하반기)"
    assert download.ip_address == "198.51.100.4"
    assert download.page == "admin.users_export" and download.people_count == 1
    assert set(download.filters) == {"role"}  # the role chosen, as the page names it


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil.example")', "+1+2", "-3+4", "@SUM(A1)"])
def test_a_name_that_looks_like_a_formula_is_neutralised_in_the_csv(client, admin, make_user, name):
    make_user(Role.TRAINEE, name=name, email="formula@sesac.example")

    response = client.post("/admin/users/export?role=trainee", data={"reason": "수식 점검용"})

    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[1][0] == "'" + name


def test_a_campus_name_that_looks_like_a_formula_is_neutralised_in_the_csv(
    client, admin, make_user, make_campus
):
    make_user(Role.TRAINEE, campus=make_campus("=1+1", name_en="Formula"))

    response = client.post("/admin/users/export?role=trainee", data={"reason": "수식 점검용"})

    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[1][3] == "'=1+1"


# --- the logs ---------------------------------------------------------------------------


def _audit_entry(at: datetime, action: str, actor: str, label: str) -> AuditEntry:
    entry = AuditEntry(
        at=at,
        actor_label=actor,
        action=action,
        object_type="Cohort",
        object_id=1,
        object_label=label,
        changes={},
    )
    db.session.add(entry)
    return entry


@pytest.fixture
def audit_trail(app):
    """Three entries; the first two fall either side of midnight in Seoul on 1 March."""
    _audit_entry(
        datetime(2026, 3, 1, 14, 30, tzinfo=UTC),
        "cohort.status_changed",
        "김매니저 <manager@sesac.example>",
        "(구로1기/AI융합) 데이터분석 MARK-ONE",
    )
    _audit_entry(
        datetime(2026, 3, 1, 15, 30, tzinfo=UTC),
        "user.updated",
        "관리자 <admin@sesac.example>",
        "trainee@sesac.example MARK-TWO",
    )
    _audit_entry(
        datetime(2026, 2, 20, 1, 0, tzinfo=UTC),
        "course.created",
        "김매니저 <manager@sesac.example>",
        "데이터분석 과정 MARK-THREE",
    )
    db.session.commit()


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("", {"MARK-ONE", "MARK-TWO", "MARK-THREE"}),
        ("q=데이터분석", {"MARK-ONE", "MARK-THREE"}),
        ("q=ADMIN@sesac", {"MARK-TWO"}),
        ("action=cohort.", {"MARK-ONE"}),
        ("action=user.", {"MARK-TWO"}),
        ("date_from=2026-03-01&date_to=2026-03-01", {"MARK-ONE"}),  # Seoul days, not UTC days
        ("date_from=2026-03-02", {"MARK-TWO"}),
        ("date_to=2026-02-28", {"MARK-THREE"}),
        ("q=김매니저&action=course.&date_to=2026-03-01", {"MARK-THREE"}),
    ],
)
def test_the_audit_log_filters_by_text_action_and_seoul_date(
    client, admin, audit_trail, query, shown
):
    response = client.get(f"/admin/audit?{query}")

    assert response.status_code == 200
    page = text(response)
    assert {mark for mark in ("MARK-ONE", "MARK-TWO", "MARK-THREE") if mark in page} == shown


@pytest.fixture
def access_trail(app):
    for at, action, label, reason in [
        (datetime(2026, 3, 1, 14, 30, tzinfo=UTC), AccessAction.VIEW, "최교육생 ACCESS-ONE", None),
        (
            datetime(2026, 3, 1, 15, 30, tzinfo=UTC),
            AccessAction.DOWNLOAD,
            "12 users ACCESS-TWO",
            "명단 점검",
        ),
        (datetime(2026, 2, 20, 1, 0, tzinfo=UTC), AccessAction.CHANGE, "박멘토 ACCESS-THREE", None),
    ]:
        db.session.add(
            PersonalDataAccess(
                at=at,
                actor_label="관리자 <admin@sesac.example>",
                action=action,
                subject_type="User",
                subject_label=label,
                reason=reason,
                ip_address="10.0.0.1",
            )
        )
    db.session.commit()


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("", {"ACCESS-ONE", "ACCESS-TWO", "ACCESS-THREE"}),
        ("person=최교육생", {"ACCESS-ONE"}),
        ("action=download", {"ACCESS-TWO"}),
        ("action=change", {"ACCESS-THREE"}),
        ("date_from=2026-03-01&date_to=2026-03-01", {"ACCESS-ONE"}),
        ("date_from=2026-03-02&action=view", set()),
    ],
)
def test_the_access_log_filters_by_text_action_and_seoul_date(
    client, admin, access_trail, query, shown
):
    response = client.get(f"/admin/access-log?{query}")

    assert response.status_code == 200
    page = text(response)
    marks = ("ACCESS-ONE", "ACCESS-TWO", "ACCESS-THREE")
    assert {mark for mark in marks if mark in page} == shown


@pytest.fixture
def logged(app, make_user):
    actor = make_user(Role.ADMIN)
    entry = audit.record(actor, "user.updated", actor, {"name": ["a", "b"]}, label="x")
    access = audit.record_access(actor, AccessAction.VIEW, "someone", subject=actor)
    db.session.commit()
    return {AuditEntry: entry, PersonalDataAccess: access}


@pytest.mark.parametrize("model", [AuditEntry, PersonalDataAccess])
@pytest.mark.parametrize("change", ["update", "delete", "bulk-update", "bulk-delete"])
def test_log_rows_cannot_be_changed_or_deleted_through_the_orm(logged, model, change):
    row = logged[model]
    rows = db.session.scalar(db.select(sa.func.count()).select_from(model))

    with pytest.raises(RuntimeError, match="append-only"):
        if change == "update":
            row.actor_label = "someone else"
            db.session.flush()
        elif change == "delete":
            db.session.delete(row)
            db.session.flush()
        elif change == "bulk-update":
            db.session.execute(sa.update(model).values(actor_label="someone else"))
        else:
            db.session.execute(sa.delete(model))
    db.session.rollback()

    assert db.session.scalar(db.select(sa.func.count()).select_from(model)) == rows
    assert (
        db.session.scalar(db.select(sa.func.count()).where(model.actor_label == "someone else"))
        == 0
    )


def test_no_route_can_change_the_logs(app, client, admin):
    log_rules = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(("/admin/audit", "/admin/access-log"))
    ]

    assert {rule.rule for rule in log_rules} == {"/admin/audit", "/admin/access-log"}
    for rule in log_rules:
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
        for method in ("post", "put", "patch", "delete"):
            assert getattr(client, method)(rule.rule).status_code == 405
