"""Thin click commands: parse, call a service, print, exit code."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from .errors import DomainError
from .extensions import db
from .models import Campus, Role


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


mail_cli = AppGroup("mail", help="The mail outbox.")


@mail_cli.command("send")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1))
def send_mail_command(limit: int) -> None:
    """Send queued messages (meant for cron); failures stay queued for the next run."""
    from .mail import send_pending

    sent, failed = send_pending(limit)
    click.echo(f"sent {sent}, failed {failed}")
    if failed:
        sys.exit(1)


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


def _run_import(kind: str, path: str) -> None:
    """Import a file as the system (no acting user): every error to stderr, or the counts."""
    import os

    from .imports.reader import UnreadableFile
    from .placements import importing

    with open(path, "rb") as file:
        content = file.read()
    try:
        result = importing.IMPORTS[kind](None, os.path.basename(path), content)
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


@applications_cli.command("purge-expired")
def purge_expired_command() -> None:
    """Destroy unselected applicants past their retention (meant for cron); logged."""
    from .applications.services import purge_expired

    destroyed = purge_expired()
    db.session.commit()
    click.echo(f"{destroyed} application(s) destroyed")


def _print_demo_logins(accounts: list[tuple[str, str]]) -> None:
    from .demo import DEMO_PASSWORD

    click.echo(f"Demo log-ins (password for all: {DEMO_PASSWORD}):")
    for role, email in accounts:
        click.echo(f"  {role:<12} {email}")


@click.command("demo-data")
def demo_data_command() -> None:
    """Fill the database with the 25 campuses, the article's courses and demo accounts."""
    from .demo import load_demo_data

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
    app.cli.add_command(applications_cli)
    app.cli.add_command(report_cli)
    app.cli.add_command(import_records_command)
    app.cli.add_command(import_certifications_command)
    app.cli.add_command(demo_data_command)
    app.cli.add_command(demo_data_if_empty_command)
