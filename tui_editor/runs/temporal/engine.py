"""`TemporalEngine`: the team engine as the editor and the command line see it (a `RunEngine`).

`start` checks the request and records the run (`queued`) exactly as the embedded engine does, then starts
its workflow (workflow id = run id) and returns: the run outlives this process, and any worker generates
it. `decide` sends the workflow a `decide` update and returns its answer (the committed asset and revision,
or the conflict / "already decided" as the usual errors). `cancel` marks the run cancelled in the store
first (so a late preview can never be published), then cancels the workflow. Reads come from the store.

The Temporal client lives on a private event loop thread; the engine's methods block on it (they are
called from worker threads in the editor, or from the command line).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import logging
import socket
import threading
from collections.abc import Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ...config import Settings
from ...core.errors import ConflictError, DecisionError, NotFoundError, TuiEditorError
from ...core.flow import Decision, StartRequest
from ...core.run_record import ACTIVE_STATUSES, RunRecord, RunStatus
from ...core.store import Store
from ..hub import EventHub
from ..new_run import prepare_run, record_run

if TYPE_CHECKING:
    from ..local import LocalEngine

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Providers whose requests cost nothing: a generation lost with its worker is simply tried again.
FREE_PROVIDERS = frozenset({"local"})
GENERATION_ATTEMPTS_FREE = 3


class TemporalUnavailable(TuiEditorError):
    """The Temporal server (or a worker) did not answer."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def request_data(request: StartRequest) -> dict[str, Any]:
    """The request's dataclass fields as JSON (so fields added to `StartRequest` later flow through)."""
    return {f.name: _jsonable(getattr(request, f.name)) for f in dataclasses.fields(request)}


class TemporalEngine:
    runs_outlive_process = True

    def __init__(self, store: Store, settings: Settings, *, hub: EventHub | None = None) -> None:
        self.store = store
        self.settings = settings
        self.hub = hub or EventHub(store, poll_interval_ms=settings.events.poll_interval_ms, tail=False)
        self.temporal = settings.engine.temporal
        self.host = socket.gethostname()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client: Any = None
        self._closed = False
        self._reopened_decider: LocalEngine | None = None

    # --- the client on its own loop ------------------------------------------------------------
    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._closed:
                raise TuiEditorError("the run engine is closed")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="temporal-client", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def _call(self, coro: Coroutine[Any, Any, T], *, timeout: float | None = None) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self._ensure_loop())
        try:
            return future.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TemporalUnavailable(
                f"no answer from Temporal at {self.temporal.address} within {timeout:g} s; is a worker "
                "running (`tui-editor worker`)? A decision sent may still be applied when one is"
            ) from None

    async def _get_client(self) -> Any:
        if self._client is None:
            from temporalio.client import Client

            try:
                self._client = await asyncio.wait_for(
                    Client.connect(self.temporal.address, namespace=self.temporal.namespace), timeout=10
                )
            except Exception as exc:  # noqa: BLE001 - any connection failure: one clear line
                raise TemporalUnavailable(
                    f"cannot reach the Temporal server at {self.temporal.address} "
                    f"({str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}); "
                    "start one with `tui-editor temporal-dev` or set [engine.temporal] address"
                ) from None
        return self._client

    # --- starting ------------------------------------------------------------------------------
    def start(self, request: StartRequest) -> str:
        run = prepare_run(self.store, self.settings, request)
        self._call(self._get_client())  # refuse before recording a run no worker could ever see
        run_id = run.run_id
        event = record_run(self.store, run, owner=f"temporal:{self.temporal.task_queue}")
        self.hub.publish(event)
        from .workflow import RunInput

        params = RunInput(
            run_id=run_id,
            lecture_id=run.lecture_id,
            clip_id=run.clip_id,
            kind=run.kind,
            provider=run.provider,
            request=request_data(request),
            decision_timeout_s=self.settings.engine.decision_timeout,
            heartbeat_timeout_s=self.temporal.heartbeat_timeout,
            generation_timeout_s=self.temporal.generation_timeout,
            generation_attempts=GENERATION_ATTEMPTS_FREE if run.provider in FREE_PROVIDERS else 1,
        )
        try:
            self._call(self._start_workflow(params), timeout=30)
        except Exception as exc:
            message = exc.message if isinstance(exc, TuiEditorError) else f"cannot start its workflow: {exc}"
            moved = self.store.transition_run(
                self.store.get_run(run_id),
                ACTIVE_STATUSES,
                "error",
                {"message": message, "retryable": True},
                status=RunStatus.FAILED,
                error=message,
            )
            if moved is not None:
                self.hub.publish(moved)
            raise TemporalUnavailable(message) from None
        return run_id

    async def _start_workflow(self, params: Any) -> None:
        from .workflow import WORKFLOW_NAME

        client = await self._get_client()
        await client.start_workflow(
            WORKFLOW_NAME,
            params,
            id=params.run_id,
            task_queue=self.temporal.task_queue,
            memo={"status": "queued", "lecture_id": params.lecture_id, "clip_id": params.clip_id},
        )

    # --- deciding ------------------------------------------------------------------------------
    def decide(self, run_id: str, accept: bool, *, decided_by: str | None = None) -> Decision:
        run = self.store.get_run(run_id)
        if run.status != RunStatus.PREVIEW_READY:
            raise DecisionError(
                f"run {run_id} is {run.status}; only a run with a preview waiting can be decided"
            )
        decided_by = decided_by or self.settings.user.resolved_name()
        try:
            answer = self._call(
                self._decide(run_id, accept, decided_by), timeout=self.temporal.answer_timeout
            )
        except _WorkflowEnded:
            return self._decide_reopened(run_id, accept, decided_by)
        if not answer.get("accepted"):
            return Decision(accepted=False)
        revision = answer.get("revision")
        return Decision(
            accepted=True,
            asset=answer.get("asset"),
            revision=int(revision) if isinstance(revision, int) else None,
        )

    async def _decide(self, run_id: str, accept: bool, decided_by: str) -> dict[str, Any]:
        from temporalio.client import WorkflowUpdateFailedError
        from temporalio.exceptions import ApplicationError
        from temporalio.service import RPCError

        from .workflow import CONFLICT_ERROR, DECIDE_UPDATE, NOT_FOUND_ERROR, DecideInput

        client = await self._get_client()
        handle = client.get_workflow_handle(run_id)
        try:
            decision = DecideInput(run_id=run_id, accept=accept, decided_by=decided_by)
            answer: dict[str, Any] = await handle.execute_update(DECIDE_UPDATE, decision, result_type=dict)
            return answer
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            message = cause.message if isinstance(cause, ApplicationError) else str(cause)
            kind = cause.type if isinstance(cause, ApplicationError) else None
            if kind == CONFLICT_ERROR:
                raise ConflictError(message) from None
            if kind == NOT_FOUND_ERROR:
                raise NotFoundError(message) from None
            raise DecisionError(message) from None
        except RPCError as exc:  # the workflow is gone (completed, or never started)
            current = await asyncio.to_thread(self.store.get_run, run_id)
            if current.status != RunStatus.PREVIEW_READY:
                raise DecisionError(
                    f"run {run_id} is {current.status}; only a run with a preview waiting can be decided"
                ) from None
            if await _has_ended(handle):  # an undone decision made the run decidable again
                raise _WorkflowEnded() from None
            raise TemporalUnavailable(f"run {run_id}: Temporal refused the decision: {exc.message}") from None

    def _decide_reopened(self, run_id: str, accept: bool, decided_by: str) -> Decision:
        """Decide a run whose workflow has ended but whose preview waits again (its decision was undone):
        the same commit the workers make, here, since no workflow is left to ask."""
        from ..local import LocalEngine

        with self._lock:
            if self._reopened_decider is None:
                self._reopened_decider = LocalEngine(
                    self.store, self.settings, hub=self.hub, background=False
                )
            decider = self._reopened_decider
        return decider.decide(run_id, accept, decided_by=decided_by)

    def preview_from_memo(self, run_id: str) -> Mapping[str, Any] | None:
        """The preview as the workflow recorded it in its memo (read with no worker alive)."""

        async def read() -> Any:
            client = await self._get_client()
            description = await client.get_workflow_handle(run_id).describe()
            return await description.memo_value("preview", None)

        value = self._call(read(), timeout=30)
        return value if isinstance(value, Mapping) else None

    # --- cancelling ----------------------------------------------------------------------------
    def cancel(self, run_id: str) -> None:
        run = self.store.get_run(run_id)
        if run.status == RunStatus.PREVIEW_READY:
            raise DecisionError(f"run {run_id} has a preview waiting; reject it instead of cancelling")
        if run.status not in ACTIVE_STATUSES:
            raise DecisionError(f"run {run_id} is already {run.status}")
        # The store first (as the embedded engine): a generator that still finishes cannot publish.
        event = self.store.transition_run(run, ACTIVE_STATUSES, "cancelled", {}, status=RunStatus.CANCELLED)
        if event is None:
            raise DecisionError(f"run {run_id} is already {self.store.get_run(run_id).status}")
        self.hub.publish(event)
        try:
            self._call(self._cancel_workflow(run_id), timeout=30)
        except TuiEditorError as exc:  # the run is cancelled; its worker stops when Temporal is back
            log.warning("run %s: workflow not cancelled: %s", run_id, exc.message)

    async def _cancel_workflow(self, run_id: str) -> None:
        from temporalio.service import RPCError

        client = await self._get_client()
        with contextlib.suppress(RPCError):  # already finished
            await client.get_workflow_handle(run_id).cancel()

    # --- reading -------------------------------------------------------------------------------
    def get(self, run_id: str) -> RunRecord:
        return self.store.get_run(run_id)

    def list(
        self,
        *,
        lecture_id: str | None = None,
        clip_id: str | None = None,
        statuses: Sequence[str] | None = None,
    ) -> list[RunRecord]:
        return self.store.list_runs(lecture_id=lecture_id, clip_id=clip_id, statuses=statuses)

    def close(self) -> None:
        """Runs go on in the workers; only the client connection closes."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            loop, thread = self._loop, self._thread
            decider, self._reopened_decider = self._reopened_decider, None
        if decider is not None:
            decider.close()
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)
            if thread is not None:
                thread.join(timeout=5)


class _WorkflowEnded(Exception):
    """The run's workflow has ended while the run waits for a decision again (an undone decision)."""


async def _has_ended(handle: Any) -> bool:
    from temporalio.client import WorkflowExecutionStatus
    from temporalio.service import RPCError

    try:
        description = await handle.describe()
    except RPCError:
        return False
    return description.status is not None and description.status != WorkflowExecutionStatus.RUNNING
