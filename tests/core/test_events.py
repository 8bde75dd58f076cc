from __future__ import annotations

from typing import Any

import pytest

from tui_editor.core.events import EventError, parse_event

BASE = {"run_id": "run_1", "lecture_id": "lec_1", "kind": "music"}


@pytest.mark.parametrize(
    ("type_", "payload"),
    [
        ("status", {"step": 1, "total_steps": 3, "message": "Mixing"}),
        ("preview", {"asset": {"prompt": "x"}}),
        ("complete", {"asset_id": "mus_1", "revision": 4}),
        ("error", {"message": "boom", "retryable": False}),
        ("cancelled", {}),
        ("expired", {}),
        ("rejected", {"decided_by": "ana"}),
    ],
)
def test_valid_events_parse(type_: str, payload: dict[str, Any]) -> None:
    event = parse_event(
        BASE | {"type": type_, "payload": payload, "id": 9, "created_at": "2026-01-01T00:00:00"}
    )
    assert event.type == type_ and event.id == 9
    assert event.created_at.tzinfo is not None
    assert event.to_json()["payload"] == dict(event.payload)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not a dict", "not an object"),
        (BASE | {"type": "explode"}, "unknown event type"),
        ({"lecture_id": "l", "kind": "music", "type": "cancelled"}, "run_id"),
        (BASE | {"kind": "video", "type": "cancelled"}, "kind"),
        (BASE | {"type": "status", "payload": {"step": 5, "total_steps": 3}}, "out of range"),
        (BASE | {"type": "status", "payload": {"step": "1", "total_steps": 3}}, "wrong type"),
        (BASE | {"type": "status", "payload": {"step": True, "total_steps": 3}}, "wrong type"),
        (BASE | {"type": "preview", "payload": {}}, "asset"),
        (BASE | {"type": "complete", "payload": {"asset_id": "a"}}, "revision"),
        (BASE | {"type": "error", "payload": {"message": 3}}, "message"),
        (BASE | {"type": "cancelled", "payload": [1]}, "payload"),
        (BASE | {"type": "cancelled", "created_at": "yesterday"}, "created_at"),
        (BASE | {"type": "cancelled", "id": "7"}, "id"),
    ],
)
def test_malformed_events_are_rejected_with_a_reason(raw: Any, message: str) -> None:
    with pytest.raises(EventError, match=message):
        parse_event(raw)
