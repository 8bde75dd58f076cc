"""`RunBoard`: where each clip's generation stands, for the timeline, the header and the review queue.

UI-free bookkeeping owned by the App (Textual-free so it is cheap to test). It starts from the engine's
list of open and failed runs and is fed every run event of the lecture. Events do not name their clip,
so an event of a run the board has not seen yet is held until the App looked the run up
(`RunEventReceived` → `engine.get` in a worker → `apply_record`). A run only moves forward
(queued → generating → preview ready → final), so duplicated, late or out-of-order events and records
are harmless.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from .clock import utcnow
from .events import RunEventData
from .run_record import ENDED_BY_SYSTEM, ENDED_BY_USER, FINAL_STATUSES, OPEN_STATUSES, RunRecord, RunStatus

_RANK = {
    RunStatus.QUEUED: 0,
    RunStatus.GENERATING: 1,
    RunStatus.PREVIEW_READY: 2,
    **dict.fromkeys(FINAL_STATUSES, 3),
}
_FINAL_RANK = 3
#: The runs a lecture's board starts from: undecided ones, and failures still worth showing (an
#: expired preview is old news).
BOARD_STATUSES = OPEN_STATUSES | {RunStatus.FAILED}


@dataclass(frozen=True)
class ClipRun:
    """One run as the board knows it."""

    run_id: str
    clip_id: str
    kind: str
    status: RunStatus
    created_at: datetime
    step: int = 0
    total_steps: int = 0
    error: str | None = None
    preview: Mapping[str, Any] | None = None
    updated_at: datetime | None = None
    seed: int | None = None

    @property
    def state(self) -> str:
        """What the timeline shows: idle, queued, generating, preview_ready or failed."""
        if self.status in ENDED_BY_USER:
            return "idle"  # nothing to show: the user ended it
        if self.status in ENDED_BY_SYSTEM:
            return "failed"
        return self.status

    @property
    def label(self) -> str:
        state = self.state
        if state == "generating":
            return f"generating {self.step}/{self.total_steps}" if self.total_steps else "generating"
        if state == "preview_ready":
            return "preview ready"
        if state == "failed":
            return "expired" if self.status == RunStatus.EXPIRED else "failed"
        return state


def _progress_of(record: RunRecord) -> tuple[int, int]:
    stored = record.preview.get("progress") if record.preview else None
    if isinstance(stored, Mapping):
        try:
            return int(stored.get("step", 0)), int(stored.get("total_steps", 0))
        except (TypeError, ValueError):
            return 0, 0
    return 0, 0


def run_from_record(record: RunRecord) -> ClipRun:
    step, total = _progress_of(record)
    return ClipRun(
        run_id=record.id,
        clip_id=record.clip_id,
        kind=record.kind,
        status=record.status,
        created_at=record.created_at,
        step=step,
        total_steps=total,
        error=record.error,
        preview=record.preview_asset if record.status == RunStatus.PREVIEW_READY else None,
        updated_at=record.updated_at,
        seed=record.seed,
    )


def advance(run: ClipRun, event: RunEventData) -> ClipRun:
    """The run after `event`; never moves backwards."""
    rank = _RANK[run.status]
    payload = event.payload
    when = event.created_at
    if event.type == "status":
        if rank <= _RANK[RunStatus.GENERATING]:
            step = int(payload.get("step", 0))
            total = int(payload.get("total_steps", 0))
            if run.status != RunStatus.GENERATING or step >= run.step:
                return replace(
                    run, status=RunStatus.GENERATING, step=step, total_steps=total, updated_at=when
                )
        return run
    if event.type == "reopened":
        # The one move backwards: an undone decision puts its preview up for a decision again.
        asset = payload.get("asset")
        if run.status in (RunStatus.ACCEPTED, RunStatus.REJECTED):
            return replace(
                run,
                status=RunStatus.PREVIEW_READY,
                preview=asset if isinstance(asset, Mapping) else None,
                updated_at=when,
            )
        return run
    if event.type == "preview":
        if rank < _RANK[RunStatus.PREVIEW_READY]:
            asset = payload.get("asset")
            return replace(
                run,
                status=RunStatus.PREVIEW_READY,
                preview=asset if isinstance(asset, Mapping) else None,
                updated_at=when,
            )
        return run
    if rank >= _FINAL_RANK:
        return run
    if event.type == "error":
        if rank < _RANK[RunStatus.PREVIEW_READY]:
            return replace(
                run, status=RunStatus.FAILED, error=str(payload.get("message") or ""), updated_at=when
            )
        return run
    final = {
        "complete": RunStatus.ACCEPTED,
        "rejected": RunStatus.REJECTED,
        "cancelled": RunStatus.CANCELLED,
        "expired": RunStatus.EXPIRED,
    }
    if event.type in final:
        return replace(run, status=final[event.type], preview=None, updated_at=when)
    return run


class RunBoard:
    """The runs of one lecture, by run and by clip."""

    def __init__(self, lecture_id: str, records: Iterable[RunRecord] = ()) -> None:
        self.lecture_id = lecture_id
        self.runs: dict[str, ClipRun] = {}
        self._latest: dict[str, str] = {}  # clip id -> newest run id
        self._held: dict[str, list[RunEventData]] = {}  # run id -> events waiting for its record
        self._lookups: set[str] = set()  # run ids being looked up
        self._reopened: dict[str, datetime] = {}  # run id -> when its decision was undone
        self.version = 0
        for record in sorted(records, key=lambda r: r.created_at):
            self.apply_record(record)

    # --- reading -------------------------------------------------------------------------------
    def for_clip(self, clip_id: str) -> ClipRun | None:
        run_id = self._latest.get(clip_id)
        return self.runs.get(run_id) if run_id else None

    def state_of(self, clip_id: str) -> str:
        run = self.for_clip(clip_id)
        return run.state if run else "idle"

    def pending_reviews(self) -> list[ClipRun]:
        """Every run whose preview waits for a decision, oldest first."""
        ready = [r for r in self.runs.values() if r.status == RunStatus.PREVIEW_READY]
        return sorted(ready, key=lambda r: (r.updated_at or r.created_at, r.run_id))

    def counts(self) -> dict[str, int]:
        """How many clips are generating (or queued), have a preview ready, or failed."""
        result = {"generating": 0, "preview_ready": 0, "failed": 0}
        for run_id in self._latest.values():
            state = self.runs[run_id].state
            if state in ("queued", "generating"):
                result["generating"] += 1
            elif state in result:
                result[state] += 1
        result["preview_ready"] = len([r for r in self.runs.values() if r.status == RunStatus.PREVIEW_READY])
        return result

    # --- feeding -------------------------------------------------------------------------------
    def apply_event(self, event: RunEventData) -> set[str] | None:
        """Apply one event. Returns the clips whose status changed, or None when the run is unknown:
        then the caller looks the run up (`needs_lookup`) and calls `apply_record`."""
        if event.lecture_id != self.lecture_id or event.lecture_level:  # not this lecture's, or no run
            return set()
        run = self.runs.get(event.run_id)
        if run is None:
            self._held.setdefault(event.run_id, []).append(event)
            return None
        if event.type == "reopened":
            self._reopened[event.run_id] = event.created_at
        return self._store(advance(run, event))

    def needs_lookup(self, run_id: str) -> bool:
        """True once per unknown run: the caller should fetch its record now."""
        if run_id in self.runs or run_id in self._lookups:
            return False
        self._lookups.add(run_id)
        return True

    def apply_record(self, record: RunRecord) -> set[str]:
        """Merge a run's stored record (the newest truth), then replay held events on top."""
        self._lookups.discard(record.id)
        if record.lecture_id != self.lecture_id:
            self._held.pop(record.id, None)
            return set()
        fresh = run_from_record(record)
        current = self.runs.get(record.id)
        reopened_at = self._reopened.get(record.id)
        if (
            current is not None
            and reopened_at is not None
            and (fresh.updated_at or fresh.created_at) < reopened_at
        ):
            run = current  # read before its decision was undone: stale
        elif current is None or _RANK[fresh.status] > _RANK[current.status]:
            run = fresh
        elif (
            fresh.status == RunStatus.PREVIEW_READY
            and current.status in (RunStatus.ACCEPTED, RunStatus.REJECTED)
            and (fresh.updated_at or fresh.created_at) > (current.updated_at or current.created_at)
        ):
            run = fresh  # a decision undone (its "reopened" event may not have reached us)
        elif current.status == fresh.status == RunStatus.GENERATING and fresh.step > current.step:
            run = replace(current, step=fresh.step, total_steps=fresh.total_steps)
        else:
            run = current
        for event in self._held.pop(record.id, []):
            run = advance(run, event)
        return self._store(run)

    def forget(self, run_id: str) -> None:
        """A run that could not be found (deleted): drop what was held for it."""
        self._held.pop(run_id, None)
        self._lookups.discard(run_id)

    def _store(self, run: ClipRun) -> set[str]:
        old = self.runs.get(run.run_id)
        if old == run:
            return set()
        self.runs[run.run_id] = run
        latest_id = self._latest.get(run.clip_id)
        latest = self.runs.get(latest_id) if latest_id else None
        if latest is None or latest.run_id == run.run_id or run.created_at >= latest.created_at:
            self._latest[run.clip_id] = run.run_id
        self.version += 1
        return {run.clip_id}


def synthetic_record(
    *,
    run_id: str,
    lecture_id: str,
    clip_id: str,
    kind: str,
    status: str,
    preview: Mapping[str, Any] | None = None,
    when: datetime | None = None,
) -> RunRecord:
    """A run record built in memory (tests, benchmarks)."""
    moment = when or utcnow()
    return RunRecord(
        id=run_id,
        lecture_id=lecture_id,
        clip_id=clip_id,
        kind=kind,
        status=RunStatus(status),
        request={},
        preview={"asset": dict(preview)} if preview is not None else None,
        error=None,
        created_at=moment,
        updated_at=moment,
    )
