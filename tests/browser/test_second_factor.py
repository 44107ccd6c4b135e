"""Second factor in real Chromium: a manager with an authenticator app, a coordinator with a
passkey made and used on Chromium's virtual authenticator (DevTools' WebAuthn domain), and a
trainee who has neither.

Passkeys need a host name for their relying-party id (an IP address is refused), so the
passkey test reaches the live server as `localhost` and sets PUBLIC_BASE_URL to match.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from sesac_ms.auth import second_factor
from sesac_ms.auth.services import create_user
from sesac_ms.extensions import db
from sesac_ms.models import Campus, Passkey, Role, User
from sesac_ms.models.types import utcnow

pytestmark = pytest.mark.browser

PASSWORD = "a sentence long enough to pass"


def new_user(app: Flask, role: Role, email: str) -> User:
    with app.app_context():
        campus = db.session.scalar(db.select(Campus).order_by(Campus.id))
        user = create_user(
            None,
            email=email,
            name="이중인증 사용자",
            role=role,
            campus=campus,
            password=PASSWORD,
            send_link=False,
        )
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
        return user


def password_step(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/auth/login")
    page.get_by_label("이메일").fill(email)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    page.wait_for_load_state("load")


@pytest.fixture
def on_localhost(live_app: Flask, live_server: str) -> Iterator[str]:
    before = live_app.config["PUBLIC_BASE_URL"]
    local = live_server.replace("127.0.0.1", "localhost")
    live_app.config["PUBLIC_BASE_URL"] = local
    yield local
    live_app.config["PUBLIC_BASE_URL"] = before


def test_a_manager_signs_in_with_an_authenticator_code(
    page: Page, live_app: Flask, live_server: str, output_path: str
) -> None:
    manager = new_user(live_app, Role.MANAGER, "totp.manager@sesac.example")
    with live_app.test_request_context():
        user = db.session.get(User, manager.id)
        second_factor.begin_totp(user)
        secret = pyotp.parse_uri(second_factor.pending_totp(user).uri).secret
        # The step before this one, so the code typed below is a new step.
        second_factor.confirm_totp(user, pyotp.TOTP(secret).at(utcnow().timestamp() - 30))
        db.session.commit()

    password_step(page, live_server, manager.email)
    expect(page).to_have_url(re.compile(r"/auth/second-factor$"))
    expect(page.get_by_role("heading", name="로그인 두 번째 단계")).to_be_visible()
    Path(output_path).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(output_path) / "second-factor-code.png"), full_page=True)
    page.get_by_label("코드").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="로그인").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="대시보드")).to_be_visible()


def test_a_coordinator_adds_a_passkey_then_signs_in_with_it(
    page: Page, live_app: Flask, on_localhost: str, output_path: str
) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    coordinator = new_user(live_app, Role.COORDINATOR, "passkey.coordinator@sesac.example")

    # The policy is off on this server: the password alone logs in; the passkey is opt-in.
    password_step(page, on_localhost, coordinator.email)
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto(f"{on_localhost}/auth/account")
    page.get_by_role("link", name="패스키 추가").click()
    page.get_by_label("패스키 이름").fill("업무용 노트북")
    page.get_by_role("button", name="패스키 추가").click()

    expect(page.get_by_role("heading", name="복구 코드")).to_be_visible()
    page.screenshot(path=str(Path(output_path) / "second-factor-recovery.png"), full_page=True)
    page.get_by_role("link", name="보관했습니다").click()
    expect(page.get_by_text("업무용 노트북")).to_be_visible()
    with live_app.app_context():
        assert (
            db.session.scalar(db.select(db.func.count()).where(Passkey.user_id == coordinator.id))
            == 1
        )

    page.get_by_role("button", name=re.compile("이중인증 사용자")).click()
    page.get_by_role("button", name="로그아웃").click()
    password_step(page, on_localhost, coordinator.email)
    expect(page).to_have_url(re.compile(r"/auth/second-factor$"))
    page.get_by_role("button", name="패스키 또는 보안 키 사용").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="대시보드")).to_be_visible()


def test_a_trainee_without_a_second_factor_signs_in_with_the_password(
    page: Page, live_app: Flask, live_server: str
) -> None:
    trainee = new_user(live_app, Role.TRAINEE, "plain.trainee@sesac.example")

    password_step(page, live_server, trainee.email)

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="대시보드")).to_be_visible()
