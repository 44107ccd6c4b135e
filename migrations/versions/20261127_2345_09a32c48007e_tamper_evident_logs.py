"""Tamper-evident logs (제8조): each audit and access-log entry carries the hash of its
content, days are sealed into `log_seals` (chained), prunes are recorded in `log_prunes`,
and database triggers refuse to change log rows or delete young ones (sesac_ms/audit_chain.py).

The entries already written get their hash here, as models/audit.py computes it; the first
`flask audit verify` or retention run seals their days.

Revision ID: 09a32c48007e
Revises: f6b9d3e5a7c8
Create Date: 2026-11-27 23:45:00

"""

import sqlalchemy as sa
from alembic import op

from sesac_ms.models.audit import content_hash, guard_ddl, unguard_ddl
from sesac_ms.models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = "09a32c48007e"
down_revision = "f6b9d3e5a7c8"
branch_labels = None
depends_on = None

# The logs' columns at this revision (the SQLite triggers name the columns they watch).
COLUMNS = {
    "audit_entries": (
        "id", "at", "actor_id", "actor_label", "action", "object_type", "object_id",
        "object_label", "campus_id", "changes", "ip_address", "row_hash",
    ),
    "personal_data_access": (
        "id", "at", "actor_id", "actor_label", "action", "subject_type", "subject_id",
        "subject_label", "person_id", "page", "people_count", "filters", "detail", "reason",
        "ip_address", "row_hash",
    ),
}  # fmt: skip
TYPES = {
    "at": UTCDateTime(),
    "changes": sa.JSON(),
    "filters": sa.JSON(),
    "object_id": sa.Integer(),
    "campus_id": sa.Integer(),
    "subject_id": sa.Integer(),
    "people_count": sa.Integer(),
    "id": sa.Integer(),
}
BATCH = 2_000


def _hash_existing(name: str) -> None:
    table = sa.table(name, *(sa.column(c, TYPES.get(c, sa.String())) for c in COLUMNS[name]))
    bind = op.get_bind()
    update = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("entry_id"))
        .values(row_hash=sa.bindparam("hash"))
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(table).where(table.c.id > last).order_by(table.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            update,
            [{"entry_id": row.id, "hash": content_hash(name, row._mapping)} for row in rows],
        )
        last = rows[-1].id


def upgrade():
    for name in COLUMNS:
        op.add_column(name, sa.Column("row_hash", sa.String(length=64), nullable=True))
    op.create_table(
        "log_seals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("log", sa.String(length=30), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("ids", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("seal_hash", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_seals")),
        sa.UniqueConstraint("log", "day", name=op.f("uq_log_seals_log_day")),
    )
    op.create_table(
        "log_prunes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("log", sa.String(length=30), nullable=False),
        sa.Column("before_day", sa.Date(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_prunes")),
    )
    for name in COLUMNS:
        _hash_existing(name)
    dialect = op.get_bind().dialect.name
    for name in (*COLUMNS, "log_seals", "log_prunes"):
        for statement in guard_ddl(dialect, name, COLUMNS.get(name, ())):
            op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for name in (*COLUMNS, "log_seals", "log_prunes"):
        for statement in unguard_ddl(dialect, name):
            op.execute(statement)
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS sesac_log_guard()")
        op.execute("DROP FUNCTION IF EXISTS sesac_log_seal_guard()")
    op.drop_table("log_prunes")
    op.drop_table("log_seals")
    for name in COLUMNS:
        op.drop_column(name, "row_hash")
