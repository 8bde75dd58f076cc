"""The lecture picker: shown when several lectures exist and none was named (or on `o`)."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable, Static

from ..bindings import PICKER_BINDINGS
from ..widgets.key_footer import KeyFooter
from ..widgets.literal_table import LiteralTable
from .table_screen import TableScreen


class PickerScreen(TableScreen[str | None]):
    """Dismisses with the chosen lecture id, or None."""

    BINDINGS: ClassVar[list[BindingType]] = PICKER_BINDINGS

    def __init__(self, lectures: list[dict[str, Any]], *, current: str | None = None) -> None:
        super().__init__(id="picker")
        self.lectures = list(lectures)
        self.current = current

    def compose(self) -> ComposeResult:
        count = len(self.lectures)
        yield Static(
            Text.assemble(("Open a lecture", "bold"), f"  ·  {count} lecture{'s' if count != 1 else ''}"),
            id="picker-header",
            classes="screen-title",
        )
        table: DataTable[Any] = LiteralTable(id="picker-table", cursor_type="row", zebra_stripes=True)
        table.add_column("Title", key="title")
        table.add_column("Clips", key="clips")
        table.add_column("Revision", key="revision")
        for lecture in self.lectures:
            table.add_row(
                str(lecture["title"]), str(lecture["clips"]), str(lecture["revision"]), key=lecture["id"]
            )
        yield table
        yield KeyFooter()

    def on_mount(self) -> None:
        if self.current is not None:
            ids = [lecture["id"] for lecture in self.lectures]
            if self.current in ids:
                self.query_one(DataTable).move_cursor(row=ids.index(self.current), animate=False)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if 0 <= table.cursor_row < len(self.lectures):
            self.dismiss(self.lectures[table.cursor_row]["id"])

    def action_back(self) -> None:
        self.dismiss(None)

    def action_new_lecture(self) -> None:
        """`n`: a lecture from a script (a modal); once made, the picker closes on it."""
        from .new_lecture import NewLectureScreen

        def made(lecture_id: str | None) -> None:
            if lecture_id is not None:
                self.dismiss(lecture_id)

        self.app.push_screen(NewLectureScreen(), made)
