"""`run_app`: what the command line calls to open the editor."""

from __future__ import annotations

from collections.abc import Sequence

from ..config import Settings


def resolve_lecture_ref(settings: Settings, lecture_ref: str, commands: Sequence[str] = ()) -> str:
    """The id of the lecture `lecture_ref` names, checked before any screen is drawn.

    Raises `NotFoundError` (one line, exit 1) when no lecture matches, naming the commands too when
    the word may have been a mistyped one. An empty database passes the ref through unchanged: the
    editor creates the demo lecture first, which the ref may name.
    """
    from ..core.errors import NotFoundError
    from ..runs.runtime import open_runtime

    runtime = open_runtime(settings, background=False)
    try:
        if not runtime.store.list_lectures():
            return lecture_ref
        try:
            return runtime.store.resolve_lecture(lecture_ref)
        except NotFoundError as exc:
            if not commands:
                raise
            raise NotFoundError(f"{exc.message} (nor is it a command: {', '.join(commands)})") from None
    finally:
        runtime.close()


def run_app(settings: Settings, lecture_ref: str | None = None, *, commands: Sequence[str] = ()) -> int:
    """Build the App, run it in this terminal and return the process exit code.

    0 after a normal quit; 1 when the database or the lecture could not be opened. The caller has
    already turned configuration problems into a one-line error (exit code 2). A `lecture_ref` is
    resolved first (paying for the database stack before the first frame only then), so a lecture
    that does not exist is an error line instead of a screen.
    """
    if lecture_ref is not None:
        lecture_ref = resolve_lecture_ref(settings, lecture_ref, commands)

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
