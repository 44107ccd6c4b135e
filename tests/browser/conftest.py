"""A live server on a file database with the demo data, and Debian's Chromium for Playwright.

`live_server` yields the server's base URL; `live_app` yields the Flask app it serves, so a
test can read what a person would see outside the browser (mails in the outbox) with
`with live_app.app_context(): ...`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import make_server

from sesac_ms import create_app
from sesac_ms.demo import load_demo_data
from sesac_ms.extensions import db

CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium package"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def _live(tmp_path_factory) -> Iterator[tuple[Flask, str]]:
    """Serve the app with demo data in a thread; yields the app and its base URL."""
    instance = tmp_path_factory.mktemp("browser-instance")
    os.environ["SESAC_INSTANCE_PATH"] = str(instance)
    app = create_app(
        {
            "SECRET_KEY": "browser-test-secret-key-0123456789abcdef",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'browser.sqlite3'}",
            "RATELIMIT_ENABLED": False,
            # A browser fills the application form within a second; a person never does
            # (test_front_door checks that such a form is asked again).
            "APPLY_FORM_MIN_SECONDS": 0,
            # Demo accounts log in with their password; test_second_factor enrols its own.
            "SECOND_FACTOR_ROLES": "",
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 1024,
            "ARGON2_PARALLELISM": 1,
        }
    )
    with app.app_context():
        upgrade()
        load_demo_data()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    # Links in mails (status and set-password links) point at this server.
    app.config["PUBLIC_BASE_URL"] = base_url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, base_url
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(_live: tuple[Flask, str]) -> str:
    """The live server's base URL."""
    return _live[1]


@pytest.fixture(scope="session")
def live_app(_live: tuple[Flask, str]) -> Flask:
    """The Flask app behind `live_server`, for reading its database in an app context."""
    return _live[0]
