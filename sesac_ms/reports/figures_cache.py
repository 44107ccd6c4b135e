"""Report figures worked out once per change of the records they count.

Why: the employment report and the staff dashboards sum the per-cohort rows
(reports.tallies) on every request, with their curves and retention: about 10 ms of SQL a
page at twice Seoul's size on PostgreSQL, a cost that still grows with the years of
cohorts. Those figures move only when the records move, so a page keeps what it worked out
and the next request for the same figures reads it back.

Why it is never stale: the database holds one number, the figures' version
(models.FiguresVersion). Every transaction that can move a figure raises it, in that same
transaction (`raise_version`, called by reports.tallies: a cohort's figures rewritten; a
campus, course or cohort added, changed or removed; an account added, removed or given
another role, campus or state; and by the retention job's anonymisation, which updates
accounts past the ORM). A request reads the version (one row,
by its key) and looks for its figures under (version, Seoul's date, what it asks). A change
committed anywhere means a new version in every worker, so figures kept before it are
never found again. A figure worked out while a change commits is kept under the older
version, which no later request asks for. Seoul's date is in the key because the report's
windows close with the days.

Where it lives: in the worker that worked it out, at most MAX_KEPT entries, the least
recently used dropped first, and in its app (a test's app starts empty). Nothing about
who may see what is kept here: the key holds the campus scope and the page's filters as
the route decided them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from sqlalchemy.engine import Connection

from ..clock import today_in_seoul
from ..database import upsert_insert
from ..extensions import db
from ..models import FiguresVersion

MAX_KEPT = 512
FILES_KEPT = 16
SENTENCES_KEPT = 4096  # audit entries as sentences, a few hundred bytes each
TRAINEES_KEPT = 2048  # one trainee's attendance figures or record
_EXTENSION = "sesac_figures"
_FILES = "sesac_figure_files"
_SENTENCES = "sesac_audit_sentences"
_TRAINEES = "sesac_trainee_figures"
_READ = "sesac_figures_version"  # the version as this request read it, in its environ

T = TypeVar("T")


class _Kept:
    """Least recently used first; one lock, as a worker may serve requests in threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[Hashable, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> tuple[bool, Any]:
        with self.lock:
            if key not in self.entries:
                return False, None
            self.entries.move_to_end(key)
            return True, self.entries[key]

    def put(self, key: Hashable, value: Any) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


def _store(name: str = "", size: int = MAX_KEPT) -> _Kept:
    """This app's store of kept values (the figures', or another by its name and size)."""
    name = name or _EXTENSION
    kept = current_app.extensions.get(name)
    if kept is None:
        kept = current_app.extensions.setdefault(name, _Kept(size))
    return kept


def current_version() -> int | None:
    """The figures' version as this transaction sees it; None before the first change
    (a database emptied by a test): nothing is kept then.

    Read once per request (a page may look up several figures); raising it in this request
    forgets the reading, so a page built after its own change is never shown older figures.
    """
    if has_request_context() and _READ in request.environ:
        return request.environ[_READ]
    version = db.session.scalar(sa.select(FiguresVersion.number).where(FiguresVersion.id == 1))
    if has_request_context():
        request.environ[_READ] = version
    return version


def version_column() -> Any:
    """current_version() as a column, for a page to read it with a statement it runs anyway."""
    return (sa.select(FiguresVersion.number).where(FiguresVersion.id == 1).scalar_subquery()).label(
        "figures_version"
    )


def read_with(version: int | None) -> None:
    """Take `version`, read by a page's own statement in this transaction (version_column),
    as current_version() for the rest of the request: its figures need no query of their own."""
    if has_request_context():
        request.environ[_READ] = version


def figures(what: Hashable, work_out: Callable[[], T]) -> T:
    """The figures `what` names (a tuple of plain values: the report, its filters, scope,
    page and language), worked out by `work_out` unless kept under the current version.

    `work_out` must return plain values (rows, numbers, text), never ORM objects: they
    outlive the request's session."""
    return figures_at(current_version(), what, work_out)


def figures_at(version: int | None, what: Hashable, work_out: Callable[[], T]) -> T:
    """figures(), with the version read by the caller in this transaction (version_column)."""
    read_with(version)
    if version is None:
        return work_out()
    return kept((version, today_in_seoul(), what), work_out)


def kept(key: Hashable, work_out: Callable[[], T], store: _Kept | None = None) -> T:
    """The value kept under `key` in this worker, else `work_out()`, kept under it.

    The key must name the version of the records it was worked out from (figures_at here;
    a cohort's attendance version in cohorts.attendance_figures), and the same rules hold:
    plain values only, nothing about who may see them."""
    entries = store or _store()
    found, value = entries.get(key)
    if not found:
        value = work_out()
        entries.put(key, value)
    return value


def peek(key: Hashable) -> tuple[bool, Any]:
    """(True, the value) when one is kept under `key` in this worker, else (False, None);
    never works anything out."""
    return _store().get(key)


def kept_file(what: Hashable, work_out: Callable[[], T]) -> T:
    """figures(), for a download: kept apart, at most FILES_KEPT per worker, as a file may
    weigh megabytes (every account of the academy)."""
    version = current_version()
    if version is None:
        return work_out()
    return kept((version, today_in_seoul(), what), work_out, _store(_FILES, FILES_KEPT))


def sentences_store() -> _Kept:
    """The store of audit entries read as sentences (audit_text.EntryReader), kept apart so
    a log page of 50 entries does not push the report figures out."""
    return _store(_SENTENCES, SENTENCES_KEPT)


def trainees_store() -> _Kept:
    """The store of one trainee's figures and record (cohorts.attendance_figures,
    roster_pages), kept apart: 35,000 trainees' pages must not push the report figures out."""
    return _store(_TRAINEES, TRAINEES_KEPT)


def raise_version(connection: Connection) -> None:
    """Raise the version in the caller's transaction (commits and rolls back with it).

    An upsert: the row is there after the migration, but a test may have emptied the table.
    """
    if has_request_context():
        request.environ.pop(_READ, None)
    table = FiguresVersion.__table__
    stmt = upsert_insert(connection)(table).values(id=1, number=1)
    connection.execute(
        stmt.on_conflict_do_update(index_elements=[table.c.id], set_={"number": table.c.number + 1})
    )


def forget() -> None:
    """Drop every figure this app's worker kept (tests count the queries of working out)."""
    current_app.extensions.pop(_EXTENSION, None)
    current_app.extensions.pop(_FILES, None)
    current_app.extensions.pop(_SENTENCES, None)
    current_app.extensions.pop(_TRAINEES, None)
