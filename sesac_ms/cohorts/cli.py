"""`flask --app sesac_ms attendance …`: attendance jobs meant for cron, and working its kept
figures out again after SQL by hand."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from ..extensions import db

attendance_cli = AppGroup(
    "attendance", help="Attendance: at-risk nudges, and its kept figures worked out again."
)


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


@attendance_cli.command("refresh")
@click.option(
    "--cohort",
    "cohort_ids",
    type=int,
    multiple=True,
    help="A cohort's id (repeatable); every cohort when left out.",
)
def refresh_command(cohort_ids: tuple[int, ...]) -> None:
    """Have every worker work the cohorts' attendance figures out again: raise their
    attendance versions. The application raises them with every change it makes; run this
    after changing marks, class days or enrollments by SQL by hand."""
    from ..models import Cohort
    from . import attendance_versions

    known = set(db.session.scalars(sa.select(Cohort.id)))
    missing = sorted(set(cohort_ids) - known)
    if missing:
        raise click.BadParameter(
            f"no cohort has the id {', '.join(map(str, missing))}; nothing was changed",
            param_hint="--cohort",
        )
    chosen = sorted(set(cohort_ids) or known)
    attendance_versions.raise_for(db.session.connection(), chosen)
    db.session.commit()
    click.echo(f"raised the attendance version of {len(chosen)} cohort(s)")
