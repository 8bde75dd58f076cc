"""The first schema: lectures, clips, the three asset tables, runs, events and revisions.

Revision ID: 0001_initial
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "lecture",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("title", sa.String(), nullable=False, index=True),
        sa.Column("summary", sa.String(), nullable=False, server_default=""),
        sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_table(
        "clip",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("lecture_id", sa.String(), sa.ForeignKey("lecture.id"), nullable=False, index=True),
        sa.Column("track", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("start", sa.Float(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=False),
        sa.Column("asset_id", sa.String(), nullable=False, index=True),
    )
    op.create_table(
        "visual_asset",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("prompt", sa.String(), nullable=False),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("aspect_ratio", sa.String(), nullable=False, server_default="16:9"),
        sa.Column("width", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("height", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("file", sa.String(), nullable=False, server_default=""),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_table(
        "narration_asset",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("script", sa.String(), nullable=False),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("voice", sa.String(), nullable=False, server_default=""),
        sa.Column("emotion", sa.String(), nullable=False, server_default=""),
        sa.Column("language", sa.String(), nullable=False, server_default=""),
        sa.Column("duration_s", sa.Float(), nullable=False, server_default="0"),
        sa.Column("file", sa.String(), nullable=False, server_default=""),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_table(
        "music_asset",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("prompt", sa.String(), nullable=False),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False, server_default="0"),
        sa.Column("bpm", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("key", sa.String(), nullable=False, server_default=""),
        sa.Column("file", sa.String(), nullable=False, server_default=""),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_table(
        "generation_run",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("lecture_id", sa.String(), nullable=False, index=True),
        sa.Column("clip_id", sa.String(), nullable=False, index=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(), nullable=False, index=True),
        sa.Column("preview", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("decided_by", sa.String(), nullable=True),
    )
    op.create_table(
        "run_event",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(), nullable=False, index=True),
        sa.Column("lecture_id", sa.String(), nullable=False, index=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_table(
        "lecture_revision",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("lecture_id", sa.String(), nullable=False, index=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
    )
