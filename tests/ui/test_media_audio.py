"""Audio: waveforms and facts of real WAV files, read in workers behind a placeholder."""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from pathlib import Path

from tests.ui.conftest import wait_until
from tests.ui.media_support import FifoGate, OneWidget, write_ramp_wav
from tui_editor.ui.widgets.audio import (
    READING_AUDIO,
    WAVEFORM_CACHE,
    AudioPreview,
    WaveformView,
    render_waveform,
)
from tui_editor.ui.widgets.media_files import asset_url


def caption(preview: AudioPreview) -> str:
    return str(preview.query_one(".media-caption").render())


def test_render_waveform_draws_bars_from_the_bottom() -> None:
    assert render_waveform([0.0, 0.5, 1.0], height=1) == ["▁▄█"]
    assert render_waveform([0.0, 0.5, 1.0, 0.25], height=2) == ["  █ ", "▁██▄"]
    assert render_waveform([], height=2) == ["", ""]
    assert render_waveform([2.0, -1.0], height=1) == ["█▁"]  # clamped


async def test_waveform_view_renders_one_column_per_bucket(tmp_path: Path) -> None:
    path = write_ramp_wav(tmp_path / "ramp.wav")
    url = asset_url({"file": "ramp.wav"}, preview_token=1)
    view = WaveformView(path, url)
    async with OneWidget(view).run_test(size=(24, 4)) as pilot:
        await wait_until(pilot, lambda: view.loaded, what="the waveform")
        await pilot.pause()
        assert view.size.width == 24 and view.size.height == 2
        top, bottom = view.render_line(0).text, view.render_line(1).text
        assert len(top) == len(bottom) == 24
        assert bottom[0] == "▁" and bottom[-1] == "█" and top[-1] == "█"  # louder and louder
        assert set(top + bottom) <= set(" ▁▂▃▄▅▆▇█")
        assert (url, 24) in WAVEFORM_CACHE  # cached by the asset URL and width


async def test_audio_preview_shows_duration_and_waveform(tmp_path: Path) -> None:
    write_ramp_wav(tmp_path / "media" / "a.wav", seconds=2.5)
    asset = {"file": "media/a.wav", "updated_at": datetime(2026, 1, 1, tzinfo=UTC)}
    preview = AudioPreview(asset, data_dir=tmp_path)
    async with OneWidget(preview).run_test(size=(40, 4)) as pilot:
        await wait_until(pilot, lambda: preview.loaded, what="the audio facts and waveform")
        assert caption(preview) == "0:02.5 (2.50 s) · 8000 Hz mono"
        assert preview.query_one(WaveformView).path == tmp_path / "media" / "a.wav"
    # reopened: facts and waveform come from the cache, with no placeholder
    again = AudioPreview(asset, data_dir=tmp_path)
    async with OneWidget(again).run_test(size=(40, 4)) as pilot:
        await pilot.pause()
        assert caption(again) == "0:02.5 (2.50 s) · 8000 Hz mono" and again.loaded


async def test_a_streamed_wav_shows_its_real_duration(tmp_path: Path) -> None:
    """Size fields of 0xFFFFFFFF (what streaming servers write) would read as days of audio in `wave`."""
    path = write_ramp_wav(tmp_path / "s.wav", seconds=0.5)
    data = bytearray(path.read_bytes())
    data[4:8] = struct.pack("<I", 0xFFFFFFFF)
    index = data.index(b"data")
    data[index + 4 : index + 8] = struct.pack("<I", 0xFFFFFFFF)
    path.write_bytes(bytes(data))
    preview = AudioPreview({"file": "s.wav"}, data_dir=tmp_path, preview_token=1)
    async with OneWidget(preview).run_test(size=(40, 4)) as pilot:
        await wait_until(pilot, lambda: preview.loaded, what="the audio facts")
        assert caption(preview) == "0:00.5 (0.50 s) · 8000 Hz mono"


async def test_audio_is_read_in_a_worker_behind_a_placeholder(tmp_path: Path) -> None:
    gate = FifoGate(tmp_path / "slow.wav")
    preview = AudioPreview({"file": "slow.wav"}, data_dir=tmp_path, preview_token=3)
    try:
        async with OneWidget(preview).run_test(size=(60, 4)) as pilot:
            await pilot.pause()
            # the worker waits on the pipe; the UI thread does not, so the placeholder is on screen
            assert caption(preview) == READING_AUDIO
            assert not preview.loaded and not preview.query(WaveformView)
            gate.release(b"RIFF\x00\x00\x00\x00JUNK")
            await wait_until(pilot, lambda: preview.loaded, what="the answer")
            assert caption(preview) == "(cannot read audio slow.wav: not a RIFF/WAVE file)"
    finally:
        gate.close()


async def test_audio_preview_of_a_missing_file_says_so(tmp_path: Path) -> None:
    preview = AudioPreview({"file": "nope\x1b[2J.wav"}, data_dir=tmp_path)
    async with OneWidget(preview).run_test(size=(60, 4)) as pilot:
        await wait_until(pilot, lambda: preview.loaded, what="the error")
        assert caption(preview) == "(cannot read audio nope\\x1b[2J.wav: file not found)"
        assert not preview.query(WaveformView)


async def test_a_waveform_that_cannot_be_read_says_so_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "junk.wav").write_bytes(b"junk")
    view = WaveformView(tmp_path / "junk.wav", "junk.wav?preview=1")
    async with OneWidget(view).run_test(size=(60, 4)) as pilot:
        await wait_until(pilot, lambda: view.loaded, what="the error")
        await pilot.pause()
        assert view.render_line(0).text.rstrip() == "(cannot read audio: not a RIFF/WAVE file)"
        assert view.render_line(1).text.strip() == ""


async def test_an_mp3_narration_shows_duration_and_waveform_never_an_image(tmp_path: Path) -> None:
    """Speech providers may return MP3: the kind decides the widget, the bytes decide the decoder."""
    from tests.audio_files import write_mp3
    from tui_editor.core.kinds import get_kind
    from tui_editor.ui.widgets.image import ImagePreview
    from tui_editor.ui.widgets.media import media_preview

    write_mp3(tmp_path / "media" / "n.mp3", seconds=2.0, rate=24000)
    asset = {"file": "media/n.mp3", "updated_at": datetime(2026, 1, 2, tzinfo=UTC)}
    preview = media_preview(asset, media=get_kind("narration").media, data_dir=tmp_path)
    assert isinstance(preview, AudioPreview) and not isinstance(preview, ImagePreview)
    async with OneWidget(preview).run_test(size=(40, 4)) as pilot:
        await wait_until(pilot, lambda: preview.loaded, what="the MP3's facts and waveform")
        text = caption(preview)
        assert text.endswith("· 24000 Hz mono MP3") and text.startswith("0:02.")
        view = preview.query_one(WaveformView)
        assert view.error is None
        drawn = "".join(view.render_line(y).text for y in range(view.size.height))
        assert "█" in drawn  # the loud end of the tone
