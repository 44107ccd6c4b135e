"""The benchmark's figures per page, its printed table and its JSON file."""

from __future__ import annotations

import json
import statistics
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

RATIO_GOAL = 0.30  # of the light page's throughput, at least
QUERY_GOAL = 10  # SQL statements per page, at most


@dataclass
class Result:
    role: str
    name: str
    path: str
    method: str
    status: int  # over HTTP from gunicorn
    bytes: int
    rows: int | None  # table rows on a page (<tr>), data rows of a CSV or XLSX
    queries: int | None  # in-process, one request
    median_ms: float | None  # in-process
    in_process_status: int | None
    sql_ms: float | None = None  # in-process, that one request's time in cursor.execute
    slowest_sql: str = ""
    slowest_sql_ms: float | None = None
    requests_per_second: float = 0.0  # wrk, against gunicorn
    requests: int = 0
    non_200: int = 0
    socket_errors: int = 0
    mean_latency_ms: float = 0.0
    # Server CPU (gunicorn workers, PostgreSQL backends) per request during the wrk run,
    # and the light page's over it: the ratio a quiet machine would show, steady under load.
    cpu_ms: float | None = None
    cpu_ratio: float | None = None
    ratio: float | None = None
    # The ratio to the mean of the light page at the start and the end of the run, and
    # the light figure `ratio` used (that one, or the measurements around the page).
    ratio_start_end: float | None = None
    light_reference: float | None = None
    segment: int = 0  # light measurements before this page, less one
    # A page under --confirm-below is measured again: each further round's requests/s,
    # CPU ms, answers other than 200 and light segment; its ratios are then the median of
    # every round's, the first included (`ratios` lists them in order).
    rounds: list[dict] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)

    def judge(
        self,
        start_end: float,
        around: float,
        light_cpu_ms: float | None,
        again: list[tuple[float, float]] = (),
        cpus_again: list[float] = (),
    ) -> None:
        """Ratios to the light page; `again`: each further round's (requests/s, light
        requests/s around it), `cpus_again` its CPU ms."""
        self.ratio_start_end = self.requests_per_second / start_end if start_end else None
        self.light_reference = around
        first = self.requests_per_second / around if around else None
        self.ratios = [x for x in [first, *(rps / light for rps, light in again if light)] if x]
        self.ratio = statistics.median(self.ratios) if self.ratios else None
        cpus = [c for c in [self.cpu_ms, *cpus_again] if c]
        if cpus and light_cpu_ms:
            self.cpu_ratio = light_cpu_ms / statistics.median(cpus)
        self.marks = []
        if self.status != 200 or self.in_process_status not in (None, 200):
            self.marks.append(f"HTTP {self.status}/{self.in_process_status}")
        non_200 = self.non_200 + sum(r.get("non_200", 0) for r in self.rounds)
        if non_200 or self.socket_errors:
            self.marks.append(f"{non_200} non-200, {self.socket_errors} socket errors")
        if self.ratio is not None and self.ratio < RATIO_GOAL:
            self.marks.append(f"ratio < {RATIO_GOAL:.2f}")
        if self.cpu_ratio is not None and self.cpu_ratio < RATIO_GOAL:
            self.marks.append(f"CPU ratio < {RATIO_GOAL:.2f}")
        if self.queries is not None and self.queries > QUERY_GOAL:
            self.marks.append(f"> {QUERY_GOAL} queries")


def _width(text: str) -> int:
    """Columns a terminal gives the text (Hangul takes two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def _size(result: Result) -> str:
    kb = f"{result.bytes / 1024:.0f} KB" if result.bytes >= 10240 else f"{result.bytes} B"
    return f"{result.rows} / {kb}" if result.rows is not None else kb


def _notes(result: Result) -> str:
    """What is wrong with a page (marked !!), and the ratios of its rounds when it had more."""
    notes = ("!! " + "; ".join(result.marks)) if result.marks else ""
    if len(result.ratios) > 1:
        rounds = "median of " + " ".join(f"{x:.3f}" for x in result.ratios)
        notes = f"{notes}; {rounds}" if notes else rounds
    return notes


def table(results: list[Result]) -> str:
    heading = (
        "role",
        "page",
        "rows / size",
        "SQL",
        "SQL ms",
        "median ms",
        "req/s",
        "ratio",
        "CPU ms",
        "CPU ratio",
        "",
    )
    lines = [
        (
            r.role,
            r.name,
            _size(r),
            "" if r.queries is None else str(r.queries),
            "" if r.sql_ms is None else f"{r.sql_ms:.1f}",
            "" if r.median_ms is None else f"{r.median_ms:.1f}",
            f"{r.requests_per_second:.1f}",
            "" if r.ratio is None else f"{r.ratio:.3f}",
            "" if r.cpu_ms is None else f"{r.cpu_ms:.1f}",
            "" if r.cpu_ratio is None else f"{r.cpu_ratio:.3f}",
            _notes(r),
        )
        for r in results
    ]
    widths = [max(_width(row[i]) for row in [heading, *lines]) for i in range(len(heading))]
    right = {2, 3, 4, 5, 6, 7, 8, 9}
    out = []
    for number, row in enumerate([heading, *lines]):
        out.append(
            "  ".join(_pad(cell, widths[i], i in right) for i, cell in enumerate(row)).rstrip()
        )
        if number == 0:
            out.append("  ".join("-" * w for w in widths[:-1]))
    return "\n".join(out)


def summary(results: list[Result]) -> str:
    measured = [r for r in results if r.ratio is not None and r.name != "password (light)"]
    if not measured:
        return ""
    worst = min(measured, key=lambda r: r.ratio or 0)
    most = max(results, key=lambda r: r.queries or 0)
    slow = sum(1 for r in measured if (r.ratio or 0) < RATIO_GOAL)
    cpu_slow = sum(1 for r in measured if (r.cpu_ratio or 1) < RATIO_GOAL)
    many = sum(1 for r in results if (r.queries or 0) > QUERY_GOAL)
    failing = sum(1 for r in results if r.status != 200 or r.non_200 or r.socket_errors)
    return (
        f"{len(measured)} pages: {slow} under the ratio goal {RATIO_GOAL:.2f} (worst "
        f"{worst.ratio:.3f}: {worst.role} {worst.name}), {cpu_slow} under it by CPU, "
        f"{many} over {QUERY_GOAL} queries "
        f"(most {most.queries}: {most.role} {most.name}), {failing} not answering 200"
    )


def save(path: Path, meta: dict, results: list[Result]) -> None:
    path.write_text(
        json.dumps({**meta, "pages": [asdict(r) for r in results]}, ensure_ascii=False, indent=2)
        + "\n"
    )
