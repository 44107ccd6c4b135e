"""The benchmark's database: one given by URL, or a throw-away one filled through the CLI
(`flask db upgrade`, then `flask demo-data` or `flask demo-data --scale N`)."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
FLASK = ROOT / ".venv" / "bin" / "flask"


def as_url(text: str) -> str:
    """A database URL; a bare file path means that SQLite file."""
    if "://" in text:
        return text
    return "sqlite:///" + str(Path(text).resolve())


def shown(url: str) -> str:
    """The URL without a password, for the table's heading and the JSON."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


class ThrowAway:
    """A new database that the run fills and (unless kept) removes: a SQLite file in a
    temporary folder, or a new database on the PostgreSQL server of `server_url`."""

    def __init__(self, server_url: str | None, keep: bool) -> None:
        self.keep = keep
        self.folder = Path(tempfile.mkdtemp(prefix="sesac-bench-db-"))
        self.server_url = server_url
        if server_url:
            self.name = f"sesac_bench_{secrets.token_hex(4)}"
            self._admin(f'CREATE DATABASE "{self.name}"')
            self.url = (
                sa.engine.make_url(server_url)
                .set(database=self.name)
                .render_as_string(hide_password=False)
            )
        else:
            self.url = "sqlite:///" + str(self.folder / "sesac.db")

    def _admin(self, statement: str) -> None:
        from sesac_ms import normalise_database_url

        engine = sa.create_engine(
            normalise_database_url(self.server_url), isolation_level="AUTOCOMMIT"
        )
        try:
            with engine.connect() as connection:
                connection.execute(sa.text(statement))
        finally:
            engine.dispose()

    def fill(self, scale: float | None) -> None:
        started = time.perf_counter()
        # Always the checkout's CLI (and generator), whichever app --source then serves.
        where = {"url": self.url, "instance": self.folder}
        flask("db", "upgrade", **where)
        if scale is None:
            flask("demo-data", **where)
        else:
            flask("demo-data", "--scale", f"{scale:g}", **where)
        print(f"database filled in {time.perf_counter() - started:.0f} s: {shown(self.url)}")

    def remove(self) -> None:
        if self.keep:
            print(f"kept the database: {shown(self.url)}")
            return
        if self.server_url:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        shutil.rmtree(self.folder, ignore_errors=True)


def flask(*args: str, url: str, instance: Path, source: Path = ROOT) -> None:
    """One `flask --app sesac_ms ...` command on that database, with the app of `source`;
    its output is shown."""
    env = {**os.environ, "DATABASE_URL": url, "SESAC_INSTANCE_PATH": str(instance)}
    env["PYTHONPATH"] = str(source)
    env.pop("SESAC_ENV", None)
    subprocess.run([str(FLASK), "--app", "sesac_ms", *args], cwd=source, env=env, check=True)


# What the database holds, printed above the table so figures name the size they were
# measured at.
SIZE_TABLES = (
    ("campuses", "campuses"),
    ("cohorts", "cohorts"),
    ("users", "users"),
    ("applications", "applications"),
    ("enrollments", "enrollments"),
    ("1:1 sessions", "coaching_sessions"),
    ("attendance", "attendance"),
    ("outcomes", "outcomes"),
    ("audit entries", "audit_entries"),
    ("access log", "personal_data_access"),
)


def data_size() -> dict[str, int]:
    """Row counts of the main tables (inside an app context)."""
    from sesac_ms.extensions import db

    return {
        label: db.session.scalar(sa.text(f"SELECT COUNT(*) FROM {table}"))  # noqa: S608
        for label, table in SIZE_TABLES
    }
