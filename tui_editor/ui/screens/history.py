"""The lecture's history: every revision with its source, run and time, live on accepts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from ...core.safe_text import visible
from ...core.snapshot import LectureSnapshot
from ..bindings import HISTORY_BINDINGS
from .table_screen import TableScreen


def format_time(value: str) -> str:
    """An ISO time as local `YYYY-MM-DD HH:MM:SS`."""
    try:
        return datetime.fromisoformat(value).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return str(value)


class HistoryScreen(TableScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = HISTORY_BINDINGS

    class Loaded(Message):
        def __init__(self, lecture_id: str, revisions: list[dict[str, Any]]) -> None:
            super().__init__()
            self.lecture_id = lecture_id
            self.revisions = revisions

    def __init__(self) -> None:
        super().__init__(id="history")
        self.revisions: list[dict[str, Any]] = []
        self._loaded_revision: int | None = None
        self.loads = 0

    def compose(self) -> ComposeResult:
        columns = [("Revision", "revision"), ("Source", "source"), ("Run", "run"), ("Time", "time")]
        yield from self.compose_table("history", "History", columns, empty="Loading…")

    def on_mount(self) -> None:
        self.editor_app.snapshot_changed.subscribe(self, self._on_snapshot)
        self.load()

    def _on_snapshot(self, snapshot: LectureSnapshot) -> None:
        if snapshot.revision != self._loaded_revision:
            self.load()

    def load(self) -> None:
        app = self.editor_app
        if app.runtime is None or app.provider is None:
            return
        store = app.runtime.store
        lecture_id = app.provider.lecture_id
        self._loaded_revision = app.provider.snapshot.revision

        def fetch() -> None:
            revisions = store.list_revisions(lecture_id)
            self.post_message(self.Loaded(lecture_id, revisions))

        self.run_worker(fetch, thread=True, group="history", exclusive=True, exit_on_error=False)

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.loads += 1
        self.revisions = message.revisions
        table = self.query_one(DataTable)
        table.clear()
        for row in message.revisions:
            table.add_row(
                str(row["revision"]),
                str(row["source"]),
                str(row["run_id"] or "—"),
                format_time(str(row["created_at"])),
                key=f"{row['revision']}:{row['source']}:{row['created_at']}",
            )
        header = Text("History", style="bold")
        provider = self.editor_app.provider
        if provider is not None:
            header.append(f"  ·  {visible(provider.snapshot.title)}  ·  rev {provider.snapshot.revision}")
        count = len(message.revisions)
        header.append(f"  ·  {count} revision{'s' if count != 1 else ''}")
        self.query_one("#history-header", Static).update(header)
        empty = self.query_one("#history-empty", Static)
        empty.update("No revisions yet.")
        empty.display = count == 0
        table.display = count > 0

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.editor_app.report_worker_error(event.worker.group, event.worker.error)

    def action_back(self) -> None:
        self.dismiss()
