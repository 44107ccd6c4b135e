"""`flask webhooks deliver`: send the webhook deliveries that are due (cron, or --loop)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..mail.worker import stop_on_signals
from .delivery import DeliveryRun, deliver_due

webhooks_cli = AppGroup("webhooks", help="Webhooks: deliveries to other systems.")


def _line(run: DeliveryRun) -> str:
    return (
        f"{run.delivered} delivered, {run.failed} failed (retried later), "
        f"{run.given_up} given up, {run.paused} subscription(s) paused"
    )


@webhooks_cli.command("deliver")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1))
@click.option("--loop", is_flag=True, help="Keep delivering until SIGTERM or Ctrl+C.")
@click.option(
    "--interval",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="With --loop: seconds to sleep when nothing is due.",
)
def deliver_command(limit: int, loop: bool, interval: float) -> None:
    """Send the deliveries that are due: once (for cron, every minute), or with --loop as
    a worker. Several may run at once: each delivery is claimed by one. Exits with 1 when
    a single pass had a failed attempt."""
    if not loop:
        run = deliver_due(limit)
        click.echo(_line(run))
        if run.failed:
            sys.exit(1)
        return
    with stop_on_signals() as stop:
        while not stop.is_set():
            run = deliver_due(limit)
            if run.delivered or run.failed:
                click.echo(_line(run))
            else:
                stop.wait(interval)
