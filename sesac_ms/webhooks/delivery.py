"""Sending deliveries: signed, claimed before they go, retried with backoff, given up after
WEBHOOK_MAX_ATTEMPTS; a subscription failing WEBHOOK_PAUSE_AFTER times in a row is paused
and its owner told.

Each request is a POST of the payload as JSON with these headers:

    SeSAC-Event: application.decided
    SeSAC-Delivery: 123                  (the same on a retry: handle it once)
    SeSAC-Timestamp: 1764300000          (Unix seconds)
    SeSAC-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>

A 2xx answer is a delivery; anything else (another status, no answer within
WEBHOOK_TIMEOUT, a redirect, which is never followed) is a failed attempt. So is an address
that is no longer public (addresses.py): the host's name is looked up once per attempt and
the request goes to the addresses that lookup gave and the check passed, straight (no proxy
from the environment, which would look the name up again itself).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import http.client
import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from .. import notify
from ..crypto import decrypt
from ..extensions import db
from ..links import external_url
from ..models import WebhookDelivery, WebhookSubscription
from ..models.types import utcnow
from . import addresses

# Waits before the 2nd, 3rd, … attempt; the last repeats.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
LEASE = timedelta(minutes=2)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=` and the hex HMAC-SHA256 of "<timestamp>." followed by the body."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + digest.hexdigest()


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003 - urllib's signature
        return None  # a redirect is an answer like any other non-2xx: the attempt failed


class _Pinned:
    """An http.client connection to the checked addresses of its host (addresses.connect),
    never to the name: http.client opens its socket through `_create_connection`."""

    def __init__(self, *args, allow_private: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = functools.partial(addresses.connect, allow_private=allow_private)


class _PinnedHTTPConnection(_Pinned, http.client.HTTPConnection):
    pass


class _PinnedHTTPSConnection(_Pinned, http.client.HTTPSConnection):
    pass  # TLS still checks the certificate against the host's name (SNI too)


class _PinnedHandler(urllib.request.HTTPSHandler):
    """http:// and https://, each connection to the checked addresses of its host."""

    def __init__(self, allow_private: bool) -> None:
        super().__init__()
        self.allow_private = allow_private

    http_request = urllib.request.AbstractHTTPHandler.do_request_  # as HTTPHandler's

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_PinnedHTTPConnection, req, allow_private=self.allow_private)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_PinnedHTTPSConnection, req, allow_private=self.allow_private)


@functools.cache
def _opener(allow_private: bool) -> urllib.request.OpenerDirector:
    """http(s) only, to checked addresses, no redirect followed, no proxy: one of each kind
    a worker, as urllib's own openers are shared."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        _PinnedHandler(allow_private),
        _NoRedirects(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
        urllib.request.UnknownHandler(),  # file://, ftp://, …: refused
    ):
        opener.add_handler(handler)
    return opener


@dataclass
class Attempt:
    status: int | None
    response: str | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(
    url: str,
    secret: str,
    delivery: WebhookDelivery,
    timeout: float,
    *,
    allow_private: bool = False,
) -> Attempt:
    """One attempt; nothing is sent when the host's addresses are not all public (unless
    `allow_private`): the attempt then fails with the reason as its error."""
    body = body_of(delivery)
    timestamp = int(time.time())
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "SeSAC-MS-Webhooks/1",
            "SeSAC-Event": delivery.event,
            "SeSAC-Delivery": str(delivery.id),
            "SeSAC-Timestamp": str(timestamp),
            "SeSAC-Signature": signature(secret, timestamp, body),
        },
    )
    try:
        with _opener(allow_private).open(request, timeout=timeout) as answer:
            return Attempt(answer.status, answer.read(1000).decode(errors="replace"), None)
    except urllib.error.HTTPError as error:
        text = error.read(1000).decode(errors="replace") if error.fp else ""
        return Attempt(error.code, text, None)
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
        return Attempt(None, None, str(getattr(error, "reason", error))[:500])


@dataclass
class DeliveryRun:
    delivered: int = 0
    failed: int = 0
    given_up: int = 0
    paused: int = 0


def _claim(delivery_id: int, token: str, now: datetime) -> bool:
    claimed = db.session.execute(
        sa.update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.delivered_at.is_(None),
            WebhookDelivery.given_up_at.is_(None),
            sa.or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
        )
        .values(claimed_by=token, claimed_until=now + LEASE)
    ).rowcount
    db.session.commit()
    return claimed == 1


def due_ids(now: datetime, limit: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(WebhookDelivery.id)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(
                WebhookDelivery.delivered_at.is_(None),
                WebhookDelivery.given_up_at.is_(None),
                WebhookDelivery.next_attempt_at <= now,
                sa.or_(
                    WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now
                ),
                WebhookSubscription.paused_at.is_(None),
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        )
    )


def deliver_due(limit: int = 100, now: datetime | None = None) -> DeliveryRun:
    """Send what is due, one delivery at a time, each claimed and committed on its own."""
    config = current_app.config
    run = DeliveryRun()
    token = secrets.token_hex(8)
    for delivery_id in due_ids(now or utcnow(), limit):
        if not _claim(delivery_id, token, now or utcnow()):
            continue  # another sender has it
        delivery = db.session.get(WebhookDelivery, delivery_id)
        subscription = db.session.get(WebhookSubscription, delivery.subscription_id)
        attempt = post(
            subscription.url,
            decrypt(subscription.secret_encrypted),
            delivery,
            float(config["WEBHOOK_TIMEOUT"]),
            allow_private=bool(config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"]),
        )
        _note_attempt(delivery, subscription, attempt, now or utcnow(), run)
        db.session.commit()
    return run


def _note_attempt(
    delivery: WebhookDelivery,
    subscription: WebhookSubscription,
    attempt: Attempt,
    now: datetime,
    run: DeliveryRun,
) -> None:
    config = current_app.config
    delivery.attempts += 1
    delivery.claimed_by = delivery.claimed_until = None
    delivery.last_status = attempt.status
    delivery.last_response = attempt.response
    delivery.last_error = attempt.error
    if attempt.delivered:
        delivery.delivered_at = now
        subscription.failures_in_a_row = 0
        run.delivered += 1
        return
    run.failed += 1
    subscription.failures_in_a_row += 1
    if delivery.attempts >= int(config["WEBHOOK_MAX_ATTEMPTS"]):
        delivery.given_up_at = now
        run.given_up += 1
    else:
        wait = BACKOFF[min(delivery.attempts, len(BACKOFF)) - 1]
        delivery.next_attempt_at = now + wait
    if subscription.paused_at is None and subscription.failures_in_a_row >= int(
        config["WEBHOOK_PAUSE_AFTER"]
    ):
        subscription.paused_at = now
        run.paused += 1
        notify.send(
            subscription.owner,
            "webhook_paused",
            url=subscription.url,
            failures=subscription.failures_in_a_row,
            link=external_url("webhooks.show", subscription_id=subscription.id),
        )
