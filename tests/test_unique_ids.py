"""Every id on a page is unique (WCAG 2.1 4.1.1), with CSRF on: base.html's log-out and
language forms and the page's own forms each carry a CSRF token, and none of them an id."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

import pytest

from sesac_ms.models import Role
from tests.conftest import login

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class Ids(HTMLParser):
    """Every id attribute's value, in order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.extend(value or "" for name, value in attrs if name == "id")


@pytest.fixture
def browser(make_app, make_user, make_open_cohort, make_application):
    """A manager logged in through the real form, CSRF on, and a cohort with an applicant."""
    manager = make_user(Role.MANAGER, locale="en")
    cohort = make_open_cohort()
    ids = {"cohort": cohort.id, "application": make_application(cohort).id}
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    token = TOKEN.search(client.get("/auth/login").get_data(as_text=True)).group(1)
    assert login(client, manager.email, csrf_token=token).status_code == 302
    return client, ids


@pytest.mark.parametrize(
    "path",
    [
        "/auth/password",
        "/cohorts/{cohort}",
        "/cohorts/{cohort}/calendar",
        "/applications/cohorts/{cohort}",
        "/applications/{application}",
    ],
)
def test_no_id_appears_twice_on_a_page_with_forms(browser, path):
    client, ids = browser
    response = client.get(path.format(**ids))
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html

    assert len(TOKEN.findall(html)) >= 3  # log-out, language and the page's own form(s)
    repeated = {value: n for value, n in Counter(Ids(html).ids).items() if n > 1}
    assert repeated == {}
