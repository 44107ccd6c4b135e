"""Applications still in selection, by cohort: a partial index, which the dashboards' count
per campus reads (and whose statistics show SQLite's planner how few they are).

Revision ID: 4c8e2a6b9d13
Revises: 7b2d4f8e1c39
Create Date: 2026-11-28 07:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4c8e2a6b9d13"
down_revision = "7b2d4f8e1c39"
branch_labels = None
depends_on = None

# As models.applications.IN_SELECTION_SQL was when this migration was written.
IN_SELECTION_SQL = "stage IN ('submitted', 'screening', 'assessment', 'interview')"


def upgrade() -> None:
    op.create_index(
        "ix_applications_in_selection",
        "applications",
        ["cohort_id"],
        postgresql_where=sa.text(IN_SELECTION_SQL),
        sqlite_where=sa.text(IN_SELECTION_SQL),
    )
    op.execute("ANALYZE applications")


def downgrade() -> None:
    op.drop_index("ix_applications_in_selection", table_name="applications")
