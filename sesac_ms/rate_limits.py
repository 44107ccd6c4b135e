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

from flask import current_app
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


def apply_limit() -> str:
    """Public application form submissions per client address."""
    return worker_share(current_app.config["APPLY_RATE_LIMIT"])
