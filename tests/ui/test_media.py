"""The media widgets and helpers: waveforms from real WAV files, half-block images, the external player."""

from __future__ import annotations

import math
import struct
import time
import wave
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from textual.app import App, ComposeResult

from tests.ui.editor_support import fake_player
from tui_editor.ui.widgets import media
from tui_editor.ui.widgets.media import (
    NO_PLAYER_MESSAGE,
    PLAYER_DISABLED_MESSAGE,
    AudioPlayer,
    AudioPreview,
    HalfBlockImage,
    ImagePreview,
    PlayerError,
    WaveformView,
    asset_url,
    image_widget_class,
    is_audio_asset,
    media_path,
    read_audio_info,
    read_peaks,
    render_waveform,
    resolve_player,
)


def write_ramp_wav(path: Path, seconds: float = 1.0, rate: int = 8000) -> Path:
    """A real 16-bit mono WAV: a 440 Hz tone whose loudness grows linearly from silence to full scale."""
    frames = int(seconds * rate)
    samples = (int(32767 * (i / frames) * math.sin(2 * math.pi * 440 * i / rate)) for i in range(frames))
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


def wait_for_file(path: Path, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.read_text().strip()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} was never written")
        time.sleep(0.01)
    return path.read_text()


# --- waveform -------------------------------------------------------------------------------------


def test_render_waveform_draws_bars_from_the_bottom() -> None:
    assert render_waveform([0.0, 0.5, 1.0], height=1) == ["▁▄█"]
    assert render_waveform([0.0, 0.5, 1.0, 0.25], height=2) == ["  █ ", "▁██▄"]
    assert render_waveform([], height=2) == ["", ""]
    assert render_waveform([2.0, -1.0], height=1) == ["█▁"]  # clamped


def test_peaks_of_a_real_wav_follow_its_loudness(tmp_path: Path) -> None:
    path = write_ramp_wav(tmp_path / "ramp.wav")
    peaks = read_peaks(path, 8)
    assert len(peaks) == 8
    assert peaks == sorted(peaks)  # louder and louder
    assert peaks[0] < 0.2 and peaks[-1] > 0.9
    stdlib = media._stdlib_peaks(path, 8)  # the fallback agrees with the shared numpy helper
    assert stdlib == pytest.approx(peaks, abs=1e-3)
    info = read_audio_info(path)
    assert info.duration_s == pytest.approx(1.0) and info.sample_rate == 8000 and info.channels == 1


class OneWidget(App[None]):
    def __init__(self, widget: object, width: int = 20) -> None:
        super().__init__()
        self.widget = widget
        self.width = width

    def compose(self) -> ComposeResult:
        yield self.widget  # type: ignore[misc]


async def test_waveform_view_renders_one_column_per_bucket(tmp_path: Path) -> None:
    path = write_ramp_wav(tmp_path / "ramp.wav")
    url = asset_url({"file": "ramp.wav"}, preview_token=1)
    view = WaveformView(path, url)
    async with OneWidget(view).run_test(size=(24, 4)) as pilot:
        await pilot.pause()
        assert view.size.width == 24 and view.size.height == 2
        top, bottom = view.render_line(0).text, view.render_line(1).text
        assert len(top) == len(bottom) == 24
        assert bottom[0] == "▁" and bottom[-1] == "█" and top[-1] == "█"
        assert set(top + bottom) <= set(" ▁▂▃▄▅▆▇█")
        assert (url, 24) in media.WAVEFORM_CACHE  # cached by the asset URL and width


async def test_audio_preview_shows_duration_and_waveform(tmp_path: Path) -> None:
    write_ramp_wav(tmp_path / "media" / "a.wav", seconds=2.5)
    asset = {"file": "media/a.wav", "updated_at": datetime(2026, 1, 1, tzinfo=UTC)}
    preview = AudioPreview(asset, data_dir=tmp_path)
    async with OneWidget(preview).run_test(size=(40, 4)) as pilot:
        await pilot.pause()
        assert str(preview.query_one(".media-caption").render()) == "0:02.5 (2.50 s) · 8000 Hz mono"
        assert preview.query_one(WaveformView).path == tmp_path / "media" / "a.wav"


async def test_audio_preview_of_a_missing_file_says_so(tmp_path: Path) -> None:
    preview = AudioPreview({"file": "nope.wav"}, data_dir=tmp_path)
    async with OneWidget(preview).run_test(size=(60, 4)) as pilot:
        await pilot.pause()
        assert "cannot read audio nope.wav" in str(preview.query_one(".media-caption").render())


# --- images ---------------------------------------------------------------------------------------


async def test_half_block_image_draws_two_pixels_per_cell(tmp_path: Path) -> None:
    image = Image.new("RGB", (4, 2))
    for x in range(4):
        image.putpixel((x, 0), (255, 0, 0))
        image.putpixel((x, 1), (0, 0, 255))
    widget = HalfBlockImage(image)
    widget.styles.width = 4
    widget.styles.height = 1
    async with OneWidget(widget).run_test(size=(10, 3)) as pilot:
        await pilot.pause()
        strip = widget.render_line(0)
        assert strip.text == "▀▀▀▀"
        segment = next(iter(strip))
        assert segment.style is not None
        assert segment.style.color is not None and segment.style.color.triplet == (255, 0, 0)
        assert segment.style.bgcolor is not None and segment.style.bgcolor.triplet == (0, 0, 255)


async def test_image_preview_per_protocol(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    Image.new("RGB", (32, 18), (10, 200, 10)).save(tmp_path / "img" / "a.png")
    asset = {"file": "img/a.png", "width": 32, "height": 18, "updated_at": "2026-01-01T00:00:00+00:00"}
    off = ImagePreview(asset, data_dir=tmp_path, protocol="none")
    async with OneWidget(off).run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        assert str(off.query_one(".media-caption").render()) == "32×18 · a.png"
        assert not off.query(HalfBlockImage)
    half = ImagePreview(asset, data_dir=tmp_path, protocol="halfblock")
    async with OneWidget(half).run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        assert half.query_one(HalfBlockImage).render_line(0).text.strip("▀ ") == ""
    missing = ImagePreview({"file": "img/none.png"}, data_dir=tmp_path, protocol="halfblock")
    async with OneWidget(missing).run_test(size=(60, 10)) as pilot:
        await pilot.pause()
        assert "cannot show image" in str(missing.query(".media-caption").last().render())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # inside textual-image (Pillow 14 notice)
async def test_image_preview_through_textual_image(tmp_path: Path) -> None:
    if not media.textual_image_usable():
        pytest.skip("stdout is a terminal: textual-image would probe it")
    import textual_image.widget as ti

    (tmp_path / "img").mkdir()
    Image.new("RGB", (64, 32), (200, 10, 10)).save(tmp_path / "img" / "a.png")
    preview = ImagePreview({"file": "img/a.png"}, data_dir=tmp_path, protocol="auto")
    async with OneWidget(preview).run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        picture = preview.query_one(".media-picture")
        assert isinstance(picture, ti.Image)
        assert picture.size.height == 8 and 0 < picture.size.width < 60  # aspect kept, not stretched


def test_image_widget_class_follows_the_setting() -> None:
    assert image_widget_class("none") is None
    assert image_widget_class("halfblock") is HalfBlockImage
    if media.textual_image_usable():  # under pytest stdout is not a terminal: textual-image is safe
        import textual_image.widget as ti

        assert image_widget_class("auto") is ti.Image
        assert image_widget_class("sixel") is ti.SixelImage
        assert image_widget_class("kitty") is ti.TGPImage


def test_urls_key_previews_by_token_and_committed_assets_by_time(tmp_path: Path) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    committed = {"file": "media/narration/n1/a.wav", "updated_at": when}
    assert asset_url(committed) == f"media/narration/n1/a.wav?v={int(when.timestamp() * 1000)}"
    assert asset_url(committed, preview_token=3) == "media/narration/n1/a.wav?preview=3"
    assert asset_url({"file": ""}) == "" and asset_url(None) == ""
    assert media_path(tmp_path, "media/x.wav?preview=3") == tmp_path / "media" / "x.wav"
    assert is_audio_asset(committed) and not is_audio_asset({"file": "v/a.png"}) and not is_audio_asset(None)


# --- the external player --------------------------------------------------------------------------


def test_auto_finds_the_first_known_player_on_path(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    fake_player(bin_dir, "ffplay", tmp_path / "r")
    assert resolve_player("auto", path=str(bin_dir)) == [
        str(bin_dir / "ffplay"),
        "-nodisp",
        "-autoexit",
        "-loglevel",
        "quiet",
        "{file}",
    ]
    fake_player(bin_dir, "paplay", tmp_path / "r")  # paplay comes first in the search order
    assert resolve_player("auto", path=str(bin_dir)) == [str(bin_dir / "paplay"), "{file}"]


def test_custom_commands_and_none(tmp_path: Path) -> None:
    program = fake_player(tmp_path / "bin", "myplayer", tmp_path / "r")
    path = str(tmp_path / "bin")
    assert resolve_player("myplayer --gain 3 {file}", path=path) == [str(program), "--gain", "3", "{file}"]
    assert resolve_player("myplayer", path=path) == [str(program), "{file}"]  # {file} appended
    assert resolve_player(f"{program} -x", path="") == [str(program), "-x", "{file}"]
    assert resolve_player("none", path=path) is None
    assert resolve_player("", path=path) is None
    assert resolve_player("not-installed {file}", path=path) is None
    assert AudioPlayer("not-installed", path=path).unavailable_message.startswith(
        "Audio player 'not-installed'"
    )
    assert AudioPlayer("none", path=path).unavailable_message == PLAYER_DISABLED_MESSAGE


def test_player_runs_a_real_process_with_the_file_and_stops_it(tmp_path: Path) -> None:
    record = tmp_path / "played.txt"
    fake_player(tmp_path / "bin", "aplay", record)
    audio = write_ramp_wav(tmp_path / "clip.wav")
    player = AudioPlayer("auto", path=str(tmp_path / "bin"))
    assert player.available
    command = player.play(audio)
    assert command == [str(tmp_path / "bin" / "aplay"), "-q", str(audio)]
    assert wait_for_file(record).splitlines() == ["-q", str(audio)]
    assert player.is_playing
    process = player.process
    assert process is not None
    player.stop()
    assert process.poll() is not None and not player.is_playing
    player.stop()  # idempotent


def test_no_player_found_is_a_clear_message(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    player = AudioPlayer("auto", path=str(tmp_path / "empty"))
    assert not player.available
    assert player.unavailable_message == NO_PLAYER_MESSAGE == "No audio player found — set [ui] audio_player"
    with pytest.raises(PlayerError, match="No audio player found"):
        player.play(write_ramp_wav(tmp_path / "a.wav"))


def test_player_refuses_a_missing_file(tmp_path: Path) -> None:
    fake_player(tmp_path / "bin", "paplay", tmp_path / "r")
    player = AudioPlayer("auto", path=str(tmp_path / "bin"))
    with pytest.raises(PlayerError, match="Audio file missing"):
        player.play(tmp_path / "nothing.wav")


def test_auto_only_asks_terminals_that_may_draw_images() -> None:
    from tui_editor.ui.widgets.media import terminal_may_draw_images

    assert terminal_may_draw_images({"TERM": "xterm-kitty"})
    assert terminal_may_draw_images({"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"})
    assert terminal_may_draw_images({"TERM": "xterm-256color", "KITTY_WINDOW_ID": "1"})
    assert not terminal_may_draw_images({"TERM": "xterm-256color"})
    assert not terminal_may_draw_images({"TERM": "tmux-256color", "TERM_PROGRAM": "tmux"})
    assert not terminal_may_draw_images({"TERM": "xterm-kitty", "TMUX": "/tmp/tmux-0/default,1,0"})
