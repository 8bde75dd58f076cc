"""What the media tests share: real WAV files, an App hosting one widget, and a FIFO gate for workers."""

from __future__ import annotations

import math
import os
import struct
import threading
import time
import wave
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widget import Widget


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


class OneWidget(App[None]):
    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


class FifoGate:
    """A named pipe standing in for a media file: whoever opens it to read waits until `release(data)`.

    A widget that read its file on the UI thread would hang the App here; one that reads in a worker
    keeps showing its placeholder until the test lets the bytes through.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(path)
        self.path = path
        self._writer: threading.Thread | None = None

    def release(self, data: bytes) -> None:
        def write() -> None:
            with open(self.path, "wb") as fifo:
                fifo.write(data)

        self._writer = threading.Thread(target=write, daemon=True)
        self._writer.start()

    def close(self) -> None:
        """Unblock a reader that is still waiting (so no thread outlives the test)."""
        if self._writer is None:
            self.release(b"")
        assert self._writer is not None
        self._writer.join(timeout=5)
