"""The lecture screen: a header, an incremental filter and the virtual three-track timeline.

It is the App's default screen, so it is on the first frame before the database is even open. That
first frame is a light skeleton (header, "Loading…", footer); the filter field and the timeline are
mounted when the App calls `show_lecture`, so their cost (scrollbars, styles) is paid after the first
paint. From then on the screen follows the App's `snapshot_changed` and `runs_changed` signals.

The header and the rows always show the same state: once a lecture is shown, loading notes cannot
replace its header, and the header is repainted in the same frame as the rows (a layout-free update of
a one-line widget), so no frame pairs a loading header with a loaded lecture's rows.

A first look at the lecture (`core.quick_read`, read before the database stack is imported) may be
shown before the store has loaded it: its header says "not yet confirmed" and nothing acts on it (no
clip opens, no filter, queue or history) until the store's load replaces it — or it is taken off the
screen if the store fails or asks for a choice.
"""

from __future__ import annotations

import threading
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from ...core.safe_text import visible
from ...core.snapshot import LectureSnapshot
from ..bindings import LECTURE_BINDINGS
from ..editor_app import EditorAppAccess
from ..widgets.key_footer import KeyFooter
from ..widgets.timeline import Timeline

#: Above this many clips the filter waits for a pause in typing before it searches.
LARGE_LECTURE = 20_000


class LectureScreen(EditorAppAccess, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = LECTURE_BINDINGS
    AUTO_FOCUS = "Timeline"

    def __init__(self) -> None:
        super().__init__(id="lecture")
        self._filter_timer: Timer | None = None
        self.error: str | None = None
        #: False while the lecture shown is a first look not yet confirmed by the store (see
        #: `core.quick_read`): the header says so and nothing acts on it.
        self.confirmed = True
        #: Built now, mounted with the first lecture (not on the first frame).
        self.timeline = Timeline(id="timeline")
        self.filter_input = Input(
            placeholder="Filter clips by name or summary (Esc clears)", id="lecture-filter"
        )
        #: (done, total, failed) of the batch running from this screen, if any.
        self.batch_progress: tuple[int, int, int] | None = None
        self._batch_cancel = threading.Event()

    def compose(self) -> ComposeResult:
        yield Static(Text("tui-editor · Loading…"), id="lecture-header")
        yield Static(Text("  Loading…"), id="lecture-message", classes="empty-note")
        yield KeyFooter()

    def on_mount(self) -> None:
        app = self.editor_app
        app.snapshot_changed.subscribe(self, self._on_snapshot)
        app.runs_changed.subscribe(self, self._on_runs)

    # --- what the App tells us -----------------------------------------------------------------
    async def show_lecture(self, snapshot: LectureSnapshot, *, confirmed: bool = True) -> None:
        """Show a lecture; `confirmed=False` for a first look the store has not confirmed yet."""
        self.error = None
        self.confirmed = confirmed
        if not self.timeline.is_attached:
            # Mounted hidden, then shown together with its header in one layout pass.
            self.timeline.display = False
            footer = self.query_one(KeyFooter)
            await self.mount(self.filter_input, self.timeline, before=footer)
        self.timeline.set_snapshot(snapshot, self.editor_app.board)
        self.timeline.set_empty_message("This lecture has no clips.")
        self.update_header()
        self.query_one("#lecture-message").display = False
        self.timeline.display = True
        self.refresh_bindings()
        if self.focused is None or self.focused is not self.filter_input:
            self.timeline.focus()

    def _show_note(self, text: Text) -> None:
        note = self.query_one("#lecture-message", Static)
        note.update(text)
        if not self.timeline.is_attached:
            note.display = True

    def _withdraw_unconfirmed(self) -> None:
        """Take an unconfirmed first look off the screen (the store disagreed, or failed)."""
        if self.timeline.is_attached:
            self.timeline.display = False
            self.filter_input.display = False
        self.query_one("#lecture-message").display = True
        self.refresh_bindings()

    def show_message(self, message: str, *, withdraw: bool = False) -> None:
        """A state before any lecture is shown (loading, choosing a lecture); ignored once one is.

        An unconfirmed first look stays up through loading notes; `withdraw` takes it off (the store
        asks for a choice instead)."""
        if self.timeline.snapshot is not None and (self.confirmed or not withdraw):
            return
        message = visible(message)
        if self.timeline.snapshot is not None:
            self._withdraw_unconfirmed()
        self.query_one("#lecture-header", Static).update(Text(f"tui-editor · {message}"))
        self._show_note(Text(f"  {message}"))
        self.timeline.set_empty_message(message)

    def show_error(self, message: str) -> None:
        """Opening failed before any lecture was shown (the App keeps a shown lecture on errors)."""
        if self.timeline.snapshot is not None and self.confirmed:
            return
        if self.timeline.snapshot is not None:
            self._withdraw_unconfirmed()
        self.error = message
        message = visible(message)
        header = Text("tui-editor · ")
        header.append("cannot open", style="bold red")
        self.query_one("#lecture-header", Static).update(header)
        self._show_note(Text(f"  Error: {message}  —  press q to quit"))
        self.timeline.set_empty_message(f"Error: {message}  —  press q to quit")

    def _on_snapshot(self, snapshot: LectureSnapshot) -> None:
        self.timeline.set_snapshot(snapshot, self.editor_app.board)
        self.update_header()

    def _on_runs(self, clip_ids: set[str]) -> None:
        timeline = self.timeline
        timeline.board = self.editor_app.board
        if clip_ids:
            timeline.refresh_clips(clip_ids)
        else:
            timeline.refresh()
        self.update_header()

    def update_header(self) -> None:
        snapshot = self.timeline.snapshot
        if snapshot is None or self.error is not None:
            return
        width = self.size.width or 100
        text = self._header_text(snapshot, compact=False)
        if text.cell_len > width - 2:
            text = self._header_text(snapshot, compact=True)
        # One line, full width: no layout, so it repaints in the same frame as the timeline's rows.
        self.query_one("#lecture-header", Static).update(text, layout=False)

    def _header_text(self, snapshot: LectureSnapshot, *, compact: bool) -> Text:
        text = Text()
        text.append(visible(snapshot.title), style="bold")
        text.append(f" · rev {snapshot.revision}", style="dim")
        if not self.confirmed:
            text.append(" (not yet confirmed — checking the database…)", style="italic yellow")
        text.append(f" · {len(snapshot.clips)} clips")
        board = self.editor_app.board
        if board is not None:
            runs = board.counts()
            labels = ("gen", "to review", "failed") if compact else ("generating", "to review", "failed")
            for icon, key, label in zip(
                "◐●✗", ("generating", "preview_ready", "failed"), labels, strict=True
            ):
                if runs[key]:
                    text.append(f" · {icon} {runs[key]} {label}", style="bold")
        if self.timeline.filter_text:
            text.append(f" · filter “{visible(self.timeline.filter_text)}”", style="italic")
        if self.timeline.marked:
            text.append(f" · {len(self.timeline.marked)} marked")
        if self.batch_progress is not None:
            from .batch import progress_text

            text.append(f" · {progress_text(*self.batch_progress)}", style="bold")
        return text

    def on_resize(self) -> None:
        if self.timeline.is_attached:
            self.update_header()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide what cannot apply yet (no lecture open) and Esc when there is no filter."""
        unshown = self.timeline.snapshot is None or not self.confirmed
        if (
            action
            in (
                "filter",
                "review_session",
                "review_queue",
                "history",
                "batch",
                "retime",
                "clear_stale",
            )
            and unshown
        ):
            return False
        if action == "switch_lecture" and self.editor_app.runtime is None:
            return False
        if action == "clear_filter":
            return self.filter_input.has_class("-shown") or bool(self.timeline.filter_text)
        return True

    # --- filter --------------------------------------------------------------------------------
    def action_filter(self) -> None:
        field = self.filter_input
        field.add_class("-shown")
        field.focus()
        self.refresh_bindings()

    def action_clear_filter(self) -> None:
        field = self.filter_input
        if not field.has_class("-shown") and not self.timeline.filter_text:
            return
        field.value = ""
        field.remove_class("-shown")
        self._apply_filter("")
        self.timeline.focus()
        self.refresh_bindings()

    @on(Input.Changed, "#lecture-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        snapshot = self.timeline.snapshot
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None
        if snapshot is not None and len(snapshot.clips) > LARGE_LECTURE:
            value = event.value
            self._filter_timer = self.set_timer(0.15, lambda: self._apply_filter(value))
        else:
            self._apply_filter(event.value)

    @on(Input.Submitted, "#lecture-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self._apply_filter(event.value)
        if not event.value.strip():
            self.filter_input.remove_class("-shown")
        self.timeline.focus()
        self.refresh_bindings()

    def _apply_filter(self, value: str) -> None:
        self.timeline.set_filter(value)
        self.update_header()

    # --- navigation ----------------------------------------------------------------------------
    @on(Timeline.ClipSelected)
    def _open_clip(self, event: Timeline.ClipSelected) -> None:
        if not self.confirmed:  # nothing acts on a lecture the store has not confirmed
            self.notify("The lecture is still being checked.", severity="warning", timeout=2)
            return
        self.editor_app.open_clip(event.clip_id)

    def action_review_session(self) -> None:
        self.editor_app.action_review_session()

    def action_review_queue(self) -> None:
        self.editor_app.action_review_queue()

    # --- whole-lecture work: batch, retime, stale ----------------------------------------------
    class WorkDone(Message):
        """A retime, clear-stale or batch finished (in a thread): what to tell the user."""

        def __init__(self, note: str, *, severity: str = "information", batch_over: bool = False) -> None:
            super().__init__()
            self.note = note
            self.severity = severity
            self.batch_over = batch_over

    class BatchProgressed(Message):
        def __init__(self, done: int, total: int, failed: int) -> None:
            super().__init__()
            self.done = done
            self.total = total
            self.failed = failed

    @on(Timeline.MarksChanged)
    def _marks_changed(self) -> None:
        self.update_header()

    def action_batch(self) -> None:
        from .batch import BatchScreen, jobs_for

        app = self.editor_app
        snapshot = self.timeline.snapshot
        if app.runtime is None or snapshot is None:
            return
        if self.batch_progress is not None:
            self.notify("A batch is already running.", severity="warning")
            return
        marked = self.timeline.marked
        ids = (
            [i for i in self.timeline.visible_clip_ids if i in marked]
            if marked
            else self.timeline.visible_clip_ids
        )
        clips = [c for c in (snapshot.clip(i) for i in ids) if c is not None]
        if not clips:
            self.notify("No clips to regenerate.", severity="warning")
            return
        what = (
            f"{len(clips)} marked clip{'s' if len(clips) != 1 else ''}"
            if marked
            else (f"the {len(clips)} clips shown")
        )
        jobs = jobs_for(clips)
        concurrency = app.runtime.settings.batch.concurrency

        def decided(start: bool | None) -> None:
            if start:
                self._start_batch(jobs, concurrency)

        app.push_screen(BatchScreen(jobs, concurrency, what=what), decided)

    def _start_batch(self, jobs: list, concurrency: int) -> None:  # type: ignore[type-arg]
        from ...runs.batch import BatchProgress, run_batch

        runtime = self.editor_app.runtime
        provider = self.editor_app.provider
        if runtime is None or provider is None:
            return
        lecture_id = provider.lecture_id
        self._batch_cancel = cancel = threading.Event()
        self.batch_progress = (0, len(jobs), 0)
        self.timeline.clear_marks()
        self.update_header()
        failed = [0]

        def on_progress(progress: BatchProgress) -> None:
            if not progress.outcome.succeeded:
                failed[0] += 1
            self.post_message(self.BatchProgressed(progress.done, progress.total, failed[0]))

        def work() -> None:
            result = run_batch(
                runtime.engine,
                lecture_id,
                jobs,
                concurrency=concurrency,
                on_progress=on_progress,
                cancel=cancel,
            )
            bad = len(result.failed)
            note = f"Batch {result.batch_id}: {len(result.succeeded)} previews to review, {bad} failed"
            self.post_message(
                self.WorkDone(note, severity="warning" if bad else "information", batch_over=True)
            )

        self.run_worker(work, thread=True, group="batch", exit_on_error=False)

    @on(BatchProgressed)
    def _batch_progressed(self, message: BatchProgressed) -> None:
        if self.batch_progress is not None:
            self.batch_progress = (message.done, message.total, message.failed)
            self.update_header()

    def action_retime(self) -> None:
        from ...core.timing import retime_plan

        app = self.editor_app
        if app.runtime is None or app.provider is None:
            return
        store = app.runtime.store
        publish = app.runtime.hub.publish  # its `revised` event reloads the lecture here and elsewhere
        snapshot = app.provider.snapshot

        def work() -> None:
            plan = retime_plan(snapshot, 0.25)
            if not plan:
                self.post_message(self.WorkDone("Every narration already fits its audio."))
                return
            revision = store.change_clips(
                snapshot.id, plan, source="retime", base_revision=snapshot.revision, publish=publish
            )
            self.post_message(self.WorkDone(f"Retimed {len(plan)} clips (revision {revision})"))

        self.run_worker(work, thread=True, group="retime", exclusive=True, exit_on_error=False)

    def action_clear_stale(self) -> None:
        app = self.editor_app
        snapshot = self.timeline.snapshot
        if app.runtime is None or snapshot is None:
            return
        marked = self.timeline.marked
        cursor = self.timeline.cursor_clip
        ids = sorted(marked) if marked else ([cursor.id] if cursor is not None else [])
        updates: dict[str, dict[str, object]] = {
            i: {"stale": []} for i in ids if (c := snapshot.clip(i)) is not None and c.stale
        }
        if not updates:
            self.notify("No stale clip to clear.", severity="warning")
            return
        store = app.runtime.store
        publish = app.runtime.hub.publish

        def work() -> None:
            revision = store.change_clips(snapshot.id, updates, source="edit", publish=publish)
            self.post_message(self.WorkDone(f"Cleared {len(updates)} stale clip(s) (revision {revision})"))

        self.run_worker(work, thread=True, group="clear-stale", exclusive=True, exit_on_error=False)

    @on(WorkDone)
    def _work_done(self, message: WorkDone) -> None:
        if message.batch_over:
            self.batch_progress = None
            self.update_header()
        # No reload asked for here: a retime's or clear-stale's `revised` event reloads the lecture once.
        self.notify(message.note, severity=message.severity)  # type: ignore[arg-type]

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        if event.worker.group == "batch":
            self.batch_progress = None
            self.update_header()
        self.editor_app.report_worker_error(event.worker.group, event.worker.error)

    def on_unmount(self) -> None:
        self._batch_cancel.set()

    def action_history(self) -> None:
        self.editor_app.action_history()

    def action_switch_lecture(self) -> None:
        self.editor_app.action_switch_lecture()

    def action_quit_screen(self) -> None:
        code = 1 if self.error else 0
        self.editor_app.exit(code, return_code=code)
