"""The audit log and the access log are tamper-evident and kept two years (제8조).

Entries written by the app verify; an attacker with the database's rights (triggers lifted
first, as the owner may) who edits, deletes, slips in or re-hashes an entry, or removes a
seal, is named by `flask audit verify`; several workers writing (and sealing) at once
leave a chain that verifies; pruning keeps every younger entry and the chain verifiable.
On SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Flask

from sesac_ms import audit, audit_chain
from sesac_ms.audit_chain import day_start, prune_logs, seal_days, verify
from sesac_ms.clock import SEOUL, today_in_seoul
from sesac_ms.extensions import db
from sesac_ms.models import AuditEntry, LogPrune, LogSeal, PersonalDataAccess, Role
from sesac_ms.models.audit import AccessAction, content_hash
from sesac_ms.models.types import utcnow
from sesac_ms.settings_env import InvalidSetting
from tests.conftest import TEST_DATABASE_URL, base_config, postgres_database

SOURCE = Path(__file__).resolve().parent.parent / "sesac_ms"
MIGRATION = "09a32c48007e"  # the tamper-evident logs


def noon(days_ago: int) -> datetime:
    """Noon in Seoul, `days_ago` days before today (Seoul)."""
    return day_start(today_in_seoul() - timedelta(days=days_ago)) + timedelta(hours=12)


def change_at(at: datetime, n: int = 1) -> AuditEntry:
    entry = AuditEntry(
        at=at,
        actor_label="김매니저 <manager@sesac.example>",
        action="cohort.updated",
        object_type="Cohort",
        object_id=n,
        object_label=f"코호트 {n}",
        campus_id=1,
        changes={"capacity": [20, 20 + n]},
        ip_address="10.0.0.1",
    )
    db.session.add(entry)
    return entry


def view_at(at: datetime, n: int = 1) -> PersonalDataAccess:
    entry = PersonalDataAccess(
        at=at,
        actor_label="김매니저 <manager@sesac.example>",
        action=AccessAction.VIEW,
        subject_type="Cohort",
        subject_id=n,
        subject_label=f"코호트 {n}",
        page="cohorts.roster",
        people_count=n,
        filters={"search": "김"},
    )
    db.session.add(entry)
    return entry


def history(days: tuple[int, ...] = (5, 4, 3), per_day: int = 3) -> dict[str, list[int]]:
    """`per_day` entries of each log at noon of each of `days` (days ago); their ids."""
    made: dict[str, list] = {"audit_entries": [], "personal_data_access": []}
    for days_ago in days:
        for n in range(per_day):
            at = noon(days_ago) + timedelta(minutes=n)
            made["audit_entries"].append(change_at(at, n + 1))
            made["personal_data_access"].append(view_at(at, n + 1))
    db.session.commit()
    return {log: [entry.id for entry in entries] for log, entries in made.items()}


def later(days: int = 2) -> datetime:
    """A moment by which today is sealable too."""
    return utcnow() + timedelta(days=days)


@contextmanager
def guards_lifted(table: str) -> Iterator[sa.Connection]:
    """The table's triggers off, as the database's owner (or an attacker with its rights)
    may; back on afterwards."""
    db.session.commit()
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        triggers = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
            (table,),
        ).all()
        assert triggers
        for name, _ in triggers:
            connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
        try:
            yield connection
        finally:
            for _, sql in triggers:
                connection.exec_driver_sql(sql)
            db.session.commit()
    else:
        connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        try:
            yield connection
        finally:
            connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            db.session.commit()


def refused(sql: str, params: dict, match: str) -> None:
    """The database refuses the statement (its triggers), whoever sends it."""
    with pytest.raises(sa.exc.DBAPIError, match=match), db.engine.begin() as connection:
        connection.execute(sa.text(sql), params)


def run_verify(runner, *args: str):
    result = runner.invoke(args=["audit", "verify", *args])
    db.session.rollback()
    return result


# --- written by the app, verified --------------------------------------------------------------


def test_entries_written_through_the_app_verify(app, client, login_as, make_user, runner):
    admin = login_as(Role.ADMIN)
    for url in ("/admin/users", "/admin/audit", "/admin/access-log", "/"):
        assert client.get(url).status_code == 200, url
    make_user(Role.MANAGER, name="박매니저")  # audited: user.created
    audit.record_access(
        admin,
        AccessAction.DOWNLOAD,
        "사용자 목록",
        page="admin.users_export",
        reason="월간 점검",
        people_count=3,
    )
    # Values the database hands back otherwise than given: a tuple, a number key, an enum,
    # a time in Seoul, an unset default.
    db.session.add(
        AuditEntry(
            at=datetime.now(SEOUL),
            actor_label="system",
            action="cohort.updated",
            object_type="Cohort",
            object_id=7,
            changes={"capacity": (20, 30), 3: "셋", "status": Role.ADMIN},
        )
    )
    db.session.commit()
    entries = {
        model: db.session.scalars(sa.select(model)).all()
        for model in (AuditEntry, PersonalDataAccess)
    }
    assert all(len(rows) >= 2 for rows in entries.values())
    assert all(len(e.row_hash) == 64 for rows in entries.values() for e in rows)

    assert seal_days(later()) > 0
    db.session.commit()
    report = verify()

    assert report.intact, [str(b) for b in report.breaks]
    assert report.logs["audit_entries"].entries == len(entries[AuditEntry])
    assert report.logs["personal_data_access"].entries == len(entries[PersonalDataAccess])
    result = run_verify(runner)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("intact: ")
    assert result.output.count("\n") == 1  # one line


def test_writing_an_entry_costs_no_extra_query(app, count_queries):
    with count_queries() as counted:
        change_at(utcnow())
        db.session.flush()
    assert counted() == 1  # the INSERT alone: the hash is computed in Python
    db.session.commit()


def test_a_day_is_sealed_once_it_has_ended_and_chained_to_the_one_before(app):
    history(days=(3, 1), per_day=2)
    now = later(1)

    written = seal_days(now)
    db.session.commit()

    seals = db.session.scalars(
        sa.select(LogSeal).where(LogSeal.log == "audit_entries").order_by(LogSeal.day)
    ).all()
    assert written == 2 * len(seals)
    # from the first entry's day up to a day that ended SEAL_GRACE ago; empty days too
    assert seals[0].day == today_in_seoul() - timedelta(days=3)
    assert seals[-1].day == audit_chain.last_sealable_day(now) >= today_in_seoul() - timedelta(1)
    assert [s.entries for s in seals[:3]] == [2, 0, 2]
    assert seals[0].prev_hash == audit_chain.GENESIS
    assert all(b.prev_hash == a.seal_hash for a, b in zip(seals, seals[1:], strict=False))
    assert seal_days(now) == 0  # nothing new to seal


# --- tampering, named ------------------------------------------------------------------------


def test_an_entry_edited_behind_the_apps_back_is_named(app, runner):
    ids = history()
    assert run_verify(runner).exit_code == 0  # seals the three days
    edited = ids["personal_data_access"][4]  # the middle day's second entry
    later_edit = ids["personal_data_access"][7]

    # Not through the app, nor with the database's triggers on...
    entry = db.session.get(PersonalDataAccess, edited)
    entry.reason = "nothing to see"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE personal_data_access SET reason = 'x' WHERE id = :id"),
            {"id": edited},
        )
    assert run_verify(runner).exit_code == 0

    # ...but by someone who lifted them first.
    with guards_lifted("personal_data_access") as connection:
        for entry_id in (later_edit, edited):
            connection.execute(
                sa.text("UPDATE personal_data_access SET people_count = 500 WHERE id = :id"),
                {"id": entry_id},
            )

    result = run_verify(runner)

    assert result.exit_code == 1
    at = noon(4) + timedelta(minutes=1)
    assert result.output == (
        f"BROKEN: access log entry {edited} ({at.astimezone(SEOUL):%Y-%m-%d %H:%M:%S} Seoul): "
        "its content no longer matches its hash (changed after it was written)\n"
    )  # the first break only; the audit log is intact


def test_an_edit_of_an_entry_not_sealed_yet_is_named(app, runner):
    ids = history(days=(0,), per_day=2)
    with guards_lifted("audit_entries") as connection:
        connection.execute(
            sa.text("UPDATE audit_entries SET object_label = 'x' WHERE id = :id"),
            {"id": ids["audit_entries"][1]},
        )

    result = run_verify(runner)

    assert result.exit_code == 1
    assert f"audit log entry {ids['audit_entries'][1]} (" in result.output
    assert "changed after it was written" in result.output


def test_a_deleted_entry_in_the_middle_is_named(app, runner):
    ids = history()
    assert run_verify(runner).exit_code == 0
    deleted = ids["audit_entries"][4]
    with pytest.raises(sa.exc.DBAPIError, match="kept"), db.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM audit_entries WHERE id = :id"), {"id": deleted})

    with guards_lifted("audit_entries") as connection:
        connection.execute(sa.text("DELETE FROM audit_entries WHERE id = :id"), {"id": deleted})

    result = run_verify(runner)

    assert result.exit_code == 1
    day = today_in_seoul() - timedelta(days=4)
    assert result.output == (
        f"BROKEN: audit log entry {deleted} (day {day}): it was deleted after its day was sealed\n"
    )


def _rehash(connection: sa.Connection, entry_id: int) -> None:
    """Edit an entry and give it the hash of its new content, as a careful forger would."""
    connection.execute(
        sa.text("UPDATE audit_entries SET object_label = 'forged' WHERE id = :id"), {"id": entry_id}
    )
    row = connection.execute(sa.select(AuditEntry.__table__).where(AuditEntry.id == entry_id)).one()
    connection.execute(
        sa.text("UPDATE audit_entries SET row_hash = :h WHERE id = :id"),
        {"h": content_hash("audit_entries", row._mapping), "id": entry_id},
    )


def _slip_in(connection: sa.Connection, entry_id: int) -> None:
    """A new entry, with a right hash, in a day already sealed."""
    values = {
        "at": noon(4) + timedelta(minutes=30),
        "actor_label": "someone",
        "action": "cohort.updated",
        "object_type": "Cohort",
        "object_id": 9,
        "object_label": "",
        "campus_id": None,
        "changes": {},
        "ip_address": None,
    }
    values["row_hash"] = content_hash("audit_entries", values)
    connection.execute(sa.insert(AuditEntry.__table__).values(**values))


def _no_hash(connection: sa.Connection, entry_id: int) -> None:
    connection.execute(
        sa.insert(AuditEntry.__table__).values(
            at=utcnow(), actor_label="someone", action="x.y", object_type="Cohort", changes={}
        )
    )


def _drop_seal(connection: sa.Connection, entry_id: int) -> None:
    connection.execute(
        sa.text("DELETE FROM log_seals WHERE log = 'audit_entries' AND day = :day"),
        {"day": today_in_seoul() - timedelta(days=4)},
    )


def _forge_seal(connection: sa.Connection, entry_id: int) -> None:
    connection.execute(
        sa.text("UPDATE log_seals SET entries = 2, ids = :ids WHERE log = 'audit_entries' "
                "AND day = :day"),
        {"ids": f"{entry_id - 1}-{entry_id}", "day": today_in_seoul() - timedelta(days=4)},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("attack", "table", "expected"),
    [
        (_rehash, "audit_entries", "audit log, day {day4}: an entry's hash was rewritten"),
        (_slip_in, "audit_entries", "audit log entry {new}"),
        (_no_hash, "audit_entries", "audit log entry {new}"),
        (_drop_seal, "log_seals", "audit log, day {day4}: the day's seal is missing"),
        (_forge_seal, "log_seals", "audit log, day {day4}: its seal was altered"),
    ],
    ids=["hash-rewritten", "slipped-in", "no-hash", "seal-removed", "seal-forged"],
)
def test_every_kind_of_tampering_is_named(app, runner, attack, table, expected):
    ids = history()
    assert run_verify(runner).exit_code == 0
    new = db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) + 1

    with guards_lifted(table) as connection:
        attack(connection, ids["audit_entries"][4])

    result = run_verify(runner)

    assert result.exit_code == 1
    day4 = today_in_seoul() - timedelta(days=4)
    assert expected.format(day4=day4, new=new) in result.output
    assert result.output.startswith("BROKEN: ")


def test_verify_from_a_day_and_its_exit_codes(app, runner):
    ids = history()
    assert run_verify(runner).exit_code == 0
    with guards_lifted("audit_entries") as connection:
        connection.execute(
            sa.text("UPDATE audit_entries SET campus_id = 2 WHERE id = :id"),
            {"id": ids["audit_entries"][0]},  # on the first day
        )
    first, second = (today_in_seoul() - timedelta(days=d) for d in (5, 4))

    assert run_verify(runner).exit_code == 1
    assert run_verify(runner, "--from", first.isoformat()).exit_code == 1
    result = run_verify(runner, "--from", second.isoformat())

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"intact from {second}: 6 audit log entries")
    assert run_verify(runner, "--from", "27/11/2026").exit_code == 2  # usage error


def test_an_empty_database_verifies(app, runner):
    result = run_verify(runner)

    assert result.exit_code == 0, result.output
    assert result.output == "intact: 0 audit log entries; 0 access log entries\n"


# --- several writers at once ------------------------------------------------------------------


def _in_threads(apps: list[Flask], work: Callable[[int], None]) -> None:
    barrier = threading.Barrier(len(apps))
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            with apps[i].app_context():
                barrier.wait(timeout=60)
                work(i)
                db.session.remove()
        except BaseException as error:  # reported in the main thread
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(apps))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


WRITERS = 4
ENTRIES = 25


def test_concurrent_writers_and_sealers_leave_a_chain_that_verifies(app, make_app):
    apps = [make_app() for _ in range(WRITERS)]

    def write(i: int) -> None:
        for n in range(ENTRIES):
            at = noon(1 + n % 2) if n % 3 == 0 else None  # yesterday's, and now
            entry = change_at(at or utcnow(), n)
            audit.record_access(None, AccessAction.VIEW, f"worker {i}", page="admin.users")
            assert entry.row_hash is None
            db.session.commit()
            assert entry.row_hash is not None

    _in_threads(apps, write)
    sealed: list[int] = []
    _in_threads(apps, lambda i: (sealed.append(seal_days(later())), db.session.commit()))

    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == WRITERS * ENTRIES
    assert sorted(sealed)[:-1] == [0] * (WRITERS - 1)  # one sealer did it, once
    assert sum(sealed) == db.session.scalar(sa.select(sa.func.count(LogSeal.id)))
    report = verify()
    assert report.intact, [str(b) for b in report.breaks]
    assert report.logs["personal_data_access"].entries == WRITERS * ENTRIES


# --- two years, then pruned -------------------------------------------------------------------


def test_pruning_keeps_every_younger_entry_and_the_chain_verifies(app, app_log, runner):
    cutoff = today_in_seoul() - timedelta(days=730)
    old = history(days=(800, 731), per_day=2)
    young = history(days=(730, 729, 3), per_day=2)
    now = utcnow()

    assert audit_chain.count_prunable(now) == {"audit_entries": 4, "personal_data_access": 4}
    destroyed = prune_logs(now)
    db.session.commit()

    assert destroyed == {"audit_entries": 4, "personal_data_access": 4}
    for log, model in (("audit_entries", AuditEntry), ("personal_data_access", PersonalDataAccess)):
        kept = db.session.scalars(sa.select(model.id).order_by(model.id)).all()
        assert kept == young[log]
        assert not set(kept) & set(old[log])
    prunes = db.session.scalars(sa.select(LogPrune).order_by(LogPrune.id)).all()
    assert [(p.log, p.before_day, p.entries) for p in prunes] == [
        ("audit_entries", cutoff, 4),
        ("personal_data_access", cutoff, 4),
    ]
    assert "4 audit-log and 4 access-log entries destroyed" in app_log.text
    # the seals of the destroyed days stay: the chain runs from its first day
    assert db.session.scalar(sa.select(sa.func.min(LogSeal.day))) == cutoff - timedelta(days=70)
    result = run_verify(runner)
    assert result.exit_code == 0, result.output
    assert f"6 audit log entries ({cutoff} to " in result.output

    assert prune_logs(utcnow()) == {"audit_entries": 0, "personal_data_access": 0}
    db.session.commit()
    # a young entry stays even if asked (a clock set wrong): the database refuses
    with pytest.raises(sa.exc.DBAPIError, match="kept"):
        prune_logs(utcnow() + timedelta(days=5))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 6


def test_pruning_after_a_longer_retention_keeps_more(make_app):
    app = make_app(ACCESS_LOG_RETENTION_DAYS=1000)
    with app.app_context():
        history(days=(1200, 800), per_day=1)
        assert prune_logs(utcnow()) == {"audit_entries": 1, "personal_data_access": 1}
        db.session.commit()
        assert verify().intact


def test_a_deleted_young_entry_cannot_pass_for_a_prune(app, runner):
    history(days=(5, 4, 3))
    assert run_verify(runner).exit_code == 0
    with guards_lifted("audit_entries") as connection:
        connection.execute(
            sa.text("DELETE FROM audit_entries WHERE at < :at"),
            {"at": day_start(today_in_seoul() - timedelta(days=4))},
        )
    with guards_lifted("log_prunes") as connection:
        connection.execute(
            sa.insert(LogPrune.__table__).values(
                log="audit_entries",
                before_day=today_in_seoul() - timedelta(days=4),
                entries=3,
                at=utcnow(),
            )
        )

    result = run_verify(runner)

    assert result.exit_code == 1
    assert "destroyed entries younger than 730 days" in result.output


@pytest.mark.parametrize("days", [0, 729, "two years"])
def test_a_retention_under_two_years_refuses_to_start(make_app, days):
    with pytest.raises(InvalidSetting, match="ACCESS_LOG_RETENTION_DAYS"):
        make_app(ACCESS_LOG_RETENTION_DAYS=days)


# --- nothing edits or deletes an entry ----------------------------------------------------------

_WRITES = re.compile(
    r"(?:delete|update)\(\s*(?:AuditEntry|PersonalDataAccess|LogSeal|LogPrune)\b"
    r"|(?:DELETE\s+FROM|UPDATE)\s+\"?(?:audit_entries|personal_data_access|log_seals|log_prunes)\b",
    re.IGNORECASE,
)


def test_no_code_but_the_prune_deletes_or_changes_a_log_entry():
    offenders = [
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if path.name != "audit_chain.py" and _WRITES.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    prune = (SOURCE / "audit_chain.py").read_text(encoding="utf-8")
    assert len(re.findall(r"sa\.delete\(", prune)) == 1  # prune_logs, older entries only


def test_the_orm_refuses_to_change_or_delete_log_rows(app, runner):
    history(days=(3,), per_day=1)
    assert run_verify(runner).exit_code == 0
    for model in (AuditEntry, PersonalDataAccess, LogSeal):
        row = db.session.scalars(sa.select(model).limit(1)).one()
        db.session.delete(row)
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.execute(sa.update(model).values(id=model.id))
        db.session.rollback()


def test_the_database_lets_go_of_a_deleted_account_and_refuses_every_other_change(app, make_user):
    user = make_user(Role.MANAGER)
    entry = audit.record(user, "user.updated", user, {"name": ["a", "b"]})
    access = audit.record_access(user, AccessAction.VIEW, "x", subject=user, page="admin.user")
    db.session.commit()
    entry_id, access_id, user_id = entry.id, access.id, user.id
    db.session.expunge_all()

    # An account deleted (retention may destroy one): the database sets its ids to NULL.
    with db.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM users WHERE id = :id"), {"id": user_id})
    assert db.session.get(AuditEntry, entry_id).actor_id is None
    assert db.session.get(PersonalDataAccess, access_id).person_id is None
    assert seal_days(later()) > 0
    db.session.commit()
    assert verify().intact
    other = make_user(Role.MANAGER).id
    seal = db.session.scalar(sa.select(sa.func.min(LogSeal.id)))

    for sql, entry in (
        ("UPDATE audit_entries SET actor_id = :other WHERE id = :id", entry_id),
        ("UPDATE audit_entries SET row_hash = 'x' WHERE id = :id", entry_id),
        (
            "UPDATE personal_data_access SET person_id = NULL, detail = 'x' WHERE id = :id",
            access_id,
        ),
        ("UPDATE log_seals SET sealed_at = sealed_at WHERE id = :id", seal),
        ("DELETE FROM log_seals WHERE id = :id", seal),
    ):
        refused(sql, {"id": entry, "other": other}, "append-only")


# --- the migration ----------------------------------------------------------------------------


def _migrate_and_verify(url: str, tmp_path: Path) -> None:
    from flask_migrate import downgrade, upgrade

    from sesac_ms import create_app

    app = create_app(base_config(url, tmp_path))
    with app.app_context():
        scripts = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        before = scripts.get_revision(MIGRATION).down_revision
        upgrade(revision=before)  # the schema before the hashes
        columns = [c for c in AuditEntry.__table__.columns if c.name != "row_hash"]
        table = sa.table("audit_entries", *(sa.column(c.name, c.type) for c in columns))
        with db.engine.begin() as connection:
            connection.execute(
                sa.insert(table),
                [
                    {
                        "at": noon(days),
                        "actor_label": "system",
                        "action": "cohort.updated",
                        "object_type": "Cohort",
                        "object_id": days,
                        "object_label": "",
                        "changes": {"capacity": [1, days]},
                    }
                    for days in (3, 2, 2)
                ],
            )
        upgrade()
        assert None not in db.session.scalars(sa.select(AuditEntry.row_hash)).all()
        seal_days(later())
        db.session.commit()
        assert verify().intact
        refused("UPDATE audit_entries SET object_id = 5", {}, "append-only")
        db.session.remove()
        downgrade(revision=before)
        upgrade()
        db.session.remove()
        db.engine.dispose()


def test_the_migration_hashes_the_entries_written_before_it_on_sqlite(tmp_path):
    _migrate_and_verify(f"sqlite:///{tmp_path / 'migrated.sqlite3'}", tmp_path)


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="TEST_DATABASE_URL is not set")
def test_the_migration_hashes_the_entries_written_before_it_on_postgresql(tmp_path):
    with postgres_database(TEST_DATABASE_URL) as url:
        _migrate_and_verify(url, tmp_path)


def test_seal_days_and_ranges_helpers():
    assert audit_chain.id_ranges([1, 2, 3, 5, 7, 8]) == "1-3,5,7-8"
    assert audit_chain.expand_ranges("1-3,5,7-8") == [1, 2, 3, 5, 7, 8]
    assert audit_chain.id_ranges([]) == "" and audit_chain.expand_ranges("") == []
    seoul_midnight = datetime(2026, 11, 27, tzinfo=SEOUL)
    assert audit_chain.day_start(date(2026, 11, 27)) == seoul_midnight.astimezone(UTC)
    assert audit_chain.seoul_day(datetime(2026, 11, 26, 15, 0, tzinfo=UTC)) == date(2026, 11, 27)
