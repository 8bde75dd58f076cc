"""Real audio files as providers return them: MP3 (encoded with PyAV's LAME) and streamed WAV (size fields
left as the 0xFFFFFFFF placeholders a server writes before it knows the length)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np


def ramp_tone(seconds: float, rate: int, channels: int = 1) -> np.ndarray:
    """A 440 Hz tone growing linearly from silence to full scale: float32 (channels, samples)."""
    t = np.arange(int(seconds * rate)) / rate
    mono = (np.sin(2 * np.pi * 440 * t) * np.linspace(0, 1, t.size)).astype(np.float32)
    return np.tile(mono, (channels, 1))


def write_mp3(path: Path, seconds: float = 2.0, rate: int = 24000, channels: int = 1) -> Path:
    import av

    samples = ramp_tone(seconds, rate, channels)
    layout = "mono" if channels == 1 else "stereo"
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format="mp3") as out:
        stream = out.add_stream("libmp3lame", rate=rate, layout=layout)
        for start in range(0, samples.shape[1], 1152):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(samples[:, start : start + 1152]), format="fltp", layout=layout
            )
            frame.rate = rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def write_streamed_wav(path: Path, seconds: float = 1.0, rate: int = 24000) -> Path:
    """A 16-bit mono WAV whose RIFF and data sizes are 0xFFFFFFFF (OpenAI's speech endpoint does this)."""
    pcm = (ramp_tone(seconds, rate)[0] * 32767).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    data = b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE"
    data += b"fmt " + struct.pack("<I", len(fmt)) + fmt
    data += b"data" + struct.pack("<I", 0xFFFFFFFF) + pcm
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
