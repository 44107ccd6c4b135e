"""Webhooks: what a change queues, what a delivery carries and how it is signed, retries,
giving up, pausing a failing subscription (its owner told), and the pages."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from sesac_ms.applications import services as applications
from sesac_ms.crypto import decrypt
from sesac_ms.errors import DomainErrors
from sesac_ms.extensions import db
from sesac_ms.models import OutboxMessage, Role, WebhookDelivery, WebhookSubscription
from sesac_ms.models.types import utcnow
from sesac_ms.webhooks import delivery, subscriptions
from tests.conftest import PUBLIC_ADDRESS, dns, login


class Receiver:
    """A local HTTP server that records what it is sent and answers with `status`."""

    def __init__(self) -> None:
        self.requests: list[tuple[Any, bytes]] = []
        self.status = 200
        self.location: str | None = None  # sent with the answer: a redirect's target
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.headers, body))  # names in any case
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.end_headers()
                self.wfile.write(b"thanks" if receiver.status < 300 else b"broken")

            def do_GET(self) -> None:  # noqa: N802 - a redirect followed comes as a GET
                receiver.requests.append((self.headers, b""))
                self.send_response(404)
                self.end_headers()

            def log_message(self, *args) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(autouse=True)
def partner_dns():
    """The partners' names lead to a public address (tests ask no DNS server)."""
    with dns({"partner.example": PUBLIC_ADDRESS, "other.example": PUBLIC_ADDRESS}):
        yield


@pytest.fixture
def receiver(app):
    # The receiver listens on this host: plain http to a private address, for tests only.
    app.config.update(WEBHOOK_ALLOW_HTTP=True, WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True)
    server = Receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def manager(make_user):
    return make_user(Role.MANAGER, locale="en")


def subscribe(manager, url, events=("application.decided",), campus=None):
    made = subscriptions.subscribe(manager, url, list(events), campus or manager.campus)
    db.session.commit()
    return made


def test_subscribing_reports_every_problem_at_once(app, manager, make_campus):
    other = make_campus("중랑", name_en="Jungnang")
    with pytest.raises(DomainErrors) as refused:
        subscriptions.subscribe(manager, "ftp://x", ["nothing.happened"], other)
    assert {e.field for e in refused.value.errors} == {"url", "events", "campus_id"}
    with pytest.raises(DomainErrors):
        subscriptions.subscribe(manager, "", [], manager.campus)


def test_only_https_addresses_unless_allowed(app, manager):
    with pytest.raises(Exception) as refused:
        subscriptions.subscribe(manager, "http://partner.example/hooks", ["session.booked"],
                                manager.campus)  # fmt: skip
    assert "https://" in str(refused.value)
    made = subscribe(manager, "https://partner.example/hooks")
    assert decrypt(made.subscription.secret_encrypted) == made.secret  # stored encrypted
    assert made.secret not in made.subscription.secret_encrypted


def test_a_decision_queues_one_delivery_per_subscriber_of_the_campus(
    app, manager, make_campus, make_user, make_open_cohort, make_application
):
    mine = subscribe(manager, "https://partner.example/decided").subscription
    subscribe(manager, "https://partner.example/booked", events=["session.booked"])
    elsewhere = make_campus("중랑", name_en="Jungnang")
    outsider = make_user(Role.MANAGER, campus=elsewhere)
    subscribe(outsider, "https://other.example/decided", campus=elsewhere)
    application = make_application(make_open_cohort())
    applications.reject(manager, application, "정원 초과 (internal reason)")
    db.session.commit()

    [queued] = db.session.scalars(db.select(WebhookDelivery)).all()
    assert queued.subscription_id == mine.id and queued.event == "application.decided"
    assert queued.payload["object"] == {"type": "application", "id": application.id}
    assert queued.payload["changes"]["stage"][1] == "rejected"
    assert queued.payload["occurred_at"].endswith("+09:00")
    assert "reason" not in json.dumps(queued.payload)  # never a reason or a note


def test_a_delivery_is_signed_and_delivered_once(app, receiver, manager, make_open_cohort,
                                                 make_application):  # fmt: skip
    made = subscribe(manager, receiver.url)
    applications.accept(manager, make_application(make_open_cohort()))
    db.session.commit()

    run = delivery.deliver_due()
    assert (run.delivered, run.failed) == (1, 0)
    [(headers, body)] = receiver.requests
    assert headers["SeSAC-Event"] == "application.decided"
    expected = hmac.new(
        made.secret.encode(), f"{headers['SeSAC-Timestamp']}.".encode() + body, hashlib.sha256
    ).hexdigest()
    assert headers["SeSAC-Signature"] == f"v1={expected}"
    assert json.loads(body)["event"] == "application.decided"
    sent = db.session.scalar(db.select(WebhookDelivery))
    assert sent.delivered_at is not None and sent.last_status == 200
    assert sent.last_response == "thanks"
    assert delivery.deliver_due().delivered == 0  # nothing twice


def test_failures_are_retried_with_backoff_then_given_up_and_the_webhook_paused(
    app, receiver, manager, make_open_cohort, make_application
):
    app.config.update(WEBHOOK_MAX_ATTEMPTS=3, WEBHOOK_PAUSE_AFTER=3)
    receiver.status = 500
    subscription = subscribe(manager, receiver.url).subscription
    applications.accept(manager, make_application(make_open_cohort()))
    db.session.commit()
    now = utcnow()

    assert delivery.deliver_due(now=now).failed == 1
    pending = db.session.scalar(db.select(WebhookDelivery))
    assert pending.next_attempt_at == now + delivery.BACKOFF[0] and pending.last_status == 500
    assert delivery.deliver_due(now=now).failed == 0  # not due yet
    delivery.deliver_due(now=now + timedelta(minutes=2))
    run = delivery.deliver_due(now=now + timedelta(hours=1))
    assert (run.given_up, run.paused) == (1, 1)
    db.session.refresh(subscription)
    assert subscription.paused_at is not None and pending.given_up_at is not None
    told = db.session.scalar(db.select(OutboxMessage).where(OutboxMessage.kind == "webhook_paused"))
    assert told.recipient == manager.email and receiver.url in told.body
    # paused: new events are not queued; resumed: they are again
    applications.accept(manager, make_application(make_open_cohort()))
    db.session.commit()
    assert db.session.query(WebhookDelivery).count() == 1
    subscriptions.resume(manager, subscription)
    db.session.commit()
    assert subscription.failures_in_a_row == 0


def test_an_unreachable_address_is_a_failed_attempt(app, manager, make_open_cohort,
                                                    make_application):  # fmt: skip
    app.config.update(WEBHOOK_ALLOW_HTTP=True, WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True)
    subscribe(manager, "http://127.0.0.1:9/nobody-listens")
    applications.accept(manager, make_application(make_open_cohort()))
    db.session.commit()
    assert delivery.deliver_due().failed == 1
    failed = db.session.scalar(db.select(WebhookDelivery))
    assert failed.last_status is None and failed.last_error


def test_the_pages_add_show_and_delete_a_webhook(app, client, manager):
    login(client, manager.email)
    page = client.post(
        "/webhooks",
        data={"url": "https://partner.example/hooks", "events": ["session.booked"],
              "campus_id": manager.campus_id},
    )  # fmt: skip
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "whsec_" in text
    subscription = db.session.scalar(db.select(WebhookSubscription))
    assert subscription.event_names == ["session.booked"]
    shown = client.get(f"/webhooks/{subscription.id}").get_data(as_text=True)
    assert "https://partner.example/hooks" in shown and "whsec_" not in shown
    refused = client.post("/webhooks", data={"url": "", "campus_id": manager.campus_id})
    assert "Enter the address" in refused.get_data(as_text=True)
    assert "Choose at least one event" in refused.get_data(as_text=True)
    client.post(f"/webhooks/{subscription.id}/delete")
    assert db.session.scalar(db.select(WebhookSubscription)) is None
