"""Webhooks reach public internet addresses only (server-side request forgery): a URL whose
host is, or whose name leads to, this host, a private network or a cloud's metadata service
is refused when subscribed; at delivery the name is looked up once more and nothing is sent
when it now leads inside (DNS rebinding), and the request goes to the very address checked.

No test asks a DNS server: `dns` (tests/conftest.py) answers every look-up.
"""

from __future__ import annotations

import ipaddress
import re
from html import unescape

import pytest
from flask_babel import force_locale

from sesac_ms.crypto import encrypt
from sesac_ms.errors import DomainError, each_error
from sesac_ms.extensions import db
from sesac_ms.models import Role, WebhookDelivery, WebhookSubscription
from sesac_ms.webhooks import delivery, events, subscriptions
from sesac_ms.webhooks.addresses import is_public
from tests.conftest import PUBLIC_ADDRESS, dns, login
from tests.test_webhooks import Receiver

INSIDE = "This address points inside a private network; enter a public https:// address."
NOT_FOUND = "This address could not be found; check its spelling."
CREDENTIALS = "Leave the user name and password out of the address"
PARTNER = "hooks.partner.example"


@pytest.fixture
def manager(make_user):
    return make_user(Role.MANAGER, locale="en")


@pytest.fixture
def receiver(app):
    """A receiver on this host: what the check must stop, or with
    WEBHOOK_ALLOW_PRIVATE_ADDRESSES let through. Plain http, so it needs no certificate."""
    app.config["WEBHOOK_ALLOW_HTTP"] = True
    server = Receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()


def refusals(manager, url: str) -> dict[str | None, list[str]]:
    """Field → the messages subscribing `url` is refused with (in English); empty when it
    was made."""
    try:
        with force_locale("en"):
            subscriptions.subscribe(manager, url, ["session.booked"], manager.campus)
    except DomainError as refused:
        db.session.rollback()
        found: dict[str | None, list[str]] = {}
        for error in each_error(refused):
            found.setdefault(error.field, []).append(error.message)
        return found
    db.session.commit()
    return {}


def queue_one(manager) -> WebhookDelivery:
    events.emit("session.booked", manager.campus_id, "session", 1, {"status": [None, "booked"]})
    db.session.commit()
    return db.session.scalar(db.select(WebhookDelivery))


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://127.0.0.1:5432/",  # PostgreSQL on this host
        "https://10.0.0.5/hooks",
        "https://172.16.0.1/hooks",
        "https://192.168.1.1/hooks",
        "https://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
        "https://100.64.0.1/hooks",  # carrier-grade NAT, shared
        "https://0.0.0.0/hooks",
        "https://[::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",  # IPv4-mapped IPv6
        "https://[::ffff:a9fe:a9fe]/hooks",  # 169.254.169.254 mapped, in hexadecimal
        "https://[fd00::1]/hooks",  # fc00::/7, unique local
        "https://[fe80::1]/hooks",  # fe80::/10, link-local
        "https://[2002:7f00:1::]/hooks",  # 6to4 of 127.0.0.1
        "https://2130706433/hooks",  # 127.0.0.1 as one number
        "https://127.1/hooks",  # 127.0.0.1 shortened
        "https://224.0.0.1/hooks",  # multicast
    ],
)
def test_an_address_inside_is_refused_beside_the_url(app, manager, url):
    with dns({}):
        assert refusals(manager, url) == {"url": [INSIDE]}
    assert db.session.scalar(db.select(WebhookSubscription)) is None


@pytest.mark.parametrize(
    "addresses",
    [
        "10.1.2.3",
        "127.0.0.1",
        "169.254.169.254",
        "::1",
        (PUBLIC_ADDRESS, "192.168.0.10"),  # one address of several inside is enough
    ],
)
def test_a_name_that_leads_inside_is_refused(app, manager, addresses):
    with dns({PARTNER: addresses}) as asked:
        assert refusals(manager, f"https://{PARTNER}/hooks") == {"url": [INSIDE]}
    assert asked == [PARTNER]


def test_a_public_name_is_subscribed(app, manager):
    with dns({PARTNER: (PUBLIC_ADDRESS, "2606:2800:220:1:248:1893:25c8:1946")}):
        assert refusals(manager, f"https://{PARTNER}/hooks") == {}
        assert refusals(manager, f"https://{PUBLIC_ADDRESS}:8443/hooks") == {}
    stored = db.session.scalars(db.select(WebhookSubscription.url)).all()
    assert sorted(stored) == [f"https://{PUBLIC_ADDRESS}:8443/hooks", f"https://{PARTNER}/hooks"]


def test_a_name_that_is_not_found_is_refused(app, manager):
    with dns({}):
        assert refusals(manager, "https://hooks.partner-typo.example/hooks") == {"url": [NOT_FOUND]}


@pytest.mark.parametrize(
    "url",
    [
        f"https://user:secret@{PARTNER}/hooks",
        f"https://token@{PARTNER}/hooks",
        f"https://:secret@{PARTNER}/hooks",
    ],
)
def test_a_user_name_or_password_in_the_address_is_refused(app, manager, url):
    with dns({PARTNER: PUBLIC_ADDRESS}):
        [message] = refusals(manager, url)["url"]
    assert message.startswith(CREDENTIALS)


def test_every_problem_shows_beside_its_field_on_the_page(app, client, manager):
    login(client, manager.email)
    with dns({"intranet.partner.example": "10.20.30.40"}):
        page = client.post(
            "/webhooks", data={"url": "https://intranet.partner.example/hooks",
                               "campus_id": manager.campus_id},
        )  # fmt: skip
    html = page.get_data(as_text=True)
    beside = re.search(r'id="url-error"[^>]*>(.*?)</div>\s*</div>', html, re.S)
    assert page.status_code == 200 and beside is not None
    assert INSIDE in unescape(beside.group(1))
    assert "Choose at least one event" in html  # and the other field's problem with it
    assert db.session.scalar(db.select(WebhookSubscription)) is None


def test_the_korean_message_says_the_address_is_inside(app, client, make_user):
    manager = make_user(Role.MANAGER, locale="ko")
    login(client, manager.email)
    with dns({}):
        page = client.post(
            "/webhooks", data={"url": "https://10.0.0.5/hooks", "events": ["session.booked"],
                               "campus_id": manager.campus_id},
        )  # fmt: skip
    html = unescape(page.get_data(as_text=True))
    assert "내부" in html and INSIDE not in html


def test_a_name_that_now_leads_inside_gets_nothing_sent(app, receiver, manager):
    """DNS rebinding: public when subscribed, this host's address at delivery."""
    port = receiver.server.server_port
    with dns({PARTNER: PUBLIC_ADDRESS}):
        assert refusals(manager, f"http://{PARTNER}:{port}/hooks") == {}
    queued = queue_one(manager)

    with dns({PARTNER: "127.0.0.1"}):
        run = delivery.deliver_due()
    assert (run.delivered, run.failed) == (0, 1)
    assert receiver.requests == []  # nothing reached the service inside
    db.session.refresh(queued)
    assert queued.attempts == 1 and queued.delivered_at is None
    assert queued.last_status is None
    assert "127.0.0.1" in queued.last_error and "not a public" in queued.last_error


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "%31%32%37.0.0.1",  # urllib unquotes the host: the check sees what it connects to
    ],
)
def test_an_address_inside_stored_before_the_check_gets_nothing_sent(app, receiver, manager, host):
    port = receiver.server.server_port
    db.session.add(
        WebhookSubscription(
            campus_id=manager.campus_id, owner_id=manager.id, events="session.booked",
            url=f"http://{host}:{port}/hooks", secret_encrypted=encrypt("whsec_x"),
        )
    )  # fmt: skip
    db.session.commit()
    queued = queue_one(manager)
    with dns({}):
        assert delivery.deliver_due().failed == 1
    assert receiver.requests == []
    db.session.refresh(queued)
    assert "not a public" in queued.last_error


def test_the_request_goes_to_the_address_checked(app, receiver, manager):
    """One look-up per delivery: the HTTP library connects to the address that look-up gave
    and the check passed, and never looks the name up again (which could answer otherwise)."""
    app.config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = True  # the receiver is on this host
    port = receiver.server.server_port
    with dns({PARTNER: "127.0.0.1"}):
        assert refusals(manager, f"http://{PARTNER}:{port}/hooks") == {}
    queue_one(manager)

    with dns({PARTNER: "127.0.0.1"}) as asked:
        assert delivery.deliver_due().delivered == 1
    assert asked == [PARTNER]
    [(headers, _)] = receiver.requests
    assert headers["Host"] == f"{PARTNER}:{port}"  # the name, as the receiver expects


def test_a_redirect_is_not_followed(app, receiver, manager):
    app.config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = True
    receiver.status = 302
    receiver.location = f"{receiver.url}/elsewhere"  # here: the test reaches nothing else
    with dns({}):
        assert refusals(manager, receiver.url) == {}
        queued = queue_one(manager)
        assert delivery.deliver_due().failed == 1
    assert len(receiver.requests) == 1
    db.session.refresh(queued)
    assert queued.last_status == 302 and queued.delivered_at is None


def test_the_setting_lets_a_receiver_on_this_host_be_subscribed(app, manager):
    app.config.update(WEBHOOK_ALLOW_HTTP=True, WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True)
    with dns({"localhost": "127.0.0.1"}):
        assert refusals(manager, "http://localhost:8000/hooks") == {}
        assert refusals(manager, "http://nowhere.invalid/hooks") == {"url": [NOT_FOUND]}


@pytest.mark.parametrize(
    ("address", "public"),
    [
        (PUBLIC_ADDRESS, True),
        ("8.8.8.8", True),
        ("2606:4700::1111", True),
        ("::ffff:8.8.8.8", True),  # mapped: judged by the IPv4 address inside
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("203.0.113.7", False),  # documentation
        ("198.18.0.1", False),  # benchmarking
        ("255.255.255.255", False),
        ("fec0::1", False),  # site-local
        ("ff02::1", False),  # multicast
        ("::", False),
    ],
)
def test_which_addresses_are_public(address, public):
    assert is_public(ipaddress.ip_address(address)) is public
