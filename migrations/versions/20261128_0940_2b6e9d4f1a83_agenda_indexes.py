"""The agenda's indexes: class days by day, with their cohort and whether cancelled (a month's
classes of a staff member's cohorts, read from the index alone), and cohort events by their
end (a month's events, without reading every past event of the academy).

Revision ID: 2b6e9d4f1a83
Revises: 9a3d5c7e2f48
Create Date: 2026-11-28 09:40:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "2b6e9d4f1a83"
down_revision = "9a3d5c7e2f48"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_class_days_day_cohort", "class_days", ["day", "cohort_id", "cancelled"])
    op.create_index("ix_cohort_events_ends_at", "cohort_events", ["ends_at"])
    op.execute("ANALYZE class_days")
    op.execute("ANALYZE cohort_events")


def downgrade() -> None:
    op.drop_index("ix_cohort_events_ends_at", table_name="cohort_events")
    op.drop_index("ix_class_days_day_cohort", table_name="class_days")
