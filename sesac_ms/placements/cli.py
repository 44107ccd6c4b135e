"""`flask --app sesac_ms placements …`: placement jobs meant for cron."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db

placements_cli = AppGroup("placements", help="Placements: retention check reminders.")


@placements_cli.command("retention-reminders")
def retention_reminders_command() -> None:
    """Ask graduates how their job is going 6 and 12 months after it started (each check
    once), and tell the cohorts' coordinators in one digest each. Meant for a daily cron;
    a check whose day the cron missed is still told within a week."""
    from .retention_reminders import send_retention_reminders

    run = send_retention_reminders()
    db.session.commit()
    click.echo(
        f"{run.graduates} retention check reminder(s) queued, "
        f"{run.digests} coordinator digest(s) queued"
    )
