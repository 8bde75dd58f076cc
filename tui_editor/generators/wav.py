"""Small WAV helpers shared by the local audio generators and the UI.

Only uncompressed PCM WAV is handled (what the stdlib `wave` module reads): 8-, 16-, 24- and 32-bit
integer samples, any channel count. Files are written as 16-bit PCM, atomically: the data goes to a
temporary file in the destination folder which then replaces the destination, so a reader never sees
a half-written file and an interrupted write leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported lazily: the UI may import this module on its startup path
    import numpy as np
    import numpy.typing as npt


class WavError(Exception):
    """A WAV file could not be read (missing, not RIFF/WAVE, or not integer PCM)."""


@dataclass(frozen=True)
class WavInfo:
    sample_rate: int
    channels: int
    sample_width: int
    """Bytes per sample (2 for 16-bit)."""
    frames: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same folder and `os.replace`."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


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


def wav_info(path: Path) -> WavInfo:
    """Header facts of a PCM WAV file; `WavError` if it cannot be read."""
    try:
        with wave.open(str(path), "rb") as src:
            return WavInfo(src.getframerate(), src.getnchannels(), src.getsampwidth(), src.getnframes())
    except (OSError, EOFError, wave.Error) as exc:
        raise WavError(f"cannot read WAV {Path(path).name}: {exc}") from exc


def wav_duration(path: Path) -> float:
    """Seconds of audio in a PCM WAV file (frames / sample rate)."""
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


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """All samples of a PCM WAV as float32 (frames, channels) in -1..1, and the sample rate."""
    try:
        with wave.open(str(path), "rb") as src:
            info = WavInfo(src.getframerate(), src.getnchannels(), src.getsampwidth(), src.getnframes())
            raw = src.readframes(info.frames)
    except (OSError, EOFError, wave.Error) as exc:
        raise WavError(f"cannot read WAV {Path(path).name}: {exc}") from exc
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
    try:
        with wave.open(str(path), "rb") as src:
            channels, width, frames = src.getnchannels(), src.getsampwidth(), src.getnframes()
            if frames == 0:
                return peaks
            # Slice boundaries in frames; slice i is [bounds[i], bounds[i + 1]).
            bounds = [(i * frames) // buckets for i in range(buckets + 1)]
            for i in range(buckets):
                count = bounds[i + 1] - bounds[i]
                if count <= 0:
                    continue
                raw = src.readframes(count)
                if not raw:
                    break
                data = _to_float(raw, width, channels)
                if data.size:
                    peaks[i] = min(1.0, float(np.max(np.abs(data))))
    except (OSError, EOFError, wave.Error) as exc:
        raise WavError(f"cannot read WAV {Path(path).name}: {exc}") from exc
    return peaks
