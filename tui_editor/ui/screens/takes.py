"""The clip's take stack (`t` / `f3` in the clip editor): every preview of the clip, newest first.

`enter` makes the take under the cursor current (a new revision, source `take`), `s` stars or unstars
it (starred takes are never pruned), `c` shows it beside the current asset (the review's field diff and
media, `tab` enlarges the other side, `enter` restores from there too). The screen's result is a line for
the user (what was restored) or None. Store calls run in thread workers that post `TakesLoaded` /
`TakeDone`; nothing blocks the UI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from ...core.errors import TuiEditorError
from ...core.kinds import get_kind
from ...core.safe_text import visible
from ...core.takes import Take
from ..bindings import COMPARE_BINDINGS, TAKES_BINDINGS
from ..editor_app import EditorAppAccess
from ..widgets.key_footer import KeyFooter
from ..widgets.media import media_preview
from .review import fields_table


@dataclass
class TakesLoaded(Message):
    takes: list[Take]
    error: str | None = None


@dataclass
class TakeDone(Message):
    """A restore or star finished (`note` for the user), or failed (`error`)."""

    action: str
    take_id: str
    note: str = ""
    error: str | None = None


class TakesScreen(EditorAppAccess, ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = TAKES_BINDINGS

    DEFAULT_CSS = """
    TakesScreen { align: center middle; }
    TakesScreen #takes-dialog {
        width: 100%; max-width: 110; height: auto; max-height: 100%;
        border: round $accent; padding: 0 1; background: $surface;
    }
    TakesScreen DataTable { height: auto; max-height: 20; }
    TakesScreen #takes-status { height: auto; }
    TakesScreen #takes-status.-error { color: $error; text-style: bold; }
    """

    def __init__(self, clip_id: str, clip_name: str) -> None:
        super().__init__(id="takes")
        self.clip_id = clip_id
        self.clip_name = clip_name
        self.takes: list[Take] = []
        self.loads = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="takes-dialog") as dialog:
            dialog.border_title = "Takes"
            dialog.border_subtitle = Content(visible(self.clip_name))  # a title is markup otherwise
            yield DataTable(id="takes-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="takes-status", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, key in (
            ("Status", "status"),
            ("★", "star"),
            ("Seed", "seed"),
            ("Created (UTC)", "created"),
            ("Decided by", "by"),
            ("Take", "summary"),
        ):
            table.add_column(label, key=key)
        self._load()

    # --- loading ------------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="takes", exit_on_error=False)
    def _load(self) -> None:
        from ...core.takes import list_takes

        runtime = self.editor_app.runtime
        if runtime is None:
            self.post_message(TakesLoaded([], "the database is not open"))
            return
        try:
            self.post_message(TakesLoaded(list_takes(runtime.store, self.clip_id)))
        except TuiEditorError as exc:
            self.post_message(TakesLoaded([], exc.message))

    @on(TakesLoaded)
    def _loaded(self, message: TakesLoaded) -> None:
        self.loads += 1
        table = self.query_one(DataTable)
        current = self.current_take
        self.takes = message.takes
        table.clear()
        for take in self.takes:
            run = take.run
            kind = get_kind(run.kind)
            table.add_row(
                Text(take.status),
                Text("★" if run.starred else ""),
                Text("" if run.seed is None else str(run.seed)),
                Text(run.created_at.strftime("%Y-%m-%d %H:%M:%S")),
                Text(visible(run.decided_by or "")),
                Text(visible(kind.summary(run.preview_asset or {}))),
                key=take.id,
            )
        ids = [t.id for t in self.takes]
        if current is not None and current.id in ids:
            table.move_cursor(row=ids.index(current.id), animate=False)
        if message.error:
            self._say(message.error, error=True)
        elif not self.takes:
            self._say("No takes yet: generate a preview (ctrl+g).")

    @property
    def current_take(self) -> Take | None:
        table = self.query_one(DataTable)
        if not self.takes or not 0 <= table.cursor_row < len(self.takes):
            return None
        return self.takes[table.cursor_row]

    def _say(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#takes-status", Static)
        status.update(visible(text))
        status.set_class(error, "-error")

    # --- actions ------------------------------------------------------------------------------------
    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_restore()

    def action_restore(self) -> None:
        take = self.current_take
        if take is None:
            return
        if take.status == "current":
            self._say("That take is already current.")
            return
        if take.status == "pending":
            self._say("That take is pending: review it (ctrl+o) to accept it.")
            return
        self._say("Restoring…")
        self._run("restore", take.id)

    def action_star(self) -> None:
        take = self.current_take
        if take is not None:
            self._run("unstar" if take.run.starred else "star", take.id)

    def action_compare(self) -> None:
        take = self.current_take
        provider = self.editor_app.provider
        if take is None or provider is None:
            return
        clip = provider.snapshot.clip(self.clip_id)
        current = provider.snapshot.asset_for(clip) if clip is not None else None
        self.app.push_screen(TakeCompareScreen(take, current), self._compared)

    def _compared(self, restore: bool | None) -> None:
        if restore:
            self.action_restore()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    @work(thread=True, group="take-action", exit_on_error=False)
    def _run(self, action: str, take_id: str) -> None:
        from ...core.takes import restore_take, set_starred

        app = self.editor_app
        runtime = app.runtime
        if runtime is None:
            self.post_message(TakeDone(action, take_id, error="the database is not open"))
            return
        try:
            if action == "restore":
                revision, _run, event = restore_take(
                    runtime.store,
                    Path(app.settings.data_path),
                    self.clip_id,
                    take_id,
                    decided_by=app.settings.user.resolved_name(),
                )
                if event is not None:
                    runtime.hub.publish(event)
                note = f"Take {take_id} is current (lecture revision {revision})"
            else:
                set_starred(runtime.store, self.clip_id, take_id, action == "star")
                note = f"Take {take_id} {action}red"
        except TuiEditorError as exc:
            self.post_message(TakeDone(action, take_id, error=exc.message))
            return
        self.post_message(TakeDone(action, take_id, note=note))

    @on(TakeDone)
    def _done(self, message: TakeDone) -> None:
        if message.error is not None:
            self._say(message.error, error=True)
            return
        if message.action == "restore":
            self.dismiss(message.note)
            return
        self._say(message.note)
        self._load()


class TakeCompareScreen(EditorAppAccess, ModalScreen[bool]):
    """A take beside the current asset: the review's field diff and media; `enter` restores it."""

    BINDINGS: ClassVar[list[BindingType]] = COMPARE_BINDINGS

    DEFAULT_CSS = """
    TakeCompareScreen { align: center middle; }
    TakeCompareScreen #compare-dialog {
        width: 100%; max-width: 110; height: auto; max-height: 100%;
        border: round $accent; padding: 0 1; background: $surface;
    }
    TakeCompareScreen #compare-body { height: auto; max-height: 1fr; }
    TakeCompareScreen #compare-media { height: auto; margin-top: 1; }
    TakeCompareScreen .compare-side { width: 1fr; height: auto; padding: 0 1 0 0; }
    TakeCompareScreen .compare-side.-enlarged { width: 2fr; }
    TakeCompareScreen .compare-side-title { text-style: bold; height: 1; }
    """

    def __init__(self, take: Take, current: Mapping[str, Any] | None) -> None:
        super().__init__(id="take-compare")
        self.take = take
        self.current = current
        self.enlarged = "take"

    def compose(self) -> ComposeResult:
        kind = get_kind(self.take.run.kind)
        data_dir = Path(self.editor_app.settings.data_path)
        protocol = str(self.editor_app.settings.ui.image_protocol)
        asset = dict(self.take.run.preview_asset or {})
        if self.take.file:
            asset["file"] = self.take.file
        with Vertical(id="compare-dialog") as dialog:
            dialog.border_title = f"Take {self.take.id} ({self.take.status})"
            with VerticalScroll(id="compare-body", can_focus=False):
                yield Static(fields_table(self, kind, self.current, asset), id="compare-fields")
                with Horizontal(id="compare-media"):
                    with Vertical(classes="compare-side", id="compare-current"):
                        yield Static("Current", classes="compare-side-title")
                        yield media_preview(
                            self.current, data_dir=data_dir, protocol=protocol, media=kind.media
                        )
                    with Vertical(classes="compare-side -enlarged", id="compare-take"):
                        yield Static("Take", classes="compare-side-title")
                        yield media_preview(asset, data_dir=data_dir, protocol=protocol, media=kind.media)
        yield KeyFooter()

    def action_swap(self) -> None:
        self.enlarged = "current" if self.enlarged == "take" else "take"
        self.query_one("#compare-current").set_class(self.enlarged == "current", "-enlarged")
        self.query_one("#compare-take").set_class(self.enlarged == "take", "-enlarged")

    def action_restore(self) -> None:
        self.dismiss(True)

    def action_back(self) -> None:
        self.dismiss(False)
