"""The mail outbox as a queue: requests only queue, senders claim each message before
sending it, failures are retried by time and given up only after MAIL_GIVE_UP_AFTER.

Mail goes to a real SMTP server on 127.0.0.1 (aiosmtpd, in a thread); an outage is that
server stopped, so senders get "connection refused" as they would in production.

Exactly once with several senders: each sender claims a batch and commits the claim
before it sends. On PostgreSQL the candidates are read FOR UPDATE SKIP LOCKED, so senders
take disjoint batches; on SQLite the claim is a conditional UPDATE that pysqlite runs as
the first statement of its transaction, so it waits for the write lock and then finds
the rows already claimed. Sending straight from a plain SELECT of unsent rows (as the old
sender did) delivers the same message several times here, and the tests fail.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask

from sesac_ms import mail
from sesac_ms.extensions import db
from sesac_ms.mail.sender import CLAIM_LEASE
from sesac_ms.models import OutboxMessage, PersonalDataAccess, Role
from sesac_ms.models.types import utcnow

SENDERS = 6


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sink:
    """An SMTP server that keeps what it receives; `stop()` is an outage."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[tuple[str, str]] = []  # (recipient, subject)
        self.refused: set[str] = set()
        self.delay = 0.0
        self._controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)  # a slow server keeps senders side by side
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        for recipient in envelope.rcpt_tos:
            self.received.append((recipient, str(message["Subject"])))
        return "250 OK"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def deliveries(self) -> Counter[str]:
        return Counter(recipient for recipient, _ in self.received)


@pytest.fixture
def sink():
    server = Sink()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_app(app: Flask, sink: Sink) -> Flask:
    """The test app sending to the sink."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, MAIL_USE_TLS=False)
    app.config.update(MAIL_TIMEOUT=5)
    return app


def queue_many(n: int, prefix: str = "person") -> list[str]:
    recipients = [f"{prefix}{i:03d}@example.com" for i in range(n)]
    for i, recipient in enumerate(recipients):
        mail.queue(recipient, f"[SeSAC MS] 안내 {i}", f"{recipient} 님, 확인 링크입니다.")
    db.session.commit()
    return recipients


def stored() -> list[OutboxMessage]:
    db.session.rollback()  # what the senders committed, not what this session remembers
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def senders_at_once(app: Flask, n: int, **pass_options) -> list[mail.SendResult]:
    """n senders, each in its own thread, app context and database session, started
    together; returns their results. An exception in a sender fails the test."""
    barrier = threading.Barrier(n)
    results: list[mail.SendResult | None] = [None] * n
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=60)
                results[i] = mail.send_pending(**pass_options)
        except BaseException as error:  # reported in the main thread
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a sender hung"
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]


# --- requests only queue ----------------------------------------------------------------


def test_a_request_only_queues_its_mail_when_a_server_is_set(smtp_app, sink, client, make_user):
    person = make_user(Role.MANAGER, email="forgetful@sesac.example")
    (earlier,) = queue_many(1, prefix="earlier")

    response = client.post("/auth/forgot", data={"email": person.email})

    assert response.status_code == 302
    assert sink.received == []  # neither its own mail nor the one queued before
    assert [(m.recipient, m.sent_at, m.attempts) for m in stored()] == [
        (earlier, None, 0),
        (person.email, None, 0),
    ]

    result = mail.send_pending()

    assert (result.sent, result.failed) == (2, 0)
    assert sink.deliveries() == {earlier: 1, person.email: 1}


def test_without_a_server_a_request_logs_its_own_mail_and_nobody_elses(
    app, client, make_user, app_log
):
    person = make_user(Role.MANAGER, email="forgetful@sesac.example")
    (earlier,) = queue_many(1, prefix="earlier")

    response = client.post("/auth/forgot", data={"email": person.email})

    assert response.status_code == 302
    by_recipient = {m.recipient: m for m in stored()}
    assert by_recipient[person.email].sent_at is not None
    assert by_recipient[earlier].sent_at is None
    assert f"mail to {person.email}" in app_log.text
    assert f"mail to {earlier}" not in app_log.text


def test_mail_queued_in_a_transaction_that_rolls_back_is_never_sent(app, app_log):
    mail.queue("gone@example.com", "[SeSAC MS] 안내", "본문")
    db.session.rollback()
    queue_many(1, prefix="kept")

    mail.send_pending()

    assert [m.recipient for m in stored()] == ["kept000@example.com"]
    assert "gone@example.com" not in app_log.text


# --- exactly once ---------------------------------------------------------------------------


def test_concurrent_senders_deliver_every_message_exactly_once(smtp_app, sink):
    recipients = queue_many(60)
    sink.delay = 0.01

    results = senders_at_once(smtp_app, SENDERS)

    assert sum(r.sent for r in results) == 60
    assert sum(r.failed for r in results) == 0
    assert sink.deliveries() == dict.fromkeys(recipients, 1)
    messages = stored()
    assert all(m.sent_at is not None and m.attempts == 1 for m in messages)
    assert all(m.claimed_by is None and m.claimed_until is None for m in messages)

    again = senders_at_once(smtp_app, SENDERS)

    assert sum(r.sent + r.failed for r in again) == 0
    assert len(sink.received) == 60


def test_a_claimed_message_is_left_to_its_sender_until_the_claim_expires(smtp_app, sink):
    """A sender that died after claiming leaves its claim; others wait out the lease."""
    recipients = queue_many(3)
    now = utcnow()
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.recipient == recipients[0])
        .values(claimed_by="a-sender-that-died", claimed_until=now + CLAIM_LEASE)
    )
    db.session.commit()

    first = mail.send_pending(now=now)

    assert first.sent == 2
    assert sink.deliveries() == {recipients[1]: 1, recipients[2]: 1}

    after_the_lease = mail.send_pending(now=now + CLAIM_LEASE + timedelta(seconds=1))

    assert after_the_lease.sent == 1
    assert sink.deliveries() == dict.fromkeys(recipients, 1)
    assert all(m.claimed_by is None for m in stored())


# --- an outage ------------------------------------------------------------------------------


def test_an_smtp_outage_delays_mail_and_loses_none(smtp_app, sink):
    recipients = queue_many(30)
    sink.stop()
    t0 = utcnow()

    during = senders_at_once(smtp_app, SENDERS, now=t0)

    assert sum(r.sent for r in during) == 0
    assert sum(r.failed for r in during) == 30  # each message tried once, by one sender
    assert sum(r.given_up for r in during) == 0
    for message in stored():
        assert message.sent_at is None and message.given_up_at is None
        assert message.attempts == 1
        assert "ConnectionRefusedError" in message.last_error
        assert message.next_attempt_at == t0 + timedelta(minutes=1)
        assert message.claimed_by is None

    # Requests and senders coming by during the pause do not use up attempts.
    soon = senders_at_once(smtp_app, SENDERS, now=t0 + timedelta(seconds=30))
    assert sum(r.sent + r.failed for r in soon) == 0
    assert {m.attempts for m in stored()} == {1}

    sink.start()
    after = senders_at_once(smtp_app, SENDERS, now=t0 + timedelta(minutes=2))

    assert sum(r.sent for r in after) == 30
    assert sink.deliveries() == dict.fromkeys(recipients, 1)
    messages = stored()
    assert all(m.sent_at is not None and m.last_error is None for m in messages)
    assert {m.attempts for m in messages} == {2}


def test_failed_attempts_wait_longer_each_time_up_to_an_hour(smtp_app, sink):
    queue_many(1)
    sink.stop()
    now = utcnow()
    waits = []
    for _ in range(9):
        mail.send_pending(now=now)
        (message,) = stored()
        waits.append(message.next_attempt_at - now)
        now = message.next_attempt_at
    minutes = [int(wait.total_seconds() // 60) for wait in waits]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert message.attempts == 9 and message.given_up_at is None


def test_one_refused_recipient_does_not_hold_up_the_others(smtp_app, sink):
    recipients = queue_many(3)
    sink.refused.add(recipients[1])
    now = utcnow()

    result = mail.send_pending(now=now)

    assert (result.sent, result.failed) == (2, 1)
    assert sink.deliveries() == {recipients[0]: 1, recipients[2]: 1}
    refused = next(m for m in stored() if m.recipient == recipients[1])
    assert refused.sent_at is None and "550" in refused.last_error
    assert refused.next_attempt_at == now + timedelta(minutes=1)


# --- giving up, and putting back ------------------------------------------------------------


def reload(message_id: int) -> OutboxMessage:
    return next(m for m in stored() if m.id == message_id)


def give_up_one(sink: Sink, recipient_prefix: str = "lost") -> OutboxMessage:
    """A message that kept failing until MAIL_GIVE_UP_AFTER (3 days) had passed."""
    queue_many(1, prefix=recipient_prefix)
    (message_id,) = [m.id for m in stored() if m.recipient.startswith(recipient_prefix)]
    sink.stop()
    start = utcnow()
    mail.send_pending(now=start)
    assert reload(message_id).given_up_at is None
    # Still failing just before the period ends: tried again later, not given up.
    mail.send_pending(now=start + timedelta(days=3) - timedelta(minutes=1))
    assert reload(message_id).given_up_at is None
    result = mail.send_pending(now=start + timedelta(days=3, minutes=1))
    assert result.given_up == 1
    sink.start()
    return reload(message_id)


def test_a_message_is_given_up_only_after_the_give_up_period(smtp_app, sink):
    message = give_up_one(sink)

    assert message.given_up_at is not None and message.sent_at is None
    assert message.attempts == 3 and "ConnectionRefusedError" in message.last_error
    later = mail.send_pending(now=utcnow() + timedelta(days=30))
    assert later.sent == 0 and sink.received == []


def test_the_give_up_period_is_a_setting(smtp_app, sink):
    smtp_app.config["MAIL_GIVE_UP_AFTER"] = timedelta(hours=1)
    queue_many(1)
    sink.stop()
    now = utcnow()
    mail.send_pending(now=now)
    result = mail.send_pending(now=now + timedelta(hours=1))
    assert result.given_up == 1


def test_the_cli_requeues_given_up_mail_with_failed(smtp_app, sink, runner):
    message = give_up_one(sink)

    plain = runner.invoke(args=["mail", "retry"])
    assert plain.exit_code == 0, plain.output
    assert "0 waiting message(s) due now" in plain.output
    assert stored()[0].given_up_at is not None

    result = runner.invoke(args=["mail", "retry", "--failed"])

    assert result.exit_code == 0, result.output
    assert "1 given-up message(s) re-queued" in result.output
    (requeued,) = stored()
    assert requeued.given_up_at is None and requeued.attempts == 0
    sent = runner.invoke(args=["mail", "send"])
    assert "sent 1, failed 0" in sent.output
    assert sink.deliveries() == {message.recipient: 1}


def test_the_cli_makes_waiting_mail_due_now(smtp_app, sink, runner):
    recipients = queue_many(2)
    sink.stop()
    assert runner.invoke(args=["mail", "send"]).exit_code == 1
    sink.start()
    assert "sent 0, failed 0" in runner.invoke(args=["mail", "send"]).output  # not due yet

    result = runner.invoke(args=["mail", "retry"])

    assert result.exit_code == 0, result.output
    assert "2 waiting message(s) due now" in result.output
    assert "sent 2, failed 0" in runner.invoke(args=["mail", "send"]).output
    assert sink.deliveries() == dict.fromkeys(recipients, 1)


# --- the admin page -------------------------------------------------------------------------


def test_an_admin_sees_given_up_and_waiting_mail_and_requeues_it(smtp_app, sink, client, login_as):
    lost = give_up_one(sink)
    (waiting,) = queue_many(1, prefix="waiting")
    sink.stop()
    mail.send_pending()  # `waiting` fails once and waits a minute
    sink.start()
    login_as(Role.ADMIN, locale="en")

    page = client.get("/admin/mail").get_data(as_text=True)

    assert lost.recipient in page and waiting in page
    assert "[SeSAC MS] 안내 0" in page
    assert "ConnectionRefusedError" in page
    assert "Given up" in page and "Retrying" in page
    assert "given up 3 days after it was queued" in page
    assert f'name="message_id" value="{lost.id}"' in page  # its re-queue button
    assert "확인 링크" not in page  # bodies carry links: never shown
    failed_only = client.get("/admin/mail?state=failed").get_data(as_text=True)
    assert lost.recipient in failed_only and waiting not in failed_only

    response = client.post("/admin/mail/requeue?state=failed", data={"message_id": str(lost.id)})

    assert response.status_code == 302
    assert response.location == "/admin/mail?state=failed"
    assert "will be sent again shortly" in client.get(response.location).get_data(as_text=True)
    requeued = next(m for m in stored() if m.id == lost.id)
    assert requeued.given_up_at is None and requeued.attempts == 0
    assert mail.send_pending().sent == 1
    assert sink.deliveries() == {lost.recipient: 1}
    assert reload(lost.id).sent_at is not None

    again = client.post("/admin/mail/requeue", data={"message_id": str(lost.id)})
    assert "already sent" in client.get(again.location).get_data(as_text=True)


def test_an_admin_requeues_all_given_up_mail(smtp_app, sink, client, login_as):
    first = give_up_one(sink, "first")
    second = give_up_one(sink, "second")
    login_as(Role.ADMIN, locale="en")

    response = client.post("/admin/mail/requeue-failed")

    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "2 given-up messages are back in the queue." in page
    assert [m.given_up_at for m in stored()] == [None, None]
    assert mail.send_pending().sent == 2
    assert sink.deliveries() == {first.recipient: 1, second.recipient: 1}


def test_the_mail_page_is_paged(app, client, login_as):
    queue_many(55)
    login_as(Role.ADMIN, locale="en")

    first = client.get("/admin/mail").get_data(as_text=True)
    second = client.get("/admin/mail?page=2").get_data(as_text=True)

    assert "person000@example.com" in first and "person054@example.com" not in first
    assert "person054@example.com" in second
    assert "55 in all" in first
    # The page shows whom mail goes to: each visit is in the personal-data access log.
    logged = db.session.scalars(db.select(PersonalDataAccess).order_by(PersonalDataAccess.id)).all()
    assert [(entry.page, entry.people_count) for entry in logged] == [
        ("admin.outbox", 50),
        ("admin.outbox", 5),
    ]


@pytest.mark.parametrize("role", [Role.MANAGER, Role.COORDINATOR])
def test_only_admins_see_the_mail_page(app, client, login_as, role):
    queue_many(1)
    login_as(role, locale="en")

    assert client.get("/admin/mail").status_code == 403
    assert client.post("/admin/mail/requeue-failed").status_code == 403
    assert "/admin/mail" not in client.get("/").get_data(as_text=True)


# --- the worker -----------------------------------------------------------------------------


def test_the_worker_sends_what_becomes_due_until_stopped(smtp_app, sink):
    stop = threading.Event()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with smtp_app.app_context():
                mail.run_worker(stop, interval=0.05)
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=work)
    worker.start()
    try:
        recipients = queue_many(3)
        deadline = time.monotonic() + 30
        while len(sink.received) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not worker.is_alive() and not errors
    assert sink.deliveries() == dict.fromkeys(recipients, 1)


def test_mail_worker_once_runs_one_pass(smtp_app, sink, runner):
    recipients = queue_many(2)

    result = runner.invoke(args=["mail", "worker", "--once"])

    assert result.exit_code == 0, result.output
    assert "sent 2, failed 0" in result.output
    assert sink.deliveries() == dict.fromkeys(recipients, 1)


def test_mail_worker_stops_cleanly_on_sigterm(app, database_url, tmp_path):
    """The real command in its own process: it sends, then SIGTERM ends it with status 0."""
    queue_many(1)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SESAC_INSTANCE_PATH": str(tmp_path / "worker-instance"),
        "SECRET_KEY": "worker-test-secret-key-0123456789abcdef",
    }
    flask = Path(sys.executable).with_name("flask")
    worker = subprocess.Popen(
        [str(flask), "--app", "sesac_ms", "mail", "worker", "--interval", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while stored()[0].sent_at is None and time.monotonic() < deadline:
            assert worker.poll() is None, worker.communicate()
            time.sleep(0.2)
        assert stored()[0].sent_at is not None
        worker.send_signal(signal.SIGTERM)
        output, errors = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, errors
    assert "sent 1, failed 0" in output
    assert "mail worker stopped" in output
