"""What a media file is, read from its bytes: format sniffing, the extension to save it under, image
size (Pillow reads only the header) and audio duration (WAV through `wav.py`, MP3 from its frame headers).
`audio_info` and `audio_waveform` are what the review shows for either audio format (an MP3's waveform
is decoded with PyAV).

Shared by the remote adapters, which receive files whose names and content types cannot be trusted.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tui_editor.generators.wav import WavError, wav_duration, wav_info, waveform

_CONTENT_TYPES: dict[str, str] = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/webp": "webp",
    "audio/wav": "wav",
    "audio/wave": "wav",
    "audio/x-wav": "wav",
    "audio/vnd.wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
}
_SUFFIXES: dict[str, str] = {
    "png": "png",
    "jpg": "jpg",
    "jpeg": "jpg",
    "webp": "webp",
    "wav": "wav",
    "wave": "wav",
    "mp3": "mp3",
}


def sniff_extension(head: bytes) -> str | None:
    """The file format from its first bytes: png, jpg, webp, wav or mp3; None if unknown."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0):
        return "mp3"
    return None


def choose_extension(head: bytes, content_type: str, url: str, accept: tuple[str, ...]) -> str | None:
    """The extension to save a file under: sniffed from its bytes, else its content type, else its URL."""
    for candidate in (
        sniff_extension(head),
        _CONTENT_TYPES.get(content_type.split(";")[0].strip().lower()),
        _SUFFIXES.get(Path(urlsplit(url).path).suffix.lstrip(".").lower()),
    ):
        if candidate is not None:
            return candidate if candidate in accept else None
    return None


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) read from the image header with Pillow; None if it is not a readable image."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            width, height = image.size
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    return int(width), int(height)


_MP3_BITRATES = {
    # (mpeg1?, layer) -> kbps by index
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def mp3_duration(path: Path) -> float | None:
    """Seconds of audio in an MP3 file: from a Xing/Info/VBRI frame count, else a constant-bitrate
    estimate from the first frame; None if no MPEG audio frame is found."""
    facts = mp3_facts(path)
    return None if facts is None else facts[0]


def mp3_facts(path: Path) -> tuple[float, int, int] | None:
    """(seconds, sample rate, channels) of an MP3 file from its frame headers (see `mp3_duration`);
    None if no MPEG audio frame is found."""
    try:
        file_size = path.stat().st_size
        with path.open("rb") as fh:
            data = fh.read(256 * 1024)
    except OSError:
        return None
    offset = 0
    if data.startswith(b"ID3") and len(data) >= 10:
        tag_size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
        offset = 10 + tag_size + (10 if data[5] & 0x10 else 0)
    while offset + 4 <= len(data):
        if data[offset] == 0xFF and (data[offset + 1] & 0xE0) == 0xE0:
            b1, b2, b3 = data[offset + 1], data[offset + 2], data[offset + 3]
            version, layer_bits = (b1 >> 3) & 0x3, (b1 >> 1) & 0x3
            bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 0x3
            if version != 1 and layer_bits != 0 and bitrate_index not in (0, 15) and rate_index != 3:
                break
        offset += 1
    else:
        return None
    mpeg1 = version == 3
    layer = 4 - layer_bits
    bitrate = _MP3_BITRATES[(mpeg1, layer)][bitrate_index] * 1000
    rate = _MP3_RATES[version][rate_index]
    samples = 384 if layer == 1 else (1152 if layer == 2 or mpeg1 else 576)
    mono = (b3 >> 6) == 3
    channels = 1 if mono else 2
    side_info = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    for tag_at in (offset + 4 + side_info, offset + 4 + 32):
        tag = data[tag_at : tag_at + 4]
        if tag in (b"Xing", b"Info") and len(data) >= tag_at + 12:
            (flags,) = struct.unpack(">I", data[tag_at + 4 : tag_at + 8])
            if flags & 1:
                frames = int.from_bytes(data[tag_at + 8 : tag_at + 12], "big")
                return frames * samples / rate, rate, channels
        if tag == b"VBRI" and len(data) >= tag_at + 18:
            frames = int.from_bytes(data[tag_at + 14 : tag_at + 18], "big")
            return frames * samples / rate, rate, channels
    audio_bytes = file_size - offset
    if data[-128:-125] == b"TAG" and file_size == len(data):
        audio_bytes -= 128
    return max(audio_bytes, 0) * 8 / bitrate, rate, channels


def audio_duration(path: Path) -> float | None:
    """Seconds of audio in a WAV or MP3 file, read from its headers; None for other formats."""
    with_suffix = path.suffix.lower()
    if with_suffix == ".wav":
        try:
            return wav_duration(path)
        except WavError:
            return None
    if with_suffix == ".mp3":
        return mp3_duration(path)
    return None


class AudioReadError(Exception):
    """An audio file could not be read: not WAV or MP3, or malformed (the message says which)."""


@dataclass(frozen=True)
class AudioInfo:
    """What the review shows about an audio file, whatever its format."""

    format: str
    """"wav" or "mp3" (from the bytes, not the file name)."""
    duration_s: float
    sample_rate: int
    channels: int


def _is_mp3(path: Path) -> bool:
    """True for a regular file whose first bytes are an MP3's (an ID3 tag or an MPEG audio frame)."""
    if not path.is_file():  # a pipe or a device can be read once only: it was read as WAV already
        return False
    with path.open("rb") as fh:
        return sniff_extension(fh.read(64)) == "mp3"


def audio_info(path: Path) -> AudioInfo:
    """Duration and layout of a WAV (streamed ones too, through `wav.py`) or MP3 file, told apart by
    their bytes. Raises `AudioReadError` (or `OSError`) when it cannot be read."""
    path = Path(path)
    try:
        info = wav_info(path)
    except WavError as exc:
        if not _is_mp3(path):
            raise AudioReadError(str(exc)) from exc
    else:
        return AudioInfo("wav", info.duration_s, info.sample_rate, info.channels)
    facts = mp3_facts(path)
    if facts is None:
        raise AudioReadError("no MPEG audio frame found")
    duration, rate, channels = facts
    return AudioInfo("mp3", duration, rate, channels)


def audio_waveform(path: Path, buckets: int) -> list[float]:
    """Peak amplitude (0..1) of each of `buckets` equal slices of a WAV or MP3 file (see
    `wav.waveform`). MP3 is decoded with PyAV (`av`, imported only here: ~0.3 s)."""
    path = Path(path)
    if buckets <= 0:
        raise ValueError(f"buckets must be positive, got {buckets}")
    try:
        return waveform(path, buckets)
    except WavError as exc:
        if not _is_mp3(path):
            raise AudioReadError(str(exc)) from exc
    return _decoded_peaks(path, buckets)


#: Samples folded into one envelope value while decoding (keeps a long file's envelope small).
_ENVELOPE_BLOCK = 256


def _decoded_peaks(path: Path, buckets: int) -> list[float]:
    import av
    import numpy as np

    envelope: list[np.ndarray] = []
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise AudioReadError("no audio stream")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono")
            pending = np.zeros(0, dtype=np.float32)
            for frame in container.decode(stream):
                for mono in resampler.resample(frame):
                    pending = np.concatenate([pending, np.abs(mono.to_ndarray().reshape(-1))])
                    whole = len(pending) - len(pending) % _ENVELOPE_BLOCK
                    if whole:
                        envelope.append(pending[:whole].reshape(-1, _ENVELOPE_BLOCK).max(axis=1))
                        pending = pending[whole:]
            if len(pending):
                envelope.append(np.array([pending.max()], dtype=np.float32))
    except av.error.FFmpegError as exc:
        raise AudioReadError(f"cannot decode: {exc.strerror or exc}") from None
    peaks = [0.0] * buckets
    if not envelope:
        return peaks
    values = np.concatenate(envelope)
    bounds = [(i * len(values)) // buckets for i in range(buckets + 1)]
    for i in range(buckets):
        if bounds[i + 1] > bounds[i]:
            peaks[i] = min(1.0, float(values[bounds[i] : bounds[i + 1]].max()))
    return peaks
