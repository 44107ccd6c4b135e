"""When Redis is away, log-in keeps working and each worker enforces its share of the limit."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask

from sesac_ms.extensions import limiter
from sesac_ms.rate_limits import shared_storage_down, worker_share

NOTHING_LISTENS = "redis://127.0.0.1:1"


def post_login(client, address: str):
    data = {"email": "someone@sesac.example", "password": "a guess"}
    return client.post("/auth/login", data=data, environ_base={"REMOTE_ADDR": address})


@pytest.fixture(autouse=True)
def storage_back_up_afterwards() -> Iterator[None]:
    """The limiter is one object per process: leave it believing its storage is up."""
    yield
    limiter._storage_dead = False


@pytest.fixture
def address() -> str:
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


@pytest.fixture
def frozen_redis() -> Iterator[str]:
    """A server that accepts connections and never answers, as a hung Redis does."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_the_configured_limit_stands_while_the_storage_is_up(app: Flask) -> None:
    assert worker_share("20 per 10 minutes") == "20 per 10 minutes"


def test_an_outage_divides_the_limit_between_workers(make_app, address) -> None:
    outage = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=NOTHING_LISTENS,
        RATELIMIT_WORKERS=3,
        LOGIN_RATE_LIMIT="6 per minute",
    )
    client = outage.test_client()
    with outage.test_request_context():
        answers = [post_login(client, address).status_code for _ in range(6)]
        assert shared_storage_down(), "Flask-Limiter no longer exposes its fallback state"
        assert worker_share("6 per minute") == "2 per 1 minute"
        assert worker_share("20 per 10 minutes; 100 per day") == "6 per 10 minute; 33 per 1 day"
    # Log-in still answers (no error page) and this worker allows its share, 6 / 3.
    assert 500 not in answers
    assert answers.count(429) >= 3
    assert answers[:2] == [200, 200]


def test_a_frozen_redis_costs_a_request_a_moment_not_seconds(make_app, frozen_redis, address):
    frozen = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=frozen_redis)
    client = frozen.test_client()
    started = time.monotonic()
    response = post_login(client, address)
    # Without the storage's read timeout this request would wait forever.
    assert time.monotonic() - started < 5
    assert response.status_code == 200
    assert frozen.config["RATELIMIT_STORAGE_OPTIONS"]["socket_timeout"] <= 1
