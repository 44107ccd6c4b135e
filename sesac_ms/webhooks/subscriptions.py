"""Subscribing a URL to a campus's events: made by its managers (an administrator's may
cover every campus), signed with a secret shown once, paused and resumed, removed."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext
from sqlalchemy import Select

from .. import audit
from ..crypto import encrypt
from ..errors import NotAllowed, Problems
from ..extensions import db
from ..models import Campus, Role, User, WebhookDelivery, WebhookSubscription
from ..models.types import utcnow
from . import addresses
from .events import EVENTS


@dataclass
class NewSubscription:
    subscription: WebhookSubscription
    secret: str  # shown once; the receiver verifies signatures with it


def _check_url(url: str, problems: Problems) -> str:
    url = (url or "").strip()
    config = current_app.config
    allowed = ("https", "http") if config["WEBHOOK_ALLOW_HTTP"] else ("https",)
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # an unclosed [IPv6 address], a port that is not one
        parts = port = None
    if not url:
        problems.add(gettext("Enter the address to send the events to."), "url")
    elif len(url) > 500:
        problems.add(gettext("Keep the address to 500 characters."), "url")
    elif parts is None or port is None or parts.scheme not in allowed or not parts.hostname:
        problems.add(
            gettext("Enter an https:// address, such as https://example.com/hooks."), "url"
        )
    else:
        if "@" in parts.netloc:
            problems.add(
                gettext(
                    "Leave the user name and password out of the address: "
                    "the signature shows the receiver who sent each event."
                ),
                "url",
            )
        _check_host(parts.hostname, port, config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"], problems)
    return url


def _check_host(host: str, port: int, allow_private: bool, problems: Problems) -> None:
    """Only a public internet address: an address inside (this host, a private network,
    cloud metadata) or a name that leads there is refused. Delivery checks again."""
    try:
        addresses.resolve(host, port, allow_private=allow_private)
    except addresses.HostNotFound:
        problems.add(gettext("This address could not be found; check its spelling."), "url")
    except addresses.NotPublic:
        problems.add(
            gettext(
                "This address points inside a private network; enter a public https:// address."
            ),
            "url",
        )


def subscribe(owner: User, url: str, events: list[str], campus: Campus | None) -> NewSubscription:
    """A new subscription; every problem with the input at once."""
    problems = Problems()
    url = _check_url(url, problems)
    chosen = sorted(set(events or []))
    if not chosen:
        problems.add(gettext("Choose at least one event."), "events")
    elif any(event not in EVENTS for event in chosen):
        problems.add(gettext("Choose events from the list."), "events")
    if (
        campus is None
        and owner.role != Role.ADMIN
        or campus is not None
        and owner.role != Role.ADMIN
        and campus.id != owner.campus_id
    ):
        problems.add(gettext("Choose one of your campuses."), "campus_id")
    problems.raise_any()
    secret = "whsec_" + secrets.token_urlsafe(32)
    subscription = WebhookSubscription(
        campus_id=campus.id if campus else None,
        owner_id=owner.id,
        url=url,
        events=",".join(chosen),
        secret_encrypted=encrypt(secret),
    )
    db.session.add(subscription)
    audit.record(
        owner,
        "webhook.created",
        subscription,
        {"url": [None, url], "events": [None, ", ".join(chosen)]},
        label=url,
        campus_id=subscription.campus_id,
    )
    return NewSubscription(subscription, secret)


def visible_query(user: User) -> Select:
    """The subscriptions a user manages: their campus's, or every one for an administrator."""
    stmt = db.select(WebhookSubscription).order_by(WebhookSubscription.id.desc())
    if user.role != Role.ADMIN:
        stmt = stmt.where(WebhookSubscription.campus_id == user.campus_id)
    return stmt


def _manages(user: User, subscription: WebhookSubscription) -> bool:
    return user.role == Role.ADMIN or subscription.campus_id == user.campus_id


def load(user: User, subscription_id: int) -> WebhookSubscription | None:
    """The subscription, if the user manages it (their campus's; every one for an admin)."""
    subscription = db.session.get(WebhookSubscription, subscription_id)
    return subscription if subscription is not None and _manages(user, subscription) else None


def _check_manages(user: User, subscription: WebhookSubscription) -> None:
    if not _manages(user, subscription):
        raise NotAllowed(gettext("That subscription is not one of your campus's."))


def _record(
    actor: User, action: str, subscription: WebhookSubscription, changes: dict | None = None
) -> None:
    audit.record(
        actor,
        action,
        subscription,
        changes or {},
        label=subscription.url,
        campus_id=subscription.campus_id,
    )


def pause(actor: User, subscription: WebhookSubscription) -> None:
    _check_manages(actor, subscription)
    if subscription.paused_at is None:
        subscription.paused_at = utcnow()
        _record(actor, "webhook.paused", subscription)


def resume(actor: User, subscription: WebhookSubscription) -> None:
    """Deliver again: what is still pending goes out, and failures count from zero."""
    _check_manages(actor, subscription)
    if subscription.paused_at is not None:
        subscription.paused_at = None
        subscription.failures_in_a_row = 0
        _record(actor, "webhook.resumed", subscription)


def remove(actor: User, subscription: WebhookSubscription) -> None:
    """Delete the subscription with its deliveries."""
    _check_manages(actor, subscription)
    _record(actor, "webhook.deleted", subscription, {"url": [subscription.url, None]})
    db.session.execute(
        db.delete(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
    )
    db.session.delete(subscription)


def deliveries_query(subscription: WebhookSubscription) -> Select:
    return (
        db.select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription.id)
        .order_by(WebhookDelivery.id.desc())
    )
