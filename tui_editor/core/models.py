"""Database tables (SQLModel; the asset tables are made from the kinds' fields). SQLite by default,
PostgreSQL for teams.

Times are stored as UTC and always come back timezone-aware. Schema changes go through Alembic
(`core/migrations`); `SCHEMA_HEAD` names the newest revision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from .clock import as_utc, utcnow
from .kinds import KINDS, AssetKind, FieldType

SCHEMA_HEAD = "0005_revision_changes"


class UTCDateTime(TypeDecorator[datetime]):
    """A DateTime that stores UTC and returns aware datetimes on every backend."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def _time(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, **kw)


def _json(**kw: Any) -> Any:
    return Field(default=None, sa_type=sa.JSON, **kw)


def _with_server_default(value: str | int) -> Any:
    """A plain column whose default the database also knows (as the migrations created it)."""
    return Field(default=value, sa_column_kwargs={"server_default": str(value)})


class Lecture(SQLModel, table=True):
    __tablename__ = "lecture"
    id: str = Field(primary_key=True)
    title: str = Field(index=True)
    summary: str = _with_server_default("")
    revision: int = _with_server_default(1)
    updated_at: datetime = _time()


class Clip(SQLModel, table=True):
    __tablename__ = "clip"
    id: str = Field(primary_key=True)
    lecture_id: str = Field(foreign_key="lecture.id", index=True)
    track: str
    name: str
    start: float
    duration: float
    asset_id: str = Field(index=True)
    # 0003: why the clip needs regenerating (reasons; empty or null when it is current), and its
    # presentation parameters (`core.kinds.CLIP_PARAMS`: volume, fades, Ken Burns motion).
    stale: list[str] | None = _json()
    params: dict[str, Any] | None = _json()


#: SQL column type of each field type of `core.kinds`.
COLUMN_TYPES: dict[FieldType, type[sa.types.TypeEngine[Any]]] = {
    "text": sa.String,
    "str": sa.String,
    "choice": sa.String,
    "int": sa.Integer,
    "float": sa.Float,
}


def _server_default(value: Any) -> str | None:
    """A column default as the migrations write it in SQL ("0", "16:9"); None for no default."""
    if value is None:
        return None
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _asset_table(kind: AssetKind) -> sa.Table:
    """A kind's asset table, made from its fields: `id`, one column per field, `updated_at`."""
    return sa.Table(
        kind.table_name,
        SQLModel.metadata,
        sa.Column("id", sa.String(), primary_key=True),
        *(
            sa.Column(
                spec.name,
                COLUMN_TYPES[spec.type](),
                nullable=spec.nullable,
                default=spec.column_default,
                server_default=_server_default(spec.column_default),
            )
            for spec in kind.fields
        ),
        sa.Column("updated_at", UTCDateTime(), nullable=False, default=utcnow),
    )


#: The asset table of each kind (SQLAlchemy Core tables on `SQLModel.metadata`).
ASSET_TABLES: dict[str, sa.Table] = {name: _asset_table(kind) for name, kind in KINDS.items()}


class GenerationRun(SQLModel, table=True):
    __tablename__ = "generation_run"
    id: str = Field(primary_key=True)
    lecture_id: str = Field(index=True)
    clip_id: str = Field(index=True)
    kind: str
    request: dict[str, Any] | None = _json()
    status: str = Field(default="queued", index=True)
    preview: dict[str, Any] | None = _json()
    error: str | None = None
    created_at: datetime = _time()
    updated_at: datetime = _time()
    decided_by: str | None = None
    # 0002: what the run was based on, and who is working on it (crash safety).
    base_revision: int | None = None
    base_asset_updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    owner: str | None = Field(default=None, index=True)
    # 0004: takes — the seed, a star, when it was decided (and what the asset was then), the take's own
    # file (rejected takes), the committed file (accepted or restored takes), what an accept replaced.
    seed: int | None = None
    starred: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    decided_asset_updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    take_file: str | None = None
    committed_file: str | None = None
    replaced: dict[str, Any] | None = _json()
    pruned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RunEvent(SQLModel, table=True):
    __tablename__ = "run_event"
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(index=True)
    lecture_id: str = Field(index=True)
    kind: str
    type: str
    payload: dict[str, Any] | None = _json()
    created_at: datetime = _time()


class LectureRevision(SQLModel, table=True):
    __tablename__ = "lecture_revision"
    id: int | None = Field(default=None, primary_key=True)
    lecture_id: str = Field(index=True)
    revision: int
    source: str
    run_id: str | None = None
    snapshot: dict[str, Any] | None = _json()
    """Before 0005: a copy of the whole lecture. Rows written since leave it empty."""
    created_at: datetime = _time()
    # 0005: what the revision changed (`core.revisions`: assets and clips, before and after) and who.
    changes: dict[str, Any] | None = _json()
    decided_by: str | None = None


class ProcessHeartbeat(SQLModel, table=True):
    """0002: one row per live process that owns runs; a stale row means its process died."""

    __tablename__ = "process_heartbeat"
    id: str = Field(primary_key=True)
    host: str = _with_server_default("")
    pid: int = _with_server_default(0)
    started_at: datetime = _time()
    seen_at: datetime = _time()
    # 0005: the newest event id this process's event tail has read (None: it tails nothing).
    event_cursor: int | None = Field(default=None, sa_type=sa.BigInteger)


class GenerationBatch(SQLModel, table=True):
    """0005: a batch regenerate (`runs.batch`): its jobs with their run ids and outcomes, for `--retry`."""

    __tablename__ = "generation_batch"
    id: str = Field(primary_key=True)
    lecture_id: str = Field(index=True)
    created_at: datetime = _time()
    updated_at: datetime = _time()
    accept: bool = False
    concurrency: int = 1
    items: list[dict[str, Any]] | None = _json()
