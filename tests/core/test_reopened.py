"""An undone decision: the `reopened` event puts a decided run's preview up again (board, provider)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tui_editor.core.events import EventError, RunEventData, parse_event
from tui_editor.core.runboard import RunBoard, synthetic_record

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def event(kind: str, payload: dict[str, object], seconds: int) -> RunEventData:
    return RunEventData("run_1", "lec_1", "visual", kind, payload, created_at=T0 + timedelta(seconds=seconds))


def test_board_takes_a_decided_run_back_to_preview_ready() -> None:
    record = synthetic_record(
        run_id="run_1", lecture_id="lec_1", clip_id="clip_1", kind="visual", status="preview_ready",
        preview={"id": "a", "prompt": "one"}, when=T0,
    )  # fmt: skip
    board = RunBoard("lec_1", [record])
    assert board.apply_event(event("rejected", {"decided_by": "ann"}, 1)) == {"clip_1"}
    assert board.state_of("clip_1") == "idle" and board.pending_reviews() == []
    reopened = event("reopened", {"asset": {"id": "a", "prompt": "one"}}, 2)
    assert board.apply_event(reopened) == {"clip_1"}
    assert [r.run_id for r in board.pending_reviews()] == ["run_1"]
    assert board.runs["run_1"].preview == {"id": "a", "prompt": "one"}
    # a stale record (read before the undo) does not take it back; a newer one does
    stale = replace(record, status="rejected", updated_at=T0 + timedelta(seconds=1))  # type: ignore[arg-type]
    assert board.apply_record(stale) == set()
    assert board.runs["run_1"].status == "preview_ready"


def test_a_newer_preview_ready_record_reopens_too() -> None:
    record = synthetic_record(
        run_id="run_1", lecture_id="lec_1", clip_id="clip_1", kind="visual", status="accepted", when=T0
    )
    board = RunBoard("lec_1", [record])
    newer = replace(
        synthetic_record(
            run_id="run_1", lecture_id="lec_1", clip_id="clip_1", kind="visual", status="preview_ready",
            preview={"id": "a"}, when=T0,
        ),
        updated_at=T0 + timedelta(seconds=5),
    )  # fmt: skip
    assert board.apply_record(newer) == {"clip_1"}
    assert board.runs["run_1"].status == "preview_ready"


def test_reopened_and_restored_events_are_validated() -> None:
    base = {"run_id": "run_1", "lecture_id": "lec_1", "kind": "visual"}
    assert parse_event(base | {"type": "reopened", "payload": {"asset": {"id": "a"}}}).payload["asset"] == {
        "id": "a"
    }
    assert (
        parse_event(base | {"type": "restored", "payload": {"asset_id": "a", "revision": 3}}).payload[
            "revision"
        ]
        == 3
    )
    with pytest.raises(EventError):
        parse_event(base | {"type": "reopened", "payload": {}})
    with pytest.raises(EventError):
        parse_event(base | {"type": "restored", "payload": {"asset_id": "a", "revision": "3"}})
