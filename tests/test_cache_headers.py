"""Nothing meant for one person is kept by a cache: `Cache-Control: no-store` on every response
to a logged-in user, every download and every page reached by a private token.

The walk reuses test_permissions' records and URL builder, so a new route is checked here the
day it is added. Static files keep Flask's own caching; the calendar feed keeps its short,
private caching (calendar apps poll it), which no shared proxy may store.
"""

from __future__ import annotations

import pytest
from flask import Flask, Response

from sesac_ms.models import Role
from sesac_ms.permissions import PUBLIC, require
from tests.conftest import login
from tests.test_permissions import build_url, routes, world  # noqa: F401 (world: a fixture)

FEED = "sessions.feed"


def directives(response) -> set[str]:
    return {
        part.strip().split("=")[0].lower()
        for part in response.headers.get("Cache-Control", "").split(",")
        if part.strip()
    }


def is_token_route(app: Flask, endpoint: str) -> bool:
    rule = next(r for r in app.url_map.iter_rules(endpoint=endpoint))
    return "token" in rule.arguments


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r or "anonymous")
def test_every_route_keeps_personal_answers_out_of_caches(app, make_user, world, role):  # noqa: F811
    failures = []
    checked = {"token": 0, "download": 0, "logged in": 0}
    for endpoint, _rule, method in routes(app):
        client = app.test_client()
        values = world["values"]
        if role is not None:
            user = world["users"].get(role) or make_user(role)
            assert login(client, user.email).status_code == 302
            values = {**values, **world["role_values"].get(role, {})}
        url = build_url(app, endpoint, values)
        response = client.open(url, method=method, data={})
        token = is_token_route(app, endpoint)
        download = response.headers.get("Content-Disposition", "").startswith("attachment")
        found = directives(response)
        if endpoint == FEED and response.status_code == 200:
            ok = "private" in found and "public" not in found and "max-age" in found
        elif token or download or role is not None:
            ok = "no-store" in found
        else:
            continue
        for kind, applies in (("token", token), ("download", download), ("logged in", role)):
            checked[kind] += bool(applies)
        if not ok:
            failures.append(
                f"{method} {url} ({endpoint}) as {role}: {response.status_code} "
                f"Cache-Control: {response.headers.get('Cache-Control')!r}"
            )
    assert not failures, "\n".join(failures)
    assert checked["token"] > 0
    if role is None:
        assert checked["logged in"] == 0
    else:
        assert checked["logged in"] > 0
    if role in (Role.ADMIN, Role.MANAGER):
        assert checked["download"] > 0  # the applicant import template, at least


def test_the_calendar_feed_keeps_its_own_private_caching(app, world):  # noqa: F811
    token = world["values"]["sessions.token"]
    response = app.test_client().get(f"/sessions/feed/{token}.ics")

    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    policy = response.cache_control
    assert policy.private and not policy.public and policy.max_age == 300


@pytest.mark.parametrize("role", [None, Role.ADMIN], ids=["anonymous", "admin"])
def test_static_files_keep_their_caching(app, make_user, role):
    client = app.test_client()
    if role is not None:
        login(client, make_user(role).email)
    with app.test_request_context():
        expected = app.send_static_file("css/app.css")
        expected.close()

    response = client.get("/static/css/app.css")
    response.close()

    assert response.status_code == 200
    assert "no-store" not in directives(response)
    assert response.headers.get("Cache-Control") == expected.headers.get("Cache-Control")
    # Nor does a static file renew the session: finishing late, it would undo what the next
    # page stored in it (a passkey challenge, a message).
    assert "Set-Cookie" not in response.headers
    if role is not None:
        assert "Set-Cookie" in client.get("/auth/password").headers  # a page renews it


def test_downloads_are_not_stored_even_for_someone_not_logged_in(make_app):
    app = make_app()

    @app.get("/test-download")
    @require(PUBLIC)
    def download() -> Response:
        return Response(
            "a,b\n",
            mimetype="text/csv",
            headers={
                "Content-Disposition": "attachment; filename=x.csv",
                "Cache-Control": "public, max-age=600",
            },
        )

    @app.get("/test-page")
    @require(PUBLIC)
    def page() -> str:
        return "public page"

    with app.app_context():
        client = app.test_client()
        assert client.get("/test-download").headers["Cache-Control"] == "no-store"
        assert "no-store" not in directives(client.get("/test-page"))


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/cohorts/{cohort_id}/roster/export", {"reason": "수료 예정자 확인", "format": "csv"}),
        ("/cohorts/{cohort_id}/roster/export", {"reason": "수료 예정자 확인", "format": "xlsx"}),
        ("/admin/users/export", {"reason": "계정 점검 (분기)"}),
        ("/reports/employment?format=csv", None),
        ("/reports/certifications?format=xlsx", None),
    ],
)
def test_every_kind_of_download_is_not_stored(client, make_user, make_cohort, url, data):
    cohort = make_cohort()
    login(client, make_user(Role.ADMIN).email)
    url = url.format(cohort_id=cohort.id)

    response = client.post(url, data=data) if data else client.get(url)

    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"


def test_a_private_page_that_asks_to_be_cached_is_not(make_app, make_user):
    """A logged-in page's own `private, max-age` is replaced: only token pages keep one."""
    app = make_app()

    @app.get("/test-cached")
    @require(PUBLIC)
    def cached() -> Response:
        return Response("mine", headers={"Cache-Control": "private, max-age=600"})

    with app.app_context():
        client = app.test_client()
        assert client.get("/test-cached").headers["Cache-Control"] == "private, max-age=600"
        login(client, make_user(Role.MANAGER).email)
        assert client.get("/test-cached").headers["Cache-Control"] == "no-store"
