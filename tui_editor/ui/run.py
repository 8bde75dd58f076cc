"""`run_app`: what the command line calls to open the editor."""

from __future__ import annotations

from ..config import Settings


def run_app(settings: Settings, lecture_ref: str | None = None) -> int:
    """Build the App, run it in this terminal and return the process exit code.

    0 after a normal quit; 1 when the database or the lecture could not be opened. The caller has
    already turned configuration problems into a one-line error (exit code 2).
    """
    from .app import TuiEditorApp
    from .widgets.terminal_graphics import prepare_terminal_graphics

    # textual-image can only ask the terminal about sixel/kitty before Textual takes it over.
    prepare_terminal_graphics(settings.ui.image_protocol)
    app = TuiEditorApp(settings, lecture_ref)
    try:
        result = app.run()
    finally:
        app.close_runtime()
    if app.return_code not in (None, 0):
        return int(app.return_code)
    if isinstance(result, int):
        return result
    return 1 if app.startup_error else 0
