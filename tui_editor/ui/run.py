"""`run_app`: what the command line calls to open the editor."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

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


def start_first_look(settings: Settings, lecture_ref: str | None) -> Future[Any]:
    """Read the lecture for a first look (`core.quick_read.peek_lecture`) in a thread, now."""
    future: Future[Any] = Future()

    def read() -> None:
        try:
            from ..core.quick_read import peek_lecture

            snapshot = peek_lecture(settings.database_url, lecture_ref)
            if snapshot is not None:
                for track in ("visual", "voice", "music"):
                    snapshot.track(track)  # sorted here, not on the UI thread
            future.set_result(snapshot)
        except BaseException as exc:  # noqa: BLE001 - handed to whoever looks at the future
            future.set_exception(exc)

    threading.Thread(target=read, name="first-look", daemon=True).start()
    return future


def run_app(settings: Settings, lecture_ref: str | None = None, *, commands: Sequence[str] = ()) -> int:
    """Build the App, run it in this terminal and return the process exit code.

    0 after a normal quit; 1 when the database or the lecture could not be opened. The caller has
    already turned configuration problems into a one-line error (exit code 2). A `lecture_ref` is
    resolved first (paying for the database stack before the first frame only then), so a lecture
    that does not exist is an error line instead of a screen.
    """
    if lecture_ref is not None:
        lecture_ref = resolve_lecture_ref(settings, lecture_ref, commands)

    # A first look at the lecture (stdlib sqlite3), read while Textual and the App are imported: drawn
    # on the first frames, marked "not yet confirmed", until the store has loaded the lecture.
    first_look = start_first_look(settings, lecture_ref)

    from .app import TuiEditorApp
    from .widgets.terminal_graphics import prepare_terminal_graphics

    # textual-image can only ask the terminal about sixel/kitty before Textual takes it over.
    prepare_terminal_graphics(settings.ui.image_protocol)
    app = TuiEditorApp(settings, lecture_ref, first_look=first_look)
    try:
        result = app.run()
    finally:
        app.close_runtime()
    if app.return_code not in (None, 0):
        return int(app.return_code)
    if isinstance(result, int):
        return result
    return 1 if app.startup_error else 0
