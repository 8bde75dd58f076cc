"""The help screen (`?`, F1): every binding of every screen, with the keys it has *now*.

Keys come from the binding definitions with the App's keymap applied, so a `[keymap]` remap shows here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from ..bindings import (
    APP_BINDINGS,
    COMPARE_BINDINGS,
    HELP_BINDINGS,
    HISTORY_BINDINGS,
    LECTURE_BINDINGS,
    PICKER_BINDINGS,
    QUEUE_BINDINGS,
    SESSION_BINDINGS,
    TAKES_BINDINGS,
    TIMELINE_BINDINGS,
    KeyRow,
    effective_bindings,
)
from ..editor_app import EditorAppAccess
from ..widgets.key_footer import KeyFooter


def editor_sections() -> list[tuple[str, Sequence[BindingType]]]:
    """The clip editor's and review modal's bindings."""
    from ..app import load_clip_editor, load_review_screen

    return [
        ("Clip editor", list(load_clip_editor().BINDINGS)),
        ("Review", list(load_review_screen().BINDINGS)),
    ]


def help_sections() -> list[tuple[str, Sequence[BindingType]]]:
    return [
        ("Anywhere", APP_BINDINGS),
        ("Lecture timeline", [*TIMELINE_BINDINGS, *LECTURE_BINDINGS]),
        ("Review session", SESSION_BINDINGS),
        ("Review queue", QUEUE_BINDINGS),
        ("History", HISTORY_BINDINGS),
        ("Lecture picker", PICKER_BINDINGS),
        *editor_sections(),
        ("Take stack", TAKES_BINDINGS),
        ("Take beside the current asset", COMPARE_BINDINGS),
        ("This help", HELP_BINDINGS),
    ]


class HelpScreen(EditorAppAccess, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = HELP_BINDINGS
    AUTO_FOCUS = "#help-body"

    def __init__(self) -> None:
        super().__init__(id="help")
        self.rows: dict[str, list[KeyRow]] = {}

    def compose(self) -> ComposeResult:
        yield Static(
            Text.assemble(("Keys", "bold"), "  ·  remap any of them by id in [keymap] of config.toml"),
            id="help-header",
            classes="screen-title",
        )
        with VerticalScroll(id="help-body"):
            yield Static(self._render_sections(), id="help-text")
        yield KeyFooter()

    def _keys_text(self, keys: Iterable[str]) -> str:
        app = self.app
        return " / ".join(app.get_key_display(Binding(key, "noop")) for key in keys)

    def _render_sections(self) -> Group:
        keymap = self.editor_app.normalized_keymap
        parts: list[Table | Text] = []
        for title, bindings in help_sections():
            rows = effective_bindings(bindings, keymap)
            self.rows[title] = rows
            table = Table(
                title=title,
                title_justify="left",
                title_style="bold",
                show_header=False,
                box=None,
                padding=(0, 2, 0, 1),
                expand=False,
            )
            table.add_column("keys", style="bold", no_wrap=True, min_width=14)
            table.add_column("action", no_wrap=True, min_width=18)
            table.add_column("id", style="dim", no_wrap=True)
            for row in rows:
                table.add_row(self._keys_text(row.keys), row.description, row.id)
            parts.append(table)
            parts.append(Text(""))
        return Group(*parts)

    def action_close(self) -> None:
        self.dismiss()

    def action_scroll_down(self) -> None:
        self.query_one("#help-body", VerticalScroll).scroll_down(animate=False)

    def action_scroll_up(self) -> None:
        self.query_one("#help-body", VerticalScroll).scroll_up(animate=False)
