"""Media in the terminal: images (textual-image or half-blocks), audio waveforms, an external player.

Everything here is keyed by the URL `core.urls.build_asset_url` returns for an asset: a preview by the
run's `preview_token`, a committed asset by its `updated_at`. Decoded images and waveforms are cached by
that URL, so a new preview or a newly accepted asset is read again and nothing else is.

Images honour `[ui] image_protocol`:
- `auto`  — textual-image picks sixel or kitty graphics where the terminal has them, else half-blocks;
- `sixel` / `kitty` — force that protocol (through textual-image);
- `halfblock` — coloured half-block cells (our own renderer: deterministic, works over any SSH);
- `none` — no picture, just the facts (size, file).
textual-image asks the terminal what it supports *when it is imported*, which only works before Textual
takes over the terminal: call `prepare_terminal_graphics(protocol)` before `App.run()`. If it was not
called and stdout is a terminal, `auto`/`sixel`/`kitty` fall back to half-blocks rather than disturb the
running app with terminal queries.

Audio honours `[ui] audio_player`: `none` disables playback, `auto` looks for a player on `PATH`
(`paplay`, `aplay`, `afplay`, `ffplay -nodisp -autoexit`, `mpv --no-video`, `play`), anything else is a
command line in which `{file}` is replaced by the WAV path (appended when absent). Players run without a
shell through `subprocess.Popen` and are stopped when the review closes.
"""

from __future__ import annotations

import array
import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import wave
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from rich.segment import Segment
from rich.style import Style
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from ...core.urls import build_asset_url, strip_cache_buster

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

IMAGE_PROTOCOLS = ("auto", "sixel", "kitty", "halfblock", "none")
NO_PLAYER_MESSAGE = "No audio player found — set [ui] audio_player"
PLAYER_DISABLED_MESSAGE = "Audio playback is off ([ui] audio_player = none)"

#: Players tried by `audio_player = "auto"`, in order (argv templates; `{file}` is the WAV path).
AUTO_PLAYERS: tuple[tuple[str, ...], ...] = (
    ("paplay", "{file}"),
    ("aplay", "-q", "{file}"),
    ("afplay", "{file}"),
    ("ffplay", "-nodisp", "-autoexit", "-loglevel", "quiet", "{file}"),
    ("mpv", "--no-video", "--really-quiet", "{file}"),
    ("play", "-q", "{file}"),
)

K = TypeVar("K")
V = TypeVar("V")


class LRUCache(Generic[K, V]):
    """A tiny least-recently-used cache (main-thread use)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        if key in self._data:
            self._data.move_to_end(key)
            return self._data[key]
        return None

    def put(self, key: K, value: V) -> V:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.size:
            self._data.popitem(last=False)
        return value

    def get_or_create(self, key: K, factory: Callable[[], V]) -> V:
        found = self.get(key)
        return found if found is not None else self.put(key, factory())

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        self._data.clear()


# --- asset → URL → file -----------------------------------------------------------------------------


def asset_url(asset: Mapping[str, Any] | None, *, preview_token: int | None = None) -> str:
    """The cache key of an asset's media: a preview by its token, a committed asset by `updated_at`."""
    if not asset or not asset.get("file"):
        return ""
    if preview_token is not None:
        return build_asset_url(str(asset["file"]), preview_token=preview_token)
    return build_asset_url(str(asset["file"]), updated_at=asset.get("updated_at"))


def media_path(data_dir: Path, url: str) -> Path:
    """The file a media URL names, under the data directory (absolute paths are kept)."""
    relative = Path(strip_cache_buster(url))
    return relative if relative.is_absolute() else Path(data_dir) / relative


# --- audio: facts and waveform ------------------------------------------------------------------------


@dataclass(frozen=True)
class AudioInfo:
    duration_s: float
    sample_rate: int
    channels: int


IMAGE_CACHE: LRUCache[str, PILImage] = LRUCache(16)
WAVEFORM_CACHE: LRUCache[tuple[str, int], list[float]] = LRUCache(64)
AUDIO_INFO_CACHE: LRUCache[str, AudioInfo] = LRUCache(64)


def read_audio_info(path: Path) -> AudioInfo:
    """Duration, rate and channels of a PCM WAV (`OSError`/`wave.Error`/`EOFError` when unreadable)."""
    with wave.open(str(path), "rb") as src:
        rate, channels, frames = src.getframerate(), src.getnchannels(), src.getnframes()
    return AudioInfo(frames / rate if rate else 0.0, rate, channels)


def _stdlib_peaks(path: Path, buckets: int) -> list[float]:
    """Peak amplitude per slice with the stdlib only (8/16/32-bit PCM)."""
    peaks = [0.0] * buckets
    with wave.open(str(path), "rb") as src:
        width, frames = src.getsampwidth(), src.getnframes()
        if frames == 0 or width not in (1, 2, 4):
            return peaks
        code = {1: "B", 2: "h", 4: "i"}[width]
        full = float(1 << (8 * width - 1))
        bounds = [(i * frames) // buckets for i in range(buckets + 1)]
        for i in range(buckets):
            count = bounds[i + 1] - bounds[i]
            if count <= 0:
                continue
            raw = src.readframes(count)
            if not raw:
                break
            samples = array.array(code)
            samples.frombytes(raw[: len(raw) - len(raw) % width])
            if sys.byteorder == "big" and width > 1:
                samples.byteswap()
            if not samples:
                continue
            if width == 1:
                peak = max(abs(s - 128) for s in samples) / 128.0
            else:
                peak = max(max(samples), -min(samples)) / full
            peaks[i] = min(1.0, peak)
    return peaks


def read_peaks(path: Path, buckets: int) -> list[float]:
    """`buckets` peak amplitudes (0..1) of a WAV: the shared helper when present, else the stdlib."""
    try:
        from ...generators.wav import waveform  # deferred: pulls numpy (~60 ms) on first use
    except ImportError:  # pragma: no cover - the helper ships with the package
        return _stdlib_peaks(path, buckets)
    try:
        return waveform(path, buckets)
    except ImportError:  # pragma: no cover - numpy missing
        return _stdlib_peaks(path, buckets)


_BLOCKS = " ▁▂▃▄▅▆▇█"


def render_waveform(peaks: Sequence[float], height: int = 2) -> list[str]:
    """Rows (top first) of block characters drawing each peak as a bar `height` cells tall at most.

    A silent column still shows a baseline (`▁`) so the length of the clip stays visible.
    """
    height = max(1, height)
    levels = height * 8
    columns = []
    for peak in peaks:
        level = round(max(0.0, min(1.0, peak)) * levels)
        columns.append(max(level, 1))
    rows = []
    for row in range(height):
        floor = (height - 1 - row) * 8
        rows.append("".join(_BLOCKS[max(0, min(8, level - floor))] for level in columns))
    return rows


def format_duration(seconds: float) -> str:
    minutes, rest = divmod(max(0.0, seconds), 60)
    return f"{int(minutes)}:{rest:04.1f}"


# --- audio: the external player -----------------------------------------------------------------------


class PlayerError(Exception):
    """Playback is unavailable or failed; the message is fit for the user."""


def resolve_player(setting: str, *, path: str | None = None) -> list[str] | None:
    """The argv template (with `{file}`) for `[ui] audio_player`, or None when playback is off/none found.

    `path` replaces `$PATH` for the `auto` search (tests); a custom command's program is looked up on it
    too, so a missing program is reported at once rather than as a failed process.
    """
    setting = (setting or "").strip()
    if not setting or setting.lower() == "none":
        return None
    if setting.lower() == "auto":
        for candidate in AUTO_PLAYERS:
            program = shutil.which(candidate[0], path=path)
            if program:
                return [program, *candidate[1:]]
        return None
    try:
        argv = shlex.split(setting)
    except ValueError:
        return None
    if not argv:
        return None
    program = shutil.which(argv[0], path=path) if not os.path.dirname(argv[0]) else argv[0]
    if not program:
        return None
    argv[0] = program
    if not any("{file}" in part for part in argv):
        argv.append("{file}")
    return argv


def player_command(template: Sequence[str], file: Path) -> list[str]:
    return [part.replace("{file}", str(file)) for part in template]


class AudioPlayer:
    """Plays one file at a time through an external program; `stop()` ends it (and is idempotent)."""

    def __init__(self, setting: str, *, path: str | None = None) -> None:
        self.setting = setting
        self.template = resolve_player(setting, path=path)
        self._process: subprocess.Popen[bytes] | None = None
        self.file: Path | None = None

    @property
    def available(self) -> bool:
        return self.template is not None

    @property
    def unavailable_message(self) -> str:
        if (self.setting or "").strip().lower() == "none":
            return PLAYER_DISABLED_MESSAGE
        if (self.setting or "").strip().lower() in ("", "auto"):
            return NO_PLAYER_MESSAGE
        return f"Audio player {self.setting!r} not found — set [ui] audio_player"

    @property
    def is_playing(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return self._process

    def play(self, file: Path) -> list[str]:
        """Start playing `file` (stopping anything already playing); returns the command run."""
        if self.template is None:
            raise PlayerError(self.unavailable_message)
        if not Path(file).is_file():
            raise PlayerError(f"Audio file missing: {file}")
        self.stop()
        command = player_command(self.template, Path(file))
        try:
            self._process = subprocess.Popen(  # noqa: S603 - argv from settings, no shell
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            raise PlayerError(f"Could not start {Path(command[0]).name}: {exc.strerror or exc}") from None
        self.file = Path(file)
        return command

    def stop(self) -> None:
        process, self._process = self._process, None
        self.file = None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                process.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=1)
        else:
            process.wait()


# --- images ---------------------------------------------------------------------------------------------


def _stdout_is_tty() -> bool:
    stream = sys.__stdout__
    try:
        return bool(stream and stream.isatty())
    except ValueError:  # closed
        return False


def prepare_terminal_graphics(protocol: str) -> None:
    """Let textual-image ask the terminal about sixel/kitty support. Call before `App.run()`.

    Costs one import (Pillow + textual-image) and up to ~0.2 s of terminal round trips, so only the
    protocols that need detection pay it.
    """
    if protocol == "auto" and not terminal_may_draw_images():
        return  # plain terminals, tmux, most SSH sessions: half-blocks, and no startup cost
    if protocol in ("auto", "sixel", "kitty") and _stdout_is_tty():
        import textual_image.widget  # noqa: F401 - deferred: queries the terminal on import


# Terminals known to draw sixel or kitty graphics announce themselves in the environment.
_GRAPHIC_TERMS = ("kitty", "wezterm", "ghostty", "foot", "mlterm", "contour", "konsole", "iterm")


def terminal_may_draw_images(environ: Mapping[str, str] | None = None) -> bool:
    """Whether `auto` should ask the terminal about graphics (only worth it where it may say yes)."""
    env = os.environ if environ is None else environ
    if env.get("TMUX") or env.get("TERM", "").startswith(("screen", "tmux")):
        return False  # tmux passes neither protocol through by default
    if env.get("KITTY_WINDOW_ID") or env.get("WEZTERM_PANE") or env.get("GHOSTTY_RESOURCES_DIR"):
        return True
    names = (env.get("TERM", "") + " " + env.get("TERM_PROGRAM", "")).lower()
    return any(term in names for term in _GRAPHIC_TERMS)


def textual_image_usable() -> bool:
    """True when importing textual-image now cannot disturb a running app's terminal."""
    return "textual_image.widget" in sys.modules or not _stdout_is_tty()


def image_widget_class(protocol: str) -> Callable[..., Widget] | None:
    """The widget class that draws images for `protocol` (None: images are off)."""
    if protocol == "none":
        return None
    if protocol == "halfblock" or not textual_image_usable():
        return HalfBlockImage
    import textual_image.widget as ti  # deferred: Pillow + textual-image

    if protocol == "sixel":
        return ti.SixelImage
    if protocol == "kitty":
        return ti.TGPImage
    return ti.Image


def load_image(path: Path, url: str) -> PILImage:
    """Decode an image once per URL (RGB)."""

    def decode() -> PILImage:
        from PIL import Image  # deferred: ~40 ms

        with Image.open(path) as img:
            img.load()
            return img.convert("RGB")

    return IMAGE_CACHE.get_or_create(url, decode)


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
        self.image = image
        self._image_strips: list[Strip] = []
        self._image_size: Size | None = None

    def _build(self, size: Size) -> None:
        from PIL import Image

        width, height = size.width, size.height * 2
        self._image_size = size
        self._image_strips = []
        if width <= 0 or height <= 0 or self.image.width <= 0 or self.image.height <= 0:
            return
        scale = min(width / self.image.width, height / self.image.height)
        cols = max(1, min(width, round(self.image.width * scale)))
        px_rows = max(2, min(height, round(self.image.height * scale)))
        px_rows += px_rows % 2
        scaled = self.image.resize((cols, px_rows), Image.Resampling.BILINEAR)
        pixels = scaled.load()
        assert pixels is not None
        pad_left = (width - cols) // 2
        blank = Segment(" " * pad_left) if pad_left else None
        for y in range(0, px_rows, 2):
            segments: list[Segment] = [blank] if blank else []
            for x in range(cols):
                top = pixels[x, y]
                bottom = pixels[x, y + 1] if y + 1 < px_rows else top
                segments.append(Segment("▀", Style(color=_rgb(top), bgcolor=_rgb(bottom))))
            self._image_strips.append(Strip(segments, pad_left + cols))

    def render_line(self, y: int) -> Strip:
        if self._image_size != self.size:
            self._build(self.size)
        if 0 <= y < len(self._image_strips):
            return self._image_strips[y].extend_cell_length(self.size.width)
        return Strip.blank(self.size.width)


def _rgb(pixel: Any) -> str:
    r, g, b = pixel[:3]
    return f"#{r:02x}{g:02x}{b:02x}"


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

    def compose(self) -> ComposeResult:
        asset = self.asset or {}
        if not self.url:
            yield Static("(no image file)", classes="media-caption")
            return
        path = media_path(self.data_dir, self.url)
        size = ""
        if asset.get("width") and asset.get("height"):
            size = f"{asset['width']}×{asset['height']} · "
        yield Static(f"{size}{Path(strip_cache_buster(self.url)).name}", classes="media-caption")
        widget_class = image_widget_class(self.protocol)
        if widget_class is None:
            return
        try:
            image = load_image(path, self.url)
        except (OSError, ValueError) as exc:
            yield Static(f"(cannot show image: {type(exc).__name__})", classes="media-caption")
            return
        if widget_class is HalfBlockImage:
            yield HalfBlockImage(image, classes="media-picture")
        else:  # textual-image: width follows the picture's aspect ratio at the given height
            yield widget_class(image, classes="media-picture -textual-image")


class WaveformView(Widget):
    """A waveform in block characters, one bucket per column, read from the WAV for the current width."""

    DEFAULT_CSS = """
    WaveformView { height: 2; width: 1fr; color: $accent; }
    """

    def __init__(self, path: Path, url: str, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.path = Path(path)
        self.url = url
        self._wave_rows: list[str] = []
        self._wave_size: Size | None = None
        self.error: str | None = None

    def peaks(self, buckets: int) -> list[float]:
        return WAVEFORM_CACHE.get_or_create((self.url, buckets), lambda: read_peaks(self.path, buckets))

    def _build(self, size: Size) -> None:
        self._wave_size = size
        self._wave_rows = []
        if size.width <= 0 or size.height <= 0:
            return
        try:
            self._wave_rows = render_waveform(self.peaks(size.width), size.height)
        except (OSError, EOFError, wave.Error, ValueError) as exc:
            self.error = str(exc)
            self._wave_rows = [f"(cannot read audio: {exc})"[: size.width]]

    def render_line(self, y: int) -> Strip:
        if self._wave_size != self.size:
            self._build(self.size)
        width = self.size.width
        if 0 <= y < len(self._wave_rows):
            style = self.rich_style
            return Strip([Segment(self._wave_rows[y], style)]).extend_cell_length(width, style)
        return Strip.blank(width, self.rich_style)


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
        self.path: Path | None = media_path(self.data_dir, self.url) if self.url else None

    def compose(self) -> ComposeResult:
        if self.path is None:
            yield Static("(no audio file)", classes="media-caption")
            return
        try:
            info = AUDIO_INFO_CACHE.get_or_create(self.url, lambda: read_audio_info(self.path))  # type: ignore[arg-type]
        except (OSError, EOFError, wave.Error) as exc:
            yield Static(f"(cannot read audio {self.path.name}: {exc})", classes="media-caption")
            return
        channels = "mono" if info.channels == 1 else f"{info.channels} ch"
        caption = (
            f"{format_duration(info.duration_s)} ({info.duration_s:.2f} s) · {info.sample_rate} Hz {channels}"
        )
        yield Static(caption, classes="media-caption")
        yield WaveformView(self.path, self.url, classes="media-waveform")


AUDIO_SUFFIXES = frozenset({".wav", ".wave"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp"})


def is_audio_asset(asset: Mapping[str, Any] | None) -> bool:
    """Audio or not, from the asset's file (no per-kind code): `.wav` is audio, anything else is not."""
    file = str((asset or {}).get("file") or "")
    return Path(strip_cache_buster(file)).suffix.lower() in AUDIO_SUFFIXES


def media_preview(
    asset: Mapping[str, Any] | None,
    *,
    data_dir: Path,
    protocol: str = "auto",
    preview_token: int | None = None,
    audio: bool | None = None,
    id: str | None = None,  # noqa: A002
) -> Widget:
    """The media widget for an asset: a waveform for audio files, a picture otherwise.

    `audio` forces the choice when the asset has no file yet (a kind's other assets decide).
    """
    if audio is None:
        audio = is_audio_asset(asset)
    if audio:
        return AudioPreview(asset, data_dir=data_dir, preview_token=preview_token, id=id)
    return ImagePreview(asset, data_dir=data_dir, protocol=protocol, preview_token=preview_token, id=id)
