"""Each demo role logs in in real Chromium, sees its own navigation, and its dashboard is saved."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from sesac_ms.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

# role: (e-mail, navigation links it must see, links it must not see) — Korean labels.
ROLES = {
    "admin": (
        "admin@sesac.example",
        ["대시보드", "기수", "과정", "캠퍼스", "사용자", "감사 로그"],
        [],
    ),
    "manager": ("manager@sesac.example", ["대시보드", "기수", "과정"], ["사용자", "감사 로그"]),
    "coordinator": ("coordinator@sesac.example", ["대시보드", "기수", "과정"], ["사용자"]),
    "mentor": ("mentor@sesac.example", ["대시보드"], ["기수", "사용자"]),
    "trainee": ("trainee@sesac.example", ["대시보드"], ["기수", "과정", "사용자"]),
}


def log_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/auth/login")
    page.get_by_label("이메일").fill(email)
    page.get_by_label("비밀번호").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="로그인").click()
    page.wait_for_url(re.compile(r"/$"))
    page.wait_for_load_state("load")


@pytest.mark.parametrize("role", list(ROLES))
def test_each_demo_role_logs_in_and_sees_its_navigation(
    page: Page, live_server: str, output_path: str, role: str
) -> None:
    email, visible, hidden = ROLES[role]
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, email)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="대시보드")).to_be_visible()
    navigation = page.get_by_role("navigation", name="주 메뉴")
    for label in visible:
        expect(navigation.get_by_role("link", name=label, exact=True)).to_be_visible()
    for label in hidden:
        expect(navigation.get_by_role("link", name=label, exact=True)).to_have_count(0)
    Path(output_path).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(output_path) / f"dashboard-{role}.png"), full_page=True)


def test_manager_opens_a_cohort_on_a_phone(page: Page, live_server: str, output_path: str):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "manager@sesac.example")
    page.get_by_role("button", name="메뉴").click()
    page.get_by_role("navigation", name="주 메뉴").get_by_role(
        "link", name="기수", exact=True
    ).click()
    expect(page.get_by_role("heading", name="기수")).to_be_visible()
    page.get_by_role("link", name=re.compile("구로1기")).first.click()
    expect(page.get_by_text("배정된 직원")).to_be_visible()
    Path(output_path).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(output_path) / "cohort-phone.png"), full_page=True)


def test_language_switch_and_logout(page: Page, live_server: str, output_path: str):
    log_in(page, live_server, "coordinator@sesac.example")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    Path(output_path).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(output_path) / "dashboard-en.png"), full_page=True)
    page.get_by_role("button", name="한국어").click()
    page.get_by_role("button", name=re.compile("이잡코디")).click()
    page.get_by_role("button", name="로그아웃").click()
    expect(page.get_by_role("heading", name="로그인")).to_be_visible()
