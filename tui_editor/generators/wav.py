"""Small WAV helpers shared by the generators and the UI: the one place that reads WAV headers.

Reading: RIFF/WAVE files and their 64-bit form RF64 (also spelled BW64), with the sample layout from the
`fmt ` chunk (WAVE_FORMAT_EXTENSIBLE files report their sub-format). Streaming servers cannot know the
length up front and write placeholder sizes (0 or 0xFFFFFFFF) in the data chunk; a placeholder, or a
size larger than the file, is replaced by the bytes actually present, so such files get their real
duration (the stdlib `wave` module would report 0xFFFFFFFF bytes: days of audio for half a second).
Durations work for any sample encoding; samples (`read_wav`, `waveform`) are decoded from integer PCM
only: 8-, 16-, 24- and 32-bit, any channel count.

Writing: 16-bit PCM, atomically (see `files.atomic_write_bytes`), so a reader never sees a half-written
file and an interrupted write leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from tui_editor.generators.files import atomic_write_bytes

if TYPE_CHECKING:  # numpy is imported lazily: the UI may import this module on its startup path
    import numpy as np
    import numpy.typing as npt

WAVE_FORMAT_PCM = 0x0001
WAVE_FORMAT_EXTENSIBLE = 0xFFFE
PLACEHOLDER_SIZES = (0, 0xFFFFFFFF)
"""Data-chunk sizes that streamed WAVs write because the real size is not known yet."""
_RIFF_IDS = (b"RIFF", b"RF64", b"BW64")


class WavError(Exception):
    """A WAV file could not be read (missing, not RIFF/WAVE, or malformed; for samples, not integer PCM)."""


class _Malformed(ValueError):
    """The bytes are not a WAV file this module can read (turned into `WavError` with the file name)."""


@dataclass(frozen=True)
class WavInfo:
    sample_rate: int
    channels: int
    sample_width: int
    """Bytes per sample (2 for 16-bit)."""
    frames: int
    format_tag: int = WAVE_FORMAT_PCM
    """The sample encoding (`WAVE_FORMAT_PCM` = integer PCM); an extensible file's sub-format."""

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


@dataclass(frozen=True)
class _Layout:
    info: WavInfo
    data_offset: int
    """Where the samples start in the file."""
    frame_size: int
    """Bytes per frame (all channels of one sample instant)."""


def pcm16_bytes(samples: npt.ArrayLike) -> bytes:
    """Little-endian 16-bit PCM for `samples`: floats in -1..1 (clipped) or integers already int16-scaled.

    A 2-D array is (frames, channels) and comes out interleaved.
    """
    import numpy as np

    array = np.asarray(samples)
    if array.dtype.kind == "f":
        array = np.round(np.clip(array, -1.0, 1.0) * 32767.0)
    return np.ascontiguousarray(array, dtype="<i2").tobytes()


def encode_wav(pcm16: bytes, sample_rate: int, channels: int = 1) -> bytes:
    """A complete WAV file (RIFF header + data) around interleaved little-endian 16-bit PCM."""
    if sample_rate <= 0:
        raise ValueError(f"sample rate must be positive, got {sample_rate}")
    if channels <= 0:
        raise ValueError(f"channel count must be positive, got {channels}")
    if len(pcm16) % (2 * channels):
        raise ValueError("PCM data is not a whole number of 16-bit frames")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm16)
    return buffer.getvalue()


def write_wav(path: Path, samples: npt.ArrayLike | bytes, sample_rate: int, channels: int = 1) -> None:
    """Atomically write a 16-bit PCM WAV.

    `samples` is either raw interleaved little-endian 16-bit PCM (`bytes`, with `channels` saying how
    many are interleaved) or an array accepted by `pcm16_bytes` (a 2-D array sets `channels` itself).
    """
    if isinstance(samples, bytes | bytearray | memoryview):
        pcm = bytes(samples)
    else:
        import numpy as np

        array = np.asarray(samples)
        if array.ndim == 2:
            channels = int(array.shape[1])
        elif array.ndim != 1:
            raise ValueError(f"samples must be 1-D or (frames, channels), got shape {array.shape}")
        pcm = pcm16_bytes(array)
    atomic_write_bytes(Path(path), encode_wav(pcm, sample_rate, channels))


# --- reading ------------------------------------------------------------------------------------


def _parse_fmt(body: bytes) -> tuple[int, int, int, int, int]:
    """(format tag, channels, sample rate, block align, bits per sample) of a `fmt ` chunk."""
    if len(body) < 16:
        raise _Malformed("fmt chunk too short")
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", body[:16])
    if tag == WAVE_FORMAT_EXTENSIBLE and len(body) >= 26:
        (tag,) = struct.unpack("<H", body[24:26])  # the first two bytes of the sub-format GUID
    if channels == 0:
        raise _Malformed("no channels")
    if rate == 0:
        raise _Malformed("sample rate is 0")
    return tag, channels, rate, block_align, bits


def _read_layout(fh: BinaryIO, file_size: int) -> _Layout:
    """Walk the chunks up to `data`: the sample format and where the samples are."""
    riff = fh.read(12)
    if len(riff) < 12 or riff[:4] not in _RIFF_IDS or riff[8:12] != b"WAVE":
        raise _Malformed("not a RIFF/WAVE file")
    fmt: tuple[int, int, int, int, int] | None = None
    ds64_data_size: int | None = None
    while True:
        head = fh.read(8)
        if len(head) < 8:
            raise _Malformed("no data chunk")
        chunk_id = head[:4]
        (chunk_size,) = struct.unpack("<I", head[4:])
        body_start = fh.tell()
        if chunk_id == b"fmt ":
            fmt = _parse_fmt(fh.read(min(chunk_size, 40)))
        elif chunk_id == b"ds64" and riff[:4] != b"RIFF":
            body = fh.read(min(chunk_size, 28))
            if len(body) >= 16:  # riffSize, dataSize, sampleCount (64-bit each), …
                (ds64_data_size,) = struct.unpack("<Q", body[8:16])
        elif chunk_id == b"data":
            if fmt is None:
                raise _Malformed("data chunk before fmt chunk")
            tag, channels, rate, block_align, bits = fmt
            sample_width = (bits + 7) // 8
            if tag == WAVE_FORMAT_PCM:
                if sample_width == 0:
                    raise _Malformed("bad sample width")
                frame_size = channels * sample_width
            else:  # durations only: the block is the unit of any constant-rate encoding
                frame_size = block_align
                if frame_size == 0:
                    raise _Malformed("block align is 0")
            size = chunk_size
            if size == 0xFFFFFFFF and ds64_data_size is not None:  # RF64: the real size is in ds64
                size = ds64_data_size
            available = max(file_size - body_start, 0)
            if size in PLACEHOLDER_SIZES or size > available:
                size = available
            info = WavInfo(rate, channels, sample_width, size // frame_size, tag)
            return _Layout(info, body_start, frame_size)
        fh.seek(body_start + chunk_size + (chunk_size & 1))  # chunks are padded to an even size


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[tuple[BinaryIO, _Layout]]:
    """The open file and its layout; every failure to read it becomes `WavError` naming the file."""
    try:
        with open(path, "rb") as fh:
            yield fh, _read_layout(fh, os.fstat(fh.fileno()).st_size)
    except (OSError, _Malformed) as exc:
        raise WavError(f"cannot read WAV {Path(path).name}: {exc}") from exc


def _require_pcm(layout: _Layout, path: Path) -> None:
    if layout.info.format_tag != WAVE_FORMAT_PCM:
        raise WavError(
            f"cannot read WAV {Path(path).name}: samples are not integer PCM "
            f"(format 0x{layout.info.format_tag:04x})"
        )


def wav_info(path: Path) -> WavInfo:
    """Header facts of a WAV file (frames counted from the bytes present); `WavError` if unreadable."""
    with _opened(path) as (_fh, layout):
        return layout.info


def wav_duration(path: Path) -> float:
    """Seconds of audio in a WAV file (frames / sample rate); `WavError` if unreadable."""
    return wav_info(path).duration_s


def _to_float(raw: bytes, sample_width: int, channels: int) -> np.ndarray:
    """Interleaved PCM bytes → float32 array (frames, channels) scaled to -1..1."""
    import numpy as np

    if sample_width == 1:  # 8-bit WAV is unsigned
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif sample_width == 2:
        data = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif sample_width == 3:
        triples = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        data = ints.astype(np.float32) / float(1 << 23)
    elif sample_width == 4:
        data = (np.frombuffer(raw, dtype="<i4").astype(np.float64) / float(1 << 31)).astype(np.float32)
    else:
        raise WavError(f"unsupported sample width: {sample_width} bytes")
    frames = len(data) // channels
    return data[: frames * channels].reshape(frames, channels)


def _read_frames(fh: BinaryIO, layout: _Layout, count: int) -> bytes:
    """Up to `count` whole frames from the current position."""
    raw = fh.read(count * layout.frame_size)
    return raw[: len(raw) - len(raw) % layout.frame_size]


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """All samples of a PCM WAV as float32 (frames, channels) in -1..1, and the sample rate."""
    with _opened(path) as (fh, layout):
        _require_pcm(layout, path)
        fh.seek(layout.data_offset)
        raw = _read_frames(fh, layout, layout.info.frames)
    info = layout.info
    return _to_float(raw, info.sample_width, info.channels), info.sample_rate


def waveform(path: Path, buckets: int) -> list[float]:
    """Peak amplitude (0..1 of full scale, all channels) of each of `buckets` equal slices of the file.

    Always returns exactly `buckets` values (a file with fewer frames than buckets leaves the empty
    slices at 0.0). The file is read one slice at a time, so long files never sit in memory as floats.
    """
    if buckets <= 0:
        raise ValueError(f"buckets must be positive, got {buckets}")
    import numpy as np

    peaks = [0.0] * buckets
    with _opened(path) as (fh, layout):
        _require_pcm(layout, path)
        info = layout.info
        if info.frames == 0:
            return peaks
        fh.seek(layout.data_offset)
        # Slice boundaries in frames; slice i is [bounds[i], bounds[i + 1]).
        bounds = [(i * info.frames) // buckets for i in range(buckets + 1)]
        for i in range(buckets):
            count = bounds[i + 1] - bounds[i]
            if count <= 0:
                continue
            raw = _read_frames(fh, layout, count)
            if not raw:
                break
            data = _to_float(raw, info.sample_width, info.channels)
            if data.size:
                peaks[i] = min(1.0, float(np.max(np.abs(data))))
    return peaks
