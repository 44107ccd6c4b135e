"""Bulk writing: rows buffered per table with ids assigned here, written in chunks.

Ids are given by the generator (max id + 1 onwards), so a child row can name its parent
before either is written, and PostgreSQL can take the rows by COPY. A table's buffer is
written when it holds a chunk; the buffers of the tables it points to are written first,
so every foreign key is satisfied at each statement. SQLite gets SQLAlchemy Core
`insert()` executemany; PostgreSQL (psycopg 3) gets `COPY … FROM STDIN`. Everything runs
on the session's connection, inside its one transaction.

Once `start()`ed, chunks are written by one background thread, in the order they were
flushed, while the generator makes the next ones (the database's work, mostly foreign-key
and index upkeep, then overlaps Python's). Between `start()` and `finish()` (or `stop()`)
nothing else may use the connection: every id's starting point is read at `declare()`.
"""

from __future__ import annotations

import heapq
import json
import operator
import queue
import threading
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..extensions import db

CHUNK = 5_000


class BulkWriter:
    """Per-table buffers of tuples in a declared column order; `id` is always first."""

    def __init__(self, connection: Connection, chunk: int = CHUNK) -> None:
        self.connection = connection
        self.chunk = chunk
        self.tables: dict[str, sa.Table] = {t.name: t for t in db.metadata.sorted_tables}
        self.columns: dict[str, tuple[str, ...]] = {}
        self.buffers: dict[str, list[tuple]] = {}
        self.written: Counter[str] = Counter()
        self._next_id: dict[str, int] = {}
        self._parents: dict[str, set[str]] = {
            name: {fk.column.table.name for fk in table.foreign_keys} - {name}
            for name, table in self.tables.items()
        }
        self._json = {
            name: [isinstance(c.type, sa.JSON) for c in table.columns]
            for name, table in self.tables.items()
        }
        dialect = connection.dialect
        self.copy = dialect.name == "postgresql" and dialect.driver == "psycopg"
        self.sqlite = dialect.name == "sqlite"
        self._jobs: queue.Queue[tuple[str, list[tuple]] | None] | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._statements: dict[str, tuple[str, list[int], list[Any]]] = {}

    def declare(self, table: str, columns: Iterable[str]) -> None:
        """The columns, in the order the rows of `table` will give them."""
        columns = tuple(columns)
        known = {c.name for c in self.tables[table].columns}
        unknown = set(columns) - known
        if unknown:
            raise ValueError(f"{table} has no column(s) {sorted(unknown)}")
        # COPY fills a column left out with its server default only: every other required
        # column must be given, so both databases get the same rows.
        missing = [
            c.name
            for c in self.tables[table].columns
            if not c.nullable and c.server_default is None and c.name not in columns
        ]
        if missing:
            raise ValueError(f"{table}: required column(s) {missing} not given")
        self.columns[table] = columns
        self.buffers[table] = []
        self._json[table] = [isinstance(self.tables[table].c[c].type, sa.JSON) for c in columns]
        top = self.connection.scalar(sa.select(sa.func.max(self.tables[table].c.id)))
        self._next_id[table] = (top or 0) + 1

    def next_id(self, table: str) -> int:
        value = self._next_id[table]
        self._next_id[table] = value + 1
        return value

    def reserve(self, table: str, count: int) -> int:
        """`count` consecutive ids; returns the first."""
        first = self.next_id(table)
        self._next_id[table] = first + count
        return first

    def add(self, table: str, row: tuple) -> None:
        buffer = self.buffers[table]
        buffer.append(row)
        if len(buffer) >= self.chunk:
            self.flush(table)

    def extend(self, table: str, rows: list[tuple]) -> None:
        buffer = self.buffers[table]
        buffer.extend(rows)
        if len(buffer) >= self.chunk:
            self.flush(table)

    def flush(self, table: str) -> None:
        for parent in self._parents.get(table, ()):
            if self.buffers.get(parent):
                self.flush(parent)
        rows = self.buffers.get(table)
        if not rows:
            return
        self.buffers[table] = []
        if self._error is not None:
            raise RuntimeError("writing to the database failed") from self._error
        if self._jobs is not None:
            self._jobs.put((table, rows))
        else:
            self._write(table, rows)

    def flush_all(self) -> None:
        for table in list(self.buffers):
            self.flush(table)

    # --- the background writer ------------------------------------------------------------

    def start(self) -> None:
        self._jobs = queue.Queue(maxsize=4)  # bounded: a few chunks in flight at most
        self._thread = threading.Thread(target=self._work, name="scale-data-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Wait for the chunks already flushed (none after an error); then the connection
        is the caller's again. Raises the error a chunk met, if any."""
        if self._jobs is not None and self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._jobs = self._thread = None
        if self._error is not None:
            raise RuntimeError("writing to the database failed") from self._error

    def _work(self) -> None:
        assert self._jobs is not None
        while (job := self._jobs.get()) is not None:
            if self._error is None:
                try:
                    self._write(*job)
                except BaseException as error:  # handed to the generating thread
                    self._error = error

    def _write(self, table: str, rows: list[tuple]) -> None:
        if self.copy:
            self._copy(table, rows)
        elif self.sqlite:
            self._executemany(table, rows)
        else:
            columns = self.columns[table]
            self.connection.execute(
                self.tables[table].insert(), [dict(zip(columns, row, strict=True)) for row in rows]
            )
        self.written[table] += len(rows)

    def _executemany(self, table: str, rows: list[tuple]) -> None:
        """The table's Core insert, compiled once; each value converted by its column's own
        bind processor (as Core would, without building a dict of every row)."""
        statement = self._statements.get(table)
        if statement is None:
            dialect = self.connection.dialect
            columns = self.columns[table]
            compiled = self.tables[table].insert().compile(dialect=dialect, column_keys=columns)
            order = list(compiled.positiontup or ())
            if sorted(order) != sorted(columns):
                raise RuntimeError(f"unexpected parameters for {table}: {order}")
            processors = []
            for name in order:
                kind = self.tables[table].c[name].type
                timed = isinstance(getattr(kind, "impl", kind), sa.Date | sa.DateTime | sa.Time)
                processors.append((kind.dialect_impl(dialect).bind_processor(dialect), timed))
            statement = (str(compiled), [columns.index(name) for name in order], processors)
            self._statements[table] = statement
        sql, index, processors = statement
        reorder = operator.itemgetter(*index)
        # Only some columns need converting; a day's attendance sheet repeats one time, so
        # each distinct value is converted once per chunk.
        converted = [(i, p, {} if timed else None) for i, (p, timed) in enumerate(processors) if p]
        params = []
        for row in rows:
            values = list(reorder(row)) if len(index) > 1 else [row[index[0]]]
            for i, convert, seen in converted:
                value = values[i]
                if value is None:
                    continue
                if seen is None:
                    values[i] = convert(value)
                elif value in seen:
                    values[i] = seen[value]
                else:
                    values[i] = seen[value] = convert(value)
            params.append(tuple(values))
        self.connection.exec_driver_sql(sql, params)

    def _copy(self, table: str, rows: list[tuple]) -> None:
        columns = self.columns[table]
        json_at = [i for i, is_json in enumerate(self._json[table]) if is_json]
        names = ", ".join(f'"{c}"' for c in columns)
        raw = self.connection.connection.driver_connection
        statement = f'COPY "{table}" ({names}) FROM STDIN'
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                if json_at:
                    row = list(row)
                    for i in json_at:
                        if row[i] is not None:
                            row[i] = json.dumps(row[i], ensure_ascii=False)
                copy.write_row(row)

    def finish(self) -> None:
        """Write what is left, then move PostgreSQL's id sequences past the ids given here."""
        self.flush_all()
        self.stop()
        if self.connection.dialect.name != "postgresql":
            return
        for table in self.written:
            self.connection.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
                )
            )


class TimeOrderedLog:
    """Log rows (audit, access) given ids in the order of their time, not of generation.

    The generator walks the cohorts by their recruiting date, and each cohort's entries run
    from then to a year or more later; the log pages list entries by id. Rows wait here
    until `release(before)` says no later cohort can add an earlier one, then go to the
    writer sorted by time. `row` is the tuple without its id; `at` is its time.
    """

    def __init__(self, writer: BulkWriter, table: str, columns: Iterable[str]) -> None:
        self.writer = writer
        self.table = table
        writer.declare(table, ("id", *columns))
        self._heap: list[tuple[datetime, int, tuple]] = []
        self._serial = 0

    def add(self, at: datetime, row: tuple) -> None:
        self._serial += 1
        heapq.heappush(self._heap, (at, self._serial, row))

    def release(self, before: datetime | None = None) -> int:
        released = 0
        heap = self._heap
        while heap and (before is None or heap[0][0] < before):
            _, _, row = heapq.heappop(heap)
            self.writer.add(self.table, (self.writer.next_id(self.table), *row))
            released += 1
        return released

    def __len__(self) -> int:
        return len(self._heap)


def plain(value: Any) -> Any:
    """A value as audit.record stores it in `changes` (enums as values, dates as ISO)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(value.value, str):
        return value.value
    return value
