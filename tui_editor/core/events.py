"""Run events: one schema for all asset kinds, validated on the way in.

Every event carries `run_id`, `lecture_id`, `kind`, `type`, a `payload` and `created_at`; stored events
also carry a monotonically increasing `id`. `parse_event` is the only way in: a malformed event raises
`EventError`, which subscribers log and drop.

One type is not about a run: `revised` announces a lecture revision made without one (a retime, a
restore, a clear-stale), written in the revision's own transaction. It has an empty `run_id` and an
empty `kind` (no run, no asset kind) and the payload `{revision, source}`; every other type has neither
empty. `RunEventData.lecture_level` tells consumers keyed by run to pass it by.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal, get_args

from .clock import as_utc, utcnow
from .kinds import KIND_NAMES
from .revisions import REVISION_SOURCES

EventType = Literal[
    "status",
    "preview",
    "complete",
    "error",
    "cancelled",
    "expired",
    "rejected",
    # A decision was undone: the run's preview waits for a decision again (payload: the preview asset).
    "reopened",
    # A take was made current again (payload: asset_id, revision); the run's status does not change.
    "restored",
    # A lecture revision made without a run (payload: revision, source); run_id and kind are empty.
    "revised",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
#: Events about the lecture, not a run: their `run_id` and `kind` are empty.
LECTURE_EVENT_TYPES = frozenset({"revised"})
TERMINAL_EVENT_TYPES = frozenset({"complete", "error", "cancelled", "expired", "rejected"})


class EventError(ValueError):
    """A malformed event; the message says which part is wrong."""


@dataclass(frozen=True, slots=True)
class RunEventData:
    run_id: str
    lecture_id: str
    kind: str
    type: str
    payload: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    created_at: datetime = field(default_factory=utcnow)
    id: int | None = None

    @property
    def terminal(self) -> bool:
        return self.type in TERMINAL_EVENT_TYPES

    @property
    def lecture_level(self) -> bool:
        """An event about the lecture (no run, no kind): consumers keyed by run ignore it."""
        return self.type in LECTURE_EVENT_TYPES

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "run_id": self.run_id,
            "lecture_id": self.lecture_id,
            "kind": self.kind,
            "type": self.type,
            "payload": dict(self.payload),
            "created_at": self.created_at.isoformat(),
        }


def _require(payload: Mapping[str, Any], name: str, types: type | tuple[type, ...], event_type: str) -> Any:
    if name not in payload:
        raise EventError(f"{event_type} event: payload has no '{name}'")
    value = payload[name]
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise EventError(f"{event_type} event: '{name}' has the wrong type")
    if not isinstance(value, types):
        raise EventError(f"{event_type} event: '{name}' has the wrong type")
    return value


def _validate_payload(event_type: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if event_type == "status":
        step = _require(payload, "step", int, event_type)
        total = _require(payload, "total_steps", int, event_type)
        if total < 1 or not 0 <= step <= total:
            raise EventError(f"status event: step {step} of {total} is out of range")
        clean = {"step": step, "total_steps": total, "message": str(payload.get("message", ""))}
    elif event_type == "preview":
        asset = _require(payload, "asset", Mapping, event_type)
        clean = {"asset": dict(asset)}
    elif event_type == "complete":
        clean = {
            "asset_id": _require(payload, "asset_id", str, event_type),
            "revision": _require(payload, "revision", int, event_type),
        }
    elif event_type == "error":
        clean = {
            "message": _require(payload, "message", str, event_type),
            "retryable": bool(payload.get("retryable", True)),
        }
    elif event_type == "reopened":
        asset = _require(payload, "asset", Mapping, event_type)
        clean = {"asset": dict(asset), "decided_by": str(payload.get("decided_by") or "")}
    elif event_type == "restored":
        clean = {
            "asset_id": _require(payload, "asset_id", str, event_type),
            "revision": _require(payload, "revision", int, event_type),
        }
    elif event_type == "rejected":
        clean = {"decided_by": str(payload.get("decided_by") or "")}
    elif event_type == "revised":
        revision = _require(payload, "revision", int, event_type)
        if revision < 1:
            raise EventError(f"revised event: revision {revision} is not positive")
        source = _require(payload, "source", str, event_type)
        if source not in REVISION_SOURCES:
            raise EventError(f"revised event: unknown revision source {source!r}")
        clean = {"revision": revision, "source": source}
    return clean


def parse_event(raw: Mapping[str, Any]) -> RunEventData:
    """Validate a raw event (from the database, another process or a test) or raise `EventError`."""
    if not isinstance(raw, Mapping):
        raise EventError("event is not an object")
    for name in ("lecture_id", "type"):
        if not isinstance(raw.get(name), str) or not raw[name]:
            raise EventError(f"event has no valid '{name}'")
    event_type = raw["type"]
    if event_type not in EVENT_TYPES:
        raise EventError(f"unknown event type {event_type!r}")
    if event_type in LECTURE_EVENT_TYPES:  # about the lecture: no run, no kind — and nothing else there
        for name in ("run_id", "kind"):
            if raw.get(name) != "":
                raise EventError(f"{event_type} event: '{name}' must be empty")
    else:
        for name in ("run_id", "kind"):
            if not isinstance(raw.get(name), str) or not raw[name]:
                raise EventError(f"event has no valid '{name}'")
        if raw["kind"] not in KIND_NAMES:
            raise EventError(f"unknown asset kind {raw['kind']!r}")
    payload = raw.get("payload") or {}
    if not isinstance(payload, Mapping):
        raise EventError(f"{event_type} event: payload is not an object")
    created = raw.get("created_at")
    if isinstance(created, str):
        try:
            created = datetime.fromisoformat(created)
        except ValueError:
            raise EventError("event has an unreadable 'created_at'") from None
    if created is None:
        created = utcnow()
    if not isinstance(created, datetime):
        raise EventError("event has an unreadable 'created_at'")
    event_id = raw.get("id")
    if event_id is not None and (isinstance(event_id, bool) or not isinstance(event_id, int)):
        raise EventError("event has a non-integer 'id'")
    return RunEventData(
        run_id=raw["run_id"],
        lecture_id=raw["lecture_id"],
        kind=raw["kind"],
        type=event_type,
        payload=MappingProxyType(_validate_payload(event_type, payload)),
        created_at=as_utc(created),
        id=event_id,
    )
