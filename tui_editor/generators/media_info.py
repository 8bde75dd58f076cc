"""What a media file is, read from its bytes: format sniffing, the extension to save it under, image
size (Pillow reads only the header) and audio duration (WAV through `wav.py`, MP3 from its frame headers).

Shared by the remote adapters, which receive files whose names and content types cannot be trusted.
"""

from __future__ import annotations

import struct
from pathlib import Path
from urllib.parse import urlsplit

from tui_editor.generators.wav import WavError, wav_duration

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
    side_info = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    for tag_at in (offset + 4 + side_info, offset + 4 + 32):
        tag = data[tag_at : tag_at + 4]
        if tag in (b"Xing", b"Info") and len(data) >= tag_at + 12:
            (flags,) = struct.unpack(">I", data[tag_at + 4 : tag_at + 8])
            if flags & 1:
                frames = int.from_bytes(data[tag_at + 8 : tag_at + 12], "big")
                return frames * samples / rate
        if tag == b"VBRI" and len(data) >= tag_at + 18:
            frames = int.from_bytes(data[tag_at + 14 : tag_at + 18], "big")
            return frames * samples / rate
    audio_bytes = file_size - offset
    if data[-128:-125] == b"TAG" and file_size == len(data):
        audio_bytes -= 128
    return max(audio_bytes, 0) * 8 / bitrate


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
