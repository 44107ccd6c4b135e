"""Indexes for the dashboards and the completed-trainees list at scale: enrollments by
status and date (trainees who completed lately), active accounts per role, and one
person's 1:1 sessions from a day on.

Revision ID: 7d3a9c1e5f20
Revises: 5b7e2c4d9a10
Create Date: 2026-11-27 20:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "7d3a9c1e5f20"
down_revision = "5b7e2c4d9a10"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_enrollments_status_status_on", "enrollments", ["status", "status_on"], unique=False
    )
    op.create_index("ix_users_role_active", "users", ["role", "active"], unique=False)
    op.create_index(
        "ix_coaching_sessions_staff_id_ends_at",
        "coaching_sessions",
        ["staff_id", "ends_at"],
        unique=False,
    )
    op.create_index(
        "ix_coaching_sessions_trainee_id_ends_at",
        "coaching_sessions",
        ["trainee_id", "ends_at"],
        unique=False,
    )
    if op.get_bind().dialect.name == "sqlite":
        # SQLite plans with the statistics ANALYZE keeps (sqlite_stat1): without any for the
        # new indexes, while older ones have some, it may walk every completed enrollment
        # through ix_enrollments_status_status_on for a report. PostgreSQL's autovacuum
        # analyses on its own.
        op.execute("PRAGMA analysis_limit=2000")
        op.execute("ANALYZE")


def downgrade():
    op.drop_index("ix_coaching_sessions_trainee_id_ends_at", table_name="coaching_sessions")
    op.drop_index("ix_coaching_sessions_staff_id_ends_at", table_name="coaching_sessions")
    op.drop_index("ix_users_role_active", table_name="users")
    op.drop_index("ix_enrollments_status_status_on", table_name="enrollments")
