"""The shared WAV helpers: atomic 16-bit writing, header facts and the waveform summary."""

from __future__ import annotations

import os
import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from tui_editor.generators import wav
from tui_editor.generators.files import atomic_write_bytes
from tui_editor.generators.media_info import audio_duration
from tui_editor.generators.wav import (
    WAVE_FORMAT_EXTENSIBLE,
    WavError,
    pcm16_bytes,
    read_wav,
    wav_duration,
    wav_info,
    waveform,
    write_wav,
)

from .fake_provider import make_rf64_wav, make_streamed_wav


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


def test_write_is_atomic_and_leaves_no_temporary_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "out.wav"
    write_wav(path, _sine(0.1), 22050)
    before = path.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]

    def failing_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
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


# --- headers that the stdlib `wave` module misreads -----------------------------------------------

# The tail of KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT after its first two bytes (the format code).
_SUBFORMAT_GUID_TAIL = bytes.fromhex("000000001000800000aa00389b71")


def _chunk(chunk_id: bytes, body: bytes, size: int | None = None) -> bytes:
    """A RIFF chunk; `size` overrides the declared size (placeholders), odd bodies get a pad byte."""
    declared = len(body) if size is None else size
    return chunk_id + struct.pack("<I", declared) + body + (b"\0" if len(body) % 2 else b"")


def _fmt(channels: int, rate: int, bits: int, tag: int = 1, subformat: int | None = None) -> bytes:
    block = channels * bits // 8
    body = struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)
    if subformat is not None:
        body += struct.pack("<HHIH", 22, bits, 0, subformat) + _SUBFORMAT_GUID_TAIL
    return _chunk(b"fmt ", body)


def _riff(*chunks: bytes, riff_size: int | None = None) -> bytes:
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body) if riff_size is None else riff_size) + body


def _with_placeholders(data: bytes, placeholder: int) -> bytes:
    """A complete WAV rewritten as a streaming server sends it: RIFF and data sizes are placeholders."""
    out = bytearray(data)
    out[4:8] = struct.pack("<I", placeholder)
    index = out.index(b"data")
    out[index + 4 : index + 8] = struct.pack("<I", placeholder)
    return bytes(out)


@pytest.mark.parametrize("placeholder", [0xFFFFFFFF, 0])
def test_streamed_wav_placeholder_sizes_give_the_real_duration(tmp_path: Path, placeholder: int) -> None:
    path = tmp_path / "streamed.wav"
    write_wav(path, _sine(0.5, 8000), 8000)
    path.write_bytes(_with_placeholders(path.read_bytes(), placeholder))
    if placeholder == 0xFFFFFFFF:  # what the stdlib says: 268,435 s for half a second of audio
        with wave.open(str(path), "rb") as src:
            assert src.getnframes() / src.getframerate() > 268_000

    info = wav_info(path)
    assert (info.sample_rate, info.channels, info.sample_width, info.frames) == (8000, 1, 2, 4000)
    assert wav_duration(path) == pytest.approx(0.5)
    assert audio_duration(path) == pytest.approx(0.5)
    samples, rate = read_wav(path)
    assert rate == 8000 and samples.shape == (4000, 1)
    assert np.allclose(samples[:, 0], _sine(0.5, 8000), atol=1e-4)
    assert waveform(path, 4) == pytest.approx([0.5] * 4, abs=1e-3)


def test_the_test_providers_streamed_wav_is_half_a_second(tmp_path: Path) -> None:
    path = tmp_path / "speech.wav"
    path.write_bytes(make_streamed_wav(0.5))
    assert wav_duration(path) == pytest.approx(0.5)
    assert len(waveform(path, 10)) == 10


def test_data_size_beyond_the_end_of_the_file_counts_what_is_there(tmp_path: Path) -> None:
    """A cut-off download: the header promises a second, the file holds a quarter of it."""
    path = tmp_path / "cut.wav"
    write_wav(path, _sine(1.0, 8000), 8000)
    path.write_bytes(path.read_bytes()[: 44 + 2 * 2000 + 1])  # plus half a frame
    assert wav_info(path).frames == 2000
    assert wav_duration(path) == pytest.approx(0.25)
    samples, _ = read_wav(path)
    assert samples.shape == (2000, 1)
    assert sum(waveform(path, 8)) > 0


def test_chunks_around_the_samples_are_skipped_and_a_real_data_size_is_honoured(tmp_path: Path) -> None:
    pcm = pcm16_bytes(_sine(0.25, 8000))
    path = tmp_path / "chunks.wav"
    path.write_bytes(
        _riff(
            _chunk(b"JUNK", b"odd"),  # an odd size: the pad byte must be skipped too
            _fmt(1, 8000, 16),
            _chunk(b"LIST", b"INFOISFT\x06\x00\x00\x00tests\x00"),
            _chunk(b"data", pcm),
            _chunk(b"LIST", b"INFO" + bytes(100)),  # after the samples: not audio
        )
    )
    assert wav_info(path).frames == 2000
    samples, _ = read_wav(path)
    assert np.allclose(samples[:, 0], _sine(0.25, 8000), atol=1e-4)


@pytest.mark.parametrize("streamed", [False, True])
def test_rf64_takes_its_size_from_ds64_or_the_file(tmp_path: Path, streamed: bool) -> None:
    path = tmp_path / "long.wav"
    path.write_bytes(make_rf64_wav(0.75, 8000, streamed=streamed))
    info = wav_info(path)
    assert (info.sample_rate, info.channels, info.frames) == (8000, 1, 6000)
    assert wav_duration(path) == pytest.approx(0.75)
    assert audio_duration(path) == pytest.approx(0.75)
    samples, _ = read_wav(path)
    assert samples.shape == (6000, 1)
    assert np.allclose(samples, 16 / 32768)  # the trailing LIST chunk is not read as samples


def test_extensible_pcm_is_read(tmp_path: Path) -> None:
    """WAVE_FORMAT_EXTENSIBLE (24-bit stereo here), which the stdlib `wave` module of Python 3.11 refuses."""
    left, right = 0.5, -0.25
    frame = int(left * (1 << 23)).to_bytes(3, "little", signed=True) + int(right * (1 << 23)).to_bytes(
        3, "little", signed=True
    )
    path = tmp_path / "ext.wav"
    path.write_bytes(
        _riff(_fmt(2, 48000, 24, WAVE_FORMAT_EXTENSIBLE, subformat=1), _chunk(b"data", frame * 4800))
    )
    info = wav_info(path)
    assert (info.channels, info.sample_width, info.frames, info.format_tag) == (2, 3, 4800, 1)
    assert wav_duration(path) == pytest.approx(0.1)
    samples, rate = read_wav(path)
    assert rate == 48000 and samples.shape == (4800, 2)
    assert samples[0].tolist() == pytest.approx([0.5, -0.25], abs=1e-6)
    assert waveform(path, 2) == pytest.approx([0.5, 0.5], abs=1e-6)


@pytest.mark.parametrize("tag, subformat", [(3, None), (WAVE_FORMAT_EXTENSIBLE, 3)])
def test_float_wav_has_a_duration_but_no_pcm_samples(tmp_path: Path, tag: int, subformat: int | None) -> None:
    path = tmp_path / "float.wav"
    path.write_bytes(_riff(_fmt(1, 8000, 32, tag, subformat), _chunk(b"data", bytes(4 * 4000))))
    assert wav_duration(path) == pytest.approx(0.5)
    assert audio_duration(path) == pytest.approx(0.5)
    assert wav_info(path).format_tag == 3
    with pytest.raises(WavError, match="not integer PCM"):
        read_wav(path)
    with pytest.raises(WavError, match="not integer PCM"):
        waveform(path, 4)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"RIFF\x00\x00\x00\x00WAVE",  # no chunks at all
        _riff(_chunk(b"data", bytes(8)), _fmt(1, 8000, 16)),  # samples before their format
        _riff(_fmt(1, 8000, 16)),  # no data chunk
        _riff(_chunk(b"fmt ", bytes(10)), _chunk(b"data", bytes(8))),  # fmt chunk too short
        _riff(_fmt(0, 8000, 16), _chunk(b"data", bytes(8))),  # no channels
        _riff(_fmt(1, 0, 16), _chunk(b"data", bytes(8))),  # no sample rate
        _riff(_fmt(1, 8000, 0), _chunk(b"data", bytes(8))),  # PCM without a sample width
        b"RIFX" + bytes(4) + b"WAVE" + _fmt(1, 8000, 16),  # big-endian RIFF is not supported
    ],
)
def test_malformed_headers_raise_wav_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(data)
    for call in (wav_info, wav_duration, read_wav, lambda p: waveform(p, 8)):
        with pytest.raises(WavError, match="cannot read WAV bad.wav"):
            call(path)
    assert audio_duration(path) is None
