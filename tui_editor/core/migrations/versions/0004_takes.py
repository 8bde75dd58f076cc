"""Takes: every preview is a take of its clip, kept after its decision (seed, star, who/when, own file).

Revision ID: 0004_takes
Revises: 0003_clip_state
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_takes"
down_revision = "0003_clip_state"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("generation_run") as batch:
        batch.add_column(sa.Column("seed", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("starred", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("decided_at", TIME, nullable=True))
        batch.add_column(sa.Column("decided_asset_updated_at", TIME, nullable=True))
        batch.add_column(sa.Column("take_file", sa.String(), nullable=True))
        batch.add_column(sa.Column("committed_file", sa.String(), nullable=True))
        batch.add_column(sa.Column("replaced", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("pruned_at", TIME, nullable=True))
        batch.create_index("ix_generation_run_decided_at", ["decided_at"])
