"""A generation run as the rest of the program sees it (read-only), and its lifecycle states."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

RunStatus = Literal[
    "queued", "generating", "preview_ready", "accepted", "rejected", "cancelled", "failed", "expired"
]
RUN_STATUSES: tuple[str, ...] = (
    "queued",
    "generating",
    "preview_ready",
    "accepted",
    "rejected",
    "cancelled",
    "failed",
    "expired",
)
ACTIVE_STATUSES = frozenset({"queued", "generating"})
OPEN_STATUSES = frozenset({"queued", "generating", "preview_ready"})
FINAL_STATUSES = frozenset({"accepted", "rejected", "cancelled", "failed", "expired"})


@dataclass(frozen=True)
class RunRecord:
    id: str
    lecture_id: str
    clip_id: str
    kind: str
    status: str
    request: Mapping[str, Any]
    preview: Mapping[str, Any] | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    decided_by: str | None = None
    base_revision: int | None = None
    base_asset_updated_at: datetime | None = None
    owner: str | None = None

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
        }
