"""The lecture's history: every revision with its source, who made it, what it changed and when, live
on accepts. `enter` shows a revision's field diff; `R` restores it (a new revision)."""

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

from ...core.revisions import describe
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
        columns = [
            ("Revision", "revision"),
            ("Source", "source"),
            ("Run", "run"),
            ("By", "by"),
            ("Time", "time"),
            ("Changes", "changes"),
        ]
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
        provider = self.editor_app.provider
        names = {c.id: c.name for c in provider.snapshot.clips} if provider is not None else {}
        for row in message.revisions:
            table.add_row(
                str(row["revision"]),
                str(row["source"]),
                str(row["run_id"] or "—"),
                Text(str(row.get("decided_by") or "—")),
                format_time(str(row["created_at"])),
                Text(describe(row.get("changes") or [], names=names)),
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

    def selected(self) -> dict[str, Any] | None:
        """The revision under the cursor."""
        table = self.query_one(DataTable)
        if not self.revisions or not 0 <= table.cursor_row < len(self.revisions):
            return None
        return self.revisions[table.cursor_row]

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:  # enter on the table (it takes the key before the screen)
        self.action_show_diff()

    def action_show_diff(self) -> None:
        revision = self.selected()
        if revision is not None:
            from .revision_diff import RevisionDiffScreen

            provider = self.editor_app.provider
            names = {c.id: c.name for c in provider.snapshot.clips} if provider is not None else {}
            self.app.push_screen(RevisionDiffScreen(revision, names=names))

    def action_restore(self) -> None:
        revision = self.selected()
        app = self.editor_app
        if revision is None or app.runtime is None or app.provider is None:
            return
        store = app.runtime.store
        publish = app.runtime.hub.publish  # its `revised` event reloads the lecture (and this list)
        lecture_id = app.provider.lecture_id
        number = int(revision["revision"])

        who = app.settings.user.resolved_name()

        def restore() -> None:
            new = store.restore_revision(lecture_id, number, decided_by=who, publish=publish)
            self.post_message(self.Restored(number, new))

        self.run_worker(restore, thread=True, group="history-restore", exclusive=True, exit_on_error=False)

    class Restored(Message):
        def __init__(self, revision: int, new_revision: int) -> None:
            super().__init__()
            self.revision = revision
            self.new_revision = new_revision

    @on(Restored)
    def _restored(self, message: Restored) -> None:
        self.notify(
            f"Restored revision {message.revision}: the lecture is now at revision {message.new_revision}"
        )

    def action_back(self) -> None:
        self.dismiss()
