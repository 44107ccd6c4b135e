"""Reminders told once: when a follow-up's trainee was told it is due, and the retention
checks told as due (one row per outcome and months).

Revision ID: c3e6a9b42d53
Revises: b2d5f8a31c42
Create Date: 2026-11-27 22:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c3e6a9b42d53"
down_revision = "b2d5f8a31c42"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE (no batch copy of the table on SQLite).
    op.add_column("follow_ups", sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_follow_ups_due_on"), "follow_ups", ["due_on"], unique=False)
    op.create_table(
        "retention_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("months IN (6, 12)", name=op.f("ck_retention_reminders_months")),
        sa.ForeignKeyConstraint(
            ["outcome_id"],
            ["outcomes.id"],
            name=op.f("fk_retention_reminders_outcome_id_outcomes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_reminders")),
        sa.UniqueConstraint(
            "outcome_id", "months", name=op.f("uq_retention_reminders_outcome_id_months")
        ),
    )


def downgrade():
    op.drop_table("retention_reminders")
    op.drop_index(op.f("ix_follow_ups_due_on"), table_name="follow_ups")
    op.drop_column("follow_ups", "reminded_at")
