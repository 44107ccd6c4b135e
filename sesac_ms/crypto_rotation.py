"""Key rotation: every encrypted value re-encrypted with the first of DATA_ENCRYPTION_KEYS.

The encrypted values are the columns of the models' encrypted types (models/types.py:
health data) and the second-factor secrets, which auth/second_factor.py encrypts itself.
A value the first key already reads is left as it is, so a run that stopped half-way (or
a second run) only does what is left; the caller commits after each batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from . import crypto
from .extensions import db
from .models.types import EncryptedType

# Encrypted by its own code rather than by a column type.
ENCRYPTED_BY_CODE = (
    ("totp_credentials", "secret_encrypted"),
    ("webhook_subscriptions", "secret_encrypted"),
)


def encrypted_columns() -> list[tuple[str, str]]:
    """(table, column) of every column that holds Fernet tokens."""
    typed = [
        (table.name, column.name)
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedType)
    ]
    return sorted(typed) + list(ENCRYPTED_BY_CODE)


def _raw(table: str, column: str) -> sa.TableClause:
    """The column as stored (tokens), without the type that decrypts it."""
    return sa.table(table, sa.column("id", sa.Integer()), sa.column(column, sa.Text()))


def _stored(table: sa.TableClause, column: str) -> sa.ColumnElement[bool]:
    return sa.and_(table.c[column].is_not(None), table.c[column] != "")


def values_to_visit() -> int:
    """How many encrypted values there are (empty text is stored as it is)."""
    total = 0
    for name, column in encrypted_columns():
        table = _raw(name, column)
        total += db.session.scalar(
            sa.select(sa.func.count()).select_from(table).where(_stored(table, column))
        )
    return total


@dataclass
class Batch:
    """One batch of one column, written (flushed, not committed)."""

    table: str
    column: str
    visited: int
    rotated: int
    unreadable: list[int]  # ids of rows none of the configured keys decrypts


def rotate_values(batch_size: int = 500) -> Iterator[Batch]:
    """Re-encrypt every value the first key cannot read yet, a batch at a time, in id order.

    Raises nothing for a value no key reads: its id is reported in the batch and the value
    is left as it is (the key that wrote it is still needed)."""
    for name, column in encrypted_columns():
        table = _raw(name, column)
        after = 0
        while True:
            rows = db.session.execute(
                sa.select(table.c.id, table.c[column])
                .where(table.c.id > after, _stored(table, column))
                .order_by(table.c.id)
                .limit(batch_size)
            ).all()
            if not rows:
                break
            changed, unreadable = [], []
            for row_id, token in rows:
                if crypto.is_current(token):
                    continue
                try:
                    changed.append({"row_id": row_id, "token": crypto.rotate(token)})
                except crypto.UnreadableSecret:
                    unreadable.append(row_id)
            if changed:
                db.session.execute(
                    sa.update(table)
                    .where(table.c.id == sa.bindparam("row_id"))
                    .values({column: sa.bindparam("token")}),
                    changed,
                )
            after = rows[-1][0]
            yield Batch(name, column, len(rows), len(changed), unreadable)
