"""Looking at a whole database, and making one write fail for real (SQLite and PostgreSQL alike)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from tui_editor.core.store import ASSET, CLIP, EVENT, LECTURE, REVISION, RUN, Store

REFUSED = "refused by the test trigger"


def dump(store: Store) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, ordered: the whole observable state of the database."""
    tables = {
        "lecture": LECTURE,
        "clip": CLIP,
        "run": RUN,
        "event": EVENT,
        "revision": REVISION,
        **{f"asset_{kind}": table for kind, table in ASSET.items()},
    }
    with store.read() as conn:
        return {
            name: [dict(r) for r in conn.execute(sa.select(t).order_by(*t.primary_key.columns)).mappings()]
            for name, t in tables.items()
        }


@contextlib.contextmanager
def run_updates_refused(store: Store, run_id: str) -> Iterator[None]:
    """A real trigger in the test's own database: every UPDATE of run `run_id` fails (the database
    raises `REFUSED`), whatever else its transaction has written before. Dropped afterwards."""
    assert re.fullmatch(r"[A-Za-z0-9_]+", run_id), run_id  # DDL takes no bound parameters
    table = RUN.name
    if store.is_postgres:
        create = [
            "CREATE FUNCTION refuse_run_update() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{REFUSED}'; END $$",
            f"CREATE TRIGGER refuse_run_update BEFORE UPDATE ON {table} FOR EACH ROW "
            f"WHEN (OLD.id = '{run_id}') EXECUTE FUNCTION refuse_run_update()",
        ]
        drop = [f"DROP TRIGGER refuse_run_update ON {table}", "DROP FUNCTION refuse_run_update()"]
    else:
        create = [
            f"CREATE TRIGGER refuse_run_update BEFORE UPDATE ON {table} "
            f"WHEN OLD.id = '{run_id}' BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END"
        ]
        drop = ["DROP TRIGGER refuse_run_update"]
    with store.write() as conn:
        for statement in create:
            conn.exec_driver_sql(statement)
    try:
        yield
    finally:
        with store.write() as conn:
            for statement in drop:
                conn.exec_driver_sql(statement)
