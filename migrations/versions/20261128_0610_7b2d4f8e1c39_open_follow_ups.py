"""Open follow-ups by session: a partial index, so a cohort's open follow-ups are found
without reading every open follow-up of the academy (the 1:1 coverage page).

Revision ID: 7b2d4f8e1c39
Revises: 3e7a9c1f5b24
Create Date: 2026-11-28 06:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7b2d4f8e1c39"
down_revision = "3e7a9c1f5b24"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_follow_ups_open_session",
        "follow_ups",
        ["session_id"],
        postgresql_where=sa.text("done_at IS NULL"),
        sqlite_where=sa.text("done_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_follow_ups_open_session", table_name="follow_ups")
