"""`MediaRead`: the one message a media worker posts — what a file held, or why it could not be read.

Image decoding, WAV facts and waveform peaks are all file I/O, so each runs in a thread worker that calls
`read_in_worker` and never touches a widget; the widget that started it handles the `MediaRead` on the UI
thread (caching the value by its key) and stops it there.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from textual.message import Message

from .media_files import describe_error

T = TypeVar("T")


class MediaRead(Message, Generic[T]):
    """The result of reading the file behind `key`: `value`, or `error` (one readable line)."""

    def __init__(self, key: Hashable, value: T | None = None, error: str | None = None) -> None:
        super().__init__()
        self.key = key
        self.value = value
        self.error = error


def read_in_worker(
    post: Callable[[Message], object],
    key: Hashable,
    read: Callable[[], T],
    describe: Callable[[BaseException], str] = describe_error,
) -> None:
    """Run `read` (blocking; call from a thread worker) and post its `MediaRead` with `post`."""
    try:
        value = read()
    except Exception as exc:  # noqa: BLE001 - any unreadable file is one line on screen, not a crash
        post(MediaRead(key, error=describe(exc)))
    else:
        post(MediaRead(key, value=value))
