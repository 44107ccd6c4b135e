"""The audit log and the access log made tamper-evident, kept two years, then pruned.

개인정보의 안전성 확보조치 기준 제8조 asks that access records be kept at least two years
and protected from being forged, altered or lost. The design:

1. **Every entry hashes its own content as it is written.** `models.audit.content_hash` is
   the SHA-256 of a canonical serialisation (a JSON array of a version tag, the log's name
   and the entry's fields, keys sorted, UTC times to the microsecond), set by a
   `before_insert` hook (and by the scale-data generator for its bulk rows) into
   `row_hash`. Writing an entry costs a hash in Python and no query: no shared row, no
   lock, so gunicorn workers writing at once on PostgreSQL or SQLite neither wait for nor
   fork from each other, and a page that logs access costs what it did.
2. **Every Seoul day of each log is sealed once it has ended** (`seal_days`, more than
   SEAL_GRACE after midnight, so transactions still open then have committed): a `log_seals`
   row holds the day's entry ids (as ranges), a digest of `id:row_hash` lines in id order,
   and `seal_hash`, the hash of all that and of the previous day's `seal_hash` (zeros before
   the first day). One chain per log, a link per day; days without entries are sealed too.
   Sealers are serialised (an advisory lock on PostgreSQL, the write lock on SQLite); the
   daily retention job (`prune_logs`) and `flask audit verify` seal.
3. **`verify` recomputes everything**: each entry's hash from its fields (an edit is named
   by entry), each sealed day's ids (a deleted entry, or one slipped in later, is named by
   id) and digest (a rewritten hash names the day), each seal's hash and its link to the
   day before (a removed or forged seal names the day).
4. **Nothing edits or deletes an entry**: no route does; the ORM refuses (models.audit);
   database triggers refuse any UPDATE (except the database setting an account's id to
   NULL when the account is deleted, which is why those ids are not hashed) and any DELETE
   of an entry younger than MIN_RETENTION_DAYS; seals are never updated or deleted.
5. **Pruning** (`prune_logs`) seals first, then deletes whole Seoul days older than
   ACCESS_LOG_RETENTION_DAYS (at least 730) and records a `log_prunes` row per log. The
   seals stay (counts and hashes only, no personal data), so the chain still runs from its
   first day: `verify` checks entries from the newest prune boundary on and the seals
   throughout.

Why not a `prev_hash` per entry? Chaining each entry to the one before needs one head per
log that every writing transaction locks until it commits: requests on all workers would
queue behind each other on PostgreSQL and the SQLite write lock would be held longer. A day
seal gives the same evidence once the day is sealed; until then (at most a day and
SEAL_GRACE) an entry's own hash shows an edit, though not a deletion, of that day's entries.
Someone who can write the database could recompute hashes and seals: the seal hashes
printed by `verify` (and logged by the prune) kept elsewhere expose that too.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from .clock import SEOUL
from .extensions import db
from .models import AuditEntry, LogPrune, LogSeal, PersonalDataAccess
from .models.audit import HASHED_FIELDS, MIN_RETENTION_DAYS, content_hash
from .models.types import utcnow
from .settings_env import InvalidSetting

LOGS: dict[str, Any] = {"audit_entries": AuditEntry, "personal_data_access": PersonalDataAccess}
LOG_NAMES = {"audit_entries": "audit log", "personal_data_access": "access log"}
GENESIS = "0" * 64
SEAL_VERSION = "v1"
# A day is sealed this long after it ended in Seoul: the transactions that wrote its last
# entries have committed by then (web requests and commands are bounded far below this).
SEAL_GRACE = timedelta(hours=3)
CHUNK_DAYS = 31  # days of entries read per query
_SEAL_LOCK = 0x5E5AC_10C5  # pg_advisory_xact_lock key of the sealers

# progress(label, total) -> a context manager yielding advance(steps)
Progress = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


# --- days, ids and hashes -------------------------------------------------------------------


def seoul_day(at: datetime) -> date:
    return at.astimezone(SEOUL).date()


def day_start(day: date) -> datetime:
    """Midnight in Seoul starting `day`, in UTC."""
    return datetime.combine(day, time(), SEOUL).astimezone(UTC)


def _days(first: date, stop: date) -> Iterator[date]:
    day = first
    while day < stop:
        yield day
        day += timedelta(days=1)


def id_ranges(ids: Iterable[int]) -> str:
    """Sorted ids as ranges: [1, 2, 3, 5] -> "1-3,5"."""
    parts: list[str] = []
    start = end = None
    for n in ids:
        if end is not None and n == end + 1:
            end = n
            continue
        if start is not None:
            parts.append(f"{start}-{end}" if end != start else str(start))
        start = end = n
    if start is not None:
        parts.append(f"{start}-{end}" if end != start else str(start))
    return ",".join(parts)


def expand_ranges(text: str) -> list[int]:
    ids: list[int] = []
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        ids.extend(range(int(first), int(last or first) + 1))
    return ids


def rows_digest(pairs: Iterable[tuple[int, str | None]]) -> str:
    """SHA-256 of the lines "id:row_hash\\n" of a day's entries, in id order."""
    digest = hashlib.sha256()
    for entry_id, row_hash in pairs:
        digest.update(f"{entry_id}:{row_hash or ''}\n".encode())
    return digest.hexdigest()


def seal_hash(log: str, day: date, entries: int, ids: str, digest: str, prev_hash: str) -> str:
    text = json.dumps(
        [SEAL_VERSION, log, day.isoformat(), entries, ids, digest, prev_hash],
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode()).hexdigest()


def entry_hash(log: str, row: Mapping[str, Any]) -> str:
    return content_hash(log, {name: row[name] for name in HASHED_FIELDS[log]})


# --- the retention setting ------------------------------------------------------------------


def retention_days(config: Mapping[str, Any]) -> int:
    return int(config["ACCESS_LOG_RETENTION_DAYS"])


def check_retention_setting(config: Mapping[str, Any]) -> None:
    """Refuse to start with access records kept less than the standard's two years."""
    value = config.get("ACCESS_LOG_RETENTION_DAYS")
    if isinstance(value, bool) or not isinstance(value, int) or value < MIN_RETENTION_DAYS:
        raise InvalidSetting(
            f"ACCESS_LOG_RETENTION_DAYS={value!r}: access records are kept at least "
            f"{MIN_RETENTION_DAYS} days (two years, 개인정보의 안전성 확보조치 기준 제8조)"
        )


# --- sealing --------------------------------------------------------------------------------


def last_sealable_day(now: datetime) -> date:
    """The newest day that ended at least SEAL_GRACE before `now`."""
    return seoul_day(now - SEAL_GRACE) - timedelta(days=1)


def _lock_seals(connection: sa.Connection) -> None:
    """One sealer at a time, until the transaction ends."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SEAL_LOCK})
    elif connection.dialect.name == "sqlite":
        # A write that changes nothing begins the transaction and takes the write lock
        # (waiting for it under the busy timeout), so what is read next is the newest.
        connection.execute(sa.text("UPDATE log_seals SET id = id WHERE 0 = 1"))


def seal_days(now: datetime | None = None) -> int:
    """Seal each day of both logs that has ended (SEAL_GRACE before `now`) and is not sealed
    yet, in order, each chained to the one before; returns how many seals were written.

    Holds the sealers' lock until the transaction ends: the caller commits soon after.
    """
    now = now or utcnow()
    until = last_sealable_day(now)
    connection = db.session.connection()
    _lock_seals(connection)
    written = 0
    for log, model in LOGS.items():
        table = model.__table__
        last = db.session.execute(
            sa.select(LogSeal.day, LogSeal.seal_hash)
            .where(LogSeal.log == log)
            .order_by(LogSeal.day.desc())
            .limit(1)
        ).first()
        if last is not None:
            start, prev = last.day + timedelta(days=1), last.seal_hash
        else:
            first_at = connection.scalar(sa.select(sa.func.min(table.c.at)))
            if first_at is None:
                continue
            start, prev = seoul_day(first_at), GENESIS
        sealed_at = utcnow()
        while start <= until:
            stop = min(start + timedelta(days=CHUNK_DAYS), until + timedelta(days=1))
            by_day: dict[date, list[tuple[int, str | None]]] = defaultdict(list)
            for entry_id, at, row_hash in connection.execute(
                sa.select(table.c.id, table.c.at, table.c.row_hash)
                .where(table.c.at >= day_start(start), table.c.at < day_start(stop))
                .order_by(table.c.id)
            ):
                by_day[seoul_day(at)].append((entry_id, row_hash))
            seals = []
            for day in _days(start, stop):
                pairs = by_day.get(day, [])
                ids = id_ranges(entry_id for entry_id, _ in pairs)
                digest = rows_digest(pairs)
                sealed = seal_hash(log, day, len(pairs), ids, digest, prev)
                seals.append(
                    {
                        "log": log,
                        "day": day,
                        "entries": len(pairs),
                        "ids": ids,
                        "digest": digest,
                        "prev_hash": prev,
                        "seal_hash": sealed,
                        "sealed_at": sealed_at,
                    }
                )
                prev = sealed
            connection.execute(sa.insert(LogSeal.__table__), seals)
            written += len(seals)
            start = stop
    return written


# --- verifying ------------------------------------------------------------------------------


@dataclass
class Break:
    """Where a log's chain breaks: an entry (id and time) or a day, and what is wrong."""

    log: str
    problem: str
    entry_id: int | None = None
    at: datetime | None = None
    day: date | None = None

    def __str__(self) -> str:
        where = LOG_NAMES[self.log]
        if self.entry_id is not None:
            where += f" entry {self.entry_id}"
            if self.at is not None:
                where += f" ({self.at.astimezone(SEOUL):%Y-%m-%d %H:%M:%S} Seoul)"
            elif self.day is not None:
                where += f" (day {self.day.isoformat()})"
        elif self.day is not None:
            where += f", day {self.day.isoformat()}"
        return f"{where}: {self.problem}"


@dataclass
class LogReport:
    entries: int = 0  # entries checked
    first_day: date | None = None
    last_day: date | None = None
    sealed_through: date | None = None
    last_seal: str | None = None


@dataclass
class Report:
    since: date | None
    logs: dict[str, LogReport] = field(default_factory=dict)
    breaks: list[Break] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.breaks

    def summary(self) -> str:
        """One line: what was checked and the newest seals (worth keeping elsewhere)."""
        parts = []
        for log, report in self.logs.items():
            text = f"{report.entries:,} {LOG_NAMES[log]} entries"
            if report.first_day is not None:
                text += f" ({report.first_day} to {report.last_day})"
            if report.sealed_through is not None:
                seal = (report.last_seal or "")[:16]
                text += f", sealed through {report.sealed_through} (seal {seal}…)"
            parts.append(text)
        since = f" from {self.since}" if self.since else ""
        return f"intact{since}: " + "; ".join(parts)


@contextmanager
def _quiet(label: str, total: int) -> Iterator[Callable[[int], None]]:
    yield lambda steps: None


def _check_seals(log: str, seals: list[Any], since: date | None) -> Break | None:
    """Each seal's hash from its fields, its link to the seal of the day before."""
    prev_hash, prev_day = GENESIS, None
    for seal in seals:
        if since is None or seal.day >= since:
            expected = seal_hash(log, seal.day, seal.entries, seal.ids, seal.digest, seal.prev_hash)
            if seal.seal_hash != expected or len(expand_ranges(seal.ids)) != seal.entries:
                return Break(log, "its seal was altered", day=seal.day)
            if prev_day is not None and seal.day != prev_day + timedelta(days=1):
                missing = prev_day + timedelta(days=1)
                return Break(log, "the day's seal is missing (removed)", day=missing)
            if seal.prev_hash != prev_hash:
                return Break(
                    log, "its seal does not follow the day before's (a seal was replaced)",
                    day=seal.day,
                )  # fmt: skip
        prev_hash, prev_day = seal.seal_hash, seal.day
    return None


def _check_prunes(log: str) -> Break | None:
    for before_day, at in db.session.execute(
        sa.select(LogPrune.before_day, LogPrune.at).where(LogPrune.log == log).order_by(LogPrune.id)
    ):
        if before_day > seoul_day(at) - timedelta(days=MIN_RETENTION_DAYS):
            return Break(
                log,
                f"a prune on {seoul_day(at)} destroyed entries younger than "
                f"{MIN_RETENTION_DAYS} days",
                day=before_day,
            )
    return None


def _check_day(
    log: str, day: date, rows: list[Any], seal: Any | None, first_sealed: date | None
) -> Break | None:
    """One day's entries (in id order): each hash, and the day's seal if it has one."""
    found: list[tuple[int, Break]] = []
    for row in rows:
        if row.row_hash is None:
            problem = "it has no hash (written behind the app's back)"
        elif row.row_hash != entry_hash(log, row._mapping):
            problem = "its content no longer matches its hash (changed after it was written)"
        else:
            continue
        found.append((row.id, Break(log, problem, row.id, row.at)))
        break
    if seal is not None:
        sealed = expand_ranges(seal.ids)
        present = {row.id for row in rows}
        missing = next((n for n in sealed if n not in present), None)
        if missing is not None:
            found.append(
                (missing, Break(log, "it was deleted after its day was sealed", missing, day=day))
            )
        sealed_set = set(sealed)
        extra = next((row for row in rows if row.id not in sealed_set), None)
        if extra is not None:
            found.append(
                (extra.id, Break(log, "it was added after its day was sealed", extra.id, extra.at))
            )
        if not found and rows_digest((row.id, row.row_hash) for row in rows) != seal.digest:
            return Break(log, "an entry's hash was rewritten after the day was sealed", day=day)
    elif rows and first_sealed is not None and day < first_sealed:
        row = rows[0]
        found.append(
            (row.id, Break(log, "it was added before the first sealed day", row.id, row.at))
        )
    return min(found, key=lambda pair: pair[0])[1] if found else None


def verify(since: date | None = None, progress: Progress | None = None) -> Report:
    """Recompute both logs' chains from `since` (a Seoul day; default: everything kept) and
    report the first break of each log. Reads only."""
    progress = progress or _quiet
    report = Report(since)
    plans = []
    for log, model in LOGS.items():
        table = model.__table__
        seals = (
            db.session.execute(sa.select(LogSeal).where(LogSeal.log == log).order_by(LogSeal.day))
            .scalars()
            .all()
        )
        boundary = db.session.scalar(
            sa.select(sa.func.max(LogPrune.before_day)).where(LogPrune.log == log)
        )
        starts = [d for d in (since, boundary) if d is not None]
        start = max(starts) if starts else None
        where = [table.c.at >= day_start(start)] if start else []
        count, first_at, last_at = db.session.execute(
            sa.select(sa.func.count(), sa.func.min(table.c.at), sa.func.max(table.c.at))
            .select_from(table)
            .where(*where)
        ).one()
        plans.append((log, table, seals, start, count, first_at, last_at))
    with progress("Checking the logs", sum(plan[4] for plan in plans)) as advance:
        for log, table, seals, start, _count, first_at, last_at in plans:
            log_report = report.logs.setdefault(log, LogReport())
            if seals:
                log_report.sealed_through = seals[-1].day
                log_report.last_seal = seals[-1].seal_hash
            problem = _check_prunes(log) or _check_seals(log, seals, report.since)
            if problem is None:
                problem = _check_entries(
                    log, table, seals, start, first_at, last_at, log_report, advance
                )
            if problem is not None:
                report.breaks.append(problem)
    return report


def _check_entries(
    log: str,
    table: sa.Table,
    seals: list[Any],
    start: date | None,
    first_at: datetime | None,
    last_at: datetime | None,
    log_report: LogReport,
    advance: Callable[[int], None],
) -> Break | None:
    by_day = {seal.day: seal for seal in seals if start is None or seal.day >= start}
    days = list(by_day)
    if first_at is not None:
        days += [seoul_day(first_at), seoul_day(last_at)]
    if not days:
        return None
    first, last = min(days), max(days)
    log_report.first_day, log_report.last_day = first, last
    first_sealed = seals[0].day if seals else None
    columns = [table.c.id, table.c.row_hash, *(table.c[n] for n in HASHED_FIELDS[log])]
    chunk = first
    while chunk <= last:
        stop = min(chunk + timedelta(days=CHUNK_DAYS), last + timedelta(days=1))
        rows_by_day: dict[date, list[Any]] = defaultdict(list)
        rows = db.session.execute(
            sa.select(*columns)
            .where(table.c.at >= day_start(chunk), table.c.at < day_start(stop))
            .order_by(table.c.id)
        ).all()
        for row in rows:
            rows_by_day[seoul_day(row.at)].append(row)
        for day in _days(chunk, stop):
            day_rows = rows_by_day.get(day, [])
            problem = _check_day(log, day, day_rows, by_day.get(day), first_sealed)
            log_report.entries += len(day_rows)
            if problem is not None:
                return problem
        advance(len(rows))
        chunk = stop
    return None


# --- retention ------------------------------------------------------------------------------


def prune_cutoff(now: datetime) -> date:
    """The first Seoul day kept at `now`: every entry of an earlier day may be destroyed."""
    return seoul_day(now) - timedelta(days=retention_days(current_app.config))


def count_prunable(now: datetime) -> dict[str, int]:
    """How many entries of each log `prune_logs(now)` would destroy (for the retention
    job's report of what is destroyed next)."""
    cutoff = day_start(prune_cutoff(now))
    return {
        log: db.session.scalar(
            sa.select(sa.func.count()).select_from(model.__table__).where(model.at < cutoff)
        )
        for log, model in LOGS.items()
    }


def prune_logs(now: datetime) -> dict[str, int]:
    """Destroy the entries of both logs older than ACCESS_LOG_RETENTION_DAYS at `now`, by
    whole Seoul days, never a younger one; returns {log's table: entries destroyed}.

    Seals the ended days first, so the seals of the destroyed days (which stay) keep the
    kept chain anchored; records a `log_prunes` row per log that lost entries and logs the
    counts. Commit is the caller's (the sealers' lock is held until then).
    """
    seal_days(now)
    keep_from = prune_cutoff(now)
    cutoff = day_start(keep_from)
    connection = db.session.connection()
    destroyed: dict[str, int] = {}
    for log, model in LOGS.items():
        table = model.__table__
        count = connection.execute(sa.delete(table).where(table.c.at < cutoff)).rowcount
        destroyed[log] = count
        if count:
            connection.execute(
                sa.insert(LogPrune.__table__).values(
                    log=log, before_day=keep_from, entries=count, at=utcnow()
                )
            )
    current_app.logger.info(
        "access records pruned before %s (kept %d days): %d audit-log and %d access-log "
        "entries destroyed",
        keep_from.isoformat(),
        retention_days(current_app.config),
        destroyed["audit_entries"],
        destroyed["personal_data_access"],
    )
    return destroyed
