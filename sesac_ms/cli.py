"""Thin click commands: parse, call a service, print, exit code."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

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


applications_cli = AppGroup("applications", help="Applicant selection.")


@applications_cli.command("expire-offers")
def expire_offers_command() -> None:
    """Lapse waitlist offers not taken in time and offer the places on (meant for cron)."""
    from .applications.services import expire_offers

    lapsed = expire_offers()
    db.session.commit()
    click.echo(f"{lapsed} offer(s) lapsed")


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
    app.cli.add_command(demo_data_command)
    app.cli.add_command(demo_data_if_empty_command)
