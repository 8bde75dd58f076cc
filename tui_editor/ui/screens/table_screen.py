"""What the list screens (review queue, history, lecture picker) share: a title, one table, `j`/`k`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Static

from ..editor_app import EditorAppAccess
from ..widgets.key_footer import KeyFooter
from ..widgets.literal_table import LiteralTable

ResultT = TypeVar("ResultT")


class TableScreen(EditorAppAccess, Screen[ResultT]):
    """A screen around one row-cursor `DataTable`; the cursor keys move it."""

    AUTO_FOCUS = "DataTable"

    def compose_table(
        self, prefix: str, title: str, columns: Sequence[tuple[str, str]], empty: str
    ) -> ComposeResult:
        """`#{prefix}-header` saying `title`, `#{prefix}-table` with (label, key) `columns`, then
        `#{prefix}-empty` saying `empty` and the footer."""
        yield Static(Text(title), id=f"{prefix}-header", classes="screen-title")
        # Cells are data (titles, clip names): shown literally, never parsed as markup.
        table: DataTable[Any] = LiteralTable(id=f"{prefix}-table", cursor_type="row", zebra_stripes=True)
        for label, key in columns:
            table.add_column(label, key=key)
        yield table
        yield Static(empty, id=f"{prefix}-empty", classes="empty-note")
        yield KeyFooter()

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()
