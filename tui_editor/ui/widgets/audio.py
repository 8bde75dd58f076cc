"""`AudioPreview`: an audio asset's duration and format, and its `WaveformView`, read in thread workers.

WAV and MP3 files (told apart by their bytes) are read through `generators.media_info`: WAV through
`generators.wav` (it handles streamed WAVs whose size fields are placeholders), MP3 durations from its
frame headers and its waveform decoded with PyAV. Reading is file I/O, so it never runs on the UI
thread: the preview shows "Reading audio…" until the worker's message arrives. Facts and waveforms are
cached by the asset's cache-busted URL (a waveform also by its width), so reopening a review shows them
at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from rich.segment import Segment
from textual import events, on, work
from textual.app import ComposeResult
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from ...core.paths import UnsafePathError
from ...generators.media_info import AudioInfo, audio_info, audio_waveform
from ..time_text import format_start
from .media_files import asset_url, display_name, media_path
from .media_read import MediaRead, read_in_worker

READING_AUDIO = "Reading audio…"

AUDIO_INFO_CACHE: LRUCache[str, AudioInfo] = LRUCache(64)
"""Audio facts by cache-busted URL; touched on the UI thread only."""
WAVEFORM_CACHE: LRUCache[tuple[str, int], list[float]] = LRUCache(64)
"""Peaks by (cache-busted URL, number of columns); touched on the UI thread only."""

_BLOCKS = " ▁▂▃▄▅▆▇█"


def render_waveform(peaks: Sequence[float], height: int = 2) -> list[str]:
    """Rows (top first) of block characters drawing each peak as a bar `height` cells tall at most.

    A silent column still shows a baseline (`▁`) so the length of the clip stays visible.
    """
    height = max(1, height)
    levels = height * 8
    columns = [max(round(max(0.0, min(1.0, peak)) * levels), 1) for peak in peaks]
    rows = []
    for row in range(height):
        floor = (height - 1 - row) * 8
        rows.append("".join(_BLOCKS[max(0, min(8, level - floor))] for level in columns))
    return rows


def audio_caption(info: AudioInfo) -> str:
    channels = "mono" if info.channels == 1 else f"{info.channels} ch"
    shape = f"{info.sample_rate} Hz {channels}" + (" MP3" if info.format == "mp3" else "")
    return f"{format_start(info.duration_s)} ({info.duration_s:.2f} s) · {shape}"


class WaveformView(Widget):
    """A waveform in block characters, one bucket per column, read from the file for the current width."""

    DEFAULT_CSS = """
    WaveformView { height: 2; width: 1fr; color: $accent; }
    """

    def __init__(self, path: Path, url: str, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.path = Path(path)
        self.url = url
        self.error: str | None = None
        self._requested_width = 0
        self._wave_rows: list[str] = []
        self._wave_size: Size | None = None

    @property
    def loaded(self) -> bool:
        """True once the waveform for the current width (or the error) can be drawn."""
        width = self.size.width
        return self.error is not None or (width > 0 and (self.url, width) in WAVEFORM_CACHE)

    def on_resize(self, event: events.Resize) -> None:
        width = event.size.width
        if width > 0 and width != self._requested_width and (self.url, width) not in WAVEFORM_CACHE:
            self._requested_width = width
            self._read_peaks(width)

    @work(thread=True, exclusive=True, group="media-waveform", exit_on_error=False)
    def _read_peaks(self, width: int) -> None:
        path = self.path
        read_in_worker(self.post_message, (self.url, width), lambda: audio_waveform(path, width))

    @on(MediaRead)
    def _peaks_read(self, message: MediaRead[list[float]]) -> None:
        message.stop()
        url, width = cast(tuple[str, int], message.key)
        if message.value is not None:
            WAVEFORM_CACHE.set((url, width), message.value)
        if url == self.url and (message.error is not None or width == self.size.width):
            if message.error is not None:
                self.error = message.error
            self._wave_size = None
            self.refresh()

    def _build(self, size: Size) -> None:
        self._wave_size = size
        self._wave_rows = []
        if size.width <= 0 or size.height <= 0:
            return
        if self.error is not None:
            self._wave_rows = [f"(cannot read audio: {self.error})"[: size.width]]
            return
        peaks = WAVEFORM_CACHE.get((self.url, size.width))
        if peaks is None:
            self._wave_size = None  # not read yet: build again once the peaks arrive
            self._wave_rows = [READING_AUDIO[: size.width]]
            return
        self._wave_rows = render_waveform(peaks, size.height)

    def render_line(self, y: int) -> Strip:
        if self._wave_size != self.size:
            self._build(self.size)
        width = self.size.width
        style = self.rich_style
        if 0 <= y < len(self._wave_rows):
            return Strip([Segment(self._wave_rows[y], style)]).extend_cell_length(width, style)
        return Strip.blank(width, style)


class AudioPreview(Vertical):
    """An audio asset: duration and format, and its waveform."""

    DEFAULT_CSS = """
    AudioPreview { height: auto; }
    AudioPreview > .media-caption { color: $text-muted; height: 1; }
    """

    def __init__(
        self,
        asset: Mapping[str, Any] | None,
        *,
        data_dir: Path,
        preview_token: int | None = None,
        id: str | None = None,  # noqa: A002
    ) -> None:
        super().__init__(id=id)
        self.asset = asset
        self.data_dir = Path(data_dir)
        self.url = asset_url(asset, preview_token=preview_token)
        self.unsafe: str | None = None
        try:
            self.path: Path | None = media_path(self.data_dir, self.url) if self.url else None
        except UnsafePathError as exc:  # a stored name that leaves the data dir: never read
            self.path, self.unsafe = None, exc.message
        self._read = self.path is None or self.url in AUDIO_INFO_CACHE

    @property
    def loaded(self) -> bool:
        """True once there is nothing more to read: facts and waveform (or the error) are shown."""
        return self._read and all(view.loaded for view in self.query(WaveformView))

    def compose(self) -> ComposeResult:
        if self.path is None:
            text = f"(cannot read audio: {self.unsafe})" if self.unsafe else "(no audio file)"
            yield Static(text, classes="media-caption", markup=False)
            return
        info = AUDIO_INFO_CACHE.get(self.url)
        if info is None:
            yield Static(READING_AUDIO, classes="media-caption", markup=False)
            return
        yield Static(audio_caption(info), classes="media-caption", markup=False)
        yield WaveformView(self.path, self.url, classes="media-waveform")

    def on_mount(self) -> None:
        if not self._read and self.path is not None:
            self._read_info(self.path, self.url)

    @work(thread=True, exclusive=True, group="media-audio", exit_on_error=False)
    def _read_info(self, path: Path, url: str) -> None:
        read_in_worker(self.post_message, url, lambda: audio_info(path))

    @on(MediaRead)
    async def _info_read(self, message: MediaRead[AudioInfo]) -> None:
        message.stop()
        if message.value is not None:
            AUDIO_INFO_CACHE.set(str(message.key), message.value)
        if message.key != self.url or self._read or self.path is None:
            return
        caption = self.query_one(".media-caption", Static)
        if message.value is not None:
            caption.update(audio_caption(message.value))
            await self.mount(WaveformView(self.path, self.url, classes="media-waveform"))
        else:
            caption.update(f"(cannot read audio {display_name(self.url)}: {message.error})")
        self._read = True
