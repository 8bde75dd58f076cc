"""Clips carry their own state: why they are stale, and presentation parameters (volume, fades, motion).

Revision ID: 0003_clip_state
Revises: 0002_run_ownership
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_clip_state"
down_revision = "0002_run_ownership"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clip") as batch:
        batch.add_column(sa.Column("stale", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("params", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clip") as batch:
        batch.drop_column("params")
        batch.drop_column("stale")
