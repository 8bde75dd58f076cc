"""Revisions store what changed (before and after), not a copy of the lecture; who decided; batches;
the event position each live process has read (so the event log can be pruned safely).

Existing revision rows keep their `snapshot` (still readable, and the downgrade needs it) and get
`changes` computed from the snapshot before them; their `decided_by` comes from their run.

Revision ID: 0005_revision_changes
Revises: 0004_takes
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005_revision_changes"
down_revision = "0004_takes"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("lecture_revision") as batch:
        batch.add_column(sa.Column("changes", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("decided_by", sa.String(), nullable=True))
    with op.batch_alter_table("process_heartbeat") as batch:
        batch.add_column(sa.Column("event_cursor", sa.BigInteger(), nullable=True))
    op.create_table(
        "generation_batch",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("lecture_id", sa.String(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("accept", sa.Boolean(), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=True),
    )
    op.create_index("ix_generation_batch_lecture_id", "generation_batch", ["lecture_id"])
    _convert_snapshots()


def _convert_snapshots() -> None:
    from tui_editor.core.revisions import diff_exports, empty_changes

    conn = op.get_bind()
    table = sa.table(
        "lecture_revision",
        sa.column("id", sa.Integer()),
        sa.column("lecture_id", sa.String()),
        sa.column("revision", sa.Integer()),
        sa.column("run_id", sa.String()),
        sa.column("snapshot", sa.JSON()),
        sa.column("changes", sa.JSON()),
        sa.column("decided_by", sa.String()),
    )
    runs = sa.table("generation_run", sa.column("id", sa.String()), sa.column("decided_by", sa.String()))
    previous: dict[str, Any] = {}
    rows = conn.execute(
        sa.select(table.c.id, table.c.lecture_id, table.c.run_id, table.c.snapshot).order_by(
            table.c.lecture_id, table.c.revision, table.c.id
        )
    ).all()
    for row in rows:
        before = previous.get(row.lecture_id)
        changes = diff_exports(before, row.snapshot) if before and row.snapshot else empty_changes()
        decided_by = None
        if row.run_id:
            decided_by = conn.execute(sa.select(runs.c.decided_by).where(runs.c.id == row.run_id)).scalar()
        conn.execute(
            table.update().where(table.c.id == row.id).values(changes=changes, decided_by=decided_by)
        )
        if row.snapshot:
            previous[row.lecture_id] = row.snapshot


def downgrade() -> None:
    op.drop_index("ix_generation_batch_lecture_id", table_name="generation_batch")
    op.drop_table("generation_batch")
    with op.batch_alter_table("process_heartbeat") as batch:
        batch.drop_column("event_cursor")
    with op.batch_alter_table("lecture_revision") as batch:
        batch.drop_column("decided_by")
        batch.drop_column("changes")
