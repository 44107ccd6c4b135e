"""What assistive technology reads from the pages' markup: the skip link, the page's
language, and form errors tied to their fields (aria-invalid, aria-describedby).

The browser sweep (tests/browser/test_sweep.py) runs axe-core on every page; these check
the markup the macros and base.html promise, without a browser.
"""

from __future__ import annotations

from html.parser import HTMLParser

from sesac_ms.models import Role
from tests.conftest import login


class Elements(HTMLParser):
    """Start tags in order (tag, attributes) and the text inside each element with an id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text_of: dict[str, str] = {}
        self._open: list[str | None] = []
        self.feed(html)

    VOID = {"input", "meta", "link", "br", "hr", "img"}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if tag not in self.VOID:
            self._open.append(attributes.get("id"))
            if attributes.get("id"):
                self.text_of[attributes["id"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for element_id in self._open:
            if element_id:
                self.text_of[element_id] += data

    def field(self, name: str) -> dict[str, str]:
        return next(
            a
            for t, a in self.tags
            if t in ("input", "select", "textarea") and a.get("name") == name
        )


def test_an_invalid_field_says_so_and_points_at_its_error(client):
    response = client.post("/auth/login", data={"email": "not-an-email", "password": ""})
    page = Elements(response.get_data(as_text=True))
    for name in ("email", "password"):
        field = page.field(name)
        assert field.get("aria-invalid") == "true", name
        described = field["aria-describedby"].split()
        assert any(page.text_of.get(i, "").strip() for i in described), name


def test_a_valid_field_is_not_marked_invalid(client):
    response = client.post("/auth/login", data={"email": "someone@example.com", "password": ""})
    page = Elements(response.get_data(as_text=True))
    assert "aria-invalid" not in page.field("email")
    assert page.field("password").get("aria-invalid") == "true"


def test_the_skip_link_is_the_first_link_and_leads_to_the_main_content(client):
    page = Elements(client.get("/auth/login").get_data(as_text=True))
    first_link = next(a for t, a in page.tags if t == "a")
    assert first_link["href"] == "#main"
    assert "skip-link" in first_link["class"]
    assert ("main", {"id": "main", "class": "container-lg pb-5", "tabindex": "-1"}) in page.tags


def test_the_page_language_follows_the_locale(client):
    assert '<html lang="ko">' in client.get("/auth/login").get_data(as_text=True)
    client.post("/auth/locale", data={"locale": "en", "next": "/auth/login"})
    assert '<html lang="en">' in client.get("/auth/login").get_data(as_text=True)


def test_the_log_filter_marks_a_bad_date(client, make_user):
    admin = make_user(Role.ADMIN)
    assert login(client, admin.email).status_code == 302
    response = client.get("/admin/audit?date_from=2025-13-45")
    page = Elements(response.get_data(as_text=True))
    field = page.field("date_from")
    assert field.get("aria-invalid") == "true"
    assert page.text_of[field["aria-describedby"]].strip()
