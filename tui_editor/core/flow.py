"""`AssetGenerationFlow`: the one generate → review → accept/reject state machine for every kind.

The flow is UI-free and engine-agnostic. It talks to a `FlowBackend` (the run engine) to start, decide and
cancel runs, and is fed run events with `handle_event`. Events of other runs are ignored; duplicated or
out-of-order events are harmless because a run only ever moves forward:

    idle ─start─► starting ─► generating ─preview─► preview_ready ─accept/reject─► deciding ─► idle
                                  │  └─error/expired─► failed ─retry─► starting
                                  └─cancel─► idle

`preview_token` grows by one with every new preview and never goes down, so URLs built from it
(`core.urls.build_asset_url`) are new for every preview. Backend calls block (database writes), so a UI
calls `start`, `accept`, `reject` and `cancel` from a worker thread; the flow is thread-safe and tells
its listeners after every change.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from .errors import ConflictError, DecisionError, TuiEditorError
from .events import RunEventData
from .kinds import AssetKind
from .run_record import RunRecord

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
        commit_guard: Callable[[], contextlib.AbstractContextManager[Any]] | None = None,
    ) -> None:
        self.kind = kind
        self.backend = backend
        self.lecture_id = lecture_id
        self.clip_id = clip_id
        self._commit_guard = commit_guard or contextlib.nullcontext
        self._state = FlowState()
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        self._last_fields: Mapping[str, Any] | None = None
        self._seen = _Seen()

    # --- observation ---------------------------------------------------------------------------
    @property
    def state(self) -> FlowState:
        return self._state

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _set(self, outcome: Accepted | None = None, **changes: Any) -> None:
        with self._lock:
            changes.setdefault("notice", None)
            new = replace(self._state, **changes)
            if new.preview_token < self._state.preview_token:  # the token only grows
                new = replace(new, preview_token=self._state.preview_token)
            if new.phase in ("idle", "failed", "starting", "generating"):
                new = replace(new, preview=None)
            if new.preview is None or new.phase not in ("preview_ready", "deciding"):
                new = replace(new, is_review_open=False)
            self._state = new
        for listener in list(self._listeners):
            listener(new, outcome)

    @contextlib.contextmanager
    def _locked_phase(self, *allowed: Phase, action: str) -> Iterator[FlowState]:
        with self._lock:
            if self._state.phase not in allowed:
                raise FlowError(self._refusal(action))
            yield self._state

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

    # --- actions -------------------------------------------------------------------------------
    def start(self, fields: Mapping[str, Any]) -> str:
        """Start a run with the draft's fields; returns the run id. Errors end in the `failed` phase."""
        with self._locked_phase("idle", "failed", action="generate"):
            clean = self.kind.validate_request(fields)
            self._last_fields = dict(clean)
            self._seen = _Seen()
            self._set(phase="starting", run_id=None, preview=None, error=None, progress=None)
        try:
            run_id = self.backend.start(
                StartRequest(
                    lecture_id=self.lecture_id, clip_id=self.clip_id, kind=self.kind.name, fields=clean
                )
            )
        except TuiEditorError as exc:
            self._set(phase="failed", error=exc.message, retryable=True)
            raise
        with self._lock:
            if self._state.phase == "starting":
                self._set(phase="generating", run_id=run_id)
        self.sync()  # events may have landed before we knew the run id
        return run_id

    def retry(self) -> str:
        if self._last_fields is None:
            raise FlowError("nothing to retry")
        return self.start(self._last_fields)

    @property
    def can_retry(self) -> bool:
        return self._state.phase == "failed" and self._last_fields is not None

    def open_review(self) -> None:
        with self._locked_phase("preview_ready", "deciding", action="review"):
            self._set(is_review_open=True)

    def close_review(self) -> None:
        """Close the review; the preview stays pending and can be reopened."""
        with self._lock:
            if self._state.is_review_open:
                self._set(is_review_open=False)

    def accept(self) -> Decision:
        return self._decide(True)

    def reject(self) -> Decision:
        return self._decide(False)

    def _decide(self, accept: bool) -> Decision:
        action = "accept" if accept else "reject"
        with self._locked_phase("preview_ready", action=action) as state:
            run_id = state.run_id
            preview = state.preview
            self._set(phase="deciding", is_review_open=state.is_review_open, error=None)
        assert run_id is not None
        try:
            with self._commit_guard():
                decision = self.backend.decide(run_id, accept)
        except ConflictError as exc:
            self._set(phase="preview_ready", error=exc.message, retryable=False)
            raise
        except DecisionError as exc:
            # Someone else decided, or the preview expired: show where the run really stands.
            self.sync()
            if self._state.phase in ("preview_ready", "deciding"):
                self._set(phase="preview_ready", error=exc.message)
            raise
        except TuiEditorError as exc:
            self._set(phase="preview_ready", error=exc.message)
            raise
        if accept:
            asset = decision.asset if decision.asset is not None else preview or {}
            self._finish(Accepted(run_id=run_id, asset=asset, revision=decision.revision), notice="Accepted")
        else:
            self._finish(None, notice="Preview rejected — your draft is kept")
        return decision

    def cancel(self) -> None:
        with self._locked_phase("starting", "generating", action="cancel") as state:
            run_id = state.run_id
        if run_id is not None:
            self.backend.cancel(run_id)
        with self._lock:
            if self._state.run_id == run_id:
                self._finish(None, notice="Generation cancelled")

    def reset(self) -> None:
        """Forget the run (leaving the clip). The run itself goes on; `attach` picks it up again."""
        with self._lock:
            self._seen = _Seen()
            self._set(phase="idle", run_id=None, preview=None, error=None, progress=None)

    def _finish(self, outcome: Accepted | None, *, notice: str) -> None:
        self._set(outcome, phase="idle", run_id=None, preview=None, error=None, progress=None, notice=notice)

    # --- reconciliation ------------------------------------------------------------------------
    def attach(self, record: RunRecord) -> None:
        """Adopt an existing run of this clip (reopening the clip, another process's run)."""
        if record.clip_id != self.clip_id or record.kind != self.kind.name:
            return
        with self._lock:
            if record.status not in ("queued", "generating", "preview_ready", "failed"):
                return
            self._seen = _Seen()
            self._last_fields = dict(record.request.get("fields", {})) or self._last_fields
            self._set(phase="starting", run_id=record.id, preview=None, error=None, progress=None)
            self._apply_record(record)

    def sync(self) -> None:
        """Bring the state up to date with the run's stored record."""
        run_id = self._state.run_id
        if run_id is None:
            return
        try:
            record = self.backend.get(run_id)
        except TuiEditorError:
            return
        with self._lock:
            if self._state.run_id == run_id:
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
        with self._lock:
            state = self._state
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
