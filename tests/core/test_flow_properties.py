"""Property tests: random sequences of user actions and run events — foreign run ids, duplicates,
reordering — against the flow and the draft, checking the seed's invariants after every step."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.core.flow_support import ScriptedBackend, narration_asset
from tui_editor.core.draft import AssetDraft
from tui_editor.core.errors import TuiEditorError
from tui_editor.core.events import RunEventData
from tui_editor.core.flow import Accepted, AssetGenerationFlow, FlowState, StartRequest
from tui_editor.core.kinds import NARRATION

COMMITTED = narration_asset("Committed script") | {"id": "nar_1"}
scripts = st.sampled_from(["One", "Two", "Three", "A longer script."])
voices = st.sampled_from(["en-us", "en-gb", "de"])
EVENT_TYPES = ["status", "preview", "error", "complete", "cancelled", "expired", "rejected"]


class FlowMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.backend = ScriptedBackend()
        self.flow = AssetGenerationFlow(NARRATION, self.backend, lecture_id="lec", clip_id="clip_1")
        self.draft = AssetDraft(NARRATION, COMMITTED)
        self.outcomes: list[Accepted] = []
        self.flow.subscribe(self._on_change)
        self.delivered: list[RunEventData] = []
        self.max_token = 0
        self.foreign = self.backend.start(StartRequest("lec", "clip_other", "narration", {}))

    def _on_change(self, _state: FlowState, outcome: Accepted | None) -> None:
        # What `ClipSession` does with an accepted preview.
        if outcome is not None:
            self.outcomes.append(outcome)
            self.draft.apply_preview(outcome.asset)

    def _deliver(self, event: RunEventData) -> None:
        self.delivered.append(event)
        self.flow.handle_event(event)

    # --- user actions ----------------------------------------------------------------------
    @rule(script=scripts, voice=voices)
    def edit(self, script: str, voice: str) -> None:
        self.draft.set_draft(script=script, voice=voice)

    @rule()
    def generate(self) -> None:
        with contextlib.suppress(TuiEditorError):
            self.flow.start(self.draft.draft)

    @rule()
    def retry(self) -> None:
        if self.flow.can_retry:
            self.flow.retry()

    @rule()
    def open_review(self) -> None:
        try:
            self.flow.open_review()
        except TuiEditorError:
            assert not self.flow.state.has_preview

    @rule()
    def close_review(self) -> None:
        self.flow.close_review()

    @rule()
    def accept(self) -> None:
        before = self.flow.state
        count = len(self.outcomes)
        try:
            self.flow.accept()
        except TuiEditorError:
            assert (
                before.phase != "preview_ready"
                or self.backend.runs[before.run_id or ""].status != "preview_ready"
            )
            return
        assert len(self.outcomes) == count + 1
        assert before.preview is not None
        for name in NARRATION.editable_names:
            assert self.draft.draft[name] == before.preview[name]
            assert self.draft.baseline[name] == before.preview[name]

    @rule()
    def reject(self) -> None:
        draft_before = self.draft.draft
        with contextlib.suppress(TuiEditorError):
            self.flow.reject()
        assert self.draft.draft == draft_before  # reject never touches the draft

    @rule()
    def cancel(self) -> None:
        with contextlib.suppress(TuiEditorError):
            self.flow.cancel()

    @rule()
    def leave_clip(self) -> None:
        self.draft.reset_to_provider(COMMITTED)
        self.flow.reset()
        assert not self.draft.has_changes
        assert self.flow.state.phase == "idle"

    # --- run events ------------------------------------------------------------------------
    @precondition(lambda self: self.flow.state.run_id is not None)
    @rule(type_=st.sampled_from(EVENT_TYPES), step=st.integers(0, 4), script=scripts)
    def event_for_current_run(self, type_: str, step: int, script: str) -> None:
        run_id = self.flow.state.run_id
        assert run_id is not None
        self._deliver(self.backend.event(run_id, type_, _payload(type_, step, script)))

    @rule(type_=st.sampled_from(EVENT_TYPES), step=st.integers(0, 4), script=scripts)
    def event_for_foreign_run(self, type_: str, step: int, script: str) -> None:
        before = self.flow.state
        draft = self.draft.draft
        self._deliver(self.backend.event(self.foreign, type_, _payload(type_, step, script), store=False))
        assert self.flow.state == before
        assert self.draft.draft == draft

    @precondition(lambda self: bool(self.delivered))
    @rule(index=st.integers(0, 10_000))
    def redeliver_old_event(self, index: int) -> None:
        """A duplicate, or an old event arriving late: changes nothing."""
        event = self.delivered[index % len(self.delivered)]
        before = self.flow.state
        self.flow.handle_event(event)
        assert self.flow.state == before

    # --- invariants ------------------------------------------------------------------------
    @invariant()
    def token_only_grows(self) -> None:
        assert self.flow.state.preview_token >= self.max_token
        self.max_token = self.flow.state.preview_token

    @invariant()
    def state_is_consistent(self) -> None:
        state = self.flow.state
        if state.is_review_open:
            assert state.has_preview
        if state.phase in ("starting", "generating"):
            assert state.preview is None
        if state.phase in ("preview_ready", "deciding"):
            assert state.preview is not None and state.run_id is not None
        if state.phase == "idle":
            assert state.run_id is None and state.preview is None
        if state.phase == "failed":
            assert state.error
        assert not state.is_decision_pending  # never left half-decided after an action returns


def _payload(type_: str, step: int, script: str) -> dict[str, Any]:
    if type_ == "status":
        return {"step": min(step, 4), "total_steps": 4, "message": f"step {step}"}
    if type_ == "preview":
        return {"asset": narration_asset(script)}
    if type_ == "error":
        return {"message": "boom", "retryable": step % 2 == 0}
    if type_ == "complete":
        return {"asset_id": "nar_1", "revision": step + 2}
    return {}


FlowMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=60, deadline=None)
TestFlowProperties = FlowMachine.TestCase

# Hypothesis's stateful search favours short programs; long uniform sequences reach deep states
# (several generate → preview → accept/reject rounds with stray events in between) far more often.
ACTIONS = [
    "edit",
    "generate",
    "retry",
    "open_review",
    "close_review",
    "accept",
    "reject",
    "cancel",
    "leave_clip",
    "current",
    "current",
    "current",
    "foreign",
    "redeliver",
]
step_strategy = st.tuples(
    st.sampled_from(ACTIONS),
    st.sampled_from(["preview", "preview", "status"] + EVENT_TYPES),
    st.integers(0, 4),
    scripts,
    voices,
)


@settings(max_examples=600, deadline=None)
@given(st.lists(step_strategy, min_size=10, max_size=80))
def test_long_random_sequences_keep_the_invariants(steps: list[tuple[str, str, int, str, str]]) -> None:
    machine = FlowMachine()
    for action, type_, step, script, voice in steps:
        if action == "edit":
            machine.edit(script, voice)
        elif action == "current":
            if machine.flow.state.run_id is not None:
                machine.event_for_current_run(type_, step, script)
        elif action == "foreign":
            machine.event_for_foreign_run(type_, step, script)
        elif action == "redeliver":
            if machine.delivered:
                machine.redeliver_old_event(step * 7919 + len(script))
        else:
            getattr(machine, action)()
        machine.token_only_grows()
        machine.state_is_consistent()
