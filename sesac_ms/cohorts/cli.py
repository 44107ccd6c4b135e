"""`flask --app sesac_ms attendance …`: attendance jobs meant for cron."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db

attendance_cli = AppGroup("attendance", help="Attendance: at-risk nudges.")


@attendance_cli.command("nudges")
def nudges_command() -> None:
    """Tell trainees whose affordable absences reached 2, 1 or 0 (each once), and their
    campus managers in one digest per cohort. Meant for a daily cron; a second run the
    same day tells nobody twice."""
    from .nudges import send_nudges

    run = send_nudges()
    db.session.commit()
    click.echo(
        f"{run.cohorts} running cohort(s): {run.trainees} trainee(s) told, "
        f"{run.digests} manager digest(s) queued"
    )
