"""What the screens over a `core.editor.ClipSession` share: session changes reach the view as a message.

Session listeners run on the App's thread, in the middle of whatever changed the session; so
`_session_changed` only posts `SessionChanged` (one pending message at a time) and its handler calls the
screen's `_refresh_view` once the change is complete.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on
from textual.message import Message

from ..editor_app import EditorAppAccess

if TYPE_CHECKING:
    from ...core.editor import ClipSession


class SessionView(EditorAppAccess):
    """Mixed into a screen ahead of its `Screen` base: `class X(SessionView, Screen[...])`."""

    class SessionChanged(Message):
        """The session's draft or flow changed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._change_pending = False

    def _session_changed(self, _session: ClipSession) -> None:
        """Session listener: coalesces a burst of changes into one refresh."""
        if not self._change_pending:
            self._change_pending = True
            self.post_message(self.SessionChanged())

    @on(SessionChanged)
    def _on_session_changed(self, _message: SessionChanged) -> None:
        self._change_pending = False
        self._refresh_view()

    def _refresh_view(self) -> None:
        raise NotImplementedError
