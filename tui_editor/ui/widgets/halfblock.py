"""`HalfBlockImage`: a picture as coloured `▀` cells, for terminals without sixel or kitty graphics."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage


class HalfBlockImage(Widget):
    """An image as coloured `▀` cells: two pixels per cell, fitted into the widget, aspect kept.

    Cells are assumed twice as tall as wide, so a pixel maps to half a cell. Rendering is pure
    (Pillow resize + one segment per cell), which makes it deterministic for snapshots.
    """

    DEFAULT_CSS = """
    HalfBlockImage { width: 1fr; height: 8; }
    """

    def __init__(self, image: PILImage, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.image = image.convert("RGB") if image.mode != "RGB" else image
        self._image_strips: list[Strip] = []
        self._image_size: Size | None = None

    def _build(self, size: Size) -> None:
        from PIL import Image  # deferred: ~40 ms

        width, height = size.width, size.height * 2
        self._image_size = size
        self._image_strips = []
        if width <= 0 or height <= 0 or self.image.width <= 0 or self.image.height <= 0:
            return
        scale = min(width / self.image.width, height / self.image.height)
        cols = max(1, min(width, round(self.image.width * scale)))
        px_rows = max(2, min(height, round(self.image.height * scale)))
        px_rows += px_rows % 2
        rgb = self.image.resize((cols, px_rows), Image.Resampling.BILINEAR).tobytes()
        pad_left = (width - cols) // 2
        blank = Segment(" " * pad_left) if pad_left else None
        for y in range(0, px_rows, 2):
            segments: list[Segment] = [blank] if blank else []
            for x in range(cols):
                top = _hex(rgb, (y * cols + x) * 3)
                bottom = _hex(rgb, ((y + 1) * cols + x) * 3) if y + 1 < px_rows else top
                segments.append(Segment("▀", Style(color=top, bgcolor=bottom)))
            self._image_strips.append(Strip(segments, pad_left + cols))

    def render_line(self, y: int) -> Strip:
        if self._image_size != self.size:
            self._build(self.size)
        if 0 <= y < len(self._image_strips):
            return self._image_strips[y].extend_cell_length(self.size.width)
        return Strip.blank(self.size.width)


def _hex(rgb: bytes, offset: int) -> str:
    """The colour of the RGB pixel starting at `offset` of packed RGB bytes."""
    return "#" + rgb[offset : offset + 3].hex()
