"""A revision's field diff (enter on the history screen): each clip it touched, each field before → after.

Values come from the database (prompts, scripts, file names): they are shown as plain `Text`, never
parsed as markup.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..bindings import DIFF_BINDINGS
from ..widgets.key_footer import KeyFooter

#: Longer values are cut (with an ellipsis) so one prompt cannot fill the screen.
MAX_VALUE = 300


def show_value(value: Any) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = "".join(c if c.isprintable() else " " for c in text)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def diff_text(revision: Mapping[str, Any], names: Mapping[str, str] | None = None) -> Text:
    """`revision` (a `list_revisions` row) as readable lines: clip (by its name in `names`, else its
    id), then `field: before → after`."""
    text = Text()
    text.append(f"Revision {revision['revision']}", style="bold")
    text.append(f"  ·  {revision['source']}")
    if revision.get("decided_by"):
        text.append(f"  ·  by {show_value(revision['decided_by'])}")
    text.append("\n\n")
    changes = revision.get("changes") or []
    if not changes:
        text.append("Nothing changed in the clips or their assets.", style="dim")
        return text
    for change in changes:
        text.append(show_value((names or {}).get(change["clip_id"], change["clip_id"])), style="bold")
        text.append(f"  ({change['kind']})\n", style="dim")
        for name, values in sorted(change["fields"].items()):
            text.append(f"  {name}: ")
            text.append(show_value(values.get("before")), style="red")
            text.append("  →  ")
            text.append(show_value(values.get("after")), style="green")
            text.append("\n")
        text.append("\n")
    return text


class RevisionDiffScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = DIFF_BINDINGS
    DEFAULT_CSS = """
    RevisionDiffScreen { align: center middle; }
    #diff-box { width: 90%; height: 80%; border: round $accent; background: $surface; padding: 0 1; }
    """

    def __init__(self, revision: Mapping[str, Any], *, names: Mapping[str, str] | None = None) -> None:
        super().__init__(id="revision-diff")
        self.revision = revision
        self.names = dict(names or {})

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="diff-box"):
            yield Static(diff_text(self.revision, self.names), id="diff-body")
        yield KeyFooter()

    def action_close(self) -> None:
        self.dismiss()

    def action_scroll_down(self) -> None:
        self.query_one("#diff-box", VerticalScroll).scroll_down(animate=False)

    def action_scroll_up(self) -> None:
        self.query_one("#diff-box", VerticalScroll).scroll_up(animate=False)
