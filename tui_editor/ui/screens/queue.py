"""The review queue: every preview waiting for a decision, across the lecture's clips, live."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable, Static

from ...core.kinds import get_kind
from ...core.safe_text import visible
from ...core.snapshot import LectureSnapshot
from ..bindings import QUEUE_BINDINGS
from ..time_text import format_duration, format_start
from .table_screen import TableScreen


class QueueScreen(TableScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = QUEUE_BINDINGS

    def __init__(self) -> None:
        super().__init__(id="review-queue")
        self._run_ids: list[str] = []

    def compose(self) -> ComposeResult:
        columns = [
            ("Clip", "clip"),
            ("Track", "track"),
            ("Start", "start"),
            ("Dur", "dur"),
            ("Preview", "preview"),
        ]
        yield from self.compose_table(
            "queue", "Review queue", columns, empty="No previews are waiting for review."
        )

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
            header.append(f"  ·  {visible(snapshot.title)}")
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

    def action_back(self) -> None:
        self.dismiss()
