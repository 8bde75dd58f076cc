"""`LiteralTable`: a `DataTable` whose text cells are shown literally — never parsed as markup.

A plain `DataTable` reads every `str` cell as content markup, so a clip named `[/]` breaks the table and
`[@click=app.quit]…` becomes a live action. Cells are data (titles, clip names, summaries), so text cells
become `rich.text.Text` with control characters made visible (`core.safe_text.visible`).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import CellType, ColumnKey, RowKey

from ...core.safe_text import visible


def literal_cell(value: Any) -> Any:
    """A `str` cell as literal, visible `Text`; anything else as it is."""
    return Text(visible(value), end="") if isinstance(value, str) else value


class LiteralTable(DataTable[Any]):
    """A `DataTable` that never parses its text cells as markup (see the module docstring)."""

    def add_row(
        self,
        *cells: CellType,
        height: int | None = 1,
        key: str | None = None,
        label: Any = None,
    ) -> RowKey:
        return super().add_row(*map(literal_cell, cells), height=height, key=key, label=literal_cell(label))

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: CellType,
        *,
        update_width: bool = False,
    ) -> None:
        super().update_cell(row_key, column_key, literal_cell(value), update_width=update_width)
