"""Figures version: one number raised with every change that can move a report's figures,
under which reports.figures_cache keeps the figures it worked out.

Revision ID: 3e7a9c1f5b24
Revises: 8c4f2a9e6d17
Create Date: 2026-11-28 06:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3e7a9c1f5b24"
down_revision = "8c4f2a9e6d17"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "figures_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("number", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_figures_version")),
    )
    op.bulk_insert(table, [{"id": 1, "number": 0}])


def downgrade() -> None:
    op.drop_table("figures_version")
