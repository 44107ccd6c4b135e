"""Messages by text and KakaoTalk: a user's mobile number and channel preferences, and the
outbox's channel, phone, template data and fallbacks.

Revision ID: b2d5f8a31c42
Revises: a1c4e7f20b31
Create Date: 2026-11-27 21:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b2d5f8a31c42"
down_revision = "a1c4e7f20b31"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE (no batch copy): SQLite cannot copy `users` while other tables
    # refer to it, so no CHECK here; the preferences service checks the channel.
    op.add_column("users", sa.Column("phone", sa.String(length=13), nullable=True))
    op.add_column(
        "users",
        sa.Column("notify_channel", sa.String(length=8), server_default="kakao", nullable=False),
    )
    op.add_column(
        "users",
        sa.Column("notify_opt_out", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "channel",
                sa.Enum(
                    "email",
                    "sms",
                    "kakao",
                    name="message_channel",
                    native_enum=False,
                    create_constraint=True,
                    length=9,
                ),
                server_default="email",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("phone", sa.String(length=13), nullable=True))
        batch_op.add_column(sa.Column("kind", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("template_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("template_values", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("channel_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("fallbacks", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("fell_back_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_check_constraint(
            op.f("ck_outbox_messages_channel_attempts"), "channel_attempts >= 0"
        )
        batch_op.create_check_constraint(
            op.f("ck_outbox_messages_phone_for_phone"), "channel = 'email' OR phone IS NOT NULL"
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_fell_back_at"), ["fell_back_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_messages_fell_back_at"))
        batch_op.drop_constraint(op.f("ck_outbox_messages_phone_for_phone"), type_="check")
        batch_op.drop_constraint(op.f("ck_outbox_messages_channel_attempts"), type_="check")
        batch_op.drop_constraint(op.f("ck_outbox_messages_message_channel"), type_="check")
        batch_op.drop_column("fell_back_at")
        batch_op.drop_column("fallbacks")
        batch_op.drop_column("channel_attempts")
        batch_op.drop_column("urgent")
        batch_op.drop_column("template_values")
        batch_op.drop_column("template_id")
        batch_op.drop_column("kind")
        batch_op.drop_column("phone")
        batch_op.drop_column("channel")
    op.drop_column("users", "notify_opt_out")
    op.drop_column("users", "notify_channel")
    op.drop_column("users", "phone")
