"""Attendance versions: one number per cohort, raised with every change that can move its
trainees' attendance figures, under which cohorts.attendance_figures keeps them.

Revision ID: 9a3d5c7e2f48
Revises: 4c8e2a6b9d13
Create Date: 2026-11-28 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9a3d5c7e2f48"
down_revision = "4c8e2a6b9d13"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attendance_versions",
        sa.Column("cohort_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("number", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("cohort_id", name=op.f("pk_attendance_versions")),
    )


def downgrade() -> None:
    op.drop_table("attendance_versions")
