"""Korean by default, English on request: complete catalogs and a remembered choice.

The .mo files are build output (`make catalogs`); `compiled_catalogs` below compiles any
that are missing or older than their .po, so the module also passes when run directly.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from sesac_ms.extensions import babel, db
from sesac_ms.models import Role
from tests.conftest import login

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "update_catalogs.py"
TRANSLATIONS = ROOT / "sesac_ms" / "translations"


def compile_catalog(po: Path) -> None:
    """What `pybabel compile` does for one catalog, written atomically."""
    mo = po.with_suffix(".mo")
    with po.open("rb") as file:
        catalog = read_po(file)
    fd, tmp = tempfile.mkstemp(dir=mo.parent, suffix=".mo.tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            write_mo(file, catalog)
        os.replace(tmp, mo)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogs() -> None:
    """Compile each .po whose .mo is missing or older, then drop translations already loaded.

    Flask-Babel caches loaded catalogs in the Domain that the process-wide `babel` object
    keeps (a cached property): a test run earlier without .mo files would otherwise leave
    this module with empty translations. Dropping the Domain lets the next request load anew.
    """
    pos = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
    assert pos, f"no catalogs under {TRANSLATIONS}: run python scripts/update_catalogs.py"
    for po in pos:
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            compile_catalog(po)
    vars(babel).pop("domain_instance", None)


def switch_to(client: FlaskClient, locale: str) -> None:
    response = client.post("/auth/locale", data={"locale": locale})
    assert response.status_code == 302


def test_catalogs_are_complete_and_cover_every_source_message() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_login_page_is_korean_by_default_and_english_after_the_switch(
    client: FlaskClient,
) -> None:
    page = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="ko">' in page
    assert "로그인" in page and "비밀번호" in page
    assert "Log in" not in page

    switch_to(client, "en")
    page = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Log in" in page and "Password" in page
    assert "로그인" not in page

    switch_to(client, "ko")
    assert "로그인" in client.get("/auth/login").get_data(as_text=True)


def test_an_unknown_language_changes_nothing(client: FlaskClient) -> None:
    switch_to(client, "fr")
    assert "로그인" in client.get("/auth/login").get_data(as_text=True)


def test_the_choice_is_remembered_for_the_user(app: Flask, client: FlaskClient, login_as) -> None:
    user = login_as(Role.MANAGER)
    assert "대시보드" in client.get("/").get_data(as_text=True)
    switch_to(client, "en")
    db.session.refresh(user)
    assert user.locale == "en"
    assert client.post("/auth/logout").status_code == 302

    fresh = app.test_client()
    assert "로그인" in fresh.get("/auth/login").get_data(as_text=True)
    response = login(fresh, user.email)
    assert response.status_code == 302
    page = fresh.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Dashboard" in page and "Log out" in page
    assert "대시보드" not in page


def test_the_welcome_after_log_in_is_in_the_users_language(
    app: Flask, client: FlaskClient, make_user
) -> None:
    user = make_user(Role.MANAGER, locale="en")
    login(client, user.email)
    assert "Welcome, " in client.get("/").get_data(as_text=True)


def test_the_404_page_follows_the_language(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "페이지를 찾을 수 없음" in page and "대시보드로 돌아가기" in page
    assert "Not found" not in page

    switch_to(client, "en")
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Not found" in page and "Back to the dashboard" in page
    assert "페이지를 찾을 수 없음" not in page
