"""`flask audit review --month YYYY-MM`: the monthly access review at the command line."""

from __future__ import annotations

import sys
import unicodedata

import click
from flask_babel import force_locale, gettext

from ..errors import DomainError
from ..extensions import db
from . import review

# The table's columns at a terminal: user, then the counts (indexes into review.table's).
_SHOWN = (0, 4, 6, 9, 10, 11, 12, 13, 14, 15)


def _width(text: str) -> int:
    """Columns the text takes at a terminal: Korean (wide) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * (width - _width(text))
    return space + text if right else text + space


def render_table(headers: list[str], rows: list[list]) -> str:
    """A plain-text table: names left, numbers right, one line per row."""
    cells = [[str(value) for value in row] for row in [headers, *rows]]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append(
            "  ".join(_pad(cell, widths[i], right=i > 0) for i, cell in enumerate(row)).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


@click.command("review")
@click.option("--month", help="The month as YYYY-MM (Seoul time); the previous month if left out.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "xlsx"]),
    default="table",
    show_default=True,
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the CSV or XLSX to this file (needed for xlsx).",
)
@click.option(
    "--reason",
    default="monthly access review (flask audit review)",
    show_default=True,
    help="Why the file is made: a CSV or XLSX is logged in the access log as a download.",
)
@click.option(
    "--lang", type=click.Choice(["ko", "en"]), default="ko", show_default=True, help="Language."
)
def review_command(month: str | None, fmt: str, output: str | None, reason: str, lang: str) -> None:
    """Summarise a month of personal-data access per user, with the flags of each rule.

    Views and downloads of personal data, off-hours access, bulk downloads, data of
    another campus, failed log-ins, lockouts and second-factor resets; what a rule finds
    unusual is flagged with the rule. Exits 0 whatever it finds; record the review on the
    admin page (Audit log → Monthly access review).
    """
    if fmt == "xlsx" and not output:
        raise click.BadParameter("xlsx is binary: give --output FILE", param_hint="--format")
    if output and fmt == "table":
        raise click.BadParameter("--output needs --format csv or xlsx", param_hint="--output")
    with force_locale(lang):
        try:
            asked = review.Month.parse(month) if month else review.previous_month()
        except DomainError as error:
            raise click.BadParameter(error.message, param_hint="--month") from None
        if fmt != "table":
            content, _mimetype, _name = review.export(None, asked, fmt, reason)
            db.session.commit()  # the download's access-log entry
            if output:
                with open(output, "wb") as file:
                    file.write(content)
                click.echo(f"written to {output}", err=True)
            else:
                sys.stdout.buffer.write(content)
                sys.stdout.buffer.flush()
            return
        summary = review.month_review(asked)
        headers, rows = review.table(summary)
        texts = review.rule_texts()
        flagged = [row for row in summary.rows if row.flags]
        nothing = gettext("No rule flagged anything this month.")
    click.echo(f"access review of {asked}")
    click.echo(
        render_table([headers[i] for i in _SHOWN], [[row[i] for i in _SHOWN] for row in rows])
    )
    click.echo("")
    if not flagged:
        click.echo(nothing)
    for row in flagged:
        who = f"{row.name} <{row.email}>" if row.email else row.name
        click.echo(who)
        for flag in row.flags:
            click.echo(f"  ! {texts[flag.rule]} ({flag.count})")
    if summary.record is not None:
        click.echo(
            f"reviewed by {summary.record.reviewed_by_label} at "
            f"{summary.record.reviewed_at.isoformat(timespec='minutes')}"
        )
    elif summary.ended:
        click.echo("not recorded as reviewed yet")
