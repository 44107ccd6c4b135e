"""Rate limits that stay as strict as configured when the shared storage (Redis) is away.

Limits are counted in Redis so that every gunicorn worker sees the same counts. When Redis
cannot be reached, Flask-Limiter falls back to each worker's own memory: with W workers an
address could then make W times the configured attempts. Log-in must keep working during an
outage (it is what staff need to reach anything), so rather than refuse every log-in we keep
the fallback and give each worker its share of the limit: the configured amount divided by
`RATELIMIT_WORKERS` (by default gunicorn's own `WEB_CONCURRENCY`), never less than one.
Redis is given short connect and read timeouts (`RATELIMIT_STORAGE_OPTIONS`), so a frozen
Redis costs a request a fraction of a second, not the client library's default wait.
"""

from __future__ import annotations

import math
import time

from flask import current_app, g
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import parse

from .extensions import limiter


def shared_storage_down() -> bool:
    """Whether Flask-Limiter has switched to its per-worker memory because Redis is away.

    Flask-Limiter keeps this state on the limiter without a public accessor; the test
    `test_an_outage_divides_the_limit_between_workers` pins it.
    """
    return bool(getattr(limiter, "_storage_dead", False))


def worker_share(configured: str) -> str:
    """The configured limit, or each worker's share of it while the shared storage is down."""
    if not shared_storage_down():
        return configured
    workers = max(1, int(current_app.config["RATELIMIT_WORKERS"]))
    if workers == 1:
        return configured
    shares = []
    for item in configured.split(";"):
        limit = parse(item)
        amount = max(1, limit.amount // workers)
        shares.append(f"{amount} per {limit.multiples} {limit.GRANULARITY.name}")
    return "; ".join(shares)


def login_limit() -> str:
    """Log-in, password set and reset attempts per client address."""
    return worker_share(current_app.config["LOGIN_RATE_LIMIT"])


def checkin_limit() -> str:
    """Check-in attempts per trainee (a 6-digit code must not be guessed by trying)."""
    return worker_share(current_app.config["CHECKIN_RATE_LIMIT"])


def apply_limit() -> str:
    """Accepted application form submissions per client address (one campus Wi-Fi)."""
    return worker_share(current_app.config["APPLY_RATE_LIMIT"])


def apply_email_limit() -> str:
    """Accepted application form submissions per e-mail address and cohort."""
    return worker_share(current_app.config["APPLY_EMAIL_RATE_LIMIT"])


def status_action_limit() -> str:
    """Actions on an applicant's status page (withdraw, take or decline a place) per address."""
    return worker_share(current_app.config["STATUS_ACTION_RATE_LIMIT"])


def lost_link_limit() -> str:
    """ "I lost my link" requests per client address."""
    return worker_share(current_app.config["LOST_LINK_RATE_LIMIT"])


def lost_link_email_limit() -> str:
    """ "I lost my link" requests per e-mail address, so nobody's mailbox is flooded."""
    return worker_share(current_app.config["LOST_LINK_EMAIL_RATE_LIMIT"])


# The buckets a public view counts into after validation, each with its own limit.
APPLY_ADDRESS = "apply-address"
APPLY_EMAIL = "apply-email"
STATUS_ACTION = "status-action"
LOST_LINK_ADDRESS = "lost-link-address"
LOST_LINK_EMAIL = "lost-link-email"


def _bucket_key() -> str:
    """The request's key for the bucket being counted (set by `wait_for`), else its address."""
    return g.get("rate_limit_key") or get_remote_address()


def wait_for(bucket: str, key: str | None = None) -> int:
    """Count this request in a bucket; 0 when it is allowed, else the seconds to wait.

    Views call it once the request has passed validation, so only what is kept counts.
    `key` is what the bucket counts by (default: the client address). Flask-Limiter does
    the counting, with its Redis-outage fallback, `RATELIMIT_ENABLED` and the
    `Retry-After` header. Its `with limiter.shared_limit(...)` form names a limit by the source
    line of the `with`, hence one line per bucket; the key is read from `g`, so two
    requests counting at once never swap limits or keys.
    """
    g.rate_limit_key = key or get_remote_address()
    options = {"scope": bucket, "key_func": _bucket_key}
    try:
        if bucket == APPLY_ADDRESS:
            with limiter.shared_limit(apply_limit, **options):
                pass
        elif bucket == APPLY_EMAIL:
            with limiter.shared_limit(apply_email_limit, **options):
                pass
        elif bucket == STATUS_ACTION:
            with limiter.shared_limit(status_action_limit, **options):
                pass
        elif bucket == LOST_LINK_ADDRESS:
            with limiter.shared_limit(lost_link_limit, **options):
                pass
        elif bucket == LOST_LINK_EMAIL:
            with limiter.shared_limit(lost_link_email_limit, **options):
                pass
        else:
            raise ValueError(f"unknown rate-limit bucket {bucket!r}")
    except RateLimitExceeded:
        current = limiter.current_limit
        reset_at = current.reset_at if current is not None else time.time() + 60
        return max(1, int(reset_at - time.time()))  # as Flask-Limiter's Retry-After
    finally:
        g.pop("rate_limit_key", None)
    return 0


def minutes(seconds: int) -> int:
    """A wait in whole minutes for the page text, rounded up: never "0 minutes"."""
    return max(1, math.ceil(seconds / 60))


def minutes_to_wait() -> int:
    """Whole minutes until the limit this request broke lets it through again (at least 1)."""
    current = limiter.current_limit
    if current is None:
        return 1
    # Windows end on whole seconds, so a minute's window can read 61 s: round, not ceil.
    return max(1, round((current.reset_at - time.time()) / 60))
