"""A generation run as the rest of the program sees it (read-only), and its lifecycle states."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class RunStatus(StrEnum):
    """Where a run is in its lifecycle (DESIGN.md §4); the values are what the store and JSON hold."""

    QUEUED = "queued"
    GENERATING = "generating"
    PREVIEW_READY = "preview_ready"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    FAILED = "failed"
    EXPIRED = "expired"


RUN_STATUSES: tuple[RunStatus, ...] = tuple(RunStatus)
#: A generator works (or is about to work) on the run.
ACTIVE_STATUSES = frozenset({RunStatus.QUEUED, RunStatus.GENERATING})
#: No generator works on it any more: a preview waits for a decision, or the run is final.
INACTIVE_STATUSES = frozenset(RunStatus) - ACTIVE_STATUSES
#: Not decided yet: active, or a preview waits for a decision.
OPEN_STATUSES = ACTIVE_STATUSES | {RunStatus.PREVIEW_READY}
#: The run will never change again.
FINAL_STATUSES = frozenset(RunStatus) - OPEN_STATUSES
#: Final by the user's own choice: accepted, rejected or cancelled.
ENDED_BY_USER = frozenset({RunStatus.ACCEPTED, RunStatus.REJECTED, RunStatus.CANCELLED})
#: Final without the user's choice: the generation failed, or its preview expired undecided.
ENDED_BY_SYSTEM = FINAL_STATUSES - ENDED_BY_USER


@dataclass(frozen=True)
class RunRecord:
    id: str
    lecture_id: str
    clip_id: str
    kind: str
    status: RunStatus
    request: Mapping[str, Any]
    preview: Mapping[str, Any] | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    decided_by: str | None = None
    base_revision: int | None = None
    base_asset_updated_at: datetime | None = None
    owner: str | None = None
    # Takes (0004)
    seed: int | None = None
    starred: bool = False
    decided_at: datetime | None = None
    decided_asset_updated_at: datetime | None = None
    take_file: str | None = None
    committed_file: str | None = None
    replaced: Mapping[str, Any] | None = None
    pruned_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def preview_asset(self) -> Mapping[str, Any] | None:
        """The previewed asset in its saved shape (the `asset` of the preview payload)."""
        if not self.preview:
            return None
        asset = self.preview.get("asset")
        return asset if isinstance(asset, Mapping) else None

    def to_json(self) -> dict[str, Any]:
        """The stable `runs --json` shape."""
        return {
            "id": self.id,
            "lecture_id": self.lecture_id,
            "clip_id": self.clip_id,
            "kind": self.kind,
            "status": self.status,
            "error": self.error,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "seed": self.seed,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
        }
