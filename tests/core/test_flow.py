from __future__ import annotations

from typing import Any

import pytest

from tests.core.flow_support import ScriptedBackend, narration_asset
from tui_editor.core.errors import ConflictError, DecisionError
from tui_editor.core.flow import (
    Accepted,
    AssetGenerationFlow,
    DecideRequest,
    DecideResult,
    FlowError,
    FlowState,
    StartRequest,
    StartResult,
    call_cancel,
    call_decide,
    call_start,
)
from tui_editor.core.kinds import NARRATION, VISUAL


def phase(flow: AssetGenerationFlow) -> str:
    """The phase now (a call, so mypy does not narrow it across actions)."""
    return flow.state.phase


def make_flow(
    backend: ScriptedBackend | None = None,
) -> tuple[AssetGenerationFlow, ScriptedBackend, list[Any]]:
    backend = backend or ScriptedBackend()
    flow = AssetGenerationFlow(NARRATION, backend, lecture_id="lec", clip_id="clip_1")
    seen: list[tuple[FlowState, Accepted | None]] = []
    flow.subscribe(lambda state, outcome: seen.append((state, outcome)))
    return flow, backend, seen


def test_start_sends_validated_fields_and_enters_generating() -> None:
    flow, backend, _ = make_flow()
    run_id = flow.start({"script": "Hello", "voice": "en-gb"})
    assert run_id == "run_1"
    assert backend.calls == [("start", {"script": "Hello", "voice": "en-gb"})]
    assert flow.state.phase == "generating"
    assert flow.state.is_generating and not flow.state.has_preview


def test_start_rejects_unknown_fields_and_empty_script() -> None:
    flow, backend, _ = make_flow()
    with pytest.raises(ValueError, match="no field prompt"):
        flow.start({"prompt": "x"})
    with pytest.raises(ValueError, match="script"):
        flow.start({"script": "  "})
    assert backend.calls == [] and flow.state.phase == "idle"


def test_progress_preview_review_accept() -> None:
    flow, backend, seen = make_flow()
    run_id = flow.start({"script": "Hello"})
    flow.handle_event(backend.event(run_id, "status", {"step": 1, "total_steps": 3, "message": "Speaking"}))
    assert flow.state.progress is not None and flow.state.progress.step == 1
    assert flow.state.progress.message == "Speaking"
    flow.handle_event(backend.event(run_id, "preview", {"asset": narration_asset("Hello")}))
    assert flow.state.phase == "preview_ready"
    assert flow.state.preview is not None and flow.state.preview["script"] == "Hello"
    assert flow.state.preview_token == 1
    flow.open_review()
    assert flow.state.is_review_open
    decision = flow.accept()
    assert decision.accepted and decision.revision == 7
    assert phase(flow) == "idle" and flow.state.run_id is None and not flow.state.is_review_open
    outcomes = [outcome for _, outcome in seen if outcome is not None]
    assert len(outcomes) == 1 and outcomes[0].asset["script"] == "Hello" and outcomes[0].revision == 7
    # The decision-pending state was visible while the commit was in flight.
    assert any(state.is_decision_pending for state, _ in seen)


def test_reject_returns_to_idle_without_outcome() -> None:
    flow, backend, seen = make_flow()
    run_id = flow.start({"script": "Hello"})
    flow.handle_event(backend.event(run_id, "preview", {"asset": narration_asset()}))
    flow.reject()
    assert flow.state.phase == "idle"
    assert flow.state.notice and "draft is kept" in flow.state.notice
    assert all(outcome is None for _, outcome in seen)


def test_escape_closes_review_and_keeps_preview_pending() -> None:
    flow, backend, _ = make_flow()
    run_id = flow.start({"script": "Hello"})
    flow.handle_event(backend.event(run_id, "preview", {"asset": narration_asset()}))
    flow.open_review()
    flow.close_review()
    assert not flow.state.is_review_open
    assert flow.state.phase == "preview_ready" and flow.state.preview is not None
    flow.open_review()
    assert flow.state.is_review_open


def test_events_of_other_runs_are_ignored() -> None:
    flow, backend, _ = make_flow()
    run_id = flow.start({"script": "Hello"})
    before = flow.state
    other = backend.start(StartRequest(lecture_id="lec", clip_id="c2", kind="narration", fields={}))
    for event in (
        backend.event(other, "preview", {"asset": narration_asset("other")}),
        backend.event(other, "error", {"message": "boom"}),
        backend.event(other, "complete", {"asset_id": "x", "revision": 3}),
    ):
        flow.handle_event(event)
    assert flow.state == before
    assert flow.state.run_id == run_id


def test_duplicate_and_out_of_order_events_are_harmless() -> None:
    flow, backend, _ = make_flow()
    run_id = flow.start({"script": "Hello"})
    step2 = backend.event(run_id, "status", {"step": 2, "total_steps": 3})
    step1 = backend.event(run_id, "status", {"step": 1, "total_steps": 3})
    preview = backend.event(run_id, "preview", {"asset": narration_asset()})
    flow.handle_event(step2)
    flow.handle_event(step1)  # older progress arrives late: ignored
    assert flow.state.progress is not None and flow.state.progress.step == 2
    flow.handle_event(preview)
    flow.handle_event(preview)  # duplicate
    assert flow.state.preview_token == 1
    flow.handle_event(step2)  # a status after the preview doesn't send us back to generating
    assert flow.state.phase == "preview_ready"


def test_error_then_retry_uses_the_same_fields() -> None:
    flow, backend, _ = make_flow()
    run_id = flow.start({"script": "Hello", "voice": "zz"})
    flow.handle_event(backend.event(run_id, "error", {"message": "unknown voice 'zz'", "retryable": False}))
    assert flow.state.phase == "failed"
    assert flow.state.error == "unknown voice 'zz'" and flow.state.retryable is False
    assert flow.can_retry
    flow.retry()
    assert backend.calls[-1] == ("start", {"script": "Hello", "voice": "zz"})
    assert phase(flow) == "generating" and flow.state.error is None


def test_start_failure_is_shown_as_an_error() -> None:
    flow, backend, _ = make_flow(ScriptedBackend(fail_start="database is gone"))
    with pytest.raises(DecisionError):
        flow.start({"script": "Hello"})
    assert flow.state.phase == "failed" and flow.state.error == "database is gone"


def test_cancel_while_generating() -> None:
    flow, backend, _ = make_flow()
    run_id = flow.start({"script": "Hello"})
    flow.cancel()
    assert ("cancel", run_id) in backend.calls
    assert flow.state.phase == "idle" and flow.state.run_id is None
    with pytest.raises(FlowError):
        flow.cancel()


def test_actions_refused_in_the_wrong_state() -> None:
    flow, backend, _ = make_flow()
    with pytest.raises(FlowError, match="no narration preview"):
        flow.accept()
    with pytest.raises(FlowError):
        flow.open_review()
    run_id = flow.start({"script": "Hello"})
    with pytest.raises(FlowError, match="still generating"):
        flow.start({"script": "again"})
    flow.handle_event(backend.event(run_id, "preview", {"asset": narration_asset()}))
    with pytest.raises(FlowError, match="waiting"):
        flow.start({"script": "again"})


def test_conflict_keeps_the_preview_with_an_error() -> None:
    flow, backend, _ = make_flow()
    run_id = flow.start({"script": "Hello"})
    flow.handle_event(backend.event(run_id, "preview", {"asset": narration_asset()}))
    backend.next_conflict = True
    with pytest.raises(ConflictError):
        flow.accept()
    assert flow.state.phase == "preview_ready" and flow.state.error == "lecture changed"
    flow.accept()  # the next try goes through
    assert phase(flow) == "idle"


def test_decided_elsewhere_is_picked_up_on_decision_error() -> None:
    flow, backend, _ = make_flow()
    run_id = flow.start({"script": "Hello"})
    flow.handle_event(backend.event(run_id, "preview", {"asset": narration_asset()}))
    backend.event(run_id, "rejected", {})  # someone else rejected; we haven't seen the event yet
    with pytest.raises(DecisionError):
        flow.accept()
    assert flow.state.phase == "idle"


def test_complete_event_from_another_process_yields_an_accepted_outcome() -> None:
    flow, backend, seen = make_flow()
    run_id = flow.start({"script": "Hello"})
    flow.handle_event(backend.event(run_id, "preview", {"asset": narration_asset("Theirs")}))
    flow.handle_event(backend.event(run_id, "complete", {"asset_id": "nar_1", "revision": 4}))
    outcome = seen[-1][1]
    assert outcome is not None and outcome.asset["script"] == "Theirs" and outcome.revision == 4
    assert flow.state.phase == "idle"


def test_attach_recovers_a_pending_preview_and_events_before_the_run_id() -> None:
    backend = ScriptedBackend()
    flow, _, _ = make_flow(backend)
    run_id = flow.start({"script": "Hello"})
    backend.event(run_id, "preview", {"asset": narration_asset()})  # stored, never delivered
    flow.reset()
    assert flow.state.phase == "idle"
    fresh, _, _ = make_flow(backend)
    fresh.attach(backend.get(run_id))
    assert fresh.state.phase == "preview_ready" and fresh.state.preview is not None
    assert fresh.state.preview_token == 1


def test_attach_ignores_runs_of_other_clips_and_kinds() -> None:
    backend = ScriptedBackend()
    flow, _, _ = make_flow(backend)
    run_id = flow.start({"script": "Hello"})
    record = backend.get(run_id)
    visual = AssetGenerationFlow(VISUAL, backend, lecture_id="lec", clip_id="clip_1")
    visual.attach(record)
    assert visual.state.phase == "idle"


def test_preview_token_grows_across_runs() -> None:
    flow, backend, _ = make_flow()
    tokens = []
    for _ in range(3):
        run_id = flow.start({"script": "Hello"})
        flow.handle_event(backend.event(run_id, "preview", {"asset": narration_asset()}))
        tokens.append(flow.state.preview_token)
        flow.reject()
    assert tokens == [1, 2, 3]


# --- the split actions: begin (state) → the blocking call (a worker) → finish (state) -----------------


def test_begin_start_changes_state_and_the_call_is_separate() -> None:
    flow, backend, _ = make_flow()
    request = flow.begin_start({"script": "Hello"})
    assert phase(flow) == "starting" and backend.calls == []  # no backend call yet
    result = call_start(backend, request)
    assert result.run_id == "run_1" and result.record is not None and result.error is None
    assert phase(flow) == "starting"  # the call itself changes no flow state
    flow.finish_start(request, result)
    assert phase(flow) == "generating" and flow.state.run_id == "run_1"


def test_events_that_arrive_before_the_run_id_are_replayed() -> None:
    flow, backend, _ = make_flow()
    request = flow.begin_start({"script": "Hello"})
    result = call_start(backend, request)
    assert result.run_id is not None
    # The worker's result is still on its way while the run's events reach the flow.
    flow.handle_event(backend.event(result.run_id, "preview", {"asset": narration_asset("Early")}))
    other = backend.start(StartRequest(lecture_id="lec", clip_id="c2", kind="narration", fields={}))
    flow.handle_event(backend.event(other, "error", {"message": "not ours"}))
    assert phase(flow) == "starting"
    flow.finish_start(request, StartResult(run_id=result.run_id))  # no record: the events alone
    assert phase(flow) == "preview_ready"
    assert flow.state.preview is not None and flow.state.preview["script"] == "Early"


def test_a_start_result_after_the_clip_was_left_changes_nothing() -> None:
    flow, backend, _ = make_flow()
    request = flow.begin_start({"script": "Hello"})
    flow.reset()
    flow.finish_start(request, call_start(backend, request))
    assert phase(flow) == "idle" and flow.state.run_id is None


class Guard:
    def __init__(self) -> None:
        self.log: list[str] = []

    def begin_commit(self) -> None:
        self.log.append("begin")

    def end_commit(self) -> None:
        self.log.append("end")


def _guarded_flow_with_a_preview() -> tuple[ScriptedBackend, Guard, AssetGenerationFlow]:
    backend = ScriptedBackend()
    guard = Guard()
    flow = AssetGenerationFlow(NARRATION, backend, lecture_id="lec", clip_id="clip_1", commit_guard=guard)
    run_id = flow.start({"script": "Hello"})
    flow.handle_event(backend.event(run_id, "preview", {"asset": narration_asset()}))
    return backend, guard, flow


def test_a_decision_holds_the_commit_guard_until_it_finishes() -> None:
    backend, guard, flow = _guarded_flow_with_a_preview()
    request = flow.begin_decide(True)
    assert flow.state.is_decision_pending and guard.log == ["begin"]
    with pytest.raises(FlowError, match="being saved"):
        flow.begin_decide(False)
    result = call_decide(backend, request)
    assert guard.log == ["begin"]
    flow.finish_decide(request, result)
    assert guard.log == ["begin", "end"] and phase(flow) == "idle"


def test_leaving_during_a_decision_releases_the_guard_once() -> None:
    backend, guard, flow = _guarded_flow_with_a_preview()
    request = flow.begin_decide(True)
    flow.reset()
    assert guard.log == ["begin", "end"]
    flow.finish_decide(request, DecideResult(error=ConflictError("late")))
    assert guard.log == ["begin", "end"] and phase(flow) == "idle"


class _BrokenBackend(ScriptedBackend):
    """A backend with a bug: every call raises something that is not a TuiEditorError."""

    def start(self, request: StartRequest) -> str:
        raise RuntimeError("boom in start")

    def decide(self, run_id: str, accept: bool) -> Any:
        raise KeyError(run_id)

    def cancel(self, run_id: str) -> None:
        raise ZeroDivisionError("boom in cancel")


def test_a_backend_bug_comes_back_as_an_error_and_the_flow_is_never_stuck() -> None:
    backend = _BrokenBackend()
    flow = AssetGenerationFlow(VISUAL, backend, lecture_id="lec", clip_id="clip")
    request = flow.begin_start({"prompt": "a leaf"})
    result = call_start(backend, request)
    assert result.run_id is None and result.error is not None and "boom in start" in result.error.message
    flow.finish_start(request, result)
    assert flow.state.phase == "failed" and flow.state.error is not None
    decided = call_decide(backend, DecideRequest(run_id="run_x", accept=True, preview=None))
    assert decided.error is not None and "KeyError" in decided.error.message
    cancelled = call_cancel(backend, "run_x")
    assert cancelled is not None and "boom in cancel" in cancelled.message
