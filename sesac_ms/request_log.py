"""One log line per request, a request id on every response, and no personal data in the log.

Each request gets an id (the proxy's `X-Request-ID` when it is a plain token, else a new one),
echoed in the `X-Request-ID` response header and on error pages, and carried by every log
record written while the request runs, so an operator can find one request's lines. The
line for a request names the URL rule, not the URL, so ids and tokens in paths stay out.

Log text is scrubbed before it is written: database drivers quote the offending values in
their errors (`Key (email)=(someone@example.com) already exists`), so e-mail addresses,
phone numbers and drivers' DETAIL lines are replaced, whatever logger wrote them.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request, session
from flask.logging import default_handler

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)01[016789]-?\d{3,4}-?\d{4}(?!\d)")
_DETAIL = re.compile(r"^(\s*DETAIL:).*$", re.MULTILINE)
_KEY_VALUE = re.compile(r"(Key \([^)]*\)=)\([^)]*\)")
REDACTED = "[redacted]"
# Record attributes every LogRecord has; anything else was passed through `extra=`.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def scrub(text: str) -> str:
    """`text` without e-mail addresses, mobile numbers and the values drivers quote."""
    text = _DETAIL.sub(r"\1 " + REDACTED, text)
    text = _KEY_VALUE.sub(r"\1(" + REDACTED + ")", text)
    text = _EMAIL.sub(REDACTED, text)
    return _PHONE.sub(REDACTED, text)


def request_id() -> str | None:
    """This request's id, or None outside a request."""
    return g.get("request_id") if has_request_context() else None


class RequestContextFilter(logging.Filter):
    """Adds the request id, the user's id and the client address to records written in a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id")
            record.user_id = _session_user_id()
            record.client = request.remote_addr
        return True


class ScrubbingFormatter(logging.Formatter):
    """Plain text (`LOG_FORMAT=text`) or one JSON object per line (`LOG_FORMAT=json`), scrubbed."""

    def __init__(self, json_lines: bool) -> None:
        super().__init__("[%(asctime)s] %(levelname)s %(name)s: %(message)s")
        self.json_lines = json_lines

    def format(self, record: logging.LogRecord) -> str:
        extras = {
            key: value
            for key, value in vars(record).items()
            if key not in _STANDARD_ATTRIBUTES and value is not None
        }
        if self.json_lines:
            entry = {
                "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
                **extras,
            }
            if record.exc_info:
                entry["traceback"] = self.formatException(record.exc_info)
            return scrub(json.dumps(entry, ensure_ascii=False, default=str))
        text = super().format(record)
        if extras:
            first, _, rest = text.partition("\n")
            pairs = " ".join(f"{key}={value}" for key, value in extras.items())
            text = f"{first} {pairs}" + (f"\n{rest}" if rest else "")
        return scrub(text)


def init_request_log(app: Flask) -> None:
    """Install the formatter and filter, and log one line at the end of every request."""
    default_handler.setFormatter(ScrubbingFormatter(app.config["LOG_FORMAT"] == "json"))
    if not any(isinstance(f, RequestContextFilter) for f in default_handler.filters):
        default_handler.addFilter(RequestContextFilter())
    # Written once, by this handler, whatever else configured the root logger (Alembic's
    # fileConfig in a `flask db upgrade` run in-process, a server's own logging setup):
    # a root handler as well would write every line and traceback twice, unscrubbed.
    if default_handler not in app.logger.handlers:
        app.logger.addHandler(default_handler)
    app.logger.propagate = False
    app.logger.setLevel(app.config["LOG_LEVEL"])
    access_log = logging.getLogger("sesac_ms.request")

    @app.before_request
    def assign_request_id() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        rid = g.get("request_id")
        if rid is None:  # the request failed before before_request ran
            rid = g.request_id = uuid.uuid4().hex
        response.headers[REQUEST_ID_HEADER] = rid
        if request.endpoint != "static":
            started = g.get("request_started")
            duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
            access_log.info(
                "%s %s %s",
                request.method,
                request.url_rule.rule if request.url_rule else "(no route)",
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.url_rule.rule if request.url_rule else None,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                },
            )
        return response


def _session_user_id() -> int | None:
    """The logged-in user's id from the session cookie: no database look-up, safe in any error.
    An API request is its token's owner's (a cookie does not authenticate it), or nobody's."""
    if "api_token" in g:  # set for every API operation (api/guard.py)
        token = g.api_token
        return token.user_id if token is not None else None
    raw = session.get("_user_id") if session else None
    if not raw:
        return None
    try:
        return int(str(raw).split(":", 1)[0])
    except ValueError:
        return None
