"""Out of the box: a favicon on every page, and demo data that gives 구로 (the campus of
every demo account) a completed cohort with outcomes, referrals and retention checks, so
each role's pages show real content on first start."""

from __future__ import annotations

from html import unescape

from flask import Flask

from sesac_ms.demo import DEMO_PASSWORD, load_demo_data
from sesac_ms.errors import render_standalone
from sesac_ms.extensions import db
from sesac_ms.models import Campus, CoachingSession
from sesac_ms.reports.services import retention_rates
from tests.conftest import login


def test_every_page_links_the_favicon_and_favicon_ico_leads_to_it(app: Flask, client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response.location.endswith("/static/favicon.svg")

    with client.get(response.location) as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
        assert b"#00704a" in icon.data  # the brand green of .bg-sesac

    link = '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
    assert link in client.get("/auth/login").get_data(as_text=True)
    with app.test_request_context("/"):
        assert link in render_standalone("errors/500.html")  # the page without a database


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return unescape(response.get_data(as_text=True))


def test_the_demo_gives_guro_a_completed_cohort_with_results(app: Flask):
    load_demo_data()
    db.session.commit()

    def signed_in(email: str):
        browser = app.test_client()
        assert login(browser, email, DEMO_PASSWORD).status_code == 302
        return browser

    coordinator = signed_in("coordinator@sesac.example")
    placements = text(coordinator.get("/placements/"))
    assert "지밸리데이터" in placements and "AI 서비스 기획 실무과정" in placements
    referrals = text(coordinator.get("/placements/referrals"))
    assert "구로스마트팩토리" in referrals and "누리컨설팅" in referrals

    guro = db.session.scalar(db.select(Campus).where(Campus.name_ko == "구로"))
    checks = retention_rates(guro.id)
    six_months = [(r["checked"], r["retained"]) for r in checks if r["months"] == 6]
    assert six_months == [(12, 10)]  # 12-month checks come as their dates pass

    manager = signed_in("manager@sesac.example")
    report = text(manager.get("/reports/employment?within_days=30"))
    assert "65.0%" in report  # 13 of 20 within 30 days
    assert "83.3%" in report  # 10 of the 12 jobs checked after 6 months
    dashboard = text(manager.get("/"))
    assert "65.0%" in dashboard and "80.0%" in dashboard


def test_the_demo_gives_the_mentor_and_the_trainee_real_1_1_sessions(app: Flask):
    load_demo_data()
    db.session.commit()
    load_demo_data()  # loading twice adds nothing
    db.session.commit()

    def page(email: str, url: str) -> str:
        browser = app.test_client()
        assert login(browser, email, DEMO_PASSWORD).status_code == 302
        return text(browser.get(url))

    mentor_schedule = page("mentor@sesac.example", "/sessions/")
    trainee_schedule = page("trainee@sesac.example", "/sessions/")
    assert "최교육생" in mentor_schedule  # the demo trainee booked the mentor's Saturday time
    assert "박멘토" in trainee_schedule
    sessions = db.session.scalars(db.select(CoachingSession)).all()
    assert sorted(s.status.value for s in sessions) == ["completed", "scheduled", "scheduled"]
    held = next(s for s in sessions if s.status.value == "completed")
    assert held.summary and held.staff_notes
