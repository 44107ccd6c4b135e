"""One scrubbed log line per request with its id; the id echoed; one traceback per failure."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from sesac_ms.extensions import db
from sesac_ms.models import Role
from sesac_ms.request_log import (
    REDACTED,
    REQUEST_ID_HEADER,
    RequestContextFilter,
    ScrubbingFormatter,
    scrub,
)


@pytest.fixture
def log_lines(app: Flask) -> Iterator[io.StringIO]:
    """What the app's loggers write, through the production formatter and filter, as JSON."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(ScrubbingFormatter(json_lines=True))
    handler.addFilter(RequestContextFilter())
    app.logger.addHandler(handler)
    app.logger.setLevel(logging.INFO)
    yield stream
    app.logger.removeHandler(handler)


def entries(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


def test_scrub_removes_emails_phone_numbers_and_driver_details() -> None:
    text = (
        'duplicate key value violates unique constraint "uq_users_email"\n'
        "DETAIL:  Key (email)=(kim.minji@example.com) already exists.\n"
        "call 010-1234-5678 or 01098765432, write to a+b@mail.example.kr"
    )
    scrubbed = scrub(text)
    for secret in ("kim.minji", "example.com", "1234-5678", "98765432", "a+b@mail"):
        assert secret not in scrubbed
    assert scrubbed.count(REDACTED) >= 4
    assert "uq_users_email" in scrubbed


def test_every_response_carries_a_request_id_and_a_proxys_id_is_kept(client) -> None:
    first = client.get("/auth/login").headers[REQUEST_ID_HEADER]
    second = client.get("/auth/login").headers[REQUEST_ID_HEADER]
    assert first and second and first != second
    kept = client.get("/auth/login", headers={REQUEST_ID_HEADER: "lb-1234abcd"})
    assert kept.headers[REQUEST_ID_HEADER] == "lb-1234abcd"
    forged = client.get("/auth/login", headers={REQUEST_ID_HEADER: "x y\tINFO fake line"})
    assert forged.headers[REQUEST_ID_HEADER] != "x y\tINFO fake line"


def test_one_line_per_request_with_route_status_user_and_client(client, login_as, log_lines):
    user = login_as(Role.MANAGER)
    log_lines.seek(0)
    log_lines.truncate()
    response = client.get("/auth/password", headers={REQUEST_ID_HEADER: "req-00000001"})
    lines = [e for e in entries(log_lines) if e["logger"] == "sesac_ms.request"]
    assert len(lines) == 1
    line = lines[0]
    assert line["method"] == "GET"
    assert line["path"] == "/auth/password"
    assert line["status"] == response.status_code
    assert line["request_id"] == "req-00000001"
    assert line["user_id"] == user.id
    assert line["client"] == "127.0.0.1"
    assert isinstance(line["duration_ms"], float)


def test_paths_are_logged_as_rules_so_ids_and_tokens_stay_out(client, log_lines) -> None:
    client.get("/applications/status/secret-token-value-123")
    text = log_lines.getvalue()
    assert "secret-token-value-123" not in text


def test_a_failure_logs_one_scrubbed_traceback_and_no_sql_parameters(make_app, log_lines):
    failing = make_app(PROPAGATE_EXCEPTIONS=False)
    handler = log_lines  # the fixture's handler sits on the shared "sesac_ms" logger
    email = "leak.me@example.com"

    @failing.get("/boom")
    def boom():
        db.session.execute(sa.text("SELECT * FROM no_such_table WHERE email = :e"), {"e": email})

    with failing.app_context():
        response = failing.test_client().get("/boom")
    assert response.status_code == 500
    rid = response.headers[REQUEST_ID_HEADER]
    assert rid in response.get_data(as_text=True)  # the error page quotes it
    logged = entries(handler)
    tracebacks = [e for e in logged if "traceback" in e]
    assert len(tracebacks) == 1
    assert tracebacks[0]["request_id"] == rid
    assert email not in handler.getvalue()
    assert "leak.me" not in handler.getvalue()
    assert [e["status"] for e in logged if e["logger"] == "sesac_ms.request"] == [500]


def test_lines_are_written_once_even_when_the_root_logger_has_a_handler(client, log_lines):
    """Alembic's fileConfig (an in-process `db upgrade`) or a server's own logging set a
    root handler; the app's lines must not reach it as well, unscrubbed."""
    root_stream = io.StringIO()
    root_handler = logging.StreamHandler(root_stream)
    logging.getLogger().addHandler(root_handler)
    try:
        client.get("/auth/login")
    finally:
        logging.getLogger().removeHandler(root_handler)
    assert "/auth/login" in log_lines.getvalue()
    assert "/auth/login" not in root_stream.getvalue()
