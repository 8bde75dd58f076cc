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

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static

from ...core.snapshot import LectureSnapshot
from ..bindings import LECTURE_BINDINGS
from ..editor_app import EditorAppAccess
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

    def compose(self) -> ComposeResult:
        yield Static(Text("tui-editor · Loading…"), id="lecture-header")
        yield Static(Text("  Loading…"), id="lecture-message", classes="empty-note")
        yield Footer()

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
            footer = self.query_one(Footer)
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
        text.append(snapshot.title, style="bold")
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
            text.append(f" · filter “{self.timeline.filter_text}”", style="italic")
        return text

    def on_resize(self) -> None:
        if self.timeline.is_attached:
            self.update_header()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide what cannot apply yet (no lecture open) and Esc when there is no filter."""
        unshown = self.timeline.snapshot is None or not self.confirmed
        if action in ("filter", "review_queue", "history") and unshown:
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

    def action_review_queue(self) -> None:
        self.editor_app.action_review_queue()

    def action_history(self) -> None:
        self.editor_app.action_history()

    def action_switch_lecture(self) -> None:
        self.editor_app.action_switch_lecture()

    def action_quit_screen(self) -> None:
        code = 1 if self.error else 0
        self.editor_app.exit(code, return_code=code)
