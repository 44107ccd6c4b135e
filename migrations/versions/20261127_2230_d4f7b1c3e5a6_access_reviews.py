"""The monthly review of personal-data access: one row per reviewed month.

Revision ID: d4f7b1c3e5a6
Revises: c3e6a9b42d53
Create Date: 2026-11-27 22:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d4f7b1c3e5a6"
down_revision = "c3e6a9b42d53"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "access_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_by_label", sa.String(length=300), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=2000), server_default="", nullable=False),
        sa.CheckConstraint("length(month) = 7", name=op.f("ck_access_reviews_month_is_yyyy_mm")),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["users.id"],
            name=op.f("fk_access_reviews_reviewed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_reviews")),
        sa.UniqueConstraint("month", name=op.f("uq_access_reviews_month")),
    )
    op.create_index(
        op.f("ix_access_reviews_reviewed_by_id"), "access_reviews", ["reviewed_by_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_access_reviews_reviewed_by_id"), table_name="access_reviews")
    op.drop_table("access_reviews")
