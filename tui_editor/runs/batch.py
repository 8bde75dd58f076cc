"""Batch regenerate, UI-free: estimate a batch (runs, cost, ETA) and run it with bounded concurrency.

`run_batch` starts each job through the engine (so results are ordinary runs: `preview_ready` ones join
the review like any other), waits on each run's events, optionally accepts each preview, and calls
`on_progress` from worker threads after every finished job. Setting `cancel` stops queued jobs from
starting and cancels the ones generating; finished ones stay as they are (previews stay decidable).
The command line (`cli_batch`) and the editor both drive it.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..config import Settings
from ..core.batch_record import load_batch, model_seconds, save_batch
from ..core.clock import new_id
from ..core.errors import TuiEditorError
from ..core.events import RunEventData
from ..core.flow import StartRequest
from ..core.kinds import get_kind
from ..core.run_record import INACTIVE_STATUSES, RunStatus
from ..core.snapshot import LectureSnapshot
from ..generators.base import GenerationError
from ..generators.registry import resolve_model
from .engine import RunEngine

log = logging.getLogger(__name__)

#: Outcomes that count as a success: a preview to decide, or (with accept) the accepted asset.
SUCCEEDED = ("preview_ready", "accepted")


@dataclass(frozen=True)
class BatchJob:
    clip_id: str
    kind: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    """The fields to change for this run (the rest come from the clip's current asset)."""


@dataclass
class JobOutcome:
    clip_id: str
    kind: str
    fields: Mapping[str, Any]
    run_id: str | None = None
    status: str = "queued"
    """`queued` (not started), `preview_ready`, `accepted`, `failed` or `cancelled`."""
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status in SUCCEEDED

    def to_json(self) -> dict[str, Any]:
        return {
            "clip_id": self.clip_id,
            "kind": self.kind,
            "fields": dict(self.fields),
            "run_id": self.run_id,
            "status": self.status,
            "error": self.error,
        }


@dataclass
class BatchResult:
    batch_id: str
    outcomes: list[JobOutcome]
    cancelled: bool = False

    @property
    def succeeded(self) -> list[JobOutcome]:
        return [o for o in self.outcomes if o.succeeded]

    @property
    def failed(self) -> list[JobOutcome]:
        return [o for o in self.outcomes if not o.succeeded]

    def summary(self) -> dict[str, Any]:
        """`{batch_id, succeeded: [{clip_id, run_id, status}], failed: [{clip_id, run_id, error}]}`."""
        return {
            "batch_id": self.batch_id,
            "succeeded": [
                {"clip_id": o.clip_id, "run_id": o.run_id, "status": o.status} for o in self.succeeded
            ],
            "failed": [
                {"clip_id": o.clip_id, "run_id": o.run_id, "error": o.error or o.status} for o in self.failed
            ],
            "cancelled": self.cancelled,
        }


@dataclass(frozen=True)
class BatchProgress:
    done: int
    total: int
    outcome: JobOutcome


ProgressCallback = Callable[[BatchProgress], None]


# --- estimate ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    runs: int
    cost_usd: float
    eta_s: float
    notes: tuple[str, ...] = ()
    """What the estimate assumed (models without past runs, unknown models)."""

    def to_json(self) -> dict[str, Any]:
        return {"runs": self.runs, "cost_usd": round(self.cost_usd, 4), "eta_s": round(self.eta_s, 1)}


def job_request_fields(snapshot: LectureSnapshot, job: BatchJob) -> dict[str, Any]:
    """The fields a job's run generates with: the clip's current asset, then the job's changes."""
    clip = snapshot.clip(job.clip_id)
    kind = get_kind(job.kind)
    asset = snapshot.asset_for(clip) if clip is not None else None
    fields = {name: (asset or {}).get(name) for name in kind.editable_names}
    fields.update(job.fields)
    return {k: v for k, v in fields.items() if v is not None}


def estimate_batch(
    store: Any, settings: Settings, snapshot: LectureSnapshot, jobs: Sequence[BatchJob], concurrency: int
) -> Estimate:
    """Runs, cost (`[pricing]` per model; local models cost 0) and ETA (the median seconds of each
    model's past runs, else `[batch] default_run_s`, scheduled over `concurrency` workers)."""
    medians = model_seconds(store, sorted({j.kind for j in jobs}))
    default = settings.batch.default_run_s
    notes: list[str] = []
    cost = 0.0
    durations: list[float] = []
    for job in jobs:
        kind = get_kind(job.kind)
        fields = job_request_fields(snapshot, job)
        try:
            model, provider = resolve_model(kind.name, fields.get("model"), settings)
        except GenerationError as exc:
            notes.append(exc.message)
            continue
        if provider != "local":
            price = settings.pricing.get(model)
            if price is None:
                note = f"no [pricing] for {model}: counted as 0"
                if note not in notes:
                    notes.append(note)
            else:
                text = str(fields.get(kind.billed_text_field) or "") if kind.billed_text_field else ""
                seconds = _audio_seconds(snapshot, job, fields)
                cost += price.per_image * (0 if kind.media.is_audio else 1)
                cost += price.per_1k_chars * len(text) / 1000
                cost += price.per_audio_s * seconds
        if model in medians:
            durations.append(medians[model])
        else:
            durations.append(default)
            note = f"no past runs of {model}: {default:g} s each assumed"
            if note not in notes:
                notes.append(note)
    return Estimate(
        runs=len(jobs), cost_usd=cost, eta_s=schedule_seconds(durations, concurrency), notes=tuple(notes)
    )


def _audio_seconds(snapshot: LectureSnapshot, job: BatchJob, fields: Mapping[str, Any]) -> float:
    """The seconds of audio a run makes: the requested length, else the current asset's, else the clip's."""
    kind = get_kind(job.kind)
    if not kind.audio_seconds_field:
        return 0.0
    value = fields.get(kind.audio_seconds_field)
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        clip = snapshot.clip(job.clip_id)
        asset = snapshot.asset_for(clip) if clip is not None else None
        value = (asset or {}).get(kind.audio_seconds_field) or (clip.duration if clip is not None else 0.0)
    return float(value or 0.0)


def schedule_seconds(durations: Sequence[float], concurrency: int) -> float:
    """When the last of `durations` ends, each started on the first free of `concurrency` workers."""
    workers = [0.0] * max(1, min(concurrency, len(durations) or 1))
    for duration in durations:
        heapq.heapreplace(workers, workers[0] + duration)
    return max(workers)


# --- running -------------------------------------------------------------------------------------


def run_batch(
    engine: RunEngine,
    lecture_id: str,
    jobs: Sequence[BatchJob],
    *,
    concurrency: int,
    accept: bool = False,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    batch_id: str | None = None,
    decided_by: str | None = None,
    timeout: float = 3600.0,
) -> BatchResult:
    """Run `jobs` at most `concurrency` at a time; blocks until every job has finished or was cancelled.

    The batch is recorded (`core.batch_record`) before the first run starts and after each job, so
    `--retry` finds it even after ctrl+c. With `batch_id` of an existing batch, its items for these
    clips are replaced (a retry) and the others kept.
    """
    cancel = cancel or threading.Event()
    batch_id = batch_id or new_id("batch")
    outcomes = [JobOutcome(job.clip_id, job.kind, dict(job.fields)) for job in jobs]
    lock = threading.Lock()
    done = [0]
    store = engine.store
    try:
        kept = [
            i for i in load_batch(store, batch_id)["items"] if i["clip_id"] not in {j.clip_id for j in jobs}
        ]
    except TuiEditorError:
        kept = []

    def record() -> None:
        try:
            save_batch(
                store,
                batch_id,
                lecture_id=lecture_id,
                items=kept + [o.to_json() for o in outcomes],
                accept=accept,
                concurrency=concurrency,
            )
        except TuiEditorError as exc:
            log.warning("batch %s not recorded: %s", batch_id, exc)

    def work(index: int) -> None:
        outcome = outcomes[index]
        try:
            if cancel.is_set():
                outcome.status, outcome.error = "cancelled", "cancelled before it started"
                return
            _run_one(engine, lecture_id, jobs[index], outcome, accept, cancel, decided_by, timeout)
        except TuiEditorError as exc:
            outcome.status, outcome.error = "failed", exc.message
        except Exception as exc:  # noqa: BLE001 - one job's bug must not stop the batch
            log.exception("batch job for clip %s failed", outcome.clip_id)
            outcome.status, outcome.error = "failed", f"internal error: {exc}"
        finally:
            with lock:
                done[0] += 1
                progress = BatchProgress(done[0], len(jobs), outcome)
                record()
            if on_progress is not None:
                try:
                    on_progress(progress)
                except Exception:  # noqa: BLE001
                    log.exception("batch progress callback failed")

    record()
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="batch") as pool:
        futures = [pool.submit(work, i) for i in range(len(jobs))]
        for future in futures:
            future.result()
    return BatchResult(batch_id=batch_id, outcomes=outcomes, cancelled=cancel.is_set())


def _run_one(
    engine: RunEngine,
    lecture_id: str,
    job: BatchJob,
    outcome: JobOutcome,
    accept: bool,
    cancel: threading.Event,
    decided_by: str | None,
    timeout: float,
) -> None:
    run_id = engine.start(
        StartRequest(lecture_id=lecture_id, clip_id=job.clip_id, kind=job.kind, fields=job.fields)
    )
    outcome.run_id = run_id
    woke = threading.Event()

    def on_event(_event: RunEventData) -> None:
        woke.set()

    subscription = engine.hub.subscribe(on_event, run_id=run_id)
    deadline = time.monotonic() + timeout
    cancelled = False
    try:
        while True:
            record = engine.get(run_id)
            if record.status in INACTIVE_STATUSES:
                break
            if (cancel.is_set() or time.monotonic() > deadline) and not cancelled:
                cancelled = True
                with contextlib.suppress(TuiEditorError):  # finished meanwhile: the next read shows how
                    engine.cancel(run_id)
                continue
            woke.wait(0.5)
            woke.clear()
    finally:
        subscription.close()
    outcome.status = str(record.status)
    if record.status == RunStatus.PREVIEW_READY and accept:
        engine.decide(run_id, True, decided_by=decided_by)
        outcome.status = "accepted"
    elif record.status not in SUCCEEDED:
        outcome.status = "cancelled" if record.status == RunStatus.CANCELLED else "failed"
        outcome.error = record.error or str(record.status)
