"""The "new lecture from a script" modal (`n` in the lecture picker).

It asks for a script file and an optional title, then builds the lecture exactly as `tui-editor new
--from-script` does — every asset generated offline, timed by the narration audio — in a thread worker,
showing a progress bar. It dismisses with the new lecture's id (the picker then opens it), or None.
`escape` closes it before the build starts, and stops a running build (nothing is kept: the build
creates the lecture in one step at its very end).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, ProgressBar, Static

from ...core.errors import TuiEditorError
from ...core.safe_text import visible
from ..bindings import NEW_LECTURE_BINDINGS, key_for
from ..editor_app import EditorAppAccess


class BuildStopped(TuiEditorError):
    """The user closed the modal while the lecture was being generated."""


class NewLectureScreen(EditorAppAccess, ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = NEW_LECTURE_BINDINGS
    AUTO_FOCUS = "#new-path"

    DEFAULT_CSS = """
    NewLectureScreen { align: center middle; }
    NewLectureScreen #new-dialog {
        width: 100%; max-width: 80; height: auto; border: round $accent; border-title-style: bold;
        padding: 0 1; background: $surface;
    }
    NewLectureScreen Label { margin-top: 1; }
    NewLectureScreen #new-progress { margin-top: 1; display: none; }
    NewLectureScreen #new-progress.-running { display: block; }
    NewLectureScreen #new-status { height: auto; margin-top: 1; }
    NewLectureScreen #new-status.-error { color: $error; text-style: bold; }
    """

    class Advanced(Message):
        def __init__(self, done: int, total: int, label: str) -> None:
            super().__init__()
            self.done, self.total, self.label = done, total, label

    class Finished(Message):
        def __init__(self, lecture_id: str | None, error: str | None) -> None:
            super().__init__()
            self.lecture_id, self.error = lecture_id, error

    def __init__(self) -> None:
        super().__init__(id="new-lecture")
        self.building = False
        self._stop = threading.Event()

    def compose(self) -> ComposeResult:
        with Vertical(id="new-dialog") as dialog:
            dialog.border_title = "New lecture from a script"
            dialog.border_subtitle = f"enter create · {self._key('new.cancel')} cancel"
            yield Label("Script file: the web original's JSON script, or Markdown / plain text")
            yield Input(placeholder="path/to/script.json", id="new-path")
            yield Label("Title (optional)")
            yield Input(placeholder="the script's title or file name", id="new-title")
            yield ProgressBar(total=None, show_eta=False, id="new-progress")
            note = "A segment per paragraph; every asset is generated offline, timed by its narration."
            yield Static(Text(note), id="new-status")

    def _key(self, binding_id: str) -> str:
        return key_for(binding_id, self.editor_app.settings.keymap)

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#new-status", Static)
        status.update(Text(visible(text)))  # never markup: paths and messages come from anywhere
        status.set_class(error, "-error")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_create()

    def action_create(self) -> None:
        if self.building:
            return
        path = self.query_one("#new-path", Input).value.strip()
        if not path:
            self._status("Enter the path of a script file.", error=True)
            self.query_one("#new-path", Input).focus()
            return
        if self.editor_app.runtime is None:
            self._status("The database is not open yet.", error=True)
            return
        title = self.query_one("#new-title", Input).value.strip() or None
        self.building = True
        self._stop.clear()
        for field in self.query(Input):
            field.disabled = True
        self.query_one("#new-progress", ProgressBar).add_class("-running")
        self._status("Reading the script…")
        self._build(str(Path(path).expanduser()), title)

    @work(thread=True, group="new-lecture", exit_on_error=False, name="new lecture")
    def _build(self, path: str, title: str | None) -> None:
        from ...core.script import read_script_file
        from ...lectures.from_script import BuildProgress, build_from_script

        runtime = self.editor_app.runtime
        if runtime is None:
            return

        def progress(item: BuildProgress) -> None:
            if self._stop.is_set():
                raise BuildStopped("stopped")
            self.post_message(self.Advanced(item.done, item.total, item.label))

        try:
            script = read_script_file(path, title=title)
            if self._stop.is_set():
                raise BuildStopped("stopped")
            self.post_message(self.Advanced(0, 0, f"{len(script.segments)} segments: generating…"))
            lecture_id = build_from_script(runtime.store, self.editor_app.settings, script, progress=progress)
        except TuiEditorError as exc:
            self.post_message(self.Finished(None, exc.message))
        except Exception as exc:  # noqa: BLE001 - shown in the modal, never a crash
            self.post_message(self.Finished(None, f"unexpected error: {exc}"))
        else:
            self.post_message(self.Finished(lecture_id, None))

    @on(Advanced)
    def _advanced(self, message: Advanced) -> None:
        bar = self.query_one("#new-progress", ProgressBar)
        if message.total:
            bar.update(total=message.total, progress=message.done)
            self._status(f"{message.done} of {message.total}: {message.label}")
        else:
            self._status(message.label)

    @on(Finished)
    def _finished(self, message: Finished) -> None:
        self.building = False
        if message.lecture_id is not None:
            self.dismiss(message.lecture_id)
            return
        if self._stop.is_set():
            self.dismiss(None)
            return
        for field in self.query(Input):
            field.disabled = False
        bar = self.query_one("#new-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.remove_class("-running")
        self._status(message.error or "failed", error=True)
        self.query_one("#new-path", Input).focus()

    def on_unmount(self) -> None:
        self._stop.set()  # the App is closing: a running build stops after its current item

    def action_cancel(self) -> None:
        if self.building:
            self._stop.set()
            self._status("Stopping after the current item…")
            return
        self.dismiss(None)
