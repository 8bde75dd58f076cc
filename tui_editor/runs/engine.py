"""The run engine interface every engine (embedded `local`, distributed `temporal`) implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..core.flow import Decision, StartRequest
from ..core.run_record import RunRecord
from ..core.store import Store
from .hub import EventHub


class RunEngine(Protocol):
    store: Store
    hub: EventHub

    #: True when runs outlive the process that started them (so `regenerate --no-wait` makes sense).
    runs_outlive_process: bool

    def start(self, request: StartRequest) -> str:
        """Record a new run (status `queued`) and begin generating in the background; return its id."""
        ...

    def decide(self, run_id: str, accept: bool, *, decided_by: str | None = None) -> Decision:
        """Accept (commit the preview, one transaction) or reject (commit nothing) a `preview_ready` run.

        Raises `DecisionError` when the run is not awaiting a decision, `ConflictError` when the
        lecture changed under it, `NotFoundError` for an unknown run.
        """
        ...

    def cancel(self, run_id: str) -> None:
        """Stop a queued or generating run; its preview files are deleted."""
        ...

    def get(self, run_id: str) -> RunRecord: ...

    def list(
        self,
        *,
        lecture_id: str | None = None,
        clip_id: str | None = None,
        statuses: Sequence[str] | None = None,
    ) -> list[RunRecord]: ...

    def close(self) -> None:
        """Stop background work. Runs still generating in this process are marked interrupted."""
        ...
