"""The footer of every screen: its keys, and the command palette's key only where there is room for it.

Textual's `Footer` cuts the line where the terminal ends. At 80 columns the palette's key (`^p Commands`,
docked right, 14 cells) took the room of the screen's last keys — `f1 Help` among them, the one that leads
to every other key. `KeyFooter` leaves the palette's key out below `PALETTE_KEY_MIN_WIDTH` columns;
ctrl+p still opens the palette there, and the help lists it.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer


class KeyFooter(Footer):
    PALETTE_KEY_MIN_WIDTH: ClassVar[int] = 100

    def _palette_key_fits(self) -> bool:
        return self.app.size.width >= self.PALETTE_KEY_MIN_WIDTH

    def compose(self) -> ComposeResult:
        self.set_reactive(Footer.show_command_palette, self._palette_key_fits())
        yield from super().compose()

    def on_resize(self, event: events.Resize) -> None:
        if self._palette_key_fits() != self.show_command_palette:
            self.call_after_refresh(self.recompose)
