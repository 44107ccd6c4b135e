"""Every page of every role, in English, shows no Hangul beyond what users typed.

The walk reuses the route walker and the records of tests/test_permissions.py. Data that
people typed (names, places, notes…) may be Korean and is taken out of the page before the
scan; reference data the app owns (campus and district names, course titles that have an
English title, holidays, stages, statuses…) must appear in English. Only text a person
reads counts (not option values or scripts), and not text marked `lang="ko"` (the language
switch, a Korean proper name kept on purpose).
The browser sweep in tests/browser/ runs the same scan in Chromium; this one is fast.
"""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from flask import Flask

from sesac_ms.applications.importing import parse_district
from sesac_ms.cohorts import roster
from sesac_ms.extensions import db
from sesac_ms.models import AuditEntry, Course, Role, Track, User
from sesac_ms.seoul import district_name
from tests import test_permissions
from tests.conftest import login
from tests.test_permissions import action_of, build_url, routes

world = test_permissions.world  # the fixture: records for every URL parameter

HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]+")
# Attributes a person reads or hears; option values and the like are not shown.
SHOWN_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description"}
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                 "source", "track", "wbr"}  # fmt: skip

# Reference data with an English name: these columns are never taken out of a page.
REFERENCE_COLUMNS = {
    ("campuses", "name_ko"),
    ("campuses", "district"),
    ("applications", "district"),
    ("courses", "title"),  # every course below has an English title
}


class ShownText(HTMLParser):
    """The text of a page a person reads, without script, style and lang="ko" elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden: list[str] = []  # open elements whose content is left out

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if self.hidden:
            if tag not in VOID_ELEMENTS:
                self.hidden.append(tag)
            return
        if tag in ("script", "style") or values.get("lang") == "ko":
            if tag not in VOID_ELEMENTS:
                self.hidden.append(tag)
            return
        self.parts += [value for name, value in attrs if name in SHOWN_ATTRIBUTES and value]

    def handle_endtag(self, tag: str) -> None:
        if self.hidden:
            self.hidden.pop()

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def typed_values() -> list[str]:
    """Every stored text with Hangul that a person typed, longest first."""
    found: set[str] = set()
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if (table.name, column.name) in REFERENCE_COLUMNS:
                continue
            if not isinstance(column.type, sa.String | sa.Text):
                continue
            for value in db.session.scalars(sa.select(column).distinct()):
                if isinstance(value, str) and HANGUL.search(value):
                    found.add(value)
    return sorted(found, key=len, reverse=True)


def foreign_text(html: str, typed: list[str]) -> list[str]:
    """The Hangul a person reads on the page once what users typed is taken out."""
    parser = ShownText()
    parser.feed(html)
    parser.close()
    found: dict[str, str] = {}
    for part in parser.parts:
        for value in typed:
            part = part.replace(value, "")
        for match in HANGUL.finditer(part):
            found.setdefault(match[0], " ".join(part.split())[:120])
    return list(found.values())


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r or "anonymous")
def test_every_page_in_english_has_no_korean_but_typed_data(app: Flask, make_user, world, role):
    for course in db.session.scalars(sa.select(Course)):
        course.title_en = f"Data analysis bootcamp {course.id}"
    client = app.test_client()
    values = world["values"]
    if role is not None:
        user = world["users"].get(role) or make_user(role)
        values = {**values, **world["role_values"].get(role, {})}
    db.session.execute(sa.update(User).values(locale="en"))
    db.session.commit()
    typed = typed_values()
    if role is None:
        with client.session_transaction() as session:
            session["locale"] = "en"
    else:
        assert login(client, user.email).status_code == 302

    failures = []
    visited = 0
    for endpoint, _rule, method in routes(app):
        if method != "GET":
            continue
        action_of(app, endpoint)
        response = client.get(build_url(app, endpoint, values))
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        visited += 1
        html = response.get_data(as_text=True)
        assert 'lang="en"' in html[:200], f"{endpoint} is not served in English"
        for excerpt in foreign_text(html, typed):
            failures.append(f"{endpoint}: …{excerpt}…")
    assert visited > 3
    assert not failures, "\n".join(failures)


def test_the_scan_finds_korean_reference_data(app: Flask, world, make_user):
    """The scan itself works: a course without an English title shows its Korean title."""
    course = db.session.get(Course, world["values"]["course_id"])
    course.title = "데이터 분석 과정"
    course.title_en = None
    user = make_user(Role.MANAGER, locale="en")
    client = app.test_client()
    login(client, user.email)
    page = client.get(build_url(app, "cohorts.courses", world["values"])).get_data(as_text=True)
    assert any("데이터" in excerpt for excerpt in foreign_text(page, typed_values()))


# --- the English names the app owns ---------------------------------------------------------


def page_text(response) -> str:
    return unescape(response.get_data(as_text=True))


def test_a_course_carries_an_english_title_shown_on_english_pages(app, campus, make_user):
    manager = make_user(Role.MANAGER)
    client = app.test_client()
    login(client, manager.email)
    response = client.post(
        "/cohorts/courses/new",
        data={
            "campus_id": campus.id,
            "title": "AI 활용 데이터분석 취업캠프",
            "title_en": "  AI-Powered   Data Analysis Job Camp ",
            "track": Track.AI_CONVERGENCE_DX.value,
        },
    )
    assert response.status_code == 302
    course = db.session.scalar(sa.select(Course))
    assert course.title_en == "AI-Powered Data Analysis Job Camp"
    [created] = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "course.created")
    ).all()
    assert created.object_id == course.id

    korean = page_text(client.get("/cohorts/courses"))
    assert "AI 활용 데이터분석 취업캠프" in korean and "AI-Powered" not in korean
    manager.locale = "en"
    db.session.commit()
    english = page_text(client.get("/cohorts/courses"))
    assert "AI-Powered Data Analysis Job Camp" in english and "데이터분석" not in english

    # Left empty, the English title goes: English pages show the Korean title again.
    response = client.post(
        f"/cohorts/courses/{course.id}/edit",
        data={
            "campus_id": campus.id,
            "title": course.title,
            "title_en": " ",
            "track": course.track.value,
        },
    )
    assert response.status_code == 302
    db.session.refresh(course)
    assert course.title_en is None
    assert "AI 활용 데이터분석 취업캠프" in page_text(client.get("/cohorts/courses"))
    [updated] = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "course.updated")
    ).all()
    assert updated.changes["title_en"] == ["AI-Powered Data Analysis Job Camp", None]


def test_holidays_are_named_in_the_page_language():
    korean = roster.korean_holidays(date(2027, 3, 1), date(2027, 3, 1))
    english = roster.korean_holidays(date(2027, 3, 1), date(2027, 3, 1), "en")
    assert korean == {date(2027, 3, 1): "삼일절"}
    assert english == {date(2027, 3, 1): "Independence Movement Day"}


def test_the_public_form_names_districts_and_education_in_english(app, make_open_cohort):
    cohort = make_open_cohort()
    client = app.test_client()
    with client.session_transaction() as session:
        session["locale"] = "en"
    html = page_text(client.get(f"/applications/apply/{cohort.id}", follow_redirects=True))
    assert '<option value="구로구">Guro-gu</option>' in html
    assert '<option value="중구">Jung-gu</option>' in html
    assert html.index(">Dobong-gu<") < html.index(">Gangnam-gu<")  # in English order
    assert "Junior college" in html and "전문대" not in html


@pytest.mark.parametrize("written", ["Guro-gu", "guro", "GURO GU", "구로구", "서울 구로"])
def test_an_applicant_file_may_name_the_district_in_english_or_korean(app, written):
    assert parse_district(written) == "구로구"


def test_district_labels_follow_the_locale():
    assert district_name("영등포구", "en") == "Yeongdeungpo-gu"
    assert district_name("영등포구", "ko") == "영등포구"
    assert district_name("어딘가", "en") == "어딘가"  # free text stays as typed
