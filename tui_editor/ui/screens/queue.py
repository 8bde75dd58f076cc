"""The review queue: every preview waiting for a decision, across the lecture's clips, live."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ...core.kinds import get_kind
from ...core.snapshot import LectureSnapshot
from ..bindings import QUEUE_BINDINGS
from ..widgets.timeline import format_duration, format_start

if TYPE_CHECKING:
    from ..app import TuiEditorApp


class QueueScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = QUEUE_BINDINGS
    AUTO_FOCUS = "DataTable"

    def __init__(self) -> None:
        super().__init__(id="review-queue")
        self._run_ids: list[str] = []

    @property
    def editor_app(self) -> TuiEditorApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(Text("Review queue"), id="queue-header", classes="screen-title")
        table: DataTable[str | Text] = DataTable(id="queue-table", cursor_type="row", zebra_stripes=True)
        table.add_column("Clip", key="clip")
        table.add_column("Track", key="track")
        table.add_column("Start", key="start")
        table.add_column("Dur", key="dur")
        table.add_column("Preview", key="preview")
        yield table
        yield Static("No previews are waiting for review.", id="queue-empty", classes="empty-note")
        yield Footer()

    def on_mount(self) -> None:
        app = self.editor_app
        app.runs_changed.subscribe(self, self._on_runs)
        app.snapshot_changed.subscribe(self, self._on_snapshot)
        self.rebuild()

    def _on_runs(self, _clip_ids: set[str]) -> None:
        self.rebuild()

    def _on_snapshot(self, _snapshot: LectureSnapshot) -> None:
        self.rebuild()

    @property
    def run_ids(self) -> list[str]:
        """The runs listed, in order (tests)."""
        return list(self._run_ids)

    def rebuild(self) -> None:
        app = self.editor_app
        table = self.query_one(DataTable)
        board = app.board
        provider = app.provider
        runs = board.pending_reviews() if board is not None else []
        snapshot = provider.snapshot if provider is not None else None
        rows: list[tuple[str, tuple[str | Text, ...]]] = []
        for run in runs:
            clip = snapshot.clip(run.clip_id) if snapshot is not None else None
            if clip is None:
                continue
            kind = get_kind(run.kind)
            rows.append(
                (
                    run.run_id,
                    (
                        clip.name,
                        kind.label,
                        format_start(clip.start),
                        format_duration(clip.duration),
                        kind.summary(run.preview) if run.preview else "(preview)",
                    ),
                )
            )
        ids = [run_id for run_id, _ in rows]
        current = self._current_run_id()
        table.clear()
        for run_id, cells in rows:
            table.add_row(*cells, key=run_id)
        self._run_ids = ids
        if current in ids:
            table.move_cursor(row=ids.index(current), animate=False)
        count = len(ids)
        title = self.query_one("#queue-header", Static)
        header = Text("Review queue", style="bold")
        if snapshot is not None:
            header.append(f"  ·  {snapshot.title}")
        header.append(f"  ·  {count} preview{'s' if count != 1 else ''} waiting")
        title.update(header)
        self.query_one("#queue-empty").display = count == 0
        table.display = count > 0

    def _current_run_id(self) -> str | None:
        table = self.query_one(DataTable)
        if not self._run_ids or table.cursor_row < 0 or table.cursor_row >= len(self._run_ids):
            return None
        return self._run_ids[table.cursor_row]

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        run_id = self._current_run_id()
        board = self.editor_app.board
        if run_id is None or board is None or run_id not in board.runs:
            return
        self.editor_app.open_clip(board.runs[run_id].clip_id, open_review=True)

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    def action_back(self) -> None:
        self.dismiss()
