"""`AssetGenerationFlow`: the one generate → review → accept/reject state machine for every kind.

The flow is UI-free and engine-agnostic. It talks to a `FlowBackend` (the run engine) to start, decide and
cancel runs, and is fed run events with `handle_event`. Events of other runs are ignored; duplicated or
out-of-order events are harmless because a run only ever moves forward:

    idle ─start─► starting ─► generating ─preview─► preview_ready ─accept/reject─► deciding ─► idle
                                  │  └─error/expired─► failed ─retry─► starting
                                  └─cancel─► idle

`preview_token` grows by one with every new preview and never goes down, so URLs built from it
(`core.urls.build_asset_url`) are new for every preview.

The flow holds no thread and no lock: it changes only in calls made on one thread, and tells its
listeners synchronously. Backend calls block (database writes), so each action comes in three parts:
`begin_*` (a state change; returns what the backend call needs), the blocking call (`call_start`,
`call_decide`, `call_cancel`: in a UI a worker thread makes it and posts the result) and `finish_*` (a
state change, back on the flow's thread). `start`, `accept`, `reject` and `cancel` do all three on the
caller's thread (command line, tests).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from .errors import ConflictError, DecisionError, TuiEditorError
from .events import RunEventData
from .kinds import AssetKind
from .run_record import RunRecord

log = logging.getLogger(__name__)

Phase = Literal["idle", "starting", "generating", "preview_ready", "deciding", "failed"]


@dataclass(frozen=True)
class Progress:
    step: int
    total_steps: int
    message: str = ""

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps if self.total_steps else 0.0


@dataclass(frozen=True)
class StartRequest:
    lecture_id: str
    clip_id: str
    kind: str
    fields: Mapping[str, Any]
    #: The generator's seed; None: the engine draws one (and records it on the run).
    seed: int | None = None


@dataclass(frozen=True)
class Decision:
    """What the backend reports after a decision: for accept, the saved asset and the new revision."""

    accepted: bool
    asset: Mapping[str, Any] | None = None
    revision: int | None = None


class FlowBackend(Protocol):
    def start(self, request: StartRequest) -> str: ...

    def decide(self, run_id: str, accept: bool) -> Decision: ...

    def cancel(self, run_id: str) -> None: ...

    def get(self, run_id: str) -> RunRecord: ...


class FlowError(TuiEditorError):
    """An action that does not fit the flow's current state (e.g. accept with no preview)."""


class CommitGuard(Protocol):
    """Told when a commit starts and ends (the provider: no reload starts meanwhile)."""

    def begin_commit(self) -> None: ...

    def end_commit(self) -> None: ...


@dataclass(frozen=True)
class StartResult:
    """What `call_start` got back: the run id (and its stored record), or the error."""

    run_id: str | None = None
    record: RunRecord | None = None
    error: TuiEditorError | None = None


@dataclass(frozen=True)
class DecideRequest:
    run_id: str
    accept: bool
    preview: Mapping[str, Any] | None


@dataclass(frozen=True)
class DecideResult:
    """What `call_decide` got back: the decision, or the error (and, when the run had moved on, its
    stored record, so the flow shows where it really stands)."""

    decision: Decision | None = None
    error: TuiEditorError | None = None
    record: RunRecord | None = None


def _unexpected(exc: Exception) -> TuiEditorError:
    """A bug in a backend call, as an error the flow can finish with (so it never stays stuck)."""
    log.error("engine call failed", exc_info=exc)
    return TuiEditorError(f"{type(exc).__name__}: {exc}")


def call_start(backend: FlowBackend, request: StartRequest) -> StartResult:
    """Blocking: start the run and read its record (events may have landed before the run id was
    known). Failures, expected or not, come back in the result, never as exceptions."""
    try:
        run_id = backend.start(request)
    except TuiEditorError as exc:
        return StartResult(error=exc)
    except Exception as exc:  # noqa: BLE001
        return StartResult(error=_unexpected(exc))
    try:
        record: RunRecord | None = backend.get(run_id)
    except TuiEditorError:
        record = None
    return StartResult(run_id=run_id, record=record)


def call_decide(backend: FlowBackend, request: DecideRequest) -> DecideResult:
    """Blocking: accept or reject the run. Failures, expected or not, come back in the result."""
    try:
        return DecideResult(decision=backend.decide(request.run_id, request.accept))
    except DecisionError as exc:  # someone else decided, or the preview expired
        try:
            record: RunRecord | None = backend.get(request.run_id)
        except TuiEditorError:
            record = None
        return DecideResult(error=exc, record=record)
    except TuiEditorError as exc:
        return DecideResult(error=exc)
    except Exception as exc:  # noqa: BLE001
        return DecideResult(error=_unexpected(exc))


def call_cancel(backend: FlowBackend, run_id: str) -> TuiEditorError | None:
    """Blocking: cancel the run; the error, if it could not be cancelled (never raises)."""
    try:
        backend.cancel(run_id)
    except TuiEditorError as exc:
        return exc
    except Exception as exc:  # noqa: BLE001
        return _unexpected(exc)
    return None


@dataclass(frozen=True)
class FlowState:
    phase: Phase = "idle"
    run_id: str | None = None
    preview: Mapping[str, Any] | None = None
    preview_token: int = 0
    is_review_open: bool = False
    error: str | None = None
    retryable: bool = True
    progress: Progress | None = None
    notice: str | None = None
    """A one-off message for the user (e.g. "Preview rejected"), cleared by the next change."""

    @property
    def is_generating(self) -> bool:
        return self.phase in ("starting", "generating")

    @property
    def is_decision_pending(self) -> bool:
        return self.phase == "deciding"

    @property
    def has_preview(self) -> bool:
        return self.preview is not None and self.phase in ("preview_ready", "deciding")


@dataclass(frozen=True)
class Accepted:
    """Outcome: the preview was committed (here or by someone else)."""

    run_id: str
    asset: Mapping[str, Any]
    revision: int | None


Listener = Callable[[FlowState, "Accepted | None"], None]


@dataclass
class _Seen:
    ids: set[int] = field(default_factory=set)


class AssetGenerationFlow:
    def __init__(
        self,
        kind: AssetKind,
        backend: FlowBackend,
        *,
        lecture_id: str,
        clip_id: str,
        commit_guard: CommitGuard | None = None,
    ) -> None:
        self.kind = kind
        self.backend = backend
        self.lecture_id = lecture_id
        self.clip_id = clip_id
        self._commit_guard = commit_guard
        self._commit_held = False
        self._state = FlowState()
        self._listeners: list[Listener] = []
        self._last_fields: Mapping[str, Any] | None = None
        self._seen = _Seen()
        self._starting: StartRequest | None = None  # the start whose run id is not known yet
        self._early: list[RunEventData] = []  # events that arrived meanwhile (maybe of that run)

    # --- observation ---------------------------------------------------------------------------
    @property
    def state(self) -> FlowState:
        return self._state

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _set(self, outcome: Accepted | None = None, **changes: Any) -> None:
        changes.setdefault("notice", None)
        new = replace(self._state, **changes)
        if new.preview_token < self._state.preview_token:  # the token only grows
            new = replace(new, preview_token=self._state.preview_token)
        if new.phase in ("idle", "failed", "starting", "generating"):
            new = replace(new, preview=None)
        if new.preview is None or new.phase not in ("preview_ready", "deciding"):
            new = replace(new, is_review_open=False)
        if new.phase != "starting" or new.run_id is not None:
            self._starting = None
            self._early = []
        self._state = new
        for listener in list(self._listeners):
            listener(new, outcome)

    def _require(self, *allowed: Phase, action: str) -> FlowState:
        if self._state.phase not in allowed:
            raise FlowError(self._refusal(action))
        return self._state

    def _refusal(self, action: str) -> str:
        phase = self._state.phase
        label = self.kind.label.lower()
        if phase in ("starting", "generating"):
            return f"cannot {action}: the {label} is still generating"
        if phase == "preview_ready":
            return f"cannot {action}: a {label} preview is waiting — accept or reject it first"
        if phase == "deciding":
            return f"cannot {action}: a decision is being saved"
        return f"cannot {action}: there is no {label} preview"

    # --- starting ------------------------------------------------------------------------------
    def begin_start(self, fields: Mapping[str, Any], *, seed: int | None = None) -> StartRequest:
        """Validate the draft's fields and enter `starting`; returns the request for `call_start`
        (`seed`: the generator's seed; None lets the engine draw one)."""
        self._require("idle", "failed", action="generate")
        clean = self.kind.validate_request(fields)
        self._last_fields = dict(clean)
        self._seen = _Seen()
        self._set(phase="starting", run_id=None, preview=None, error=None, progress=None)
        request = StartRequest(
            lecture_id=self.lecture_id, clip_id=self.clip_id, kind=self.kind.name, fields=clean, seed=seed
        )
        self._starting = request
        return request

    def begin_retry(self) -> StartRequest:
        if self._last_fields is None:
            raise FlowError("nothing to retry")
        return self.begin_start(self._last_fields)

    def finish_start(self, request: StartRequest, result: StartResult) -> None:
        """`call_start` returned. Ignored if the flow moved on meanwhile (cancelled, left the clip)."""
        if request is not self._starting:
            return
        early = self._early
        if result.error is not None or result.run_id is None:
            message = result.error.message if result.error is not None else "the run did not start"
            self._set(phase="failed", error=message, retryable=True)
            return
        self._set(phase="generating", run_id=result.run_id)
        if result.record is not None:
            self._apply_record(result.record)
        for event in early:  # events that landed before we knew the run id
            self.handle_event(event)

    def start(self, fields: Mapping[str, Any]) -> str:
        """Start a run on this thread; returns the run id. Errors end in the `failed` phase and raise."""
        return self._start(self.begin_start(fields))

    def retry(self) -> str:
        return self._start(self.begin_retry())

    def _start(self, request: StartRequest) -> str:
        result = call_start(self.backend, request)
        self.finish_start(request, result)
        if result.error is not None:
            raise result.error
        assert result.run_id is not None
        return result.run_id

    @property
    def can_retry(self) -> bool:
        return self._state.phase == "failed" and self._last_fields is not None

    # --- reviewing -----------------------------------------------------------------------------
    def open_review(self) -> None:
        self._require("preview_ready", "deciding", action="review")
        self._set(is_review_open=True)

    def close_review(self) -> None:
        """Close the review; the preview stays pending and can be reopened."""
        if self._state.is_review_open:
            self._set(is_review_open=False)

    # --- deciding ------------------------------------------------------------------------------
    def begin_decide(self, accept: bool) -> DecideRequest:
        """Enter `deciding` (a commit is in flight until `finish_decide`); returns the request."""
        state = self._require("preview_ready", action="accept" if accept else "reject")
        assert state.run_id is not None
        if self._commit_guard is not None and not self._commit_held:
            self._commit_guard.begin_commit()
            self._commit_held = True
        self._set(phase="deciding", is_review_open=state.is_review_open, error=None)
        return DecideRequest(run_id=state.run_id, accept=accept, preview=state.preview)

    def _release_commit(self) -> None:
        if self._commit_held and self._commit_guard is not None:
            self._commit_held = False
            self._commit_guard.end_commit()

    def finish_decide(self, request: DecideRequest, result: DecideResult) -> None:
        """`call_decide` returned: finish the run, or go back to the preview with the error."""
        self._release_commit()
        if self._state.phase != "deciding" or self._state.run_id != request.run_id:
            return  # the clip was left meanwhile
        error = result.error
        if error is None:
            decision = result.decision
            if request.accept:
                saved = decision.asset if decision is not None else None
                asset = saved if saved is not None else request.preview or {}
                revision = decision.revision if decision is not None else None
                accepted = Accepted(run_id=request.run_id, asset=asset, revision=revision)
                self._finish(accepted, notice="Accepted")
            else:
                self._finish(None, notice="Preview rejected — your draft is kept")
        elif isinstance(error, ConflictError):
            self._set(phase="preview_ready", error=error.message, retryable=False)
        else:
            if result.record is not None:  # decided elsewhere or expired: show where the run stands
                self._apply_record(result.record)
            if self._state.phase in ("preview_ready", "deciding"):
                self._set(phase="preview_ready", error=error.message)

    def accept(self) -> Decision:
        return self._decide(True)

    def reject(self) -> Decision:
        return self._decide(False)

    def _decide(self, accept: bool) -> Decision:
        request = self.begin_decide(accept)
        result = call_decide(self.backend, request)
        self.finish_decide(request, result)
        if result.error is not None:
            raise result.error
        assert result.decision is not None
        return result.decision

    # --- cancelling ----------------------------------------------------------------------------
    def begin_cancel(self) -> str | None:
        """The run to cancel with `call_cancel`; None when it has no id yet (then it is dropped now)."""
        state = self._require("starting", "generating", action="cancel")
        if state.run_id is None:
            self._finish(None, notice="Generation cancelled")
        return state.run_id

    def finish_cancel(self, run_id: str, error: TuiEditorError | None) -> None:
        """`call_cancel` returned; on an error nothing changes (the caller reports it)."""
        if error is None and self._state.run_id == run_id:
            self._finish(None, notice="Generation cancelled")

    def cancel(self) -> None:
        run_id = self.begin_cancel()
        if run_id is None:
            return
        error = call_cancel(self.backend, run_id)
        self.finish_cancel(run_id, error)
        if error is not None:
            raise error

    # --- leaving -------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the run (leaving the clip). The run itself goes on; `attach` picks it up again."""
        self._release_commit()  # a decision still in flight must not hold up reloads
        self._seen = _Seen()
        self._set(phase="idle", run_id=None, preview=None, error=None, progress=None)

    def _finish(self, outcome: Accepted | None, *, notice: str) -> None:
        self._set(outcome, phase="idle", run_id=None, preview=None, error=None, progress=None, notice=notice)

    # --- reconciliation ------------------------------------------------------------------------
    def attach(self, record: RunRecord) -> None:
        """Adopt an existing run of this clip (reopening the clip, another process's run)."""
        if record.clip_id != self.clip_id or record.kind != self.kind.name:
            return
        if record.status not in ("queued", "generating", "preview_ready", "failed"):
            return
        self._seen = _Seen()
        self._last_fields = dict(record.request.get("fields", {})) or self._last_fields
        self._set(phase="starting", run_id=record.id, preview=None, error=None, progress=None)
        self._apply_record(record)

    def apply_record(self, record: RunRecord) -> None:
        """Bring the state up to date with the current run's stored record."""
        if record.id == self._state.run_id:
            self._apply_record(record)

    def _apply_record(self, record: RunRecord) -> None:
        status = record.status
        if status in ("queued", "generating"):
            if self._state.phase in ("starting", "generating"):
                progress = self._state.progress
                stored = record.preview.get("progress") if record.preview else None
                if isinstance(stored, Mapping):
                    progress = Progress(
                        int(stored.get("step", 0)),
                        int(stored.get("total_steps", 1)),
                        str(stored.get("message", "")),
                    )
                self._set(phase="generating", progress=progress)
        elif status == "preview_ready":
            asset = record.preview_asset
            if asset is not None and self._state.phase in ("starting", "generating"):
                self._set(
                    phase="preview_ready", preview=dict(asset), preview_token=self._state.preview_token + 1
                )
        elif status == "failed":
            self._set(
                phase="failed", error=record.error or "generation failed", retryable=True, progress=None
            )
        elif status == "expired":
            self._set(
                phase="failed", error="the preview expired before a decision", retryable=True, progress=None
            )
        elif status == "accepted":
            asset = record.preview_asset
            if asset is not None:
                self._finish(
                    Accepted(run_id=record.id, asset=dict(asset), revision=None), notice="Accepted elsewhere"
                )
            else:
                self._finish(None, notice="Accepted elsewhere")
        elif status == "rejected":
            self._finish(None, notice="Preview rejected")
        elif status == "cancelled":
            self._finish(None, notice="Generation cancelled")

    def handle_event(self, event: RunEventData) -> None:
        """Feed one run event. Other runs' events, duplicates and stale events change nothing."""
        state = self._state
        if self._starting is not None:
            if (
                event.lecture_id == self.lecture_id
                and event.kind == self.kind.name
                and len(self._early) < 1000
            ):
                self._early.append(event)
            return
        if event.run_id != state.run_id or state.run_id is None:
            return
        if event.id is not None:
            if event.id in self._seen.ids:
                return
            self._seen.ids.add(event.id)
        running = state.phase in ("starting", "generating")
        pending = state.phase == "preview_ready"  # while "deciding", our own decision finishes the run
        payload = event.payload
        if event.type == "status":
            if running:
                progress = Progress(
                    int(payload["step"]), int(payload["total_steps"]), str(payload.get("message", ""))
                )
                if state.progress is None or progress.step >= state.progress.step:
                    self._set(phase="generating", progress=progress)
        elif event.type == "preview":
            asset = self.kind.extract_preview(payload) if "asset" in payload else None
            if asset is not None and running:
                self._set(
                    phase="preview_ready",
                    preview=asset,
                    preview_token=state.preview_token + 1,
                    progress=None,
                )
        elif event.type == "error":
            if running:
                self._set(
                    phase="failed",
                    error=str(payload.get("message") or "generation failed"),
                    retryable=bool(payload.get("retryable", True)),
                    progress=None,
                )
        elif event.type == "expired":
            if pending:
                self._set(
                    phase="failed",
                    error="the preview expired before a decision",
                    retryable=True,
                    progress=None,
                )
        elif event.type == "complete":
            if pending:
                accepted = state.preview
                outcome = (
                    Accepted(state.run_id, accepted, int(payload["revision"]))
                    if accepted is not None
                    else None
                )
                self._finish(outcome, notice="Accepted elsewhere")
            elif running:  # the preview event was lost or reordered: the reload shows the asset
                self._finish(None, notice="Accepted elsewhere")
        elif event.type == "rejected":
            if pending:
                self._finish(None, notice="Preview rejected elsewhere")
        elif event.type == "cancelled":
            if running:
                self._finish(None, notice="Generation cancelled")
