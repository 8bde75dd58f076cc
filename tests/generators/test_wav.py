"""The shared WAV helpers: atomic 16-bit writing, header facts and the waveform summary."""

from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np
import pytest

from tui_editor.generators import wav
from tui_editor.generators.wav import (
    WavError,
    atomic_write_bytes,
    read_wav,
    wav_duration,
    wav_info,
    waveform,
    write_wav,
)


def _sine(seconds: float, rate: int = 22050, freq: float = 440.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return amp * np.sin(2 * np.pi * freq * t)


def test_write_float_samples_as_16_bit_mono(tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    write_wav(path, _sine(1.5), 22050)

    info = wav_info(path)
    assert (info.sample_rate, info.channels, info.sample_width, info.frames) == (22050, 1, 2, 33075)
    assert wav_duration(path) == pytest.approx(1.5)
    samples, rate = read_wav(path)
    assert rate == 22050 and samples.shape == (33075, 1)
    assert np.max(np.abs(samples)) == pytest.approx(0.5, abs=1e-3)
    assert np.allclose(samples[:, 0], _sine(1.5), atol=1e-4)


def test_floats_are_clipped_not_wrapped(tmp_path: Path) -> None:
    path = tmp_path / "loud.wav"
    write_wav(path, np.array([2.0, -3.0, 0.25]), 8000)
    samples, _ = read_wav(path)
    assert samples[:, 0].tolist() == pytest.approx([32767 / 32768, -32767 / 32768, 0.25], abs=1e-4)


def test_stereo_array_and_raw_bytes(tmp_path: Path) -> None:
    stereo = np.stack([_sine(0.5), -_sine(0.5)], axis=1)
    write_wav(tmp_path / "stereo.wav", stereo, 22050)
    info = wav_info(tmp_path / "stereo.wav")
    assert (info.channels, info.frames) == (2, 11025)

    raw = np.array([0, 1000, -1000, 32767], dtype="<i2").tobytes()
    write_wav(tmp_path / "raw.wav", raw, 16000)
    samples, rate = read_wav(tmp_path / "raw.wav")
    assert rate == 16000
    assert (samples[:, 0] * 32768).round().tolist() == [0, 1000, -1000, 32767]


def test_write_is_atomic_and_leaves_no_temporary_files(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "out.wav"
    write_wav(path, _sine(0.1), 22050)
    before = path.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]

    def failing_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(wav.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_wav(path, _sine(0.3), 22050)
    assert path.read_bytes() == before  # the old file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]  # and the temp file is gone


def test_atomic_write_bytes_into_missing_folder_fails_cleanly(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        atomic_write_bytes(tmp_path / "missing" / "x.bin", b"data")
    assert list(tmp_path.iterdir()) == []


def test_encode_wav_rejects_partial_frames() -> None:
    with pytest.raises(ValueError):
        wav.encode_wav(b"\x00\x01\x02", 22050, 1)
    with pytest.raises(ValueError):
        wav.encode_wav(b"\x00\x01", 0, 1)


def test_waveform_follows_the_loudness(tmp_path: Path) -> None:
    rate = 10000
    quiet = np.zeros(rate)  # 1 s silence
    loud = np.full(rate, 0.8)  # 1 s at 0.8
    half = _sine(1.0, rate, 50.0, 0.4)  # 1 s sine peaking at 0.4
    path = tmp_path / "shape.wav"
    write_wav(path, np.concatenate([quiet, loud, half]), rate)

    peaks = waveform(path, 6)
    assert len(peaks) == 6
    assert peaks[0] == peaks[1] == 0.0
    assert peaks[2] == pytest.approx(0.8, abs=1e-3) and peaks[3] == pytest.approx(0.8, abs=1e-3)
    assert peaks[4] == pytest.approx(0.4, abs=1e-3) and peaks[5] == pytest.approx(0.4, abs=1e-3)
    assert all(0.0 <= p <= 1.0 for p in peaks)


def test_waveform_of_stereo_takes_the_louder_channel(tmp_path: Path) -> None:
    left = np.full(1000, 0.1)
    right = np.full(1000, -0.6)
    write_wav(tmp_path / "s.wav", np.stack([left, right], axis=1), 8000)
    assert waveform(tmp_path / "s.wav", 4) == pytest.approx([0.6] * 4, abs=1e-3)


def test_waveform_bucket_count_is_exact_even_for_tiny_files(tmp_path: Path) -> None:
    write_wav(tmp_path / "tiny.wav", np.array([0.5, -0.25, 1.0]), 8000)
    peaks = waveform(tmp_path / "tiny.wav", 10)
    assert len(peaks) == 10
    assert max(peaks) == pytest.approx(32767 / 32768, abs=1e-4)
    assert sum(1 for p in peaks if p > 0) == 3

    write_wav(tmp_path / "empty.wav", b"", 8000)
    assert waveform(tmp_path / "empty.wav", 5) == [0.0] * 5
    assert wav_duration(tmp_path / "empty.wav") == 0.0

    with pytest.raises(ValueError):
        waveform(tmp_path / "tiny.wav", 0)


@pytest.mark.parametrize("width", [1, 3, 4])
def test_other_pcm_widths_are_read(tmp_path: Path, width: int) -> None:
    """8-, 24- and 32-bit files (e.g. from a remote provider) give the same 0..1 peaks."""
    full = {1: 127, 3: (1 << 23) - 1, 4: (1 << 31) - 1}[width]
    values = [0, full // 2, -(full // 4)]
    if width == 1:
        raw = bytes(v + 128 for v in values)
    else:
        raw = b"".join(int(v).to_bytes(width, "little", signed=True) for v in values)
    path = tmp_path / f"w{width}.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(width)
        out.setframerate(8000)
        out.writeframes(raw)
    samples, _ = read_wav(path)
    assert samples[:, 0].tolist() == pytest.approx([0.0, 0.5, -0.25], abs=0.01)
    assert waveform(path, 3) == pytest.approx([0.0, 0.5, 0.25], abs=0.01)


def test_unreadable_files_raise_wav_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.wav"
    bogus.write_bytes(b"ID3 definitely not a wave file")
    for call in (wav_info, wav_duration, read_wav, lambda p: waveform(p, 8)):
        with pytest.raises(WavError):
            call(bogus)
        with pytest.raises(WavError):
            call(tmp_path / "missing.wav")
    assert os.path.exists(bogus)
