"""A first look at a lecture in a SQLite database with the stdlib `sqlite3` alone — no SQLAlchemy, no
sqlmodel (~0.4 s of imports) — so the editor can draw the timeline while the store is still opening.

What it returns is **not confirmed**: the editor shows it marked so, with every action that would act on
it disabled, until the store (`core.store`, with its schema checks and migrations) loads the lecture and
replaces it. Anything unexpected — another backend, a missing file, a schema this reader does not
follow, several lectures to choose from — returns None and the editor simply waits for the store.
The file is opened read-only (`mode=ro`): nothing is created or written.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote

from .clock import as_utc
from .kinds import KINDS
from .snapshot import ClipView, LectureSnapshot, freeze_asset

log = logging.getLogger(__name__)


def sqlite_path(url: str) -> Path | None:
    """The file of a plain `sqlite:///PATH` URL; None for anything else (other backends, URIs, memory)."""
    for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
        if url.startswith(prefix):
            rest = url[len(prefix) :]
            if not rest or "?" in rest or rest.startswith(("file:", ":memory:")):
                return None
            return Path(unquote(rest)).expanduser()
    return None


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return as_utc(value)
    return as_utc(datetime.fromisoformat(str(value)))


#: Above this many clips there is no first look: building it would hold the GIL for long enough (~0.5 s
#: per 100,000 clips) to delay the first frame, which is drawn while it is read.
MAX_CLIPS = 20_000


def peek_lecture(
    url: str, lecture_ref: str | None = None, *, max_clips: int = MAX_CLIPS
) -> LectureSnapshot | None:
    """The lecture `lecture_ref` names (an id or an exact, unique title) — or the only lecture when no
    ref is given — read straight from a SQLite file; None whenever that is not simply possible (or the
    lecture has more than `max_clips` clips)."""
    path = sqlite_path(url)
    if path is None or not path.is_file():
        return None
    import sqlite3

    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=2)
    except sqlite3.Error:
        return None
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("BEGIN")  # one consistent read of lecture, clips and assets
        return _read(conn, lecture_ref, max_clips)
    except (sqlite3.Error, KeyError, ValueError, TypeError, IndexError) as exc:
        log.info("quick read skipped: %s", exc)
        return None
    finally:
        conn.close()


def _read(conn: Any, lecture_ref: str | None, max_clips: int) -> LectureSnapshot | None:
    if lecture_ref is None:
        rows = conn.execute("SELECT * FROM lecture LIMIT 2").fetchall()
    else:
        rows = conn.execute("SELECT * FROM lecture WHERE id = ?", (lecture_ref,)).fetchall() or (
            conn.execute("SELECT * FROM lecture WHERE title = ? LIMIT 2", (lecture_ref,)).fetchall()
        )
    if len(rows) != 1:
        return None
    lecture = rows[0]
    (count,) = conn.execute("SELECT count(*) FROM clip WHERE lecture_id = ?", (lecture["id"],)).fetchone()
    if count > max_clips:
        return None
    clips = tuple(
        ClipView(
            id=str(r["id"]),
            track=str(r["track"]),
            name=str(r["name"]),
            start=float(r["start"]),
            duration=float(r["duration"]),
            asset_id=str(r["asset_id"]),
        )
        for r in conn.execute("SELECT * FROM clip WHERE lecture_id = ?", (lecture["id"],))
    )
    assets: dict[str, Any] = {}
    for name, kind in KINDS.items():
        table = kind.table_name
        query = (
            f'SELECT a.* FROM "{table}" AS a WHERE a.id IN '  # noqa: S608 - table names are ours
            "(SELECT asset_id FROM clip WHERE lecture_id = ? AND track = ?)"
        )
        found = {}
        for row in conn.execute(query, (lecture["id"], kind.track)):
            data = {"id": row["id"], **{f: row[f] for f in kind.field_names}}
            data["updated_at"] = _time(row["updated_at"])
            found[row["id"]] = freeze_asset(data)
        assets[name] = MappingProxyType(found)
    return LectureSnapshot(
        id=str(lecture["id"]),
        title=str(lecture["title"]),
        summary=str(lecture["summary"] or ""),
        revision=int(lecture["revision"]),
        updated_at=_time(lecture["updated_at"]),
        clips=clips,
        assets=MappingProxyType(assets),
    )
