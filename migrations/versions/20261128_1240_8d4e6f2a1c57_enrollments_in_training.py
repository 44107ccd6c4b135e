"""Trainees in training, by cohort and with the trainee: a partial index, from which the
session forms' picker reads a campus's trainees in training without reading every
enrollment of the campus's history (2 ms → 1 ms at twice Seoul's size on PostgreSQL).

Revision ID: 8d4e6f2a1c57
Revises: 5f1c8a3e7b92
Create Date: 2026-11-28 12:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8d4e6f2a1c57"
down_revision = "5f1c8a3e7b92"
branch_labels = None
depends_on = None

IN_TRAINING_SQL = "status = 'enrolled'"


def upgrade() -> None:
    op.create_index(
        "ix_enrollments_in_training",
        "enrollments",
        ["cohort_id", "user_id"],
        postgresql_where=sa.text(IN_TRAINING_SQL),
        sqlite_where=sa.text(IN_TRAINING_SQL),
    )
    op.execute("ANALYZE enrollments")


def downgrade() -> None:
    op.drop_index("ix_enrollments_in_training", table_name="enrollments")
