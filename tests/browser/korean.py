"""The Korean UI as browser tests read it: `t(msgid)` and a log-in through the real form."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.mofile import read_mo
from playwright.sync_api import Page, expect

import sesac_ms
from sesac_ms.demo import DEMO_PASSWORD

KO_CATALOG = Path(sesac_ms.__file__).parent / "translations/ko/LC_MESSAGES/messages.mo"


@cache
def _korean() -> dict[str, str]:
    """msgid → Korean msgstr of the compiled catalog (fuzzy entries are never compiled)."""
    if not KO_CATALOG.exists():
        return {}
    with KO_CATALOG.open("rb") as file:
        catalog = read_mo(file)
    return {m.id: m.string for m in catalog if isinstance(m.id, str) and m.id and m.string}


def t(msgid: str, **values: object) -> str:
    """The text the Korean UI shows for an English msgid, as Flask-Babel's gettext builds it."""
    text = _korean().get(msgid, msgid)
    return text % values if values else text


def log_in(page: Page, base_url: str, email: str) -> None:
    """Log in with the demo password and wait for the dashboard."""
    page.goto(f"{base_url}/auth/login")
    page.get_by_label(t("E-mail"), exact=True).fill(email)
    page.get_by_label(t("Password"), exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=t("Log in")).click()
    expect(page.get_by_role("heading", name=t("Dashboard"), exact=True)).to_be_visible()
