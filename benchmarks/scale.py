"""Every key page of every demo role at a database's size: SQL queries, server time, and
throughput under gunicorn as a ratio to a light logged-in page measured in the same run.

    .venv/bin/python benchmarks/scale.py --database-url URL_OR_SQLITE_FILE [--duration 10]
    .venv/bin/python benchmarks/scale.py --demo               # throw-away SQLite, demo data
    .venv/bin/python benchmarks/scale.py --generate 2         # throw-away SQLite, 2× Seoul
        [--throwaway-server postgresql://postgres@127.0.0.1:5432/postgres]  # ...on PostgreSQL
    [--only REGEX] [--json out.json] [--repeat 5] [--light-every N] [--source DIR] [--keep]
    [--confirm-below 0.36] [--rounds 3]

Per page: the SQL statements of one request and the median time of `--repeat` requests,
both in-process (Flask's test client on the same database, logged in as the role); then
`wrk -t2 -c8 -d<duration>s` against gunicorn (2 sync workers) with the role's session
cookie. The ratio is the page's requests/s over the light page's (`/auth/password`, as
the first role, measured at the start and at the end of the run, mean of both; with
`--light-every N` also every N pages, and each page takes the two around it). A page
whose ratio comes out under `--confirm-below` is measured again after the run, each
round between two light measurements of its own, and judged by the median of its
`--rounds` ratios. Pages under a ratio of 0.30 or over 10 queries are marked; nothing is
asserted. The database's pending writes are checkpointed first. Measuring writes what
real use writes: personal-data access-log entries for list pages, audit entries for
exports. See README.md, "Benchmark at scale".
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from scale_db import ROOT, ThrowAway, as_url, data_size, shown
from scale_inprocess import InProcess, count_rows
from scale_report import Result, save, summary, table
from scale_server import (
    LIGHT_PATH,
    Browser,
    CpuMeter,
    Server,
    Throughput,
    benchmark_environment,
    run_wrk,
)

if TYPE_CHECKING:  # imported in main(), once --source is on the path
    from scale_pages import Page


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--database-url", help="an existing database (URL or SQLite file)")
    source.add_argument("--demo", action="store_true", help="a throw-away database, demo data")
    source.add_argument(
        "--generate", type=float, metavar="SCALE", help="a throw-away database at SCALE × Seoul"
    )
    parser.add_argument(
        "--throwaway-server",
        metavar="URL",
        help="with --demo/--generate: make the database on this PostgreSQL server, not SQLite",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the throw-away database and the server log"
    )
    parser.add_argument(
        "--source",
        type=Path,
        default=ROOT,
        metavar="DIR",
        help="serve the app of this source tree (e.g. `git archive` of an older commit) "
        "instead of the checkout's, to compare before and after",
    )
    parser.add_argument(
        "--data-instance",
        type=Path,
        metavar="DIR",
        help="the instance folder of the app that loaded the data (its secret_key gives the "
        "key of the encrypted health data; default: see data_keys)",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per page")
    parser.add_argument("--repeat", type=int, default=5, help="in-process requests per page")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument(
        "--light-every",
        type=int,
        default=0,
        metavar="N",
        help="also measure the light page every N pages, and take each page's ratio to the "
        "two light measurements around it (steadier on a busy machine)",
    )
    parser.add_argument(
        "--confirm-below",
        type=float,
        default=0.36,
        metavar="RATIO",
        help="measure each page whose ratio came out under RATIO again, --rounds in all, each "
        "time between two light measurements of its own, and judge it by the median of its "
        "rounds (0: never; default 0.36)",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of a page under --confirm-below (3)"
    )
    parser.add_argument("--only", metavar="REGEX", help="pages whose 'role name path' matches")
    parser.add_argument("--json", type=Path, metavar="FILE", help="save the figures as JSON")
    return parser.parse_args()


def postgres_backends(url: str):  # noqa: ANN201
    """On PostgreSQL, a function listing the pids of the backends on the database (one
    connection kept open to ask, itself left out); None on SQLite."""
    if not url.startswith("postgres"):
        return None
    from sesac_ms import normalise_database_url

    connection = sa.create_engine(normalise_database_url(url)).connect()
    query = sa.text(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()"
    )

    def pids() -> list[int]:
        pids = list(connection.scalars(query))
        connection.rollback()  # a fresh snapshot of pg_stat_activity next time
        return pids

    return pids


class Runner:
    """One run: the server, its CPU meter, each role's HTTP browser and test client."""

    def __init__(self, server, meter, browsers, in_process, args) -> None:  # noqa: ANN001
        self.server = server
        self.meter = meter
        self.browsers = browsers
        self.in_process = in_process
        self.clients = {role: in_process.client(b.session_cookie()) for role, b in browsers.items()}
        self.args = args
        self.lights: list[Throughput] = []
        self.pages: dict[tuple[str, str], Page] = {}

    def wrk(self, path: str, browser: Browser, form: dict | None = None) -> Throughput:
        return run_wrk(
            self.server.base + path,
            browser.cookie(),
            self.args.duration,
            form=form,
            threads=self.args.threads,
            connections=self.args.connections,
            meter=self.meter,
        )

    def cpu_ms(self, speed: Throughput) -> float | None:
        """Server CPU per request; the requests still running when wrk stopped (one per
        busy worker) finished inside the measured time, so they count as served."""
        if not speed.cpu_seconds or not speed.requests:
            return None
        return speed.cpu_seconds * 1000 / (speed.requests + self.args.workers)

    def light(self, when: str) -> None:
        role = next(iter(self.browsers))
        speed = self.wrk(LIGHT_PATH, self.browsers[role])
        self.lights.append(speed)
        print(f"light page {LIGHT_PATH} as {role}: {speed.requests_per_second:.1f} req/s ({when})")
        if speed.non_200 or speed.socket_errors:
            print(f"!! light page: {speed.non_200} non-200, {speed.socket_errors} socket errors")

    def page(self, page: Page) -> Result:
        browser = self.browsers[page.role]
        form = None
        if page.form is not None:
            form = {**page.form, "csrf_token": browser.csrf_token(page.path)}
        fetched = browser.request(page.path, form)
        measured = self.in_process.measure(
            self.clients[page.role], page.path, form, self.args.repeat
        )
        speed = self.wrk(page.path, browser, form)
        return Result(
            role=page.role,
            name=page.name,
            path=page.path,
            method="POST" if form else "GET",
            status=fetched.status,
            bytes=len(fetched.body),
            rows=count_rows(fetched.body, fetched.content_type or "")
            if fetched.status == 200
            else None,
            queries=measured.queries,
            sql_ms=measured.sql_ms,
            median_ms=measured.median_ms,
            in_process_status=measured.status,
            slowest_sql=measured.slowest_sql,
            slowest_sql_ms=measured.slowest_sql_ms,
            requests_per_second=speed.requests_per_second,
            requests=speed.requests,
            non_200=speed.non_200,
            socket_errors=speed.socket_errors,
            mean_latency_ms=speed.mean_latency_ms,
            cpu_ms=self.cpu_ms(speed),
            segment=len(self.lights) - 1,
        )

    def run(self, pages: list[Page], results: list[Result]) -> None:
        """Measure every page into `results`; the light page at the start, every
        `--light-every` pages and at the end."""
        self.light("start")
        for number, page in enumerate(pages):
            if self.args.light_every and number and number % self.args.light_every == 0:
                self.light(f"before page {number + 1}")
            result = self.page(page)
            self.pages[(page.role, page.name)] = page
            results.append(result)
            print(
                f"  {page.role} {page.name}: HTTP {result.status}, {result.queries} queries, "
                f"{result.median_ms or 0:.1f} ms, {result.requests_per_second:.1f} req/s, "
                f"{result.cpu_ms or 0:.1f} CPU ms",
                flush=True,
            )
        self.light("end")

    def confirm(self, results: list[Result]) -> None:
        """Measure each page whose first ratio is under --confirm-below again, until it has
        --rounds measurements, each between two light measurements of its own: on a
        machine whose speed wanders by a tenth and more, one measurement of a page near
        the goal lands on either side of it, the median of three hardly does."""
        if not self.args.confirm_below or self.args.rounds < 2:
            return
        self.judge(results)
        doubtful = [r for r in results if r.ratio is not None and r.ratio < self.args.confirm_below]
        if not doubtful:
            return
        print(
            f"measuring again the {len(doubtful)} pages under {self.args.confirm_below:.2f}, "
            f"{self.args.rounds} rounds in all",
            flush=True,
        )
        for _ in range(self.args.rounds - 1):
            for result in doubtful:
                self.light(f"before {result.role} {result.name}, again")
                browser = self.browsers[result.role]
                form = None
                if result.method == "POST":
                    page = self.pages[(result.role, result.name)]
                    form = {**page.form, "csrf_token": browser.csrf_token(page.path)}
                speed = self.wrk(result.path, browser, form)
                result.rounds.append(
                    {
                        "requests_per_second": speed.requests_per_second,
                        "cpu_ms": self.cpu_ms(speed),
                        "non_200": speed.non_200,
                        "segment": len(self.lights) - 1,
                    }
                )
                print(
                    f"  {result.role} {result.name}, again: {speed.requests_per_second:.1f} "
                    f"req/s, {self.cpu_ms(speed) or 0:.1f} CPU ms",
                    flush=True,
                )
        self.light("end of the rounds")

    def judge(self, results: list[Result]) -> tuple[float, float | None]:
        """Each result's ratios; the light page's mean req/s (start, end) and CPU ms."""
        rates = [light.requests_per_second for light in self.lights]
        cpus = [c for c in (self.cpu_ms(light) for light in self.lights) if c]
        light_cpu = statistics.mean(cpus) if cpus else None
        start_end = (rates[0] + rates[-1]) / 2
        for result in results:
            around = (rates[result.segment] + rates[result.segment + 1]) / 2
            again = [
                (r["requests_per_second"], (rates[r["segment"]] + rates[r["segment"] + 1]) / 2)
                for r in result.rounds
            ]
            cpus_again = [r["cpu_ms"] for r in result.rounds if r["cpu_ms"]]
            result.judge(start_end, around, light_cpu, again, cpus_again)
        return start_end, light_cpu


def at_rest(engine: sa.Engine) -> None:
    """Write the database's pending changes to disk before measuring: after loading 2×
    Seoul, PostgreSQL's checkpoint spreads gigabytes of writes over the next minutes
    (checkpoint_completion_target), which would otherwise fall into the first pages'
    measurements."""
    statement = "CHECKPOINT" if engine.dialect.name == "postgresql" else "PRAGMA wal_checkpoint"
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(statement))
            connection.commit()
    except sa.exc.DBAPIError as error:  # CHECKPOINT needs a superuser or pg_checkpoint
        print(f"{statement} refused, measuring without it: {error.orig}")


def data_keys(args: argparse.Namespace, url: str, throwaway: ThrowAway | None) -> str:
    """The key(s) the database's health data was encrypted with: its pages must read it.

    The run's own SECRET_KEY is new (its session cookies are the run's), so the key is
    not derived from it but from the SECRET_KEY of the instance that loaded the data:
    SESAC_DATA_ENCRYPTION_KEYS when set, else `--data-instance`, the throw-away database's
    folder, a SQLite file's folder, SESAC_INSTANCE_PATH or the checkout's instance/, the
    first holding a secret_key file."""
    if os.environ.get("SESAC_DATA_ENCRYPTION_KEYS"):
        return os.environ["SESAC_DATA_ENCRYPTION_KEYS"]
    from sesac_ms.crypto import _derived_key

    folders = [args.data_instance, throwaway.folder if throwaway else None]
    if url.startswith("sqlite:///"):
        folders.append(Path(url.removeprefix("sqlite:///")).parent)
    folders += [os.environ.get("SESAC_INSTANCE_PATH"), ROOT / "instance"]
    for folder in folders:
        if folder and (Path(folder) / "secret_key").is_file():
            print(f"health data read with the key of {folder}/secret_key")
            return _derived_key((Path(folder) / "secret_key").read_text().strip()).decode()
    sys.exit("no secret_key found for the data's encryption key: give --data-instance DIR")


def main() -> int:
    args = parse_args()
    # A stopped run (SIGTERM) still stops gunicorn and removes its throw-away database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    source = args.source.resolve()
    sys.path.insert(0, str(source))  # before anything imports sesac_ms
    throwaway = None
    if args.database_url:
        url = as_url(args.database_url)
    else:
        throwaway = ThrowAway(args.throwaway_server, args.keep)
        throwaway.fill(args.generate)
        url = throwaway.url
    instance = Path(tempfile.mkdtemp(prefix="sesac-bench-instance-"))
    env = benchmark_environment(url, instance)
    env["SESAC_DATA_ENCRYPTION_KEYS"] = data_keys(args, url, throwaway)
    env["PYTHONPATH"] = str(source)
    os.environ.update(env)

    from scale_pages import pages_for

    from sesac_ms import create_app
    from sesac_ms.demo import DEMO_PASSWORD, demo_accounts
    from sesac_ms.models import User

    app = create_app()
    only = re.compile(args.only) if args.only else None
    with app.app_context():
        from sesac_ms.extensions import db

        size = data_size()
        at_rest(db.engine)
        accounts = demo_accounts()
        pages: list[Page] = []
        for _role, email in accounts:
            user = db.session.scalar(sa.select(User).where(User.email == email))
            pages += pages_for(user, date.today())
        db.session.remove()
    if not accounts:
        print("no demo accounts in this database (flask demo-data makes them)")
        if throwaway:
            throwaway.remove()
        return 1
    if only:
        pages = [p for p in pages if only.search(f"{p.role} {p.name} {p.path}")]

    print(f"database: {shown(url)}; app: {source}")
    print("size: " + ", ".join(f"{label} {count:,}" for label, count in size.items()))
    load_start = os.getloadavg()[0]
    server = Server(env, workers=args.workers, source=source)
    results: list[Result] = []
    try:
        browsers = {}
        for role, email in accounts:
            browsers[role] = Browser(server.base)
            browsers[role].log_in(email, DEMO_PASSWORD)
        meter = CpuMeter(server, postgres_backends(url))
        runner = Runner(server, meter, browsers, InProcess(app), args)
        runner.run(pages, results)
        runner.confirm(results)
    finally:
        server.stop()
        failed = any(r.status != 200 or r.non_200 or r.in_process_status != 200 for r in results)
        if server.errors():
            print(f"the server logged (full log: {server.log_path}):\n{server.errors()}")
        if not (failed or args.keep):
            server.remove_log()
        if throwaway:
            with app.app_context():
                from sesac_ms.extensions import db

                db.engine.dispose()
            throwaway.remove()
        shutil.rmtree(instance, ignore_errors=True)

    load_end = os.getloadavg()[0]
    light, light_cpu = runner.judge(results)
    lights = [speed.requests_per_second for speed in runner.lights]
    print()
    print(
        f"light page {LIGHT_PATH}: {light:.1f} req/s (start {lights[0]:.1f}, end "
        f"{lights[-1]:.1f}; all: {', '.join(f'{x:.0f}' for x in lights)}), "
        f"{light_cpu or 0:.2f} CPU ms a request; ratio to "
        + ("the two light measurements around each page" if args.light_every else "their mean")
        + f"; wrk -t{args.threads} -c{args.connections} -d{args.duration}s, gunicorn "
        f"{args.workers} sync workers; SQL and median ms in-process; load average "
        f"{load_start:.1f} at the start, {load_end:.1f} at the end"
    )
    print(table(results))
    print(summary(results))
    again = [r for r in results if len(r.ratios) > 1]
    if again:
        print(
            f"{len(again)} pages under {args.confirm_below:.2f} at first were measured "
            f"{args.rounds} times and judged by their median"
        )
    if args.json:
        meta = {
            "database": shown(url),
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "size": size,
            "duration_seconds": args.duration,
            "wrk": {"threads": args.threads, "connections": args.connections},
            "gunicorn_workers": args.workers,
            "light_page": {
                "path": LIGHT_PATH,
                "requests_per_second": lights,
                "cpu_ms": [runner.cpu_ms(speed) for speed in runner.lights],
                "every": args.light_every,
            },
            "light_cpu_ms": light_cpu,
            "confirm_below": args.confirm_below,
            "rounds": args.rounds,
            "light_requests_per_second": light,
            "load_average": {"start": load_start, "end": load_end},
            "source": str(source),
        }
        save(args.json, meta, results)
        print(f"figures saved to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
