"""The command line: creating users, loading the demo data, sending the mail outbox."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import force_locale, gettext

from sesac_ms import mail
from sesac_ms.extensions import db
from sesac_ms.models import AuditEntry, Campus, Cohort, CohortStaff, Course, Role, User
from sesac_ms.models.types import utcnow
from tests.conftest import login

STRONG_PASSWORD = "a long enough passphrase"


def ko(message: str, **values) -> str:
    """The message as a Korean user reads it, from the app's own catalogue."""
    with force_locale("ko"):
        return gettext(message, **values)


def count(model) -> int:
    return db.session.scalar(db.select(sa.func.count()).select_from(model))


def create_user(runner, *args: str, password: str = STRONG_PASSWORD):
    return runner.invoke(args=["users", "create", *args], input=password + "\n")


# --- users create ---------------------------------------------------------------------


def test_users_create_makes_an_account_that_can_log_in(runner, client, campus):
    result = create_user(
        runner,
        "--email",
        "Kim.Manager@sesac.example",
        "--name",
        "김매니저",
        "--role",
        "manager",
        "--campus",
        "guro ",
    )

    assert result.exit_code == 0, result.output
    person = db.session.scalar(db.select(User).where(User.email == "kim.manager@sesac.example"))
    assert f"Created manager kim.manager@sesac.example (id {person.id})." in result.output
    assert (person.name, person.role, person.campus_id) == ("김매니저", Role.MANAGER, campus.id)
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.object_id == person.id))
    assert (entry.action, entry.actor_id, entry.actor_label) == ("user.created", None, "system")
    response = login(client, "kim.manager@sesac.example", STRONG_PASSWORD)
    assert response.status_code == 302 and urlsplit(response.location).path == "/"


def test_users_create_makes_an_administrator_without_a_campus(runner, client):
    result = create_user(
        runner, "--email", "root@sesac.example", "--name", "운영본부", "--role", "admin"
    )

    assert result.exit_code == 0, result.output
    admin = db.session.scalar(db.select(User).where(User.email == "root@sesac.example"))
    assert (admin.role, admin.campus_id) == (Role.ADMIN, None)
    assert login(client, "root@sesac.example", STRONG_PASSWORD).status_code == 302


def test_users_create_refuses_an_unknown_campus(runner, campus):
    result = create_user(
        runner,
        "--email",
        "x@sesac.example",
        "--name",
        "엑스",
        "--role",
        "manager",
        "--campus",
        "판교",
    )

    assert result.exit_code != 0
    assert "--campus" in result.output and "판교" in result.output
    assert count(User) == 0


def test_users_create_refuses_staff_without_a_campus(runner, campus):
    result = create_user(
        runner, "--email", "x@sesac.example", "--name", "엑스", "--role", "coordinator"
    )

    assert result.exit_code != 0
    assert ko("Choose the campus this person belongs to.") in result.output
    assert count(User) == 0


def test_users_create_refuses_a_short_password(runner, campus):
    result = create_user(
        runner,
        "--email",
        "x@sesac.example",
        "--name",
        "엑스",
        "--role",
        "manager",
        "--campus",
        "구로",
        password="short",
    )

    assert result.exit_code != 0
    assert ko("The password needs at least %(n)d characters.", n=12) in result.output
    assert count(User) == 0


def test_users_create_refuses_a_taken_e_mail(runner, campus, make_user):
    make_user(Role.MENTOR, email="taken@sesac.example", name="원래 멘토")

    result = create_user(
        runner,
        "--email",
        "TAKEN@sesac.example",
        "--name",
        "새 멘토",
        "--role",
        "mentor",
        "--campus",
        "구로",
    )

    assert result.exit_code != 0
    assert ko("A user with this e-mail address already exists.") in result.output
    assert db.session.scalars(db.select(User.name)).all() == ["원래 멘토"]


# --- demo data -----------------------------------------------------------------------------


def test_demo_data_loads_once_and_every_printed_log_in_works(app, runner):
    first = runner.invoke(args=["demo-data"])
    second = runner.invoke(args=["demo-data"])

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    campuses = db.session.scalars(db.select(Campus).order_by(Campus.opening_order)).all()
    assert len(campuses) == 25
    assert [c.opening_order for c in campuses] == list(range(1, 26))
    by_name = {c.name_ko: c for c in campuses}
    assert (
        by_name["영등포"].opening_order,
        by_name["은평"].opening_order,
        by_name["양천"].opening_order,
    ) == (1, 19, 23)
    assert (by_name["구로"].opening_order, by_name["중랑"].opening_order) == (24, 25)
    assert {c.name_ko: c.partner_company for c in campuses if c.ai_specialised} == {
        "마포": "Microsoft",
        "중구": "Salesforce",
        "종로": "Intel",
    }
    # 구로's completed cohort has its own course and its coordinator (demo.load_completed_cohort).
    assert (count(Course), count(Cohort), count(CohortStaff)) == (6, 10, 3)
    # The demo accounts log in; the article's trainees are records without a password.
    users = db.session.scalars(
        db.select(User).where(User.password_hash.is_not(None)).order_by(User.id)
    ).all()
    assert sorted(u.role.value for u in users) == sorted(r.value for r in Role)
    assert all(u.campus_id == by_name["구로"].id for u in users if u.role != Role.ADMIN)
    # 86 + 5 dropped on the AI campuses' first cohorts, 5 classmates of the demo trainee,
    # 24 on 구로's completed cohort.
    assert count(User) == len(users) + 91 + 5 + 24

    password = re.search(r"password for all: (\S+)\)", second.output).group(1)
    printed = re.findall(r"^\s+(\w+)\s+(\S+@\S+)$", second.output, re.M)
    assert printed == re.findall(r"^\s+(\w+)\s+(\S+@\S+)$", first.output, re.M)
    assert sorted(printed) == sorted((u.role.value, u.email) for u in users)
    for role, email in printed:
        browser = app.test_client()
        response = login(browser, email, password)
        assert response.status_code == 302, (role, email)
        assert urlsplit(response.location).path == "/"
        assert browser.get("/").status_code == 200


def test_demo_data_if_empty_leaves_a_filled_database_alone(runner, campus):
    result = runner.invoke(args=["demo-data-if-empty"])

    assert result.exit_code == 0, result.output
    assert "already has data" in result.output
    assert db.session.scalars(db.select(Campus.name_ko)).all() == ["구로"]
    assert count(User) == 0


# --- mail -----------------------------------------------------------------------------------


def test_mail_send_delivers_queued_messages_to_the_log_without_a_server(app, runner, app_log):
    mail.queue("kim@sesac.example", "[SeSAC MS] 안내", "첫 번째 메일")
    mail.queue("lee@sesac.example", "[SeSAC MS] 안내", "두 번째 메일")
    db.session.commit()

    result = runner.invoke(args=["mail", "send"])

    assert result.exit_code == 0, result.output
    assert "sent 2, failed 0" in result.output
    messages = db.session.scalars(db.select(mail.OutboxMessage).order_by("id")).all()
    assert all(m.sent_at is not None and m.attempts == 1 for m in messages)
    logged = app_log.text
    assert "mail to kim@sesac.example" in logged and "첫 번째 메일" in logged
    assert "mail to lee@sesac.example" in logged

    again = runner.invoke(args=["mail", "send"])

    assert "sent 0, failed 0" in again.output


def test_mail_send_keeps_a_message_it_could_not_deliver(app, runner):
    mail.queue("kim@sesac.example", "[SeSAC MS] 안내", "본문")
    db.session.commit()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)  # nothing listens there

    result = runner.invoke(args=["mail", "send"])

    assert result.exit_code == 1
    assert "sent 0, failed 1" in result.output
    message = db.session.scalar(db.select(mail.OutboxMessage))
    assert message.sent_at is None and message.given_up_at is None
    assert (message.attempts, bool(message.last_error)) == (1, True)
    assert message.next_attempt_at > utcnow()  # tried again in a minute, by a later run
