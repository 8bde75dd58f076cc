"""The one typed way for screens and widgets to reach the App: `self.editor_app`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message_pump import MessagePump

if TYPE_CHECKING:
    from .app import TuiEditorApp


class EditorAppAccess(MessagePump):
    """Mixed into a screen or widget ahead of its Textual base: `class X(EditorAppAccess, Screen[None])`."""

    @property
    def editor_app(self) -> TuiEditorApp:
        """The running `TuiEditorApp` (an error if this node runs under another App)."""
        from .app import TuiEditorApp  # the App module imports the screens: resolve it when used

        app = self.app
        if not isinstance(app, TuiEditorApp):
            raise TypeError(f"{type(self).__name__} runs only inside TuiEditorApp, not {type(app).__name__}")
        return app
