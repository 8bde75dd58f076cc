"""What a run does in a worker: generate the preview, commit or reject it, end the run.

The work itself is the embedded engine's (`LocalEngine`, one per worker, with no threads of its own): the
same compare-and-set moves and events, the same generators, the same accept and reject. So everything the
local engine does for a run, a team run does too, and editors see both alike through the event log. Files
are written under the worker's data dir (`previews/<run_id>/`, accepted files under `media/`): on one box,
or a data dir shared by the editors and the workers.

Retries: the generate activity is tried again (when the run's provider bills nothing) only after its worker
was lost; a generator's own error ends the run at once with its message. While the database is away, a
worker waits for it (a preview in hand is kept until it can be recorded); decide and end are retried by
Temporal, each of their writes being one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError

from ...core.errors import (
    BadInputError,
    ConflictError,
    DecisionError,
    NotFoundError,
    StoreError,
    TuiEditorError,
)
from ...core.events import RunEventData
from ...core.exchange import asset_json
from ...core.run_record import OPEN_STATUSES, RunStatus
from ...generators.base import GenerationError
from ..local import LocalEngine
from .workflow import (
    BAD_INPUT_ERROR,
    CONFLICT_ERROR,
    DECIDE,
    DECISION_ERROR,
    END,
    GENERATE,
    NOT_FOUND_ERROR,
    DecideInput,
    EndInput,
    GenerateInput,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

_ERROR_TYPES: tuple[tuple[type[TuiEditorError], str], ...] = (
    (ConflictError, CONFLICT_ERROR),
    (DecisionError, DECISION_ERROR),
    (NotFoundError, NOT_FOUND_ERROR),
    (BadInputError, BAD_INPUT_ERROR),
)


def as_application_error(exc: TuiEditorError) -> ApplicationError:
    """A store's refusal as a failure no retry heals (its type tells the caller which error it was)."""
    for cls, name in _ERROR_TYPES:
        if isinstance(exc, cls):
            return ApplicationError(exc.message, type=name, non_retryable=True)
    return ApplicationError(exc.message, type=type(exc).__name__)


async def _stored(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`work` (a store call) in a thread, tried again while the database is away (it heals);
    cancellable meanwhile."""
    delay = 0.1
    while True:
        try:
            return await asyncio.to_thread(work, *args, **kwargs)
        except StoreError as exc:
            log.warning("waiting for the database: %s", exc.message)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


class RunActivities:
    """The activities of one worker, doing their work with the worker's embedded engine."""

    def __init__(self, engine: LocalEngine) -> None:
        self.engine = engine
        self.store = engine.store

    def all(self) -> list[Callable[..., Any]]:
        return [self.generate, self.decide, self.end]

    # --- generate ------------------------------------------------------------------------------
    @activity.defn(name=GENERATE)
    async def generate(self, params: GenerateInput) -> dict[str, Any]:
        """Generate the preview; `{status: preview_ready, asset}` or the status the run has instead.

        Heartbeats carry the latest progress. A generator's failure fails the run here, at once, with its
        message (nothing is sent again).
        """
        engine = self.engine
        run_id = params.run_id
        attempt = activity.info().attempt
        # A retry follows a lost worker: the run is still `generating` then, and starts over.
        from_statuses = [RunStatus.QUEUED] if attempt == 1 else [RunStatus.QUEUED, RunStatus.GENERATING]
        message = "Starting" if attempt == 1 else f"Starting again (attempt {attempt}: the worker was lost)"
        latest: list[Any] = [0, 1, message]

        def on_event(event: RunEventData) -> None:  # the engine's own progress events, pushed at once
            if event.type == "status":
                latest[:] = [
                    event.payload.get("step"),
                    event.payload.get("total_steps"),
                    event.payload.get("message"),
                ]

        subscription = engine.hub.subscribe(on_event, run_id=run_id)
        beat_every = max(0.05, params.heartbeat_timeout_s / 4)

        async def beat() -> None:
            while True:
                activity.heartbeat(*latest)
                await asyncio.sleep(beat_every)

        beating = asyncio.create_task(beat())  # from the start: a wait for the database beats too
        try:
            run = await _stored(self.store.get_run, run_id)
            moved = await _stored(
                engine._move,
                run,
                from_statuses,
                "status",
                {"step": 0, "total_steps": 1, "message": message},
                status=RunStatus.GENERATING,
            )
            if not moved:
                return {"status": str((await _stored(self.store.get_run, run_id)).status)}
            if attempt > 1:
                engine._remove_preview(run_id)
            try:
                result = await engine._generate(run)
                # The preview is in hand (maybe billed): keep it until the database takes it.
                await _stored(engine._finish_preview, run, result)
            except asyncio.CancelledError:
                engine._remove_preview(run_id)  # the generator has stopped: nothing writes here any more
                raise
            except GenerationError as exc:
                await _stored(engine._fail, run_id, exc.message, exc.retryable)
            except TuiEditorError as exc:
                await _stored(engine._fail, run_id, exc.message, True)
            except Exception as exc:  # noqa: BLE001 - never leave a run "generating" forever
                log.exception("run %s crashed", run_id)
                await _stored(engine._fail, run_id, f"internal error: {exc}", True)
            record = await _stored(self.store.get_run, run_id)
            if record.status != RunStatus.PREVIEW_READY:
                return {"status": str(record.status), "error": record.error}
            return {"status": RunStatus.PREVIEW_READY, "asset": dict(record.preview_asset or {})}
        finally:
            subscription.close()
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating

    # --- decide --------------------------------------------------------------------------------
    @activity.defn(name=DECIDE)
    async def decide(self, params: DecideInput) -> dict[str, Any]:
        """Accept (promote the file, commit with the revision check) or reject; the answer as JSON."""
        try:
            decision = await asyncio.to_thread(
                self.engine.decide, params.run_id, params.accept, decided_by=params.decided_by or None
            )
        except StoreError:
            raise  # the database is away: Temporal tries again (every write is one transaction)
        except TuiEditorError as exc:
            raise as_application_error(exc) from None
        if not decision.accepted:
            return {"accepted": False}
        return {
            "accepted": True,
            "asset": dict(asset_json(decision.asset or {})),
            "revision": decision.revision,
        }

    # --- end -----------------------------------------------------------------------------------
    @activity.defn(name=END)
    async def end(self, params: EndInput) -> bool:
        """Move an open run to failed, cancelled or expired (a no-op when it is there already)."""
        return await asyncio.to_thread(self._end, params)

    def _end(self, params: EndInput) -> bool:
        engine = self.engine
        try:
            run = self.store.get_run(params.run_id)
        except NotFoundError:
            return False
        try:
            if params.status == RunStatus.FAILED:
                return engine._fail_run(run, params.message)
            if params.status == RunStatus.EXPIRED:
                engine._expire(run)
                return True
            if params.status == RunStatus.CANCELLED:
                return engine._move(run, OPEN_STATUSES, "cancelled", {}, status=RunStatus.CANCELLED)
            raise ApplicationError(f"cannot end a run as {params.status!r}", non_retryable=True)
        finally:
            if self.store.get_run(params.run_id).status not in OPEN_STATUSES:
                engine._remove_preview(params.run_id)
