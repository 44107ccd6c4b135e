"""Attendance with times: check-in and check-out times, minutes late and left early, where
a mark came from, a cohort's grace minutes, and the at-risk nudges already sent.

Revision ID: a1c4e7f20b31
Revises: 7d3a9c1e5f20
Create Date: 2026-11-27 21:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a1c4e7f20b31"
down_revision = "7d3a9c1e5f20"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE (no batch copy): SQLite cannot copy `cohorts` while other tables
    # refer to it. The range (0-120) is checked by the roster rules' form and service.
    op.add_column(
        "cohorts", sa.Column("grace_minutes", sa.Integer(), server_default="10", nullable=False)
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("left_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("minutes_late", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("minutes_left_early", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "source",
                sa.Enum(
                    "manual",
                    "check_in",
                    "import",
                    name="mark_source",
                    native_enum=False,
                    create_constraint=True,
                    length=12,
                ),
                server_default="manual",
                nullable=False,
            )
        )
    op.create_table(
        "attendance_nudges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["enrollment_id"], ["enrollments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enrollment_id", "threshold"),
    )
    op.create_index(
        "ix_attendance_nudges_enrollment_id", "attendance_nudges", ["enrollment_id"], unique=False
    )


def downgrade():
    op.drop_index("ix_attendance_nudges_enrollment_id", table_name="attendance_nudges")
    op.drop_table("attendance_nudges")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_attendance_mark_source"), type_="check")
        batch_op.drop_column("source")
        batch_op.drop_column("minutes_left_early")
        batch_op.drop_column("minutes_late")
        batch_op.drop_column("left_at")
        batch_op.drop_column("arrived_at")
    op.drop_column("cohorts", "grace_minutes")
