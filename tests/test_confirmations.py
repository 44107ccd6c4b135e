"""Every form that posts to a consequential endpoint asks first (data-confirm), naming whom.

The templates are read as text: each `<form ...>` tag and each `button(...)`, `post_button(...)`
or `decision(...)` macro call that names a consequential endpoint must carry `data-confirm` or
`confirm=`. The browser test (tests/browser/test_confirmations.py) checks the dialog itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# What cannot be undone lightly: decisions that mail people, roster changes, cancellations,
# removals, deactivation and a verified outcome's change.
CONSEQUENTIAL = {
    "applications.accept",
    "applications.waitlist",
    "applications.reject",
    "applications.enroll",
    "applications.bulk",
    "applications.withdraw",
    "applications.decline_offer",
    "applications.delete_interview",
    "cohorts.change_status",
    "cohorts.remove_staff",
    "cohorts.cancel_day",
    "cohorts.delete_event",
    "cohorts.trainee_status",
    "cohorts.deposit",
    "sessions.cancel",
    "sessions.delete_slot",
    "sessions.revoke_feed_link",
    "admin.deactivate_user",
    "placements.verify",
}

# A <form ...> start tag (Jinja expressions inside it may hold ">"), or a macro call that posts.
FORM_TAG = re.compile(r"<form\b(?:\{\{.*?\}\}|\{%.*?%\}|[^>])*>", re.S)
MACRO_CALL = re.compile(
    r"\{\{\s*(?:button|post_button|decision)\((?:[^{}]|\{[^{}]*\})*?\)\s*\}\}", re.S
)
ENDPOINT = re.compile(r"""(?:url_for\(|decision\()\s*['"]([\w.]+)['"]""")
# Long lists build their rows' addresses from one `url_parts("endpoint", "id")` passed to the
# template as NAME (cohorts.routes.url_parts), used as `{{ NAME[0] }}{{ id }}{{ NAME[1] }}`.
URL_PARTS_PASSED = re.compile(r"""(\w+)=url_parts\(\s*['"]([\w.]+)['"]""")
URL_PARTS_USED = re.compile(r"\{\{\s*(\w+)\[0\]\s*\}\}")
SOURCES = Path(__file__).resolve().parent.parent / "sesac_ms"


def _url_parts_endpoints() -> dict[str, set[str]]:
    """Template variable name -> the endpoints routes pass under it through url_parts."""
    names: dict[str, set[str]] = {}
    for path in SOURCES.rglob("*.py"):
        for name, endpoint in URL_PARTS_PASSED.findall(path.read_text(encoding="utf-8")):
            names.setdefault(name, set()).add(endpoint)
    return names


def _posting_pieces() -> list[tuple[str, str, str]]:
    """(template, endpoint, text) for every form tag or posting macro call naming an endpoint."""
    pieces = []
    passed = _url_parts_endpoints()
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for match in [*FORM_TAG.finditer(text), *MACRO_CALL.finditer(text)]:
            piece = match.group(0)
            endpoints = set(ENDPOINT.findall(piece))
            for name in URL_PARTS_USED.findall(piece):
                endpoints |= passed.get(name, set())
            for endpoint in sorted(endpoints):
                pieces.append((str(path.relative_to(TEMPLATES)), endpoint, piece))
    return pieces


def test_every_consequential_form_asks_first(app: Flask) -> None:
    known = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert known >= CONSEQUENTIAL, f"unknown endpoints: {sorted(CONSEQUENTIAL - known)}"
    pieces = _posting_pieces()
    found = {endpoint for _, endpoint, _ in pieces}
    assert found >= CONSEQUENTIAL, f"no form posts to {sorted(CONSEQUENTIAL - found)}"
    silent = [
        f"{template}: {endpoint}"
        for template, endpoint, piece in pieces
        if endpoint in CONSEQUENTIAL and "data-confirm" not in piece and "confirm=" not in piece
    ]
    assert not silent, "consequential forms without a confirmation: " + ", ".join(silent)


@pytest.mark.parametrize(
    "piece, asks",
    [
        ("""<form method="post" action="{{ url_for('sessions.cancel', session_id=1) }}">""", False),
        (
            """<form method="post" action="{{ url_for('sessions.cancel', session_id=1) }}" """
            """data-confirm="{{ _('%(n)s > 1', n=2) }}">""",
            True,
        ),
        ("""{{ button(url_for('admin.deactivate_user', user_id=1), _('Deactivate')) }}""", False),
        (
            """{{ button(url_for('admin.deactivate_user', user_id=1), _('Go'), """
            """confirm=_('%(name)s', name=p.name)) }}""",
            True,
        ),
    ],
)
def test_the_scan_tells_silent_forms_apart(piece: str, asks: bool) -> None:
    """The scanner itself: it finds the endpoint and sees whether the piece asks first."""
    matches = [*FORM_TAG.finditer(piece), *MACRO_CALL.finditer(piece)]
    assert len(matches) == 1
    found = matches[0].group(0)
    assert ENDPOINT.findall(found)
    assert ("data-confirm" in found or "confirm=" in found) is asks


def test_the_sentence_names_the_person(client, login_as, make_open_cohort, make_application):
    """Rendered: accept and reject name the applicant in a sentence built on the server."""
    cohort = make_open_cohort()
    application = make_application(cohort, name="홍길순")
    login_as("manager")
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    forms = FORM_TAG.findall(page)
    for action in ("accept", "reject"):
        (tag,) = [f for f in forms if f'/applications/{application.id}/{action}"' in f]
        sentence = re.search(r'data-confirm="([^"]*)"', tag)
        assert sentence and "홍길순" in sentence.group(1), tag
    assert 'id="confirm-dialog"' in page  # the one dialog the sentence is shown in
