"""`flask --app sesac_ms retention …`: the daily destruction of personal data past its
retention, and the forecast of what a month will destroy (sesac_ms.retention)."""

from __future__ import annotations

from datetime import date, datetime

import click
from flask.cli import AppGroup

retention_cli = AppGroup("retention", help="Personal data past its retention period.")


def _period(key: str) -> str:
    from .retention import category

    each = category(key)
    return f"{each.amount()} {each.unit} ({each.setting})"


def _month(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise click.BadParameter("expected a month as YYYY-MM, e.g. 2026-12") from None


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Print what would be destroyed; change nothing.")
def run_command(dry_run: bool) -> None:
    """Destroy everything past its retention period (meant for a daily cron).

    Each category commits on its own; the counts go to the app log and into one audit
    entry. Exits 1 if a category failed (it was rolled back whole; the others are done).
    """
    from .retention import RetentionSettingError, run

    try:
        result = run(dry_run=dry_run)
    except RetentionSettingError as error:
        raise click.ClickException(str(error)) from None
    verb = "would be destroyed" if dry_run else "destroyed"
    for key, count in result.counts.items():
        if count is None:
            click.echo(f"{key:<16} skipped: sesac_ms.audit_chain.prune_logs is not installed")
        else:
            click.echo(f"{key:<16} {count:>8} {verb}   kept {_period(key)}")
    for key, error in result.failed.items():
        click.echo(f"{key:<16}   failed ({error}): rolled back, nothing destroyed", err=True)
    if dry_run:
        click.echo("(dry run: nothing was changed)")
    if result.failed:
        raise click.ClickException(
            f"{len(result.failed)} categor{'y' if len(result.failed) == 1 else 'ies'} failed: "
            "see the app log"
        )


@retention_cli.command("report")
@click.option(
    "--month",
    callback=_month,
    metavar="YYYY-MM",
    help="The month to forecast (default: next month); this month or a later one.",
)
def report_command(month: date | None) -> None:
    """Print, per category, how much the daily runs of a month will destroy."""
    from .clock import today_in_seoul
    from .retention import RetentionSettingError, month_forecast
    from .retention.job import next_month

    today = today_in_seoul()
    month = month or next_month(today)
    try:
        counts = month_forecast(month, today)
    except RetentionSettingError as error:
        raise click.ClickException(str(error)) from None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--month") from None
    click.echo(f"To be destroyed in {month:%Y-%m} by the daily `retention run`:")
    for key, count in counts.items():
        click.echo(f"{key:<16} {count:>8}   kept {_period(key)}")
