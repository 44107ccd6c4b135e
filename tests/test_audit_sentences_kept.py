"""Audit entries read as sentences are kept in the worker (audit_text.EntryReader with the
figures' version), and a kept sentence is never shown stale or in the wrong language."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta

from flask_babel import force_locale, format_datetime

from sesac_ms import _datetime_text, audit
from sesac_ms.audit_text import EntryReader
from sesac_ms.extensions import db
from sesac_ms.models import Campus, Cohort, Role, User


def _entries(admin: User, cohorts: list[Cohort]) -> None:
    for cohort in cohorts:
        audit.record(admin, "cohort.updated", cohort, {"capacity": [30, 25]}, label=cohort.label())
    db.session.commit()


def test_a_second_view_describes_no_entry_again(client, login_as, make_cohort, monkeypatch):
    admin = login_as(Role.ADMIN, locale="en")
    _entries(admin, [make_cohort() for _ in range(4)])
    described = []
    original = EntryReader._describe

    def counting(self, entry, subject):  # noqa: ANN001, ANN202
        described.append(entry.id)
        return original(self, entry, subject)

    monkeypatch.setattr(EntryReader, "_describe", counting)
    client.get("/auth/password")  # the welcome message read
    first = client.get("/admin/audit").get_data(as_text=True)
    assert len(described) >= 4
    described.clear()
    assert client.get("/admin/audit").get_data(as_text=True) == first
    assert described == []


def test_a_renamed_campus_shows_at_once_in_kept_sentences(client, login_as, make_cohort):
    admin = login_as(Role.ADMIN, locale="en")
    cohort = make_cohort()
    _entries(admin, [cohort])
    before = client.get("/admin/audit").get_data(as_text=True)
    assert cohort.label("en") in before

    campus = db.session.get(Campus, cohort.course.campus_id)
    campus.name_en = "Renamed Campus"
    db.session.commit()
    renamed = db.session.get(Cohort, cohort.id).label("en")

    assert "Renamed" in renamed
    assert renamed in client.get("/admin/audit").get_data(as_text=True)


def test_kept_sentences_follow_the_readers_language(client, login_as, make_cohort):
    admin = login_as(Role.ADMIN, locale="en")
    cohort = make_cohort()
    _entries(admin, [cohort])
    english = client.get("/admin/audit").get_data(as_text=True)
    assert "Capacity changed from" in english

    db.session.get(User, admin.id).locale = "ko"
    db.session.commit()
    korean = client.get("/admin/audit").get_data(as_text=True)

    assert "Capacity changed from" not in korean
    assert cohort.label("ko") in korean


def test_the_datetime_filter_writes_what_babel_writes(app):
    moments = [datetime(2026, 1, 1, 0, 0) + timedelta(minutes=37 * n) for n in range(500)]
    with app.test_request_context():
        for locale in ("ko", "en"):
            with force_locale(locale):
                for moment in moments:
                    for value in (moment, moment.replace(tzinfo=UTC)):
                        assert _datetime_text(value) == format_datetime(value, "yyyy-MM-dd HH:mm")
                assert _datetime_text(date(2026, 3, 1)) == format_datetime(
                    date(2026, 3, 1), "yyyy-MM-dd HH:mm"
                )
                assert _datetime_text(moments[0], "yyyy-MM-dd") == "2026-01-01"
                assert _datetime_text(None) == ""


def test_sqlite_connections_are_set_for_workers_sharing_the_file(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return
        raw = db.engine.raw_connection()
        try:
            assert isinstance(raw.driver_connection, sqlite3.Connection)
            pragma = raw.driver_connection.execute
            assert pragma("PRAGMA foreign_keys").fetchone()[0] == 1
            assert pragma("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert pragma("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        finally:
            raw.close()
