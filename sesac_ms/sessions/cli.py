"""`flask --app sesac_ms sessions …`: 1:1 session jobs meant for cron."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db

sessions_cli = AppGroup("sessions", help="1:1 sessions: follow-up reminders.")


@sessions_cli.command("follow-up-reminders")
def follow_up_reminders_command() -> None:
    """Tell each trainee of a follow-up due tomorrow in Seoul (or today, if not told yet),
    once. Meant for a daily cron; a second run tells nobody twice."""
    from .reminders import send_follow_up_reminders

    count = send_follow_up_reminders()
    db.session.commit()
    click.echo(f"{count} follow-up reminder(s) queued")
