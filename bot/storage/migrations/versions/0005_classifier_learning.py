"""labelled examples from chat corrections, installed classifier models

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 16:40:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import bot.storage.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('labelled_example',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', bot.storage.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', bot.storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ticket_id')
    )
    op.create_table('classifier_model',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', bot.storage.types.UTCDateTime(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('classifier_model')
    op.drop_table('labelled_example')
