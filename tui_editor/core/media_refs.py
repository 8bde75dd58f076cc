"""Which media files the database refers to — the one answer the orphan sweep (`runs/sweep.py`) trusts.

A file under `media/` may be deleted only when nothing refers to it: not a current asset, not any
revision (restore points back at old files), not any run (its preview, or a take it keeps). So the
references are found generically, not by a list to keep in step with the schema:

- every text column named `file` or ending in `_file`, in every table (an asset's `file`, a run's
  `take_file`, ...), and
- every value under a key `file` or ending in `_file`, at any depth, in every JSON column (a run's
  `preview` and `request`, a revision's `snapshot` — or its stored changes).

**Extension point.** A new table or column that refers to media files needs nothing here when it follows
that naming (`take_file` on `generation_run`, a JSON `changes` column on `lecture_revision`, ...). A
reference stored any other way must be added to `EXTRA_REFERENCES`: a function from an open connection
to the paths it refers to. Tables that only record history (`run_event`) or processes are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from . import models  # noqa: F401 - defines our tables in SQLModel.metadata

#: Tables that hold no references (history and process bookkeeping).
SKIPPED_TABLES = frozenset({"run_event", "process_heartbeat", "alembic_version"})

#: Further reference sources that do not follow the naming rule (see the module docstring).
EXTRA_REFERENCES: list[Callable[[Connection], Iterable[str]]] = []


def _is_file_key(name: str) -> bool:
    return name == "file" or name.endswith("_file")


def _walk(value: Any) -> Iterator[str]:
    """Every string under a file-like key, at any depth of a decoded JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and _is_file_key(key) and isinstance(item, str):
                yield item
            else:
                yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _tables(conn: Connection) -> list[sa.Table]:
    """Our tables as the database has them now (reflected: a column another version added counts)."""
    inspector = sa.inspect(conn)
    present = set(inspector.get_table_names())
    tables = []
    for name in sorted(present - SKIPPED_TABLES):
        if name not in SQLModel.metadata.tables:
            continue
        tables.append(sa.Table(name, sa.MetaData(), autoload_with=conn))
    return tables


def references_in(conn: Connection) -> set[str]:
    """Every media path (as stored, relative to the data dir) that the database refers to."""
    found: set[str] = set()
    for table in _tables(conn):
        text_columns = [c for c in table.c if _is_file_key(c.name)]
        json_columns = [c for c in table.c if isinstance(c.type, sa.JSON)]
        if not json_columns:  # reflection on SQLite sees JSON as text: use our models' types
            model = SQLModel.metadata.tables[table.name]
            json_columns = [
                table.c[c.name] for c in model.c if isinstance(c.type, sa.JSON) and c.name in table.c
            ]
        for column in text_columns:
            query = sa.select(column).where(column.is_not(None)).distinct()
            found.update(str(v) for v in conn.execute(query).scalars() if v)
        for column in json_columns:
            query = sa.select(sa.type_coerce(column, sa.Text)).where(column.is_not(None))
            for raw in conn.execute(query).scalars():
                try:
                    decoded = json.loads(raw) if isinstance(raw, str) else raw
                except ValueError:
                    continue
                found.update(_walk(decoded))
    for extra in EXTRA_REFERENCES:
        found.update(extra(conn))
    return found
