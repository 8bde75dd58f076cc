"""`ImagePreview`: an image asset's facts and its picture, decoded in a thread worker.

The picture is drawn by the widget `terminal_graphics.image_widget_class` picks for `[ui] image_protocol`.
Decoding reads the file, so it never runs on the UI thread: the preview shows "Loading image…" until the
worker's `ImagePreview.Loaded` (or `Failed`) message arrives. Decoded images are cached by the asset's
cache-busted URL, so reopening a review shows them at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from .halfblock import HalfBlockImage
from .media_files import asset_url, describe_error, display_name, media_path
from .media_read import MediaRead, read_in_worker
from .terminal_graphics import IMAGE_PROTOCOLS, image_widget_class

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

LOADING_IMAGE = "Loading image…"

IMAGE_CACHE: LRUCache[str, PILImage] = LRUCache(16)
"""Decoded images (RGB) by cache-busted URL; touched on the UI thread only."""


def load_image(path: Path) -> PILImage:
    """Decode an image file to RGB (blocking: call it from a worker)."""
    from PIL import Image

    with Image.open(path) as img:
        img.load()
        return img.convert("RGB")


def _describe_image_error(exc: BaseException) -> str:
    from PIL import UnidentifiedImageError  # deferred: ~40 ms

    if isinstance(exc, UnidentifiedImageError):  # its message is the full path
        return "not an image Pillow can read"
    return describe_error(exc)


class ImagePreview(Vertical):
    """An image asset: a caption (size, file) and the picture drawn per `image_protocol`."""

    DEFAULT_CSS = """
    ImagePreview { height: auto; }
    ImagePreview > .media-caption { color: $text-muted; height: 1; }
    ImagePreview > .media-picture { height: 8; width: 1fr; }
    ImagePreview > .media-picture.-textual-image { width: auto; max-width: 100%; }
    """

    def __init__(
        self,
        asset: Mapping[str, Any] | None,
        *,
        data_dir: Path,
        protocol: str = "auto",
        preview_token: int | None = None,
        id: str | None = None,  # noqa: A002
    ) -> None:
        super().__init__(id=id)
        self.asset = asset
        self.data_dir = Path(data_dir)
        self.protocol = protocol if protocol in IMAGE_PROTOCOLS else "auto"
        self.url = asset_url(asset, preview_token=preview_token)
        self.widget_class = image_widget_class(self.protocol) if self.url else None
        #: True once there is nothing more to read: the picture or the error is shown (or none is wanted).
        self.loaded = self.widget_class is None or self.url in IMAGE_CACHE

    def compose(self) -> ComposeResult:
        asset = self.asset or {}
        if not self.url:
            yield Static("(no image file)", classes="media-caption")
            return
        size = ""
        if asset.get("width") and asset.get("height"):
            size = f"{asset['width']}×{asset['height']} · "
        yield Static(f"{size}{display_name(self.url)}", classes="media-caption", markup=False)
        if self.widget_class is None:
            return
        image = IMAGE_CACHE.get(self.url)
        if image is not None:
            yield self._picture(image)
        else:
            yield Static(LOADING_IMAGE, classes="media-caption media-status", markup=False)

    def on_mount(self) -> None:
        if not self.loaded:
            self._decode(self.data_dir, self.url)

    def _picture(self, image: PILImage) -> Widget:
        assert self.widget_class is not None
        if self.widget_class is HalfBlockImage:
            return HalfBlockImage(image, classes="media-picture")
        # textual-image: the width follows the picture's aspect ratio at the given height
        return self.widget_class(image, classes="media-picture -textual-image")

    @work(thread=True, exclusive=True, group="media-image", exit_on_error=False)
    def _decode(self, data_dir: Path, url: str) -> None:
        # The path check is part of the read: a name that leaves the data dir is a read error.
        read_in_worker(
            self.post_message, url, lambda: load_image(media_path(data_dir, url)), _describe_image_error
        )

    @on(MediaRead)
    async def _decoded(self, message: MediaRead[PILImage]) -> None:
        message.stop()
        if message.value is not None:
            IMAGE_CACHE.set(str(message.key), message.value)
        if message.key != self.url or self.loaded:
            return
        if message.value is not None:
            await self.query(".media-status").remove()
            await self.mount(self._picture(message.value))
        else:
            self.query_one(".media-status", Static).update(f"(cannot show image: {message.error})")
        self.loaded = True
