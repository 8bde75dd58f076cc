"""Writing generated files so that they appear complete or not at all (shared by every generator).

The bytes go to a hidden temporary file in the destination folder (`.<name>.<random>.part`), are
flushed to disk, and the file is then renamed over the destination with `os.replace`, which is atomic.
A reader never sees a half-written file, an existing destination stays untouched until the new one is
complete, and a failed, cancelled or interrupted write leaves no temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from types import TracebackType


class AtomicFile:
    """A temporary file in `folder` that becomes its destination on `commit`, or disappears.

        with AtomicFile(folder, "clip.wav") as out:
            out.write(data)
            path = out.commit(folder / "clip.wav")

    `name` only labels the temporary file: `commit` may pick the final name once the content is known
    (a download learns its extension from its first bytes). Leaving the block without committing (an
    exception, a cancellation) deletes the temporary file. The file is created exclusively and with the
    usual permissions (the umask applies).
    """

    def __init__(self, folder: Path, name: str) -> None:
        self.temp_path = Path(folder) / f".{name}.{secrets.token_hex(8)}.part"
        self._handle = self.temp_path.open("xb")
        self._committed = False
        self.size = 0
        """Bytes written so far."""

    def write(self, data: bytes) -> None:
        self._handle.write(data)
        self.size += len(data)

    def commit(self, destination: Path) -> Path:
        """Flush the data to disk and move it to `destination`; returns the destination, resolved."""
        handle = self._handle
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        os.replace(self.temp_path, destination)
        self._committed = True
        return Path(destination).resolve()

    def discard(self) -> None:
        """Close and delete the temporary file (nothing happens after a successful `commit`)."""
        with contextlib.suppress(OSError):  # closing flushes: on a full disk that fails too
            self._handle.close()
        if not self._committed:
            with contextlib.suppress(OSError):
                self.temp_path.unlink(missing_ok=True)

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.discard()


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write `data` to `path` atomically (see the module docstring); returns `path`, resolved."""
    path = Path(path)
    with AtomicFile(path.parent, path.name) as out:
        out.write(data)
        return out.commit(path)
