"""What the screens over a `core.editor.ClipSession` share: session changes reach the view as a message.

Session listeners run on any thread, so `_session_changed` only posts `SessionChanged` (one pending
message at a time); its handler, on the main thread, calls the screen's `_refresh_view`.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from textual import on
from textual.message import Message
from textual.message_pump import MessagePump

if TYPE_CHECKING:
    from ...core.editor import ClipSession


class SessionView(MessagePump):
    """Mixed into a screen ahead of its `Screen` base: `class X(SessionView, Screen[...])`."""

    class SessionChanged(Message):
        """The session's draft or flow changed (posted from whichever thread changed it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._change_pending = threading.Event()

    def _session_changed(self, _session: ClipSession) -> None:
        """Session listener: runs on any thread, so it only posts (one pending message at a time)."""
        if not self._change_pending.is_set():
            self._change_pending.set()
            self.post_message(self.SessionChanged())

    @on(SessionChanged)
    def _on_session_changed(self, _message: SessionChanged) -> None:
        self._change_pending.clear()
        self._refresh_view()

    def _refresh_view(self) -> None:
        raise NotImplementedError
