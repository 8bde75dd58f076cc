"""Batches of regenerate runs, kept in the `generation_batch` table so `batch --retry ID` can rerun the
failed ones later, from any process (the table lives next to the runs it points at, on SQLite and
PostgreSQL alike). Each item: `{clip_id, kind, fields, run_id, status, error}`.

Also the history the estimate needs: how long past runs of each model took to reach a preview.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from . import models as m
from .clock import as_utc, utcnow
from .errors import NotFoundError
from .store import EVENT, RUN, Store

BATCH = m.GenerationBatch.__table__  # type: ignore[attr-defined]


def save_batch(
    store: Store,
    batch_id: str,
    *,
    lecture_id: str,
    items: Sequence[Mapping[str, Any]],
    accept: bool,
    concurrency: int,
) -> None:
    """Insert or replace a batch's record."""
    now = utcnow()
    values = {
        "lecture_id": lecture_id,
        "items": [dict(i) for i in items],
        "accept": accept,
        "concurrency": concurrency,
        "updated_at": now,
    }
    with store.write() as conn:
        updated = conn.execute(BATCH.update().where(BATCH.c.id == batch_id).values(**values)).rowcount
        if not updated:
            conn.execute(BATCH.insert().values(id=batch_id, created_at=now, **values))


def load_batch(store: Store, batch_id: str) -> dict[str, Any]:
    """`{id, lecture_id, created_at, updated_at, accept, concurrency, items}`; NotFoundError if unknown."""
    with store.read() as conn:
        row = conn.execute(sa.select(BATCH).where(BATCH.c.id == batch_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no batch with id {batch_id!r}")
    data = dict(row)
    data["items"] = list(data["items"] or [])
    return data


def model_seconds(store: Store, kinds: Sequence[str], *, limit: int = 500) -> dict[str, float]:
    """The median seconds from start to preview of each model's recent runs (of these kinds).

    Taken from each run's `preview` event; a run whose events were pruned but whose preview still
    waits counts with its last update time.
    """
    with store.read() as conn:
        runs = (
            conn.execute(
                sa.select(RUN.c.id, RUN.c.request, RUN.c.created_at, RUN.c.updated_at, RUN.c.status)
                .where(
                    RUN.c.kind.in_(list(kinds)), RUN.c.status.in_(["preview_ready", "accepted", "rejected"])
                )
                .order_by(RUN.c.created_at.desc())
                .limit(limit)
            )
            .mappings()
            .all()
        )
        ids = [r["id"] for r in runs]
        previews: dict[str, datetime] = {}
        if ids:
            for row in conn.execute(
                sa.select(EVENT.c.run_id, EVENT.c.created_at).where(
                    EVENT.c.run_id.in_(ids), EVENT.c.type == "preview"
                )
            ):
                previews[row.run_id] = as_utc(row.created_at)
    seconds: dict[str, list[float]] = {}
    for run in runs:
        request = run["request"] or {}
        fields = request.get("fields") if isinstance(request, Mapping) else None
        model = fields.get("model") if isinstance(fields, Mapping) else None
        if not isinstance(model, str):
            continue
        end = previews.get(run["id"])
        if end is None and run["status"] == "preview_ready":
            end = as_utc(run["updated_at"])
        if end is None:
            continue
        seconds.setdefault(model, []).append(max(0.0, (end - as_utc(run["created_at"])).total_seconds()))
    return {model: statistics.median(values) for model, values in seconds.items()}
