"""The database: lectures, assets, runs, the event log and revisions, behind one small API.

SQLAlchemy Core is used for reads and writes (fast for 10,000-clip lectures); the tables come from
`core.models`. On SQLite the file runs in WAL mode, readers take a plain transaction and writers a
`BEGIN IMMEDIATE` one, so several processes can share one database file. On PostgreSQL a commit locks
the lecture row (`FOR UPDATE`).
"""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from . import models as m
from .clock import as_utc, new_id, utcnow
from .errors import (
    BadInputError,
    ConflictError,
    DecisionError,
    NotFoundError,
    StoreError,
    TuiEditorError,
)
from .events import RunEventData, parse_event
from .exchange import snapshot_to_export
from .kinds import (
    KINDS,
    ValidationError,
    get_kind,
    kind_for_track,
    validate_clip_params,
    validate_stale_reasons,
)
from .paths import check_relative
from .revisions import (
    CLIP_FIELDS,
    REVISION_SOURCES,
    Changes,
    empty_changes,
    field_diff,
    normalise_clip_value,
    per_clip,
    walk_back,
)
from .run_move import Committed, RunMove
from .run_record import RunRecord, RunStatus
from .snapshot import ClipView, LectureSnapshot, freeze_asset
from .timing import stale_neighbours

LECTURE = m.Lecture.__table__  # type: ignore[attr-defined]
CLIP = m.Clip.__table__  # type: ignore[attr-defined]
RUN = m.GenerationRun.__table__  # type: ignore[attr-defined]
EVENT = m.RunEvent.__table__  # type: ignore[attr-defined]
REVISION = m.LectureRevision.__table__  # type: ignore[attr-defined]
HEARTBEAT = m.ProcessHeartbeat.__table__  # type: ignore[attr-defined]
ASSET: dict[str, sa.Table] = m.ASSET_TABLES

#: Sources of a commit that regenerated the clip: its stale reasons are cleared.
REGENERATED_SOURCES = ("accept", "take")
Row = Mapping[str, Any] | sa.RowMapping
#: Where a committed event goes in this process (`EventHub.publish`).
EventSink = Callable[[RunEventData], None]
NOTIFY_CHANNEL = "tui_editor_events"


def _row_asset(kind: str, row: Row) -> dict[str, Any]:
    data = {"id": row["id"]}
    for name in KINDS[kind].field_names:
        data[name] = row[name]
    data["updated_at"] = as_utc(row["updated_at"])
    return data


def _run_record(row: Row) -> RunRecord:
    return RunRecord(
        id=row["id"],
        lecture_id=row["lecture_id"],
        clip_id=row["clip_id"],
        kind=row["kind"],
        status=RunStatus(row["status"]),
        request=MappingProxyType(dict(row["request"] or {})),
        preview=MappingProxyType(dict(row["preview"])) if row["preview"] else None,
        error=row["error"],
        created_at=as_utc(row["created_at"]),
        updated_at=as_utc(row["updated_at"]),
        decided_by=row["decided_by"],
        base_revision=row["base_revision"],
        base_asset_updated_at=as_utc(row["base_asset_updated_at"]) if row["base_asset_updated_at"] else None,
        owner=row["owner"],
        seed=row["seed"],
        starred=bool(row["starred"]),
        decided_at=_aware(row["decided_at"]),
        decided_asset_updated_at=_aware(row["decided_asset_updated_at"]),
        take_file=row["take_file"],
        committed_file=row["committed_file"],
        replaced=MappingProxyType(dict(row["replaced"])) if row["replaced"] else None,
        pruned_at=_aware(row["pruned_at"]),
    )


def _aware(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def _accept_move(run_id: str, *, asset_id: str, clip_id: str | None, decided_by: str | None) -> RunMove:
    """An accept: the run waiting with its preview becomes `accepted` (its `complete` event), and keeps
    what undo needs — what the accept replaced, the committed file and when it was decided."""

    def build(committed: Committed) -> tuple[dict[str, Any], dict[str, Any]]:
        decided_at = committed.saved["updated_at"]
        payload = {"asset_id": asset_id, "revision": committed.revision, "clip_id": clip_id or ""}
        return payload, {
            "status": RunStatus.ACCEPTED,
            "decided_by": decided_by,
            "error": None,
            "decided_at": decided_at,
            "decided_asset_updated_at": decided_at,
            "replaced": _jsonable(committed.replaced),
            "committed_file": committed.saved.get("file"),
        }

    return RunMove(
        run_id=run_id,
        from_statuses=(RunStatus.PREVIEW_READY,),
        event_type="complete",
        build=build,
        refused=lambda status: DecisionError(
            f"run {run_id} is {status or 'unknown'}, not awaiting a decision"
        ),
    )


class EventListener:
    """A PostgreSQL LISTEN on the event channel: `wait` wakes when another transaction commits an event."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def wait(self, timeout: float, *, wake: socket.socket | None = None) -> bool:
        """True on a notification; False after `timeout` seconds without one, or as soon as `wake` is
        readable (how the event tail is stopped at once instead of at its next timeout)."""
        if wake is not None:
            with selectors.DefaultSelector() as selector:
                selector.register(self._conn.fileno(), selectors.EVENT_READ)
                selector.register(wake, selectors.EVENT_READ)
                ready = {key.fd for key, _ in selector.select(timeout)}
            if not ready or wake.fileno() in ready:
                return False
            timeout = 0  # the connection has data: read it without waiting again
        for _ in self._conn.notifies(timeout=timeout, stop_after=1):
            return True
        return False

    def close(self) -> None:
        self._conn.close()


class Store:
    """All database access. Thread-safe: every call takes its own connection from the pool."""

    def __init__(self, url: str, *, create: bool = True, readonly: bool = False) -> None:
        """Open the database at `url` (nothing is read or written yet, except the checks below).

        An existing SQLite file is checked to be one of ours before anything touches it (`ForeignDatabase`
        otherwise). `readonly` opens it for reading only: no folder is made, no journal mode switched,
        nothing written — for commands that only read, on a read-only disk or a full one.
        """
        self.url = url
        self.readonly = readonly
        try:
            self.engine: Engine = _make_engine(url, create=create and not readonly, readonly=readonly)
        except TuiEditorError:
            raise
        except Exception as exc:  # noqa: BLE001 - any driver/URL failure becomes one readable line
            raise StoreError(f"cannot open database {_safe_url(url)}: {_first_line(exc)}") from None
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.is_postgres = self.engine.dialect.name == "postgresql"

    # --- connections ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn, conn.begin():
                yield conn
        except (sa.exc.OperationalError, sa.exc.DatabaseError) as exc:
            raise StoreError(f"database {_safe_url(self.url)} is unavailable: {_first_line(exc)}") from None
        except ValueError as exc:
            # A stored value that cannot be decoded (a damaged file: a date or JSON that is not one) is
            # the database's problem, said in one line — not an "unexpected error".
            if type(exc) is not ValueError and not isinstance(exc, json.JSONDecodeError):
                raise
            raise StoreError(
                f"database {_safe_url(self.url)} holds a value that cannot be read: {_first_line(exc)}"
            ) from None

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction (BEGIN IMMEDIATE on SQLite): everything inside lands or nothing does."""
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(tui_write=True)
                with conn.begin():
                    yield conn
        except (sa.exc.OperationalError, sa.exc.DatabaseError) as exc:
            raise StoreError(f"database {_safe_url(self.url)} is unavailable: {_first_line(exc)}") from None

    def close(self) -> None:
        self.engine.dispose()

    def listen_for_events(self) -> EventListener:
        """PostgreSQL only: a dedicated autocommit connection LISTENing for new events."""
        import psycopg

        url = self.engine.url.set(drivername="postgresql")
        options: dict[str, Any] = dict(url.query)
        url = url.set(query={})
        conninfo = psycopg.conninfo.make_conninfo(url.render_as_string(hide_password=False), **options)
        conn = psycopg.connect(conninfo, autocommit=True, connect_timeout=5)
        conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        return EventListener(conn)

    # --- schema --------------------------------------------------------------------------------
    def schema_version(self) -> str | None:
        with self.read() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()

    def ensure_schema(self) -> None:
        """Create or upgrade the schema to the newest version (cheap when already current).

        A database that holds another application's tables, or a schema version this program does not
        know, is refused (`ForeignDatabase`) and left as it is.
        """
        version = self.schema_version()
        if version == m.SCHEMA_HEAD:
            return
        with self.read() as conn:
            tables = set(sa.inspect(conn).get_table_names())
        _check_ours(_safe_url(self.url), tables, version)
        if self.readonly:
            raise StoreError(
                f"database {_safe_url(self.url)} needs an upgrade (schema {version or 'none'}), "
                "which a read-only open cannot do; run a command that writes, such as `tui-editor runs`"
            )
        self.migrate(m.SCHEMA_HEAD)

    def migrate(self, target: str = "head") -> None:
        from .migrations import upgrade  # deferred: alembic costs ~100 ms to import

        try:
            with self.write() as conn:
                if self.is_postgres:
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(74201)"))
                upgrade(conn, target)
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"cannot upgrade database {_safe_url(self.url)}: {_first_line(exc)}") from None

    # --- lectures ------------------------------------------------------------------------------
    def list_lectures(self) -> list[dict[str, Any]]:
        counts = (
            sa.select(CLIP.c.lecture_id, sa.func.count().label("clips"))
            .group_by(CLIP.c.lecture_id)
            .subquery()
        )
        query = (
            sa.select(LECTURE.c.id, LECTURE.c.title, LECTURE.c.revision, counts.c.clips)
            .select_from(LECTURE.outerjoin(counts, counts.c.lecture_id == LECTURE.c.id))
            .order_by(LECTURE.c.title, LECTURE.c.id)
        )
        with self.read() as conn:
            return [
                {"id": r.id, "title": r.title, "revision": r.revision, "clips": int(r.clips or 0)}
                for r in conn.execute(query)
            ]

    def resolve_lecture(self, ref: str) -> str:
        """A lecture id from an id or an exact title; a clear error when none or several match."""
        with self.read() as conn:
            if conn.execute(sa.select(LECTURE.c.id).where(LECTURE.c.id == ref)).first():
                return ref
            ids: list[str] = [
                r.id for r in conn.execute(sa.select(LECTURE.c.id).where(LECTURE.c.title == ref))
            ]
        if not ids:
            raise NotFoundError(f"no lecture with id or title {ref!r}")
        if len(ids) > 1:
            raise BadInputError(f"several lectures are titled {ref!r}; use an id: {', '.join(ids)}")
        return ids[0]

    def resolve_clip(self, lecture_id: str, ref: str) -> ClipView:
        with self.read() as conn:
            rows = (
                conn.execute(sa.select(CLIP).where(CLIP.c.lecture_id == lecture_id, CLIP.c.id == ref))
                .mappings()
                .all()
                or conn.execute(sa.select(CLIP).where(CLIP.c.lecture_id == lecture_id, CLIP.c.name == ref))
                .mappings()
                .all()
            )
        if not rows:
            raise NotFoundError(f"no clip with id or name {ref!r} in lecture {lecture_id}")
        if len(rows) > 1:
            raise BadInputError(
                f"several clips are named {ref!r}; use an id: {', '.join(r['id'] for r in rows)}"
            )
        return _clip_view(rows[0])

    def load_snapshot(self, lecture_id: str) -> LectureSnapshot:
        with self.read() as conn:
            return self._load_snapshot(conn, lecture_id)

    def _load_snapshot(self, conn: Connection, lecture_id: str) -> LectureSnapshot:
        lecture = conn.execute(sa.select(LECTURE).where(LECTURE.c.id == lecture_id)).mappings().first()
        if lecture is None:
            raise NotFoundError(f"no lecture with id {lecture_id!r}")
        clip_rows = conn.execute(sa.select(CLIP).where(CLIP.c.lecture_id == lecture_id)).mappings().all()
        clips = tuple(_clip_view(r) for r in clip_rows)
        assets: dict[str, Mapping[str, Mapping[str, Any]]] = {}
        for kind, table in ASSET.items():
            ids = sa.select(CLIP.c.asset_id).where(
                CLIP.c.lecture_id == lecture_id, CLIP.c.track == KINDS[kind].track
            )
            rows = conn.execute(sa.select(table).where(table.c.id.in_(ids))).mappings()
            assets[kind] = MappingProxyType({r["id"]: freeze_asset(_row_asset(kind, r)) for r in rows})
        return LectureSnapshot(
            id=lecture["id"],
            title=lecture["title"],
            summary=lecture["summary"],
            revision=lecture["revision"],
            updated_at=as_utc(lecture["updated_at"]),
            clips=clips,
            assets=MappingProxyType(assets),
        )

    def lecture_revision(self, lecture_id: str) -> int:
        with self.read() as conn:
            value = conn.execute(sa.select(LECTURE.c.revision).where(LECTURE.c.id == lecture_id)).scalar()
        if value is None:
            raise NotFoundError(f"no lecture with id {lecture_id!r}")
        return int(value)

    def export_lecture(self, lecture_id: str) -> dict[str, Any]:
        return snapshot_to_export(self.load_snapshot(lecture_id))

    def create_lecture(
        self, lecture: Mapping[str, Any], *, source: str = "import", keep_ids: bool = False
    ) -> str:
        """Insert a validated lecture (see `core.exchange.validate_lecture`) in one transaction.

        Lecture, clip and asset ids are new unless `keep_ids` (the demo names its files by asset id).
        Returns the lecture id. Either all of it lands or none of it does.
        """
        now = utcnow()
        lecture_id = lecture["id"] if keep_ids else new_id("lec")
        asset_ids: dict[tuple[str, str], str] = {}
        with self.write() as conn:
            conn.execute(
                LECTURE.insert().values(
                    id=lecture_id,
                    title=lecture["title"],
                    summary=lecture.get("summary", ""),
                    revision=1,
                    updated_at=now,
                )
            )
            for kind in KINDS:
                rows = []
                for asset in lecture["assets"].get(kind, []):
                    fresh = asset["id"] if keep_ids else new_id(kind[:3])
                    asset_ids[(kind, asset["id"])] = fresh
                    row = {name: asset.get(name) for name in KINDS[kind].field_names}
                    row = {k: v for k, v in row.items() if v is not None}
                    row.update(id=fresh, updated_at=asset.get("updated_at") or now)
                    rows.append(row)
                if rows:
                    conn.execute(ASSET[kind].insert(), rows)
            clip_rows = []
            for clip in lecture["clips"]:
                clip_kind = kind_for_track(clip["track"])
                clip_rows.append(
                    {
                        "id": clip["id"] if keep_ids else new_id("clip"),
                        "lecture_id": lecture_id,
                        "track": clip["track"],
                        "name": clip["name"],
                        "start": clip["start"],
                        "duration": clip["duration"],
                        "asset_id": asset_ids[(clip_kind.name, clip["asset_id"])],
                        "stale": list(clip.get("stale") or ()) or None,
                        "params": dict(clip.get("params") or {}) or None,
                    }
                )
            if clip_rows:
                conn.execute(CLIP.insert(), clip_rows)
            self._insert_revision(conn, lecture_id, 1, empty_changes(), source=source, run_id=None)
        return lecture_id

    # --- the one commit path ----------------------------------------------------------------------
    def commit_asset(
        self,
        *,
        lecture_id: str,
        kind: str,
        asset_id: str,
        fields: Mapping[str, Any],
        base_revision: int,
        base_asset_updated_at: datetime | None = None,
        run_id: str | None = None,
        source: str = "accept",
        decided_by: str | None = None,
        clip_id: str | None = None,
        run_move: RunMove | None = None,
    ) -> tuple[int, dict[str, Any], RunEventData | None]:
        """Commit new fields for one asset: asset, lecture revision +1, a revision row and a run's move
        with its event — in one transaction.

        The run: `run_id` is the run whose preview is being accepted (the revision row names it): it
        becomes `accepted` with its `complete` event and what undo needs (what the accept replaced, the
        committed file, when it was decided). Or `run_move` moves another run (an undo reopens the run,
        a take restore records its file); see `core.run_move`. A run no longer where the move expects
        it raises the move's error (a `DecisionError` for an accept) and nothing is written.

        The change must be based on the lecture's current revision. When the lecture has moved on since
        `base_revision`, the commit still lands if `base_asset_updated_at` shows that this asset itself
        was not changed in between (someone else's accept on another clip is not a conflict); otherwise
        `ConflictError` is raised and nothing is written. Returns (new revision, saved asset, the run's
        stored event or None) — the caller publishes the event once this has returned.
        """
        if run_id is not None and run_move is not None:
            raise ValueError("commit_asset: an accept (run_id) or a run_move, not both")
        if run_id is not None:
            run_move = _accept_move(run_id, asset_id=asset_id, clip_id=clip_id, decided_by=decided_by)
        spec = get_kind(kind)
        clean = spec.validate_asset(fields, partial=True)
        clean.pop("id", None)
        clean.pop("updated_at", None)
        if clean.get("file"):  # a committed asset never points outside the data dir
            check_relative(clean["file"], "file")
        table = ASSET[kind]
        with self.write() as conn:
            current = self.lock_revision(conn, lecture_id)
            asset_row = conn.execute(sa.select(table).where(table.c.id == asset_id)).mappings().first()
            if asset_row is None:
                raise NotFoundError(f"no {kind} asset with id {asset_id!r}")
            # A run moved meanwhile (a racing accept, a second undo) is the move's error, not a conflict.
            if run_move is not None:
                status_query = sa.select(RUN.c.status).where(RUN.c.id == run_move.run_id)
                if self.is_postgres:  # a concurrent decision must finish first, then we see it
                    status_query = status_query.with_for_update()
                status = conn.execute(status_query).scalar()
                if status not in run_move.from_statuses:
                    raise run_move.refused(status)
            if current != base_revision:
                unchanged = base_asset_updated_at is not None and as_utc(asset_row["updated_at"]) == as_utc(
                    base_asset_updated_at
                )
                if not unchanged:
                    raise ConflictError(
                        f"lecture {lecture_id} changed since revision {base_revision} (now {current}); "
                        "nothing was saved — review the latest version and try again"
                    )
            now = utcnow()
            revision = int(current) + 1
            before, after = field_diff(dict(asset_row), clean, spec.field_names)
            conn.execute(table.update().where(table.c.id == asset_id).values(**clean, updated_at=now))
            users = self._clip_rows(conn, lecture_id, asset_ids=[asset_id], track=spec.track)
            changes = empty_changes()
            if after:
                changes["assets"].append(
                    {
                        "kind": kind,
                        "id": asset_id,
                        "clip_ids": sorted(c["id"] for c in users),
                        "before": before,
                        "after": after,
                    }
                )
            clips = {c["id"]: c for c in users}
            stale: dict[str, dict[str, Any]] = {}
            if source in REGENERATED_SOURCES:  # regenerated and accepted: no longer stale
                for clip in users:
                    if (clip_id is None or clip["id"] == clip_id) and clip["stale"]:
                        stale[clip["id"]] = {"stale": []}
            seconds = spec.audio_seconds_field
            if spec.sets_timing and seconds in after:
                reason = f"{spec.label.lower()} changed at rev {revision}"
                for clip in users:
                    start = float(clip["start"])
                    end = start + max(
                        float(clip["duration"]), before.get(seconds) or 0.0, after[seconds] or 0.0
                    )
                    nearby = self._clip_rows(conn, lecture_id, span=(start, end))
                    clips.update((c["id"], c) for c in nearby)
                    for other in stale_neighbours(clip, before.get(seconds), after[seconds], nearby):
                        reasons = [r for r in clips[other]["stale"] or () if r != reason]
                        stale[other] = {"stale": [*reasons, reason]}
            changes["clips"] = self._write_clip_changes(conn, list(clips.values()), stale)
            conn.execute(
                LECTURE.update().where(LECTURE.c.id == lecture_id).values(revision=revision, updated_at=now)
            )
            self._insert_revision(
                conn, lecture_id, revision, changes, source=source, run_id=run_id, decided_by=decided_by
            )
            saved = dict(_row_asset(kind, {**asset_row, **clean, "updated_at": now}))
            event: RunEventData | None = None
            if run_move is not None:
                replaced = _row_asset(kind, asset_row)
                del replaced["id"], replaced["updated_at"]
                payload, values = run_move.build(Committed(revision=revision, replaced=replaced, saved=saved))
                if not self.update_run_if(
                    conn, run_move.run_id, run_move.from_statuses, **{"updated_at": now, **values}
                ):
                    raise run_move.refused(conn.execute(status_query).scalar())  # rolls it all back
                event = self._append_event(
                    conn,
                    RunEventData(
                        run_id=run_move.run_id,
                        lecture_id=lecture_id,
                        kind=kind,
                        type=run_move.event_type,
                        payload=payload,
                        created_at=now,
                    ),
                )
        return revision, saved, event

    # --- revisions as changes ---------------------------------------------------------------------
    def _clip_rows(
        self,
        conn: Connection,
        lecture_id: str,
        *,
        ids: Collection[str] | None = None,
        asset_ids: Collection[str] | None = None,
        track: str | None = None,
        span: tuple[float, float] | None = None,
    ) -> list[dict[str, Any]]:
        """Some of the lecture's clips as plain rows (every column): those with these ids, or using these
        assets (on `track`), or overlapping `span` (start, end); all of them when nothing is given."""
        query = sa.select(CLIP).where(CLIP.c.lecture_id == lecture_id)
        if track is not None:
            query = query.where(CLIP.c.track == track)
        if span is not None:
            query = query.where(CLIP.c.start < span[1], CLIP.c.start + CLIP.c.duration > span[0])
        keys = ids if ids is not None else asset_ids
        if keys is None:
            return [dict(r) for r in conn.execute(query).mappings()]
        column = CLIP.c.id if ids is not None else CLIP.c.asset_id
        wanted = sorted(set(keys))
        if len(wanted) > 2000:  # most of the lecture (a retime): one scan beats many IN lists
            keep = set(wanted)
            key = "id" if ids is not None else "asset_id"
            return [dict(r) for r in conn.execute(query).mappings() if r[key] in keep]
        rows: list[dict[str, Any]] = []
        for i in range(0, len(wanted), 500):  # bounded IN lists
            chunk = query.where(column.in_(wanted[i : i + 500]))
            rows.extend(dict(r) for r in conn.execute(chunk).mappings())
        return rows

    def _write_clip_changes(
        self, conn: Connection, clips: list[dict[str, Any]], updates: Mapping[str, Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """Write clip field changes (already validated); returns the revision's clip entries (only the
        fields whose value really changed)."""
        by_id = {c["id"]: c for c in clips}
        entries: list[dict[str, Any]] = []
        batches: dict[tuple[str, ...], list[dict[str, Any]]] = {}  # one executemany per set of fields
        for clip_id in sorted(updates):
            row = by_id[clip_id]
            current = {n: normalise_clip_value(n, row[n]) for n in CLIP_FIELDS}
            wanted = {n: normalise_clip_value(n, v) for n, v in updates[clip_id].items()}
            before, after = field_diff(current, wanted, CLIP_FIELDS)
            if not after:
                continue
            values = {n: (v or None) if n in ("stale", "params") else v for n, v in after.items()}
            batches.setdefault(tuple(sorted(values)), []).append(
                {"b_id": clip_id, **{f"b_{n}": v for n, v in values.items()}}
            )
            row.update(values)
            entries.append({"id": clip_id, "track": row["track"], "before": before, "after": after})
        for names, params in batches.items():
            statement = (
                CLIP.update()
                .where(CLIP.c.id == sa.bindparam("b_id"))
                .values({n: sa.bindparam(f"b_{n}", type_=CLIP.c[n].type) for n in names})
            )
            conn.execute(statement, params)
        return entries

    def _insert_revision(
        self,
        conn: Connection,
        lecture_id: str,
        revision: int,
        changes: Changes,
        *,
        source: str,
        run_id: str | None,
        decided_by: str | None = None,
    ) -> None:
        if source not in REVISION_SOURCES:
            raise ValueError(f"unknown revision source {source!r}")
        conn.execute(
            REVISION.insert().values(
                lecture_id=lecture_id,
                revision=revision,
                source=source,
                run_id=run_id,
                snapshot=None,
                changes=changes,  # plain JSON values already (fields of assets and clips)
                decided_by=decided_by,
                created_at=utcnow(),
            )
        )

    def _revise_lecture(
        self,
        conn: Connection,
        lecture_id: str,
        revision: int,
        changes: Changes,
        *,
        source: str,
        decided_by: str | None,
        now: datetime,
    ) -> RunEventData:
        """The end of every revision made without a run (retime, restore, clear-stale): the lecture at
        `revision`, its revision row and the `revised` event that tells other processes — all in the
        caller's transaction, so the event can be neither lost nor seen before the change. Returns the
        stored event (the caller publishes it after commit)."""
        conn.execute(
            LECTURE.update().where(LECTURE.c.id == lecture_id).values(revision=revision, updated_at=now)
        )
        self._insert_revision(
            conn, lecture_id, revision, changes, source=source, run_id=None, decided_by=decided_by
        )
        return self._append_event(
            conn,
            RunEventData(
                run_id="",
                lecture_id=lecture_id,
                kind="",
                type="revised",
                payload={"revision": revision, "source": source},
                created_at=now,
            ),
        )

    def lock_revision(self, conn: Connection, lecture_id: str) -> int:
        """The lecture's current revision, its row locked (PostgreSQL) against concurrent commits."""
        query = sa.select(LECTURE.c.revision).where(LECTURE.c.id == lecture_id)
        if self.is_postgres:
            query = query.with_for_update()
        current = conn.execute(query).scalar()
        if current is None:
            raise NotFoundError(f"no lecture with id {lecture_id!r}")
        return int(current)

    def change_clips(
        self,
        lecture_id: str,
        updates: Mapping[str, Mapping[str, Any]],
        *,
        source: str = "edit",
        base_revision: int | None = None,
        decided_by: str | None = None,
        publish: EventSink | None = None,
    ) -> int:
        """The one clip-change path: set clip fields (`name`, `start`, `duration`, `stale`, `params`) of
        any number of clips in one new revision, announced by a `revised` event in the same transaction
        (`publish` gets it once committed: the process's hub). Returns the new revision (the current one
        when nothing changed: then nothing is written).

        Values are checked first (`BadInputError` names the clip and field). With `base_revision`, a
        lecture that moved on since then raises `ConflictError` and nothing is written.
        """
        clean = {clip_id: _clean_clip_fields(clip_id, fields) for clip_id, fields in updates.items()}
        with self.write() as conn:
            current = self.lock_revision(conn, lecture_id)
            if base_revision is not None and current != base_revision:
                raise ConflictError(
                    f"lecture {lecture_id} changed since revision {base_revision} (now {current}); "
                    "nothing was saved — try again on the latest version"
                )
            clips = self._clip_rows(conn, lecture_id, ids=list(clean))
            known = {c["id"] for c in clips}
            missing = sorted(set(clean) - known)
            if missing:
                raise NotFoundError(f"no clip with id {missing[0]!r} in lecture {lecture_id}")
            changes = empty_changes()
            changes["clips"] = self._write_clip_changes(conn, clips, clean)
            if not changes["clips"]:
                return current
            revision = current + 1
            event = self._revise_lecture(
                conn, lecture_id, revision, changes, source=source, decided_by=decided_by, now=utcnow()
            )
        if publish is not None:
            publish(event)
        return revision

    def _later_changes(
        self, conn: Connection, lecture_id: str, after: int
    ) -> list[tuple[int, dict[str, Any]]]:
        """[(revision, changes)] of every revision newer than `after`, newest first."""
        rows = conn.execute(
            sa.select(REVISION.c.revision, REVISION.c.changes)
            .where(REVISION.c.lecture_id == lecture_id, REVISION.c.revision > after)
            .order_by(REVISION.c.revision.desc(), REVISION.c.id.desc())
        )
        return [(int(r.revision), dict(r.changes or {})) for r in rows]

    def restore_revision(
        self,
        lecture_id: str,
        revision: int,
        *,
        decided_by: str | None = None,
        publish: EventSink | None = None,
    ) -> int:
        """Put every asset and clip back as it was at `revision` (a new revision, source "restore",
        announced by a `revised` event in the same transaction; `publish` gets it once committed).

        The state at `revision` is the current one with the `before` side of every later revision
        applied, newest first; only what those revisions touched is read and written. Committed media
        files are never overwritten, so the old files are still there to point at.
        """
        with self.write() as conn:
            current = self.lock_revision(conn, lecture_id)
            exists = conn.execute(
                sa.select(REVISION.c.id).where(
                    REVISION.c.lecture_id == lecture_id, REVISION.c.revision == revision
                )
            ).first()
            if exists is None:
                raise NotFoundError(f"lecture {lecture_id} has no revision {revision}")
            asset_values: dict[tuple[str, str], dict[str, Any]] = {}
            clip_values: dict[str, dict[str, Any]] = {}
            for _rev, changes in self._later_changes(conn, lecture_id, revision):
                for entry in changes.get("assets", ()):
                    asset_values.setdefault((entry["kind"], entry["id"]), {}).update(entry["before"])
                for entry in changes.get("clips", ()):
                    clip_values.setdefault(entry["id"], {}).update(entry["before"])
            now = utcnow()
            new_revision = current + 1
            result = empty_changes()
            users: dict[tuple[str, str], list[str]] = {}
            for clip in self._clip_rows(conn, lecture_id, asset_ids=[a for _k, a in asset_values]):
                users.setdefault((kind_for_track(clip["track"]).name, clip["asset_id"]), []).append(
                    clip["id"]
                )
            clips = self._clip_rows(conn, lecture_id, ids=list(clip_values))
            for (kind, asset_id), wanted in sorted(asset_values.items()):
                table = ASSET[kind]
                row = conn.execute(sa.select(table).where(table.c.id == asset_id)).mappings().first()
                if row is None:
                    continue
                before, after = field_diff(dict(row), wanted, KINDS[kind].field_names)
                if not after:
                    continue
                conn.execute(table.update().where(table.c.id == asset_id).values(**after, updated_at=now))
                result["assets"].append(
                    {
                        "kind": kind,
                        "id": asset_id,
                        "clip_ids": sorted(users.get((kind, asset_id), [])),
                        "before": before,
                        "after": after,
                    }
                )
            known = {c["id"] for c in clips}
            result["clips"] = self._write_clip_changes(
                conn, clips, {k: v for k, v in clip_values.items() if k in known}
            )
            event = self._revise_lecture(
                conn, lecture_id, new_revision, result, source="restore", decided_by=decided_by, now=now
            )
        if publish is not None:
            publish(event)
        return new_revision

    def revision_states(self, lecture_id: str) -> list[tuple[dict[str, Any], LectureSnapshot]]:
        """Every revision's row (revision, source, run_id, decided_by, created_at, changes) with the
        lecture as it was at that revision, newest first (one read: the current lecture, walked back)."""
        with self.read() as conn:
            snapshot = self._load_snapshot(conn, lecture_id)
            rows = [dict(r) for r in conn.execute(_revision_rows(lecture_id)).mappings()]
        newest: dict[int, dict[str, Any]] = {}
        for row in rows:  # one row per revision number (the newest written)
            newest.setdefault(int(row["revision"]), row)
        ordered = [newest[r] for r in sorted(newest, reverse=True) if r <= snapshot.revision]
        states: dict[int, LectureSnapshot] = {snapshot.revision: snapshot}
        later = [(int(r["revision"]), dict(r["changes"] or {})) for r in ordered]
        for revision, state in walk_back(snapshot, later):
            states[revision] = state
        return [(row, states[int(row["revision"])]) for row in ordered if int(row["revision"]) in states]

    def list_revisions(self, lecture_id: str) -> list[dict[str, Any]]:
        """Newest first: `{revision, source, run_id, decided_by, created_at, changes}` where `changes`
        is `[{clip_id, kind, fields: {name: {before, after}}}]` (`core.revisions.per_clip`)."""
        query = _revision_rows(lecture_id)
        with self.read() as conn:
            return [
                {
                    "revision": r.revision,
                    "source": r.source,
                    "run_id": r.run_id,
                    "decided_by": r.decided_by,
                    "created_at": as_utc(r.created_at).isoformat(),
                    "changes": per_clip(r.changes),
                }
                for r in conn.execute(query)
            ]

    def get_clip(self, clip_id: str) -> tuple[str, ClipView]:
        """(lecture id, clip) for a clip id."""
        with self.read() as conn:
            row = conn.execute(sa.select(CLIP).where(CLIP.c.id == clip_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"no clip with id {clip_id!r}")
        return row["lecture_id"], _clip_view(row)

    def get_asset(self, kind: str, asset_id: str) -> dict[str, Any]:
        table = ASSET[get_kind(kind).name]
        with self.read() as conn:
            row = conn.execute(sa.select(table).where(table.c.id == asset_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"no {kind} asset with id {asset_id!r}")
        return _row_asset(kind, row)

    # --- runs ----------------------------------------------------------------------------------
    def insert_run(self, conn: Connection, **values: Any) -> None:
        conn.execute(RUN.insert().values(**values))

    def create_run(self, status_payload: Mapping[str, Any], **values: Any) -> RunEventData:
        """Insert a run (`values` are its columns) and its first `status` event in one transaction."""
        with self.write() as conn:
            self.insert_run(conn, **values)
            return self._append_event(
                conn,
                RunEventData(
                    run_id=values["id"],
                    lecture_id=values["lecture_id"],
                    kind=values["kind"],
                    type="status",
                    payload=dict(status_payload),
                ),
            )

    def update_run_if(self, conn: Connection, run_id: str, statuses: Collection[str], **values: Any) -> bool:
        """Move a run only if it is still in one of `statuses` (a compare-and-set); True if it moved."""
        values.setdefault("updated_at", utcnow())
        result = conn.execute(
            RUN.update().where(RUN.c.id == run_id, RUN.c.status.in_(list(statuses))).values(**values)
        )
        return bool(result.rowcount)

    def transition_run(
        self,
        run: RunRecord,
        from_statuses: Collection[str],
        event_type: str,
        payload: Mapping[str, Any],
        **values: Any,
    ) -> RunEventData | None:
        """Compare-and-set a run out of `from_statuses` (setting `values`) and append its event, in one
        transaction: two processes, or a late generator and a cancel, can never both win.

        Returns the stored event, or None (nothing written) when the run was no longer in `from_statuses`.
        """
        with self.write() as conn:
            if not self.update_run_if(conn, run.id, from_statuses, **values):
                return None
            return self._append_event(
                conn,
                RunEventData(
                    run_id=run.id, lecture_id=run.lecture_id, kind=run.kind, type=event_type, payload=payload
                ),
            )

    def get_run(self, run_id: str, conn: Connection | None = None) -> RunRecord:
        if conn is None:
            with self.read() as own:
                return self.get_run(run_id, own)
        row = conn.execute(sa.select(RUN).where(RUN.c.id == run_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"no run with id {run_id!r}")
        return _run_record(row)

    def list_runs(
        self,
        *,
        lecture_id: str | None = None,
        clip_id: str | None = None,
        statuses: Collection[str] | None = None,
        owner: str | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        query = sa.select(RUN).order_by(RUN.c.created_at.desc(), RUN.c.id)
        if lecture_id is not None:
            query = query.where(RUN.c.lecture_id == lecture_id)
        if clip_id is not None:
            query = query.where(RUN.c.clip_id == clip_id)
        if statuses:
            query = query.where(RUN.c.status.in_(list(statuses)))
        if owner is not None:
            query = query.where(RUN.c.owner == owner)
        if limit is not None:
            query = query.limit(limit)
        with self.read() as conn:
            return [_run_record(r) for r in conn.execute(query).mappings()]

    # --- events --------------------------------------------------------------------------------
    def append_event(self, conn: Connection, event: RunEventData) -> RunEventData:
        return self._append_event(conn, event)

    def _append_event(self, conn: Connection, event: RunEventData) -> RunEventData:
        checked = parse_event(event.to_json() | {"id": None})
        if self.is_postgres:
            # Ids come from a sequence at insert time but rows become visible at commit. Serialising
            # event writers until commit makes id order equal commit order, so a tail that has read
            # id N can never later find a smaller id appear (it would skip it for good).
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(74202)"))
        result = conn.execute(
            EVENT.insert().values(
                run_id=checked.run_id,
                lecture_id=checked.lecture_id,
                kind=checked.kind,
                type=checked.type,
                payload=_jsonable(dict(event.payload)),
                created_at=checked.created_at,
            )
        )
        event_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
        if self.is_postgres:  # wakes LISTENing tails in other processes when this transaction commits
            conn.execute(
                sa.text("SELECT pg_notify(:channel, :payload)"),
                {"channel": NOTIFY_CHANNEL, "payload": str(event_id)},
            )
        return RunEventData(
            run_id=checked.run_id,
            lecture_id=checked.lecture_id,
            kind=checked.kind,
            type=checked.type,
            payload=event.payload,
            created_at=checked.created_at,
            id=event_id,
        )

    def last_event_id(self) -> int:
        with self.read() as conn:
            return int(conn.execute(sa.select(sa.func.max(EVENT.c.id))).scalar() or 0)

    def raw_events_after(self, last_id: int, *, limit: int = 500) -> list[dict[str, Any]]:
        """Stored events newer than `last_id`, oldest first, unvalidated (the caller validates each).

        `payload` and `created_at` are decoded row by row, and a value that cannot be decoded is passed
        on as stored: one malformed row must fail only its own validation, never the whole batch (a
        batch that always fails would stop every later event from reaching a tail).
        """
        raw = {"payload", "created_at"}
        columns = [sa.type_coerce(c, sa.Text).label(c.name) if c.name in raw else c for c in EVENT.c]
        query = sa.select(*columns).where(EVENT.c.id > last_id).order_by(EVENT.c.id).limit(limit)
        with self.read() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
        for row in rows:
            if isinstance(row["payload"], str):
                with contextlib.suppress(ValueError):
                    row["payload"] = json.loads(row["payload"])
            if isinstance(row["created_at"], str):
                with contextlib.suppress(ValueError):
                    row["created_at"] = datetime.fromisoformat(row["created_at"])
            if isinstance(row["created_at"], datetime):
                row["created_at"] = as_utc(row["created_at"])
        return rows

    def events_for_run(self, run_id: str) -> list[RunEventData]:
        query = sa.select(EVENT).where(EVENT.c.run_id == run_id).order_by(EVENT.c.id)
        with self.read() as conn:
            return [parse_event(dict(r)) for r in conn.execute(query).mappings()]

    # --- heartbeats ----------------------------------------------------------------------------
    def beat(self, process_id: str, *, host: str = "", pid: int = 0, event_cursor: int | None = None) -> None:
        """Record that a process is alive, and (`event_cursor`) the newest event id its tail has read."""
        now = utcnow()
        with self.write() as conn:
            updated = conn.execute(
                HEARTBEAT.update()
                .where(HEARTBEAT.c.id == process_id)
                .values(seen_at=now, event_cursor=event_cursor)
            ).rowcount
            if not updated:
                conn.execute(
                    HEARTBEAT.insert().values(
                        id=process_id,
                        host=host,
                        pid=pid,
                        started_at=now,
                        seen_at=now,
                        event_cursor=event_cursor,
                    )
                )

    def prune_events(self, *, older_than: datetime, live_since: datetime) -> int:
        """Delete events created before `older_than` that every live tail has read; returns how many.

        The rule: a process whose heartbeat was seen since `live_since` is live; its `event_cursor` is
        the newest event id its tail had read at its last beat (None: it tails nothing). No event newer
        than the smallest live cursor is deleted, whatever its age. A tail only ever reads events newer
        than the log's end when it started, so a process that has not reported a cursor yet has nothing
        older to read.
        """
        with self.write() as conn:
            cursors = conn.execute(
                sa.select(sa.func.min(HEARTBEAT.c.event_cursor)).where(
                    HEARTBEAT.c.seen_at >= live_since, HEARTBEAT.c.event_cursor.is_not(None)
                )
            ).scalar()
            query = EVENT.delete().where(EVENT.c.created_at < older_than)
            if cursors is not None:
                query = query.where(EVENT.c.id <= int(cursors))
            return int(conn.execute(query).rowcount or 0)

    def forget_process(self, process_id: str) -> None:
        with self.write() as conn:
            conn.execute(HEARTBEAT.delete().where(HEARTBEAT.c.id == process_id))

    def heartbeats(self) -> list[dict[str, Any]]:
        with self.read() as conn:
            return [
                {
                    "id": r.id,
                    "host": r.host,
                    "pid": r.pid,
                    "seen_at": as_utc(r.seen_at),
                    "event_cursor": r.event_cursor,
                }
                for r in conn.execute(sa.select(HEARTBEAT))
            ]


def _clean_clip_fields(clip_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A clip change's fields checked: known names, finite non-negative times, valid stale and params."""
    clean: dict[str, Any] = {}
    for name, value in fields.items():
        where = f"clip {clip_id}: {name}"
        if name not in CLIP_FIELDS:
            raise BadInputError(f"{where}: not a clip field (one of {', '.join(CLIP_FIELDS)})")
        try:
            if name == "name":
                if not isinstance(value, str) or not value.strip():
                    raise ValidationError("expected non-empty text")
                clean[name] = value
            elif name in ("start", "duration"):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValidationError("expected a number")
                if not (0 <= float(value) < float("inf")):
                    raise ValidationError("must be a finite number ≥ 0")
                clean[name] = float(value)
            elif name == "stale":
                reasons = [] if value is None else list(value) if isinstance(value, list | tuple) else value
                clean[name] = list(validate_stale_reasons(reasons))
            else:
                clean[name] = validate_clip_params({} if value is None else value)
        except ValidationError as exc:
            raise BadInputError(f"{where}: {exc}") from None
    return clean


def _revision_rows(lecture_id: str) -> sa.Select[Any]:
    """A lecture's revision rows (without the old snapshot copies), newest first."""
    return (
        sa.select(
            REVISION.c.revision,
            REVISION.c.source,
            REVISION.c.run_id,
            REVISION.c.decided_by,
            REVISION.c.created_at,
            REVISION.c.changes,
        )
        .where(REVISION.c.lecture_id == lecture_id)
        .order_by(REVISION.c.revision.desc(), REVISION.c.id.desc())
    )


def _clip_view(row: Row) -> ClipView:
    return ClipView(
        id=row["id"],
        track=row["track"],
        name=row["name"],
        start=float(row["start"]),
        duration=float(row["duration"]),
        asset_id=row["asset_id"],
        stale=tuple(row["stale"] or ()),
        params=MappingProxyType(dict(row["params"] or {})),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _safe_url(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return "(unparseable URL)"


def _switch_to_wal(cursor: Any) -> None:
    """`PRAGMA journal_mode=WAL`, waiting out other connections that are switching the same new file.

    SQLite answers "database is locked" at once here, without its busy handler, while another connection
    holds the lock the switch needs (several processes opening one fresh database together).
    """
    import sqlite3
    import time

    deadline = time.monotonic() + 30
    delay = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)


class ForeignDatabase(BadInputError):
    """The database belongs to another application (or a newer tui-editor): refused, left untouched."""


def known_schema_versions() -> frozenset[str]:
    """Every schema revision this program knows (the migration scripts' names), without importing
    Alembic."""
    versions = Path(__file__).parent / "migrations" / "versions"
    return frozenset(p.stem for p in versions.glob("*.py") if not p.stem.startswith("_"))


#: Tables SQLite and PostgreSQL keep for themselves.
_INTERNAL_TABLES = frozenset({"sqlite_sequence", "sqlite_stat1", "sqlite_stat4"})


def _check_ours(where: str, tables: Collection[str], version: str | None) -> None:
    """Raise `ForeignDatabase` unless the tables and schema version are ours (or there are none yet)."""
    user_tables = sorted(set(tables) - _INTERNAL_TABLES)
    if version is not None and version not in known_schema_versions():
        raise ForeignDatabase(
            f"database {where} has schema version {version!r}, which this tui-editor does not know "
            "(another application's database, or one made by a newer tui-editor); it was left untouched"
        )
    if version is None and user_tables:
        shown = ", ".join(user_tables[:5]) + (", …" if len(user_tables) > 5 else "")
        raise ForeignDatabase(
            f"database {where} is not a tui-editor database (it holds other tables: {shown}); "
            "it was left untouched — point --db or --data-dir elsewhere"
        )


def _sqlite_connect(path: Path, *, readonly: bool, immutable: bool = False) -> Any:
    import sqlite3

    if not readonly:
        return sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    uri = path.absolute().as_uri() + "?mode=ro" + ("&immutable=1" if immutable else "")
    return sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)


def _probe_sqlite(path: Path) -> bool:
    """Check an existing SQLite file before anything writes to it: is it ours? Returns whether it can be
    read in place (False: only as an immutable file — a read-only folder, or a disk too full for its
    shared-memory file).

    Reads only: a foreign or corrupt file is refused exactly as it was found.
    """
    import sqlite3

    where = str(path)

    def tables_and_version(conn: Any) -> tuple[list[str], str | None]:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        version = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            version = row[0] if row else None
        return tables, version

    in_place = True
    try:
        conn = _sqlite_connect(path, readonly=True)
        try:
            found = tables_and_version(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        text = _first_line(exc)
        # A WAL database in a folder we cannot write (or on a full disk) cannot get its shared-memory
        # file; with no unsaved changes waiting in its -wal file it can still be read as immutable.
        if not ("unable to open" in text or "disk I/O" in text or "readonly" in text):
            raise StoreError(f"cannot open database {where}: {text}") from None
        wal = path.with_name(path.name + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise StoreError(
                f"cannot open database {where}: {text} (and its -wal file holds changes not yet saved "
                "into it, so it cannot be read without writing)"
            ) from None
        try:
            conn = _sqlite_connect(path, readonly=True, immutable=True)
            try:
                found = tables_and_version(conn)
            finally:
                conn.close()
        except sqlite3.DatabaseError as again:
            raise StoreError(f"cannot open database {where}: {_first_line(again)}") from None
        in_place = False
    tables, version = found
    if version != m.SCHEMA_HEAD:
        _check_ours(where, tables, version)
    return in_place


def _make_engine(url: str, *, create: bool, readonly: bool = False) -> Engine:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        path: Path | None = None
        in_place = True
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database).expanduser()
            if path.exists() and path.stat().st_size > 0:
                in_place = _probe_sqlite(path)
            elif readonly or not create:
                raise FileNotFoundError(f"{path} does not exist")
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
        if readonly and path is not None:
            file = path
            engine = sa.create_engine(
                "sqlite://",
                creator=lambda: _sqlite_connect(file, readonly=True, immutable=not in_place),
                poolclass=sa.pool.QueuePool,
            )
        else:
            engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA busy_timeout=30000")
            if not readonly:
                _switch_to_wal(cursor)
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            write = conn.get_execution_options().get("tui_write", False) and not readonly
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return sa.create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 5})


def open_store(url: str, *, readonly: bool = False) -> Store:
    """Open (and create or upgrade) the database at `url`.

    `readonly`: for commands that only read. An existing, current database is opened for reading only
    (works on a read-only or full disk: no folder made, no migration, no journal switch); a database
    that does not exist yet or needs an upgrade is opened as usual, which creates or upgrades it.
    """
    if readonly and not _sqlite_missing(url):
        store = Store(url, readonly=True)
        try:
            version = store.schema_version()
            if version == m.SCHEMA_HEAD:
                return store
            with store.read() as conn:
                tables = sa.inspect(conn).get_table_names()
            _check_ours(_safe_url(url), tables, version)
        except BaseException:
            store.close()
            raise
        store.close()  # ours but older (or empty): opened as usual below, which upgrades it
    store = Store(url)
    try:
        store.ensure_schema()
    except BaseException:
        store.close()
        raise
    return store


def _sqlite_missing(url: str) -> bool:
    """True for a SQLite URL whose file does not exist (yet)."""
    try:
        parsed = sa.engine.make_url(url)
    except Exception:  # noqa: BLE001
        return False
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return False
    path = Path(database).expanduser()
    return not (path.exists() and path.stat().st_size > 0)
