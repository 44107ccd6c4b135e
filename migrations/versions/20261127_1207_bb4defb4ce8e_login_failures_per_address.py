"""Log-in failures per e-mail address, known or not, instead of per user.

Counting failures only for real accounts told outsiders which addresses exist; the
count and the lockout move to login_failures, keyed by the normalised address. Lockouts
and counts in progress are carried over.

Revision ID: bb4defb4ce8e
Revises: 6ee40e55ad97
Create Date: 2026-11-27 12:07:25.964923

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bb4defb4ce8e'
down_revision = '6ee40e55ad97'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_failures',
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('failures >= 0', name=op.f('ck_login_failures_failures_not_negative')),
    sa.PrimaryKeyConstraint('email', name=op.f('pk_login_failures'))
    )
    op.execute(
        "INSERT INTO login_failures (email, failures, locked_until, last_failed_at) "
        "SELECT email, failed_logins, locked_until, CURRENT_TIMESTAMP FROM users "
        "WHERE failed_logins > 0 OR locked_until IS NOT NULL"
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_failed_logins_not_negative'), type_='check')
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('locked_until')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_users_failed_logins_not_negative'), 'failed_logins >= 0')
    op.execute(
        "UPDATE users SET "
        "failed_logins = (SELECT f.failures FROM login_failures f WHERE f.email = users.email), "
        "locked_until = (SELECT f.locked_until FROM login_failures f WHERE f.email = users.email) "
        "WHERE email IN (SELECT email FROM login_failures)"
    )
    op.drop_table('login_failures')
