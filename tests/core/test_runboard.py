"""`RunBoard`: runs only move forward, unknown runs wait for their record, other lectures are ignored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tui_editor.core.events import RunEventData
from tui_editor.core.runboard import RunBoard, synthetic_record

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_board_moves_forward_only_and_holds_unknown_runs() -> None:
    board = RunBoard("lec_1")
    status = RunEventData("r1", "lec_1", "visual", "status", {"step": 1, "total_steps": 3}, created_at=T0)
    assert board.apply_event(status) is None  # unknown run: held
    assert board.needs_lookup("r1") is True
    assert board.needs_lookup("r1") is False  # only once
    preview = RunEventData("r1", "lec_1", "visual", "preview", {"asset": {"prompt": "x"}}, created_at=T0)
    assert board.apply_event(preview) is None
    record = synthetic_record(
        run_id="r1", lecture_id="lec_1", clip_id="c1", kind="visual", status="generating"
    )
    assert board.apply_record(record) == {"c1"}
    run = board.for_clip("c1")
    assert run is not None and run.status == "preview_ready" and run.label == "preview ready"
    # Late events change nothing.
    assert board.apply_event(status) == set()
    assert board.pending_reviews() == [run]
    assert board.counts() == {"generating": 0, "preview_ready": 1, "failed": 0}
    done = RunEventData("r1", "lec_1", "visual", "complete", {"asset_id": "a", "revision": 2})
    assert board.apply_event(done) == {"c1"}
    assert board.state_of("c1") == "idle" and board.pending_reviews() == []
    # A late record of an older state does not go backwards either.
    assert board.apply_record(record) == set()
    assert board.state_of("c1") == "idle"


def test_board_ignores_other_lectures_and_tracks_the_newest_run_per_clip() -> None:
    board = RunBoard("lec_1")
    assert (
        board.apply_event(RunEventData("rx", "lec_2", "visual", "status", {"step": 0, "total_steps": 1}))
        == set()
    )
    old = synthetic_record(
        run_id="old", lecture_id="lec_1", clip_id="c1", kind="visual", status="failed", when=T0
    )
    new = synthetic_record(
        run_id="new", lecture_id="lec_1", clip_id="c1", kind="visual", status="queued", when=T0 + timedelta(1)
    )
    board.apply_record(new)
    board.apply_record(old)
    newest = board.for_clip("c1")
    assert newest is not None and newest.run_id == "new"
    assert board.state_of("c1") == "queued"
    error = RunEventData("new", "lec_1", "visual", "error", {"message": "boom", "retryable": True})
    board.apply_event(error)
    failed = board.for_clip("c1")
    assert board.state_of("c1") == "failed" and failed is not None and failed.error == "boom"
    assert board.counts()["failed"] == 1


def test_a_revised_event_is_not_a_run_the_board_looks_up() -> None:
    """A run-less revision (`revised`: no run id) changes no run: the board passes it by and never asks
    for a run record with an empty id."""
    board = RunBoard("lec_1")
    board.apply_record(
        synthetic_record(run_id="r1", lecture_id="lec_1", clip_id="c1", kind="visual", status="generating")
    )
    revised = RunEventData("", "lec_1", "", "revised", {"revision": 5, "source": "retime"})
    assert board.apply_event(revised) == set()
    assert "" not in board.runs and board.state_of("c1") == "generating"
    assert board.needs_lookup("r1") is False  # nothing held or asked for by the revised event
