"""`flask --app sesac_ms crypto …`: the keys that encrypt stored secrets and health data."""

from __future__ import annotations

import sys
from collections import Counter

import click
from flask.cli import AppGroup

from .extensions import db

crypto_cli = AppGroup("crypto", help="Encryption keys of stored secrets and health data.")


@crypto_cli.command("rotate")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 10_000),
    default=500,
    show_default=True,
    help="Values re-encrypted and committed together.",
)
def rotate_command(batch_size: int) -> None:
    """Re-encrypt every stored secret and health record with the first key of
    DATA_ENCRYPTION_KEYS. Put the new key first, keep the old ones after it, run this,
    then remove the old keys. Each batch is committed: a run that stopped can be run again,
    and values the first key already reads are left as they are."""
    from .crypto_rotation import rotate_values, values_to_visit

    rotated: Counter[str] = Counter()
    current: Counter[str] = Counter()
    unreadable: list[str] = []
    with click.progressbar(
        length=max(values_to_visit(), 1),
        label="Re-encrypting",
        show_pos=True,
        file=sys.stderr,  # the counts alone on stdout
    ) as bar:
        for batch in rotate_values(batch_size):
            db.session.commit()
            name = f"{batch.table}.{batch.column}"
            rotated[name] += batch.rotated
            current[name] += batch.visited - batch.rotated - len(batch.unreadable)
            unreadable += [f"{name} (id {row_id})" for row_id in batch.unreadable]
            bar.update(batch.visited)
    for name in sorted(rotated.keys() | current.keys()):
        click.echo(
            f"{name}: {rotated[name]} re-encrypted, {current[name]} already under the first key"
        )
    click.echo(
        f"{rotated.total()} value(s) re-encrypted, {current.total()} already under the first "
        f"key, {len(unreadable)} unreadable"
    )
    for line in unreadable:
        click.echo(f"no configured key decrypts {line}", err=True)
    if unreadable:
        raise click.ClickException(
            "values left as they were: put back the key that wrote them and run this again"
        )
