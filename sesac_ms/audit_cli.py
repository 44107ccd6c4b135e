"""`flask audit …`: the commands about the audit log and the personal-data access log.

`audit verify` checks the tamper-evident hash chain of both logs (sesac_ms.audit_chain);
other commands about the logs (the monthly review) are added to this group.
"""

from __future__ import annotations

import sys
from datetime import datetime

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from .extensions import db

audit_cli = AppGroup("audit", help="The audit log and the personal-data access log.")


@audit_cli.command("verify")
@click.option(
    "--from",
    "since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Check from this day (Seoul, YYYY-MM-DD) on; default: every entry kept.",
)
def verify_command(since: datetime | None) -> None:
    """Seal the days that have ended, then recompute the hash chains of the audit log and the
    access log. Exits with 1 naming the first entry (or day) where each chain breaks; with
    0 and a one-line summary when both are intact."""
    from .audit_chain import seal_days, verify
    from .cli import _progressbar

    for attempt in range(3):
        try:
            sealed = seal_days()
            db.session.commit()
            break
        except sa.exc.IntegrityError:  # another sealer took the same days first: read again
            db.session.rollback()
            if attempt == 2:
                raise
    # A bar on a terminal only: piped or captured output stays one line.
    progress = _progressbar if sys.stdout.isatty() else None
    report = verify(since.date() if since else None, progress=progress)
    db.session.rollback()
    if not report.intact:
        for problem in report.breaks:
            click.echo(f"BROKEN: {problem}")
        sys.exit(1)
    click.echo(report.summary() + (f"; {sealed} day seal(s) added" if sealed else ""))


from .admin.review_cli import review_command  # noqa: E402  (the monthly access review)

audit_cli.add_command(review_command)
