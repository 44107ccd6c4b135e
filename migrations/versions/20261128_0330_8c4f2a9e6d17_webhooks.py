"""Webhooks: subscriptions of a campus to events, and the outbox of their deliveries.

Revision ID: 8c4f2a9e6d17
Revises: 5d2e8f1a7b36
Create Date: 2026-11-28 03:30:00

"""

import sqlalchemy as sa
from alembic import op

from sesac_ms.models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = "8c4f2a9e6d17"
down_revision = "5d2e8f1a7b36"
branch_labels = None
depends_on = None

PENDING = "delivered_at IS NULL AND given_up_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campus_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("events", sa.String(length=500), nullable=False),
        sa.Column("secret_encrypted", sa.String(length=255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("failures_in_a_row", sa.Integer(), server_default="0", nullable=False),
        sa.Column("paused_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campus_id"],
            ["campuses.id"],
            name=op.f("fk_webhook_subscriptions_campus_id_campuses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_webhook_subscriptions_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
    )
    with op.batch_alter_table("webhook_subscriptions") as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_subscriptions_campus_id"), ["campus_id"])
        batch_op.create_index(batch_op.f("ix_webhook_subscriptions_owner_id"), ["owner_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=60), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("claimed_by", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("given_up_at", UTCDateTime(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_response", sa.String(length=1000), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "delivered_at IS NULL OR given_up_at IS NULL",
            name=op.f("ck_webhook_deliveries_delivered_or_given_up"),
        ),
        sa.CheckConstraint(
            "(claimed_by IS NULL) = (claimed_until IS NULL)",
            name=op.f("ck_webhook_deliveries_claim_whole"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscriptions.id"],
            name=op.f("fk_webhook_deliveries_subscription_id_webhook_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    with op.batch_alter_table("webhook_deliveries") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_subscription_id"), ["subscription_id"]
        )
        batch_op.create_index(
            "ix_webhook_deliveries_due",
            ["next_attempt_at"],
            sqlite_where=sa.text(PENDING),
            postgresql_where=sa.text(PENDING),
        )


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_subscriptions")
