"""Runs remember what they were based on and which process owns them (crash safety, conflicts).

Revision ID: 0002_run_ownership
Revises: 0001_initial
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_run_ownership"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("generation_run") as batch:
        batch.add_column(sa.Column("base_revision", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("base_asset_updated_at", TIME, nullable=True))
        batch.add_column(sa.Column("owner", sa.String(), nullable=True))
        batch.create_index("ix_generation_run_owner", ["owner"])
    op.create_table(
        "process_heartbeat",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("host", sa.String(), nullable=False, server_default=""),
        sa.Column("pid", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("seen_at", TIME, nullable=False),
    )
