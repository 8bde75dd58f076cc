from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile import JSON_VALUES, hostile_text, mutated_document
from tui_editor.core.events import EventError, RunEventData, parse_event
from tui_editor.core.kinds import KIND_NAMES
from tui_editor.core.revisions import REVISION_SOURCES

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


# --- `revised`: a lecture revision made without a run --------------------------------------------

REVISED = {"run_id": "", "lecture_id": "lec_1", "kind": "", "type": "revised"}


@pytest.mark.parametrize("source", ["retime", "restore", "edit"])
def test_a_revised_event_has_no_run_and_no_kind(source: str) -> None:
    event = parse_event(REVISED | {"payload": {"revision": 7, "source": source, "extra": "dropped"}, "id": 3})
    assert (event.run_id, event.kind, event.type) == ("", "", "revised")
    assert dict(event.payload) == {"revision": 7, "source": source}
    assert event.lecture_level and not event.terminal


def test_run_events_are_not_lecture_level() -> None:
    event = parse_event(BASE | {"type": "complete", "payload": {"asset_id": "mus_1", "revision": 4}})
    assert not event.lecture_level


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            REVISED | {"run_id": "run_1", "payload": {"revision": 2, "source": "retime"}},
            "'run_id' must be empty",
        ),
        (REVISED | {"kind": "music", "payload": {"revision": 2, "source": "retime"}}, "'kind' must be empty"),
        (
            {k: v for k, v in REVISED.items() if k != "run_id"}
            | {"payload": {"revision": 2, "source": "edit"}},
            "run_id",
        ),
        (
            {k: v for k, v in REVISED.items() if k != "kind"}
            | {"payload": {"revision": 2, "source": "edit"}},
            "kind",
        ),
        (REVISED | {"run_id": None, "payload": {"revision": 2, "source": "edit"}}, "run_id"),
        (REVISED | {"payload": {"source": "retime"}}, "revision"),
        (REVISED | {"payload": {"revision": "2", "source": "retime"}}, "wrong type"),
        (REVISED | {"payload": {"revision": True, "source": "retime"}}, "wrong type"),
        (REVISED | {"payload": {"revision": 2.0, "source": "retime"}}, "wrong type"),
        (REVISED | {"payload": {"revision": 0, "source": "retime"}}, "not positive"),
        (REVISED | {"payload": {"revision": -3, "source": "retime"}}, "not positive"),
        (REVISED | {"payload": {"revision": 2}}, "source"),
        (REVISED | {"payload": {"revision": 2, "source": 5}}, "wrong type"),
        (REVISED | {"payload": {"revision": 2, "source": "rm -rf"}}, "unknown revision source"),
        (REVISED | {"payload": {"revision": 2, "source": "Retime"}}, "unknown revision source"),
        (REVISED | {"payload": None}, "revision"),
        (REVISED | {"lecture_id": "", "payload": {"revision": 2, "source": "edit"}}, "lecture_id"),
        # Only `revised` may leave the run and the kind empty.
        (BASE | {"run_id": "", "type": "cancelled"}, "run_id"),
        (BASE | {"kind": "", "type": "complete", "payload": {"asset_id": "a", "revision": 2}}, "kind"),
    ],
)
def test_malformed_revised_events_are_rejected_with_a_reason(raw: Any, message: str) -> None:
    with pytest.raises(EventError, match=message):
        parse_event(raw)


def _holds_the_event_rules(event: RunEventData) -> None:
    """What every parsed event satisfies, whatever the input was."""
    assert event.lecture_id and isinstance(event.lecture_id, str)
    if event.type == "revised":
        assert event.run_id == "" and event.kind == "" and event.lecture_level
        assert set(event.payload) == {"revision", "source"}
        revision = event.payload["revision"]
        assert type(revision) is int and revision >= 1
        assert event.payload["source"] in REVISION_SOURCES
    else:
        assert event.run_id and isinstance(event.run_id, str) and event.kind in KIND_NAMES
        assert not event.lecture_level


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    base=st.sampled_from(
        [
            REVISED | {"payload": {"revision": 4, "source": "retime"}, "id": 9},
            BASE | {"type": "complete", "payload": {"asset_id": "mus_1", "revision": 4}, "id": 9},
        ]
    ),
)
def test_hostile_events_are_parsed_strictly_or_rejected(data: st.DataObject, base: dict[str, Any]) -> None:
    raw = data.draw(mutated_document(base))
    try:
        event = parse_event(raw)
    except EventError:
        return
    _holds_the_event_rules(event)


@settings(max_examples=200)
@given(
    run_id=st.one_of(JSON_VALUES, hostile_text()),
    kind=st.one_of(JSON_VALUES, st.sampled_from(sorted(KIND_NAMES))),
    payload=st.one_of(JSON_VALUES, st.fixed_dictionaries({"revision": JSON_VALUES, "source": JSON_VALUES})),
)
def test_a_revised_event_is_accepted_only_in_its_one_shape(run_id: Any, kind: Any, payload: Any) -> None:
    raw = {"run_id": run_id, "lecture_id": "lec_1", "kind": kind, "type": "revised", "payload": payload}
    try:
        event = parse_event(raw)
    except EventError:
        return
    _holds_the_event_rules(event)
    assert run_id == "" and kind == ""
