"""Database tables (SQLModel). SQLite by default, PostgreSQL for teams.

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

SCHEMA_HEAD = "0002_run_ownership"


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


class Lecture(SQLModel, table=True):
    __tablename__ = "lecture"
    id: str = Field(primary_key=True)
    title: str = Field(index=True)
    summary: str = ""
    revision: int = 1
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


class VisualAsset(SQLModel, table=True):
    __tablename__ = "visual_asset"
    id: str = Field(primary_key=True)
    prompt: str
    model: str
    aspect_ratio: str = "16:9"
    width: int = 0
    height: int = 0
    file: str = ""
    updated_at: datetime = _time()


class NarrationAsset(SQLModel, table=True):
    __tablename__ = "narration_asset"
    id: str = Field(primary_key=True)
    script: str
    model: str
    voice: str = ""
    emotion: str = ""
    language: str = ""
    duration_s: float = 0.0
    file: str = ""
    updated_at: datetime = _time()


class MusicAsset(SQLModel, table=True):
    __tablename__ = "music_asset"
    id: str = Field(primary_key=True)
    prompt: str
    model: str
    duration_s: float = 0.0
    bpm: int = 0
    key: str = ""
    file: str = ""
    updated_at: datetime = _time()


ASSET_TABLES: dict[str, type[SQLModel]] = {
    "visual": VisualAsset,
    "narration": NarrationAsset,
    "music": MusicAsset,
}


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
    created_at: datetime = _time()


class ProcessHeartbeat(SQLModel, table=True):
    """0002: one row per live process that owns runs; a stale row means its process died."""

    __tablename__ = "process_heartbeat"
    id: str = Field(primary_key=True)
    host: str = ""
    pid: int = 0
    started_at: datetime = _time()
    seen_at: datetime = _time()
