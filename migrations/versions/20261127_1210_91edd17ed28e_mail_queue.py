"""Mail queue: retries by time, claims so that one sender sends each message, give-up.

Adds when a message (re-)entered the queue (queued_at), when it is next due
(next_attempt_at), the claim of the sender working on it (claimed_by, claimed_until) and
when it was given up (given_up_at).

Existing unsent messages, including those the old sender had abandoned after five tries,
are due again at once; those queued more than three days ago (the default
MAIL_GIVE_UP_AFTER) are given up instead, so that an admin decides on the Mail page
whether they are still worth sending.

Revision ID: 91edd17ed28e
Revises: 0986bdfa4fce
Create Date: 2026-11-27 12:10:55.922225

"""
from datetime import UTC, datetime, timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '91edd17ed28e'
down_revision = '0986bdfa4fce'
branch_labels = None
depends_on = None

GIVE_UP_AFTER = timedelta(days=3)
DUE_WHERE = 'sent_at IS NULL AND given_up_at IS NULL'


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('given_up_at', sa.DateTime(timezone=True), nullable=True))

    # SQLite stores these columns as naive UTC text (models.types.UTCDateTime).
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == 'sqlite':
        now = now.replace(tzinfo=None)
    outbox = sa.table(
        'outbox_messages',
        sa.column('created_at', sa.DateTime(timezone=True)),
        sa.column('sent_at', sa.DateTime(timezone=True)),
        sa.column('queued_at', sa.DateTime(timezone=True)),
        sa.column('next_attempt_at', sa.DateTime(timezone=True)),
        sa.column('given_up_at', sa.DateTime(timezone=True)),
    )
    op.execute(
        outbox.update().values(queued_at=outbox.c.created_at, next_attempt_at=outbox.c.created_at)
    )
    op.execute(
        outbox.update()
        .where(outbox.c.sent_at.is_(None), outbox.c.created_at >= now - GIVE_UP_AFTER)
        .values(next_attempt_at=now)
    )
    op.execute(
        outbox.update()
        .where(outbox.c.sent_at.is_(None), outbox.c.created_at < now - GIVE_UP_AFTER)
        .values(given_up_at=now)
    )

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.alter_column('queued_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column('next_attempt_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_check_constraint(
            op.f('ck_outbox_messages_sent_or_given_up'), 'sent_at IS NULL OR given_up_at IS NULL'
        )
        batch_op.create_check_constraint(
            op.f('ck_outbox_messages_claim_whole'), '(claimed_by IS NULL) = (claimed_until IS NULL)'
        )
        batch_op.create_check_constraint(op.f('ck_outbox_messages_attempts'), 'attempts >= 0')

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(
            'ix_outbox_messages_due',
            ['next_attempt_at'],
            unique=False,
            sqlite_where=sa.text(DUE_WHERE),
            postgresql_where=sa.text(DUE_WHERE),
        )
        batch_op.create_index(batch_op.f('ix_outbox_messages_given_up_at'), ['given_up_at'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_given_up_at'))
        batch_op.drop_index('ix_outbox_messages_due')

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_attempts'), type_='check')
        batch_op.drop_constraint(op.f('ck_outbox_messages_claim_whole'), type_='check')
        batch_op.drop_constraint(op.f('ck_outbox_messages_sent_or_given_up'), type_='check')
        batch_op.drop_column('given_up_at')
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('queued_at')
