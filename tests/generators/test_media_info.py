"""Media facts from file bytes: format sniffing, extension choice, image size, WAV and MP3 durations."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_editor.generators.media_info import (
    audio_duration,
    choose_extension,
    image_size,
    mp3_duration,
    sniff_extension,
)
from tui_editor.generators.wav import WavError, wav_duration

from .fake_provider import JPEG_BYTES, PNG_BYTES, make_mp3, make_streamed_wav, make_wav, mp3_seconds


def test_sniffing_and_extension_choice() -> None:
    assert sniff_extension(PNG_BYTES[:16]) == "png"
    assert sniff_extension(JPEG_BYTES[:16]) == "jpg"
    assert sniff_extension(make_wav()[:16]) == "wav"
    assert sniff_extension(make_mp3(1)[:16]) == "mp3"
    assert sniff_extension(b"hello") is None
    images = ("png", "jpg", "webp")
    assert choose_extension(PNG_BYTES[:16], "image/jpeg", "http://x/a.webp", images) == "png"
    assert choose_extension(b"????", "image/webp; q=1", "http://x/a.png", images) == "webp"
    assert choose_extension(b"????", "", "http://x/out/a.JPEG?sig=1", images) == "jpg"
    assert choose_extension(b"????", "text/html", "http://x/a", images) is None
    assert choose_extension(make_wav()[:16], "image/png", "", images) is None


def test_media_headers(tmp_path: Path) -> None:
    wav = tmp_path / "a.wav"
    wav.write_bytes(make_wav(0.75, rate=16000, channels=2))
    assert wav_duration(wav) == pytest.approx(0.75)
    assert audio_duration(wav) == pytest.approx(0.75)
    streamed = tmp_path / "streamed.wav"
    streamed.write_bytes(make_streamed_wav(0.5))
    assert wav_duration(streamed) == pytest.approx(0.5)
    assert audio_duration(streamed) == pytest.approx(0.5)
    mp3 = tmp_path / "a.mp3"
    mp3.write_bytes(make_mp3(200))
    assert mp3_duration(mp3) == pytest.approx(mp3_seconds(200), rel=0.01)
    assert audio_duration(mp3) == pytest.approx(mp3_seconds(200), rel=0.01)
    png = tmp_path / "a.png"
    png.write_bytes(PNG_BYTES)
    assert image_size(png) == (64, 36)
    with pytest.raises(WavError):
        wav_duration(png)
    not_a_wav = tmp_path / "png.wav"
    not_a_wav.write_bytes(PNG_BYTES)
    assert audio_duration(not_a_wav) is None
    assert audio_duration(tmp_path / "missing.wav") is None
    assert mp3_duration(png) is None
    assert image_size(wav) is None
    assert audio_duration(png) is None


def test_xing_frame_count_wins(tmp_path: Path) -> None:
    frame = bytearray(make_mp3(1)[20:])
    side_info = 32  # MPEG-1 joint stereo
    xing = b"Xing" + (1).to_bytes(4, "big") + (500).to_bytes(4, "big")
    frame[4 + side_info : 4 + side_info + len(xing)] = xing
    path = tmp_path / "vbr.mp3"
    path.write_bytes(bytes(frame) + make_mp3(3)[20:])
    assert mp3_duration(path) == pytest.approx(500 * 1152 / 44100)


# --- what the review shows: audio_info / audio_waveform (issue 13, item 8) ---------------------------


def test_a_streamed_wav_has_its_true_duration(tmp_path: Path) -> None:
    import wave

    from tests.audio_files import write_streamed_wav
    from tui_editor.generators.media_info import audio_info

    path = write_streamed_wav(tmp_path / "speech.wav", seconds=1.5, rate=24000)
    with wave.open(str(path)) as stdlib:  # what the stdlib reader makes of it: about a day of audio
        assert stdlib.getnframes() / stdlib.getframerate() > 20_000
    info = audio_info(path)
    assert (info.format, info.sample_rate, info.channels) == ("wav", 24000, 1)
    assert info.duration_s == pytest.approx(1.5, abs=0.001)


@pytest.mark.parametrize(("rate", "channels"), [(24000, 1), (44100, 2), (16000, 1)])
def test_an_mp3_has_its_duration_layout_and_waveform(tmp_path: Path, rate: int, channels: int) -> None:
    from tests.audio_files import write_mp3
    from tui_editor.generators.media_info import audio_info, audio_waveform

    path = write_mp3(tmp_path / "narration.bin", seconds=3.0, rate=rate, channels=channels)  # any name
    info = audio_info(path)
    assert (info.format, info.sample_rate, info.channels) == ("mp3", rate, channels)
    assert info.duration_s == pytest.approx(3.0, abs=0.15)  # the encoder pads one frame or two
    peaks = audio_waveform(path, 12)
    assert len(peaks) == 12 and all(0.0 <= p <= 1.0 for p in peaks)
    assert peaks[0] < 0.2 < peaks[6] < peaks[-2]  # the tone's loudness grows from silence


def test_audio_that_is_neither_wav_nor_mp3_is_one_clear_error(tmp_path: Path) -> None:
    from tui_editor.generators.media_info import AudioReadError, audio_info, audio_waveform

    path = tmp_path / "picture.wav"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    with pytest.raises(AudioReadError, match="RIFF"):
        audio_info(path)
    with pytest.raises(AudioReadError):
        audio_waveform(path, 4)
