"""An in-memory `FlowBackend` for unit tests of the flow state machine (the engine has its own tests)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from tui_editor.core.clock import utcnow
from tui_editor.core.errors import ConflictError, DecisionError, NotFoundError
from tui_editor.core.events import RunEventData, parse_event
from tui_editor.core.flow import Decision, StartRequest
from tui_editor.core.run_record import RunRecord, RunStatus


@dataclass
class ScriptedBackend:
    """Runs live in a dict; tests move them by building events with `event(...)`."""

    runs: dict[str, RunRecord] = field(default_factory=dict)
    calls: list[tuple[str, Any]] = field(default_factory=list)
    next_conflict: bool = False
    fail_start: str | None = None
    _counter: int = 0
    _event_id: int = 0

    def start(self, request: StartRequest) -> str:
        self.calls.append(("start", dict(request.fields)))
        if self.fail_start:
            raise DecisionError(self.fail_start)
        self._counter += 1
        run_id = f"run_{self._counter}"
        now = utcnow()
        self.runs[run_id] = RunRecord(
            id=run_id,
            lecture_id=request.lecture_id,
            clip_id=request.clip_id,
            kind=request.kind,
            status=RunStatus.QUEUED,
            request=MappingProxyType({"fields": dict(request.fields)}),
            preview=None,
            error=None,
            created_at=now,
            updated_at=now,
        )
        return run_id

    def _set(self, run_id: str, **changes: Any) -> None:
        from dataclasses import replace

        self.runs[run_id] = replace(self.runs[run_id], **changes)

    def decide(self, run_id: str, accept: bool) -> Decision:
        self.calls.append(("accept" if accept else "reject", run_id))
        run = self.runs[run_id]
        if run.status != "preview_ready":
            raise DecisionError(f"run {run_id} is {run.status}")
        if accept and self.next_conflict:
            self.next_conflict = False
            raise ConflictError("lecture changed")
        self._set(run_id, status="accepted" if accept else "rejected")
        asset = dict(run.preview_asset or {})
        return Decision(accepted=accept, asset=asset if accept else None, revision=7 if accept else None)

    def cancel(self, run_id: str) -> None:
        self.calls.append(("cancel", run_id))
        if self.runs[run_id].status not in ("queued", "generating"):
            raise DecisionError(f"run {run_id} is {self.runs[run_id].status}")
        self._set(run_id, status="cancelled")

    def get(self, run_id: str) -> RunRecord:
        if run_id not in self.runs:
            raise NotFoundError(run_id)
        return self.runs[run_id]

    def list(self, **_: Any) -> list[RunRecord]:
        return list(self.runs.values())

    # --- making events (and keeping the stored record in step, as the engine does) ------------
    def event(
        self, run_id: str, type_: str, payload: Mapping[str, Any] | None = None, *, store: bool = True
    ) -> RunEventData:
        self._event_id += 1
        event = parse_event(
            {
                "id": self._event_id,
                "run_id": run_id,
                "lecture_id": "lec",
                "kind": "narration",
                "type": type_,
                "payload": dict(payload or {}),
            }
        )
        # Move the stored record the way the engine's compare-and-set would; an event that the
        # engine could not have emitted from the run's status still reaches the flow (a stray).
        allowed = {
            "status": ({"queued", "generating"}, "generating"),
            "preview": ({"queued", "generating"}, "preview_ready"),
            "error": ({"queued", "generating"}, "failed"),
            "cancelled": ({"queued", "generating"}, "cancelled"),
            "expired": ({"preview_ready"}, "expired"),
            "complete": ({"preview_ready"}, "accepted"),
            "rejected": ({"preview_ready"}, "rejected"),
        }
        if store and run_id in self.runs:
            sources, status = allowed[type_]
            if self.runs[run_id].status in sources:
                changes: dict[str, Any] = {"status": status}
                if type_ == "preview":
                    changes["preview"] = MappingProxyType({"asset": dict(event.payload["asset"])})
                if type_ == "error":
                    changes["error"] = event.payload["message"]
                self._set(run_id, **changes)
        return event


def narration_asset(script: str = "New script", **extra: Any) -> dict[str, Any]:
    return {
        "id": "nar_1",
        "script": script,
        "model": "local/espeak",
        "voice": "en-us",
        "emotion": "neutral",
        "language": "en",
        "duration_s": 2.5,
        "file": "previews/run_1/narration.wav",
    } | extra
