"""Courses carry an optional English title, shown on English pages when present.

Revision ID: 8e5a3895fef9
Revises: 91edd17ed28e
Create Date: 2026-11-27 12:45:19.247922

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8e5a3895fef9'
down_revision = '91edd17ed28e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_en', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('title_en')
