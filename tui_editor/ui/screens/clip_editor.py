"""The clip editor: one screen for visual, narration and music clips, a view over `core.editor.ClipSession`.

Everything kind-specific — labels, fields, models, the accept button's wording — comes from the clip's
`AssetKind`; all flow behaviour (generate, retry, cancel, review, accept, reject, revert, leave) lives in
the session. This screen only shows the session and forwards keys to it:

- `ctrl+g` generate with a new seed (retry after an error), `ctrl+s` generate with the current take's
  seed, `t`/`f3` the take stack, `ctrl+t` cancel a generation, `ctrl+o` open the review,
  `ctrl+r` revert the draft, `escape` back (the draft reverts, the run goes on and is picked up again
  when the clip is reopened). Binding ids `clip.*` can be remapped in `[keymap]`.
- The session changes only on the App's thread. Each blocking engine call is split: the session's
  `begin_*` changes state here, a thread worker (group "start", "decide", "cancel" or "resume") makes
  the call and only posts its result (`Started`, `Decided`, `CancelReturned`, `OpenRunsListed`), and
  the message's handler finishes the action; failures become notifications. The review modal asks
  this screen to decide (`decide`), so a decision's result arrives even if the modal was closed.
- Run events arrive through the App's `run_events` signal (published on the App's thread).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import ProgressBar, Static
from textual.worker import Worker, WorkerState

from ...core.editor import ClipSession, list_open_runs
from ...core.errors import TuiEditorError
from ...core.flow import (
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
from ...core.kinds import AssetKind
from ...core.safe_text import visible
from ..bindings import CLIP_EDITOR_BINDINGS, key_for
from ..time_text import format_start
from ..widgets.fields import FieldEditor, format_value
from ..widgets.key_footer import KeyFooter
from .session_view import SessionView

if TYPE_CHECKING:
    from ...core.editor import SessionBackend
    from ...core.events import RunEventData
    from ...core.provider import LectureEditorProvider
    from ...core.run_record import RunRecord


GENERATE_WORKER = "generate"


class ClipEditorScreen(SessionView, Screen[None]):
    """Edit one clip's asset and drive its generate → review → accept/reject flow."""

    BINDINGS = CLIP_EDITOR_BINDINGS
    AUTO_FOCUS = ".field-editor Input, .field-editor TextArea, .field-editor Select"

    DEFAULT_CSS = """
    ClipEditorScreen { layout: vertical; }
    ClipEditorScreen #clip-header { height: 1; background: $panel; }
    ClipEditorScreen #clip-title { width: 1fr; text-style: bold; padding: 0 1; }
    ClipEditorScreen #clip-dirty { width: auto; color: $warning; text-style: bold; padding: 0 1; }
    ClipEditorScreen #clip-meta { height: 1; color: $text-muted; padding: 0 1; }
    ClipEditorScreen #clip-committed { height: auto; max-height: 2; padding: 0 1; }
    ClipEditorScreen #clip-readonly { height: 1; color: $text-muted; padding: 0 1; }
    ClipEditorScreen #clip-form { height: auto; max-height: 1fr; padding: 0 1; }
    ClipEditorScreen #clip-field-error { height: auto; color: $error; padding: 0 1; }
    ClipEditorScreen #clip-status { height: auto; padding: 0 1; }
    ClipEditorScreen #clip-status.-error { color: $error; text-style: bold; }
    ClipEditorScreen #clip-status.-ready { color: $success; text-style: bold; }
    ClipEditorScreen #clip-progress { height: 1; padding: 0 1; }
    ClipEditorScreen #clip-progress Bar { width: 1fr; }
    ClipEditorScreen .-hidden { display: none; }
    """

    @dataclass
    class Started(Message):
        """The engine answered a start request."""

        request: StartRequest
        result: StartResult

    @dataclass
    class Decided(Message):
        """The engine answered an accept or reject."""

        request: DecideRequest
        result: DecideResult

    @dataclass
    class CancelReturned(Message):
        """The engine answered a cancel (`error` if the run could not be cancelled)."""

        run_id: str
        error: TuiEditorError | None

    @dataclass
    class OpenRunsListed(Message):
        """The clip's open runs, newest first (reopening the clip picks up a pending preview)."""

        runs: Sequence[RunRecord]

    def __init__(
        self,
        provider: LectureEditorProvider,
        engine: SessionBackend,
        clip_id: str,
        *,
        open_review: bool = False,
        name: str | None = None,
        id: str | None = "clip-editor",  # noqa: A002
    ) -> None:
        super().__init__(name=name, id=id)
        self.provider = provider
        self.engine = engine
        self.session = ClipSession(provider, engine, clip_id)
        self.kind: AssetKind = self.session.kind
        self._want_review = open_review
        self._unsubscribe_session: Any = None
        self._last_phase: str = self.session.state.phase
        self._last_dirty: bool | None = None
        self._draft_at_failure: dict[str, Any] | None = None
        self._shown: dict[str, str] = {}
        self._invalid: dict[str, str] = {}
        #: True once the clip's open run, if any, is attached.
        self.resumed = False
        self.title = visible(f"{self.kind.label} · {self.session.clip.name}")

    # --- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        session = self.session
        with Horizontal(id="clip-header"):
            yield Static(visible(self._title_text()), id="clip-title", markup=False)
            yield Static("", id="clip-dirty", markup=False)
        # Texts from data (names, prompts, errors): literal (markup=False) and made visible (`_update`).
        yield Static(visible(self._meta_text()), id="clip-meta", markup=False)
        yield Static(visible(self._committed_text()), id="clip-committed", markup=False)
        yield Static(visible(self._readonly_text()), id="clip-readonly", markup=False)
        with VerticalScroll(id="clip-form", can_focus=False):
            draft = session.draft.draft
            for spec in self.kind.editable_fields:
                yield FieldEditor(self.kind, spec, draft.get(spec.name))
        yield Static("", id="clip-field-error", classes="-hidden", markup=False)
        yield Static("", id="clip-status", markup=False)
        yield ProgressBar(id="clip-progress", show_eta=False, classes="-hidden")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._unsubscribe_session = self.session.on_change(self._session_changed)
        self.editor_app.run_events.subscribe(self, self._on_run_event)
        self._refresh_view()
        self._list_open_runs(self.engine, self.session.clip.id)

    def on_unmount(self) -> None:
        self.editor_app.run_events.unsubscribe(self)
        if self._unsubscribe_session is not None:
            self._unsubscribe_session()
            self._unsubscribe_session = None
        if not self.session.closed:
            self.session.leave()

    # --- texts ----------------------------------------------------------------------------------
    def _key(self, binding_id: str) -> str:
        return key_for(binding_id, self.editor_app.settings.keymap)

    def _title_text(self) -> str:
        return f"{self.kind.label} · {self.session.clip.name}"

    def _meta_text(self) -> str:
        clip = self.session.clip
        return f"{clip.track} track · starts {format_start(clip.start)} · {clip.duration:.1f} s long"

    def _committed_text(self) -> str:
        return f"Current: {self.kind.summary(self.session.asset)}"

    def _readonly_text(self) -> str:
        asset = self.session.asset or {}
        parts = []
        for spec in self.kind.fields:
            if spec.editable:
                continue
            value = asset.get(spec.name)
            if value is None or value == "":
                continue
            parts.append(f"{spec.label}: {format_value(spec, value)}")
        return " · ".join(parts)

    def _status(self, state: FlowState) -> tuple[str, str]:
        """The status line and its style class for a flow state."""
        kind = self.kind
        if state.is_decision_pending:
            return "Saving decision…", ""
        if state.is_generating:
            progress = state.progress
            text = kind.generating_label
            if progress is not None:
                text += f" step {progress.step}/{progress.total_steps}"
                if progress.message:
                    text += f" — {progress.message}"
            if state.run_id is not None:
                text += f"  ({self._key('clip.cancel')} to cancel)"
            return text, ""
        if state.has_preview:
            text = f"Preview ready — {self._key('clip.review')} to review"
            if state.error:
                return f"{text} · ✗ {state.error}", "-error"
            return text, "-ready"
        if state.phase == "failed":
            error = state.error or "generation failed"
            hint = (
                f"{self._key('clip.generate')} to retry"
                if state.retryable
                else (f"fix the fields and {self._key('clip.generate')} to generate again")
            )
            return f"✗ {error} — {hint}", "-error"
        if state.notice == "Accepted":
            return f"✓ Accepted — this clip now uses the new {kind.label.lower()}", "-ready"
        if state.notice:
            return state.notice, ""
        return f"{kind.generate_label}: {self._key('clip.generate')}", ""

    # --- keeping the view in step with the session ------------------------------------------------
    def _on_run_event(self, event: RunEventData) -> None:
        if self.session.closed:
            return
        self.session.handle_event(event)
        if event.type == "reopened" and self.session.state.phase == "idle":
            # A decision on this clip was undone (the review session, `tui-editor undo`): its preview
            # waits again; pick it up as when the clip is opened.
            asset = event.payload.get("asset")
            if isinstance(asset, dict) and asset.get("id") == self.session.clip.asset_id:
                self._list_open_runs(self.engine, self.session.clip.id)

    def _update(self, widget_id: str, text: str) -> None:
        text = visible(text, keep_newlines=widget_id == "clip-field-error")  # data: never raw
        if self._shown.get(widget_id) != text:
            self._shown[widget_id] = text
            self.query_one(f"#{widget_id}", Static).update(text)

    def _refresh_view(self) -> None:
        if not self.is_mounted or self.session.closed:
            return
        session = self.session
        state = session.state
        # fields follow the draft (accept, revert, rebase) without echoing back
        draft = session.draft.draft
        for editor in self.query(FieldEditor):
            if editor.spec.name in draft and editor.spec.name not in self._invalid:
                editor.set_value(draft[editor.spec.name])
            editor.follow_model(draft.get("model"))  # a voice field offers the model's voices
        dirty = session.is_dirty or bool(self._invalid)
        self._update("clip-dirty", "● modified" if dirty else "")
        self._update("clip-title", self._title_text())
        self._update("clip-meta", self._meta_text())
        self._update("clip-committed", self._committed_text())
        self._update("clip-readonly", self._readonly_text())
        text, style = self._status(state)
        status = self.query_one("#clip-status", Static)
        self._update("clip-status", text)
        status.set_class(style == "-error", "-error")
        status.set_class(style == "-ready", "-ready")
        bar = self.query_one("#clip-progress", ProgressBar)
        if state.is_generating and state.progress is not None:
            bar.update(total=max(1, state.progress.total_steps), progress=state.progress.step)
            bar.remove_class("-hidden")
        else:
            bar.add_class("-hidden")
        if state.phase == "failed" and self._last_phase != "failed":
            self._draft_at_failure = session.draft.draft
        if state.phase != self._last_phase or dirty != self._last_dirty:
            self.refresh_bindings()
        self._last_phase = state.phase
        self._last_dirty = dirty
        if self._want_review and state.has_preview and not state.is_review_open:
            self._want_review = False
            self.action_open_review()

    # --- fields -----------------------------------------------------------------------------------
    @on(FieldEditor.Edited)
    def _field_edited(self, event: FieldEditor.Edited) -> None:
        event.stop()
        if event.error is not None:
            self._invalid[event.name] = event.error
        else:
            self._invalid.pop(event.name, None)
        errors = self.query_one("#clip-field-error", Static)
        errors.set_class(not self._invalid, "-hidden")
        self._update("clip-field-error", "\n".join(f"✗ {msg}" for msg in self._invalid.values()))
        if self.session.closed:
            return
        if event.value != self.session.draft.draft.get(event.name):
            self.session.set_field(event.name, event.value)
            if event.name == "model":
                self._voice_follows_model(event.value)
        else:
            self._refresh_view()

    def _voice_follows_model(self, model: Any) -> None:
        """Voices are named per model: after the user picks another model, a voice it does not have
        gives way to the model's default (the field shows it while empty)."""
        voice = self.session.draft.draft.get("voice")
        choice = self.kind.model_choice(model) if isinstance(model, str) else None
        if choice is None or not isinstance(voice, str) or not voice.strip() or "voice" in self._invalid:
            return
        from ...generators.voices import voice_problem  # the engine's voice list, only when needed

        if voice_problem(choice, voice.strip()) is not None:
            self.session.set_field("voice", "")

    # --- actions ----------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        state = self.session.state
        if action in ("generate", "generate_same_seed"):
            return state.phase in ("idle", "failed")
        if action == "cancel_run":
            return state.is_generating and state.run_id is not None
        if action == "open_review":
            return state.has_preview
        if action == "revert":
            return self.session.is_dirty or bool(self._invalid)
        return True

    def action_generate(self) -> None:
        state = self.session.state
        if state.phase not in ("idle", "failed"):
            return
        if self._invalid:
            name, message = next(iter(self._invalid.items()))
            self.notify(
                f"{self.kind.field(name).label}: {message}", title="Fix this field first", severity="error"
            )
            return
        # After an error, ctrl+g re-runs the failed request unless the fields were edited since.
        retry = (
            state.phase == "failed"
            and self.session.flow.can_retry
            and self._draft_at_failure is not None
            and self._draft_at_failure == self.session.draft.draft
        )
        try:
            request = self.session.flow.begin_retry() if retry else self.session.begin_generate()
        except (TuiEditorError, ValueError) as exc:  # fields the kind refuses
            self.notify(_message(exc), title=self.kind.label, severity="error")
            return
        self._start(self.engine, request)

    def action_generate_same_seed(self) -> None:
        """ctrl+s: generate again from the fields with the seed of the clip's current take."""
        if self.session.state.phase not in ("idle", "failed"):
            return
        if self._invalid:
            self.action_generate()  # reports the field to fix
            return
        self._find_current_seed(self.session.clip.id)

    @dataclass
    class SeedFound(Message):
        """The seed of the clip's current take (None: the current asset came from no take)."""

        seed: int | None
        error: str | None = None

    @work(thread=True, group="seed", exit_on_error=False)
    def _find_current_seed(self, clip_id: str) -> None:
        from ...core.takes import list_takes

        runtime = self.editor_app.runtime
        if runtime is None:
            self.post_message(self.SeedFound(None, "the database is not open"))
            return
        try:
            current = next((t for t in list_takes(runtime.store, clip_id) if t.status == "current"), None)
        except TuiEditorError as exc:
            self.post_message(self.SeedFound(None, exc.message))
            return
        self.post_message(self.SeedFound(current.run.seed if current is not None else None))

    @on(SeedFound)
    def _seed_found(self, message: SeedFound) -> None:
        if message.error is not None or message.seed is None:
            key = self._key("clip.generate")
            text = message.error or f"The current asset came from no take with a seed; {key} draws a new one"
            self.notify(text, title=self.kind.label, severity="warning", markup=False)
            return
        if self.session.state.phase not in ("idle", "failed"):
            return
        try:
            request = self.session.begin_generate(seed=message.seed)
        except (TuiEditorError, ValueError) as exc:
            self.notify(_message(exc), title=self.kind.label, severity="error")
            return
        self.notify(f"Generating with seed {message.seed}", title=self.kind.label, timeout=3)
        self._start(self.engine, request)

    def action_takes(self) -> None:
        """t / f3: the clip's take stack."""
        if any(screen.id == "takes" for screen in self.app.screen_stack):
            return
        from .takes import TakesScreen

        self.app.push_screen(TakesScreen(self.session.clip.id, self.session.clip.name), self._takes_closed)

    def _takes_closed(self, note: str | None) -> None:
        if note:
            self.notify(note, title=self.kind.label, markup=False)

    @work(thread=True, group="start", exit_on_error=False)
    def _start(self, engine: SessionBackend, request: StartRequest) -> None:
        self.post_message(self.Started(request, call_start(engine, request)))

    @on(Started)
    def _started(self, message: Started) -> None:
        self.session.flow.finish_start(message.request, message.result)
        if message.result.error is not None:
            self.notify(message.result.error.message, title=self.kind.label, severity="error")

    def action_cancel_run(self) -> None:
        if not self.session.state.is_generating:
            return
        try:
            run_id = self.session.flow.begin_cancel()
        except FlowError:
            return
        if run_id is not None:
            self._cancel(self.engine, run_id)

    @work(thread=True, group="cancel", exit_on_error=False)
    def _cancel(self, engine: SessionBackend, run_id: str) -> None:
        self.post_message(self.CancelReturned(run_id, call_cancel(engine, run_id)))

    @on(CancelReturned)
    def _cancel_returned(self, message: CancelReturned) -> None:
        self.session.flow.finish_cancel(message.run_id, message.error)
        if message.error is not None:
            self.notify(message.error.message, title=self.kind.label, severity="error")

    def decide(self, accept: bool) -> bool:
        """Accept or reject the pending preview (the review modal's buttons); False if there is none."""
        try:
            request = self.session.flow.begin_decide(accept)
        except FlowError:
            return False
        self._decide(self.engine, request)
        return True

    @work(thread=True, group="decide", exit_on_error=False)
    def _decide(self, engine: SessionBackend, request: DecideRequest) -> None:
        self.post_message(self.Decided(request, call_decide(engine, request)))

    @on(Decided)
    def _decided(self, message: Decided) -> None:
        # Accepting puts the preview into the draft and the provider right here (ClipSession).
        self.session.flow.finish_decide(message.request, message.result)
        error = message.result.error
        if error is not None and not self.session.state.has_preview:
            # Decided elsewhere or expired: the review closed, so say what happened.
            self.notify(error.message, title=self.kind.label, severity="error")

    def action_revert(self) -> None:
        self._invalid.clear()
        self.query_one("#clip-field-error", Static).add_class("-hidden")
        self._update("clip-field-error", "")
        self.session.revert()

    def action_open_review(self) -> None:
        if not self.session.state.has_preview:
            self.notify(f"No {self.kind.label.lower()} preview to review", severity="warning")
            return
        if any(screen.id == "review" for screen in self.app.screen_stack):
            return
        from .review import ReviewScreen

        self.app.push_screen(ReviewScreen(self.session, decide=self.decide))

    def action_back(self) -> None:
        self.session.leave()
        self.dismiss(None)

    @work(thread=True, group="resume", exit_on_error=False)
    def _list_open_runs(self, engine: SessionBackend, clip_id: str) -> None:
        self.post_message(self.OpenRunsListed(list_open_runs(engine, clip_id)))

    @on(OpenRunsListed)
    def _open_runs_listed(self, message: OpenRunsListed) -> None:
        self.session.adopt_open_runs(message.runs)
        self._resumed()

    def _resumed(self) -> None:
        self.resumed = True
        self._refresh_view()
        state = self.session.state
        if self._want_review and not state.has_preview and not state.is_generating:
            self._want_review = False
            self.notify(f"No pending {self.kind.label.lower()} preview for this clip", severity="warning")

    # --- worker failures ------------------------------------------------------------------------------
    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        worker = event.worker
        if worker.group == "resume":  # the clip opens without its open run
            self._resumed()
        error = worker.error
        text = _message(error) if isinstance(error, Exception) else "unknown error"
        self.notify(text, title=self.kind.label, severity="error")
        self._refresh_view()


def _message(error: Exception) -> str:
    text = error.message if isinstance(error, TuiEditorError) else str(error)
    return text or type(error).__name__
