"""Requests through Flask's test client on the benchmark's database: SQL statements counted
and timed (as tests/conftest.py `count_queries` counts them), server time without the network.
"""

from __future__ import annotations

import io
import re
import statistics
import time
from dataclasses import dataclass

import sqlalchemy as sa
from scale_server import SESSION_COOKIE, USER_AGENT


@dataclass
class Measured:
    status: int
    queries: int  # SQL statements of one request
    sql_ms: float  # time inside cursor.execute for that request (SQLite fetches rows later)
    median_ms: float | None  # of `repeat` requests
    slowest_sql: str  # its slowest statement (first 300 characters) and its time
    slowest_sql_ms: float


class InProcess:
    """The app in this process, on the same database, one test client per role."""

    def __init__(self, app) -> None:  # noqa: ANN001
        from sesac_ms.extensions import db

        self.app = app
        with app.app_context():
            self.engine = db.engine
        self.timings: list[tuple[float, str]] = []
        self._started = 0.0
        sa.event.listen(self.engine, "before_cursor_execute", self._before)
        sa.event.listen(self.engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, *args) -> None:  # noqa: ANN001, ANN002
        self._started = time.perf_counter()

    def _after(self, conn, cursor, statement, *args) -> None:  # noqa: ANN001, ANN002
        self.timings.append(((time.perf_counter() - self._started) * 1000, statement))

    def client(self, session_cookie: str):  # noqa: ANN201
        client = self.app.test_client()
        client.set_cookie(SESSION_COOKIE, session_cookie)
        return client

    def measure(self, client, path: str, form: dict | None, repeat: int) -> Measured:  # noqa: ANN001
        def send():  # noqa: ANN202
            headers = {"User-Agent": USER_AGENT}
            if form is None:
                return client.get(path, headers=headers)
            return client.post(path, data=form, headers=headers)

        send()  # warm-up: templates compiled, caches filled
        self.timings = []
        status = send().status_code
        statements = list(self.timings)  # this request's only: the repeats add more below
        slowest = max(statements, default=(0.0, ""))
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            send().get_data()
            times.append((time.perf_counter() - started) * 1000)
        return Measured(
            status=status,
            queries=len(statements),
            sql_ms=sum(ms for ms, _ in statements),
            median_ms=statistics.median(times) if times else None,
            slowest_sql=" ".join(slowest[1].split())[:300],
            slowest_sql_ms=slowest[0],
        )


ROW = re.compile(rb"<tr[\s>]")


def count_rows(body: bytes, content_type: str) -> int | None:
    """Table rows of a page, data rows of a CSV or an XLSX download."""
    if "html" in content_type:
        return len(ROW.findall(body))
    if "csv" in content_type:
        return max(0, len(body.decode("utf-8-sig").splitlines()) - 1)
    if "spreadsheet" in content_type:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(body), read_only=True)
        return max(0, (book.active.max_row or 1) - 1)
    return None
