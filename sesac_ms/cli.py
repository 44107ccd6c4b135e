"""Thin click commands: parse, call a service, print, exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from .errors import DomainError
from .extensions import db
from .models import Campus, Role

if TYPE_CHECKING:
    from .mail import SendResult

T = TypeVar("T")


def find_campus(name: str) -> Campus | None:
    """A campus by its Korean or English name, ignoring case and surrounding spaces."""
    name = name.strip()
    return db.session.scalar(
        db.select(Campus).where(
            sa.or_(Campus.name_ko == name, sa.func.lower(Campus.name_en) == name.lower())
        )
    )


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.option("--email", required=True, help="Log-in e-mail address.")
@click.option("--name", required=True, help="Full name.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--campus", "campus_name", help="Campus name (Korean or English); not for admins.")
def create_user_command(email: str, name: str, role: str, campus_name: str | None) -> None:
    """Create a user; the password is prompted for, or read from standard input when piped."""
    from .auth.services import create_user

    campus = None
    if campus_name:
        campus = find_campus(campus_name)
        if campus is None:
            raise click.BadParameter(f"no campus is named {campus_name!r}", param_hint="--campus")
    password = _read_password()
    try:
        user = create_user(
            None,
            email=email,
            name=name,
            role=Role(role),
            campus=campus,
            password=password,
            send_link=False,
        )
    except DomainError as error:
        db.session.rollback()
        click.echo(f"Error: {error.message}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")


@users_cli.command("reset-2fa")
@click.option("--email", required=True, help="Log-in e-mail address of the account.")
def reset_second_factor_command(email: str) -> None:
    """Remove the authenticator app, passkeys and recovery codes of an account and end its
    sessions (for an operator locked out of the admin account); audited and mailed."""
    from .auth import second_factor

    try:
        user = second_factor.find_user(email)
    except DomainError as error:
        raise click.BadParameter(error.message, param_hint="--email") from None
    second_factor.reset(None, user)
    db.session.commit()
    click.echo(
        f"Reset the second factor of {user.email}: they set up a new one at their next log-in."
    )


mail_cli = AppGroup("mail", help="The mail outbox.")


def _sent_line(result: SendResult) -> str:
    """What one pass did, e.g. `sent 3, failed 1 (1 given up)`."""
    line = f"sent {result.sent}, failed {result.failed}"
    return line + (f" ({result.given_up} given up)" if result.given_up else "")


@mail_cli.command("send")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1))
def send_mail_command(limit: int) -> None:
    """Send the messages that are due, once (meant for cron when no worker runs); failures
    are retried later. Exits with 1 when a message could not be sent."""
    from .mail import send_pending

    result = send_pending(limit)
    click.echo(_sent_line(result))
    if result.failed:
        sys.exit(1)


@mail_cli.command("worker")
@click.option("--once", is_flag=True, help="Run one pass and stop.")
@click.option(
    "--interval",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds to sleep when nothing is due.",
)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1))
def mail_worker_command(once: bool, interval: float, limit: int) -> None:
    """Send queued mail as it becomes due, until SIGTERM or Ctrl+C (the message in hand is
    finished first). Several workers may run at once: each message is sent by one."""
    from .mail import run_worker, stop_on_signals

    with stop_on_signals() as stop:
        if not once:
            click.echo(f"mail worker: sending every {interval:g} s; Ctrl+C or SIGTERM stops")
        run_worker(
            stop,
            interval=interval,
            limit=limit,
            once=once,
            report=lambda result: click.echo(_sent_line(result)),
        )
    if not once:
        click.echo("mail worker stopped")


@mail_cli.command("retry")
@click.option(
    "--failed", is_flag=True, help="Re-queue the given-up messages instead (a new give-up period)."
)
def retry_mail_command(failed: bool) -> None:
    """Make every message waiting to be retried due now; with --failed, put the given-up
    messages back in the queue. The worker (or `mail send`) then sends them."""
    from .mail import make_pending_due, requeue_failed

    if failed:
        count = requeue_failed()
        db.session.commit()
        click.echo(f"{count} given-up message(s) re-queued")
    else:
        count = make_pending_due()
        db.session.commit()
        click.echo(f"{count} waiting message(s) due now")


@mail_cli.command("reminders")
def send_reminders_command() -> None:
    """Queue the reminder of each 1:1 session starting tomorrow in Seoul (meant for a daily
    cron); a session already reminded is skipped, so running it twice sends nothing twice."""
    from .sessions.services import send_reminders

    count = send_reminders()
    db.session.commit()
    click.echo(f"{count} session reminder(s) queued")


applications_cli = AppGroup("applications", help="Applicant selection.")


@applications_cli.command("expire-offers")
def expire_offers_command() -> None:
    """Lapse waitlist offers not taken in time and offer the places on (meant for cron)."""
    from .applications.services import expire_offers

    lapsed = expire_offers()
    db.session.commit()
    click.echo(f"{lapsed} offer(s) lapsed")


report_cli = AppGroup("report", help="The employment and certification reports (formats.md).")


def _write_report(content: bytes, output: str | None) -> None:
    if output:
        with open(output, "wb") as file:
            file.write(content)
        click.echo(f"written to {output}", err=True)
    else:
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()


def _campus_option(name: str | None) -> int | None:
    if not name:
        return None
    campus = find_campus(name)
    if campus is None:
        raise click.BadParameter(f"no campus is named {name!r}", param_hint="--campus")
    return campus.id


@report_cli.command("employment")
@click.option(
    "--by",
    type=click.Choice(["campus", "course", "cohort"]),
    default="campus",
    show_default=True,
    help="Grouping level.",
)
@click.option("--campus", "campus_name", help="Only this campus (Korean or English name).")
@click.option("--year", type=click.IntRange(2000, 2100), help="Cohorts ending in this year.")
@click.option(
    "--within-days",
    type=click.IntRange(min=0),
    help="Count only outcomes dated up to the cohort's end date plus N days.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json", "xlsx"]), default="csv", show_default=True
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write to this file instead of standard output (needed for xlsx on a tty).",
)
def employment_report_command(
    by: str,
    campus_name: str | None,
    year: int | None,
    within_days: int | None,
    fmt: str,
    output: str | None,
) -> None:
    """Employment rate: completed, excluded, target, employed, founded, rate."""
    from .reports import services

    if fmt == "xlsx" and not output and sys.stdout.isatty():
        raise click.BadParameter("xlsx is binary: give --output FILE", param_hint="--format")
    rows = services.employment_report(
        services.EmploymentFilters(
            by=by, campus_id=_campus_option(campus_name), year=year, within_days=within_days
        )
    )
    _write_report(
        services.render(services.EMPLOYMENT_COLUMNS, [r.as_dict() for r in rows], fmt), output
    )


@report_cli.command("check")
@click.option("--fix", is_flag=True, help="Rewrite every cohort's figures from the records.")
def check_report_command(fix: bool) -> None:
    """Prove the kept report figures equal a recount of the records.

    Recounts every cohort (completed, outcomes per kind within each kept window, retention
    checks) and every exam (candidates and passes per campus), then compares the reports
    summed from those figures with the reports counted from the records at every grouping
    and window, for all campuses and each one. Exits 1 on a difference; --fix rewrites the
    figures (then checks again).
    """
    from .reports import exam_tallies, services, tallies

    if fix:
        count = tallies.rebuild_all()
        db.session.commit()
        click.echo(f"rewrote the figures of {count} cohort(s)")
    cohorts = tallies.check()
    exams = exam_tallies.check(db.session.connection())
    for line in exams:
        click.echo(line, err=True)
    for cohort_id, figures in cohorts:
        changes = ", ".join(
            f"{name} kept {kept} counted {counted}" for name, (kept, counted) in figures.items()
        )
        click.echo(f"cohort {cohort_id}: {changes}", err=True)
    reports = services.report_differences() + services.certification_differences()
    for line in reports:
        click.echo(line, err=True)
    if cohorts or exams or reports:
        raise click.ClickException(
            f"{len(cohorts)} cohort(s), {len(exams)} exam figure(s) and {len(reports)} "
            "report(s) differ from the records; "
            "`flask report check --fix` rewrites the figures"
        )
    click.echo("the report figures equal the records: every cohort, exam and report")


@report_cli.command("certifications")
@click.option(
    "--by",
    type=click.Choice(["exam", "campus"]),
    default="exam",
    show_default=True,
    help="One row per exam, or per campus and exam.",
)
@click.option("--campus", "campus_name", help="Only trainees of this campus.")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json", "xlsx"]), default="csv", show_default=True
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True))
def certification_report_command(
    by: str, campus_name: str | None, fmt: str, output: str | None
) -> None:
    """Certification pass rates: campus, exam, candidates, passed, rate."""
    from .reports import services

    if fmt == "xlsx" and not output and sys.stdout.isatty():
        raise click.BadParameter("xlsx is binary: give --output FILE", param_hint="--format")
    rows = services.certification_report(
        by_campus=by == "campus", campus_id=_campus_option(campus_name)
    )
    _write_report(
        services.render(services.CERTIFICATION_COLUMNS, [r.as_dict() for r in rows], fmt), output
    )


def _import_file(path: str, run: Callable[[str, bytes], T]) -> T:
    """Read a file within the import limits and run an import (or its check) on it as the
    system (no acting user); on any refusal, every error to stderr and exit 1."""
    import os

    from .imports.limits import Limits, file_too_large
    from .imports.reader import UnreadableFile
    from .placements import importing

    try:
        # Refused before it is read: a huge file would otherwise fill memory first.
        limits = Limits.current()
        if os.path.getsize(path) > limits.file_bytes:
            raise file_too_large(os.path.getsize(path), limits)
        with open(path, "rb") as file:
            content = file.read()
        return run(os.path.basename(path), content)
    except importing.ImportRefused as refused:
        db.session.rollback()
        for error in refused.errors:
            where = "file" if error.row is None else f"row {error.row}"
            if error.column:
                where += f", column {error.column}"
            click.echo(f"{where}: {error.message}", err=True)
        click.echo(f"Nothing was imported: {len(refused.errors)} error(s).", err=True)
        sys.exit(1)
    except (UnreadableFile, DomainError) as error:
        db.session.rollback()
        click.echo(f"Error: {error.message}", err=True)
        sys.exit(1)


def _run_import(kind: str, path: str) -> None:
    """Import a file as the system (no acting user): every error to stderr, or the counts."""
    from .placements import importing

    result = _import_file(path, lambda name, content: importing.IMPORTS[kind](None, name, content))
    db.session.commit()
    counts = result.as_dict()
    line = "created {created}, updated {updated}, unchanged {unchanged}".format(**counts)
    if kind == importing.RECORDS:
        line += (
            " (new: {campuses} campus(es), {courses} course(s), {cohorts} cohort(s), "
            "{accounts} trainee account(s))".format(**counts)
        )
    click.echo(line)


@click.command("import-records")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@with_appcontext
def import_records_command(file: str) -> None:
    """Import trainee records (교육생 이력, docs/formats.md) from a CSV or XLSX FILE, all or
    nothing; rows already stored are matched, so importing a file again changes nothing."""
    _run_import("records", file)


@click.command("import-certifications")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@with_appcontext
def import_certifications_command(file: str) -> None:
    """Import certification attempts (자격증 응시) of known trainees from a CSV or XLSX FILE,
    all or nothing."""
    _run_import("certifications", file)


@click.command("import-attendance")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option(
    "--dry-run", is_flag=True, help="Check the file and say what importing it would change."
)
@with_appcontext
def import_attendance_command(file: str, dry_run: bool) -> None:
    """Import attendance marks of class days (출결, docs/formats.md) from a CSV or XLSX FILE,
    all or nothing; marks already stored are matched, so importing a file again changes
    nothing. With --dry-run, nothing is written."""
    from .cohorts import attendance_import, attendance_import_writer

    # A bar on a terminal only: piped or captured output stays the one line of counts.
    progress = _progressbar if sys.stdout.isatty() else None
    if dry_run:
        preview = _import_file(
            file,
            lambda name, content: attendance_import.check_attendance(
                name, content, progress=progress
            ),
        )
        db.session.rollback()
        click.echo(
            f"would create {preview.count('new')}, update {preview.count('updated')}, "
            f"leave {preview.count('unchanged')} unchanged (dry run: nothing was written)"
        )
        return
    result = _import_file(
        file,
        lambda name, content: attendance_import_writer.import_attendance(
            None, name, content, progress=progress
        ),
    )
    db.session.commit()
    click.echo(
        "created {created}, updated {updated}, unchanged {unchanged}".format(**result.as_dict())
    )


@applications_cli.command("purge-expired")
def purge_expired_command() -> None:
    """Destroy unselected applicants past their retention; logged. Kept for old crontabs:
    `flask retention run` does this along with every other retention period."""
    from .applications.services import purge_expired

    destroyed = purge_expired()
    db.session.commit()
    click.echo(f"{destroyed} application(s) destroyed")


def _print_demo_logins(accounts: list[tuple[str, str]]) -> None:
    from .demo import DEMO_PASSWORD

    click.echo(f"Demo log-ins (password for all: {DEMO_PASSWORD}):")
    for role, email in accounts:
        click.echo(f"  {role:<12} {email}")


def _scale_option(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    from .scale_data import ScaleDataError, check_scale

    if value is not None:
        try:
            check_scale(value)
        except ScaleDataError as error:
            raise click.BadParameter(error.message, ctx=ctx, param=param) from None
    return value


@contextmanager
def _progressbar(label: str, total: int) -> Iterator[Callable[[int], None]]:
    with click.progressbar(length=max(total, 1), label=f"{label:<32}", show_pos=True) as bar:
        yield bar.update


def _load_scale_data(scale: float, seed: int | None) -> None:
    """The demo data if the database has no campus yet, then N × Seoul's history on top."""
    from .demo import demo_accounts, load_demo_data
    from .scale_data import (
        DEFAULT_SEED,
        ScaleDataError,
        generate,
        refresh_statistics,
        table_counts,
    )

    if not db.session.scalar(db.select(sa.func.count(Campus.id))):
        load_demo_data()
        db.session.commit()
        click.echo("Demo data loaded.")
    try:
        result = generate(scale, DEFAULT_SEED if seed is None else seed, progress=_progressbar)
    except ScaleDataError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    refresh_statistics()
    db.session.commit()
    statuses = ", ".join(f"{n} {status}" for status, n in sorted(result.cohorts_by_status.items()))
    click.echo(f"Scale {scale:g} loaded in {result.seconds:.0f} s; cohorts: {statuses}.")
    click.echo(f"{'table':<24} {'rows':>10} {'added':>10}")
    for table, rows in table_counts().items():
        click.echo(f"{table:<24} {rows:>10,} {result.written.get(table, 0):>10,}")
    _print_demo_logins(demo_accounts())


@click.command("demo-data")
@click.option(
    "--scale",
    type=float,
    callback=_scale_option,
    help="Also add N × Seoul's real history (1 = real size, 2 = the benchmark's; "
    "at most 10) on top of the demo data, once per database.",
)
@click.option(
    "--seed",
    type=int,
    help="Random seed for --scale (default: a fixed one, so every run makes the same data).",
)
def demo_data_command(scale: float | None, seed: int | None) -> None:
    """Fill the database with the 25 campuses, the article's courses and demo accounts."""
    from .demo import load_demo_data

    if scale is not None:
        _load_scale_data(scale, seed)
        return
    if seed is not None:
        raise click.UsageError("--seed applies only with --scale.")
    accounts = load_demo_data()
    db.session.commit()
    _print_demo_logins(accounts)


@click.command("demo-data-if-empty")
def demo_data_if_empty_command() -> None:
    """Load demo data only when the database has no campus yet (used by `make run`)."""
    from .demo import demo_accounts, load_demo_data

    if db.session.scalar(db.select(sa.func.count(Campus.id))):
        click.echo("Database already has data; demo data not loaded.")
        accounts = demo_accounts()
    else:
        accounts = load_demo_data()
        db.session.commit()
    if accounts:
        _print_demo_logins(accounts)


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(mail_cli)
    from .notify.cli import notify_cli

    app.cli.add_command(notify_cli)
    app.cli.add_command(applications_cli)
    from .cohorts.cli import attendance_cli

    app.cli.add_command(attendance_cli)
    from .sessions.cli import sessions_cli

    app.cli.add_command(sessions_cli)
    from .placements.cli import placements_cli

    app.cli.add_command(placements_cli)
    app.cli.add_command(report_cli)
    from .audit_cli import audit_cli

    app.cli.add_command(audit_cli)
    from .crypto_cli import crypto_cli

    app.cli.add_command(crypto_cli)
    from .retention_cli import retention_cli

    app.cli.add_command(retention_cli)
    from .webhooks.cli import webhooks_cli

    app.cli.add_command(webhooks_cli)
    app.cli.add_command(import_records_command)
    app.cli.add_command(import_certifications_command)
    app.cli.add_command(import_attendance_command)
    app.cli.add_command(demo_data_command)
    app.cli.add_command(demo_data_if_empty_command)
