"""The access log records lists: which page, with which filters, how many people it showed.

Also the account whose data one record was (person_id), so an administrator can ask who
looked at one person's data. Existing rows keep their text; the new columns stay empty.

Revision ID: 0986bdfa4fce
Revises: bb4defb4ce8e
Create Date: 2026-11-27 12:07:55.794594

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0986bdfa4fce'
down_revision = 'bb4defb4ce8e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('personal_data_access', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('page', sa.String(length=60), server_default='', nullable=False))
        batch_op.add_column(sa.Column('people_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('filters', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_personal_data_access_person_id'), ['person_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_personal_data_access_person_id_users'), 'users', ['person_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(
            batch_op.f('ck_personal_data_access_people_count'),
            'people_count IS NULL OR people_count >= 0',
        )


def downgrade():
    with op.batch_alter_table('personal_data_access', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_personal_data_access_people_count'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_personal_data_access_person_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_personal_data_access_person_id'))
        batch_op.drop_column('filters')
        batch_op.drop_column('people_count')
        batch_op.drop_column('page')
        batch_op.drop_column('person_id')
