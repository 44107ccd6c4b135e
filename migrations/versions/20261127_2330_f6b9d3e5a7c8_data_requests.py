"""Requests of data subjects (privacy/): to correct, delete or see personal data, each with
its 10-day deadline and the campus's answer.

A new table only: nothing that other tables refer to is rebuilt.

Revision ID: f6b9d3e5a7c8
Revises: e5a8c2d4f6b7
Create Date: 2026-11-27 23:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f6b9d3e5a7c8"
down_revision = "e5a8c2d4f6b7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "data_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "correction",
                "deletion",
                "access",
                name="data_request_kind",
                native_enum=False,
                create_constraint=True,
                length=14,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "done",
                "refused",
                name="data_request_status",
                native_enum=False,
                create_constraint=True,
                length=11,
            ),
            server_default="open",
            nullable=False,
        ),
        sa.Column("campus_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint(
            "(status = 'open') = (resolved_at IS NULL)",
            name=op.f("ck_data_requests_resolved_when_closed"),
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_data_requests_application_id_applications"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["campus_id"],
            ["campuses.id"],
            name=op.f("fk_data_requests_campus_id_campuses"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["users.id"],
            name=op.f("fk_data_requests_resolved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_data_requests_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_requests")),
    )
    op.create_index(
        "ix_data_requests_campus_id_status_due_on",
        "data_requests",
        ["campus_id", "status", "due_on"],
        unique=False,
    )
    op.create_index(
        op.f("ix_data_requests_application_id"), "data_requests", ["application_id"], unique=False
    )
    op.create_index(op.f("ix_data_requests_due_on"), "data_requests", ["due_on"], unique=False)
    op.create_index(
        op.f("ix_data_requests_resolved_by_id"), "data_requests", ["resolved_by_id"], unique=False
    )
    op.create_index(op.f("ix_data_requests_status"), "data_requests", ["status"], unique=False)
    op.create_index(op.f("ix_data_requests_user_id"), "data_requests", ["user_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_data_requests_user_id"), table_name="data_requests")
    op.drop_index(op.f("ix_data_requests_status"), table_name="data_requests")
    op.drop_index(op.f("ix_data_requests_resolved_by_id"), table_name="data_requests")
    op.drop_index(op.f("ix_data_requests_due_on"), table_name="data_requests")
    op.drop_index(op.f("ix_data_requests_application_id"), table_name="data_requests")
    op.drop_index("ix_data_requests_campus_id_status_due_on", table_name="data_requests")
    op.drop_table("data_requests")
