"""Support for the clip editor, review and media tests: real runtime, real lecture, a small host App.

`EditorHostApp` is a `TuiEditorApp` that starts on an already open runtime and lecture instead of opening
them itself, under a plain home screen, with the look of a bare App (no stylesheet, no App keys), so the
editor's snapshots show only the editor. The wiring is the App's own: one hub subscription whose callback
only posts a message; the handler feeds the provider and publishes `run_events`; the provider's reloads
run on the App's timer and worker. Everything underneath is real: SQLite in the test's tmp dir,
`LocalEngine`, the local generators.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static

from tests.factories import lecture_doc, write_seed_media
from tests.ui.conftest import wait_until as pump_until
from tui_editor.config import Settings, load_settings
from tui_editor.core.events import RunEventData
from tui_editor.core.provider import LectureEditorProvider
from tui_editor.generators.base import GenerationRequest, GenerationResult, ProgressFn
from tui_editor.ui.app import TuiEditorApp
from tui_editor.ui.messages import RunEventReceived
from tui_editor.ui.screens.clip_editor import ClipEditorScreen
from tui_editor.ui.screens.review import ReviewScreen
from tui_editor.ui.widgets.media import media_loaded

LECTURE_ID = "lec_test"


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings on `data_dir` (SQLite inside it); overrides as `section__key=value`."""
    environ = {f"TUI_EDITOR__{k.upper()}": str(v) for k, v in overrides.items()}
    environ.setdefault("TUI_EDITOR__EVENTS__POLL_INTERVAL_MS", "20")
    environ.setdefault("TUI_EDITOR__EVENTS__REFRESH_DEBOUNCE_MS", "30")
    environ.setdefault("TUI_EDITOR__UI__IMAGE_PROTOCOL", "halfblock")
    environ.setdefault("TUI_EDITOR__UI__AUDIO_PLAYER", "none")
    return load_settings(data_dir=data_dir, db_url=f"sqlite:///{data_dir / 'tui-editor.db'}", environ=environ)


@dataclass
class Env:
    settings: Settings
    runtime: Any
    provider: LectureEditorProvider
    lecture_id: str

    @property
    def store(self) -> Any:
        return self.runtime.store

    @property
    def engine(self) -> Any:
        return self.runtime.engine

    def asset(self, clip_id: str) -> Any:
        snapshot = self.provider.snapshot
        clip = snapshot.clip(clip_id)
        assert clip is not None
        return snapshot.asset_for(clip)

    def stored_asset(self, clip_id: str) -> Any:
        snapshot = self.store.load_snapshot(self.lecture_id)
        clip = snapshot.clip(clip_id)
        assert clip is not None
        return snapshot.asset_for(clip)


@contextlib.contextmanager
def open_env(
    data_dir: Path,
    *,
    generator_factory: Callable[..., Any] | None = None,
    doc: dict[str, Any] | None = None,
    **overrides: Any,
) -> Iterator[Env]:
    """A real runtime with the fixture lecture (fixed ids and texts, real seed media) and its provider.

    `doc`: another lecture document (of `lecture_doc()`'s shape) instead of the fixture lecture."""
    from tui_editor.core.exchange import validate_lecture
    from tui_editor.core.store import open_store
    from tui_editor.runs.hub import EventHub
    from tui_editor.runs.local import LocalEngine
    from tui_editor.runs.runtime import Runtime

    data_dir.mkdir(parents=True, exist_ok=True)
    settings = make_settings(data_dir, **overrides)
    store = open_store(settings.database_url)
    hub = EventHub(store, poll_interval_ms=settings.events.poll_interval_ms)
    engine = LocalEngine(store, settings, hub=hub, generator_factory=generator_factory)
    hub.start()
    runtime = Runtime(settings=settings, store=store, hub=hub, engine=engine)
    doc = doc if doc is not None else lecture_doc()
    write_seed_media(doc, data_dir)
    lecture_id = store.create_lecture(validate_lecture(doc) | {"id": doc["id"]}, keep_ids=True)
    provider = LectureEditorProvider(
        store.load_snapshot(lecture_id),
        lambda: store.load_snapshot(lecture_id),
        debounce_ms=settings.events.refresh_debounce_ms,
    )
    try:
        yield Env(settings, runtime, provider, lecture_id)
    finally:
        provider.close()
        runtime.close()


class HomeScreen(Screen[None]):
    """Stands in for the lecture screen underneath the editor."""

    def compose(self) -> ComposeResult:
        yield Static("lecture", id="home")


class EditorHostApp(TuiEditorApp, inherit_bindings=False):
    """Hosts the clip editor on `env`'s runtime and provider (see module docstring)."""

    TITLE = "EditorHostApp"
    BINDINGS: ClassVar[list[BindingType]] = list(App.BINDINGS)

    def __init__(self, env: Env, *, clip_id: str | None = None, open_review: bool = False) -> None:
        super().__init__(env.settings)
        self.css_path = []  # the bare look: the editor brings its own styles
        self.env = env
        self.runtime = env.runtime
        self._start_clip = (clip_id, open_review)
        self.events_seen: list[RunEventData] = []
        self.editor: ClipEditorScreen | None = None
        self.prepared_editor: ClipEditorScreen | None = None

    def get_default_screen(self) -> Screen[Any]:
        return HomeScreen(id="lecture")

    # Textual calls a handler of every class in the MRO: prevent_default() stops the App's own startup.
    @on(events.Mount)
    def _host_mount(self, event: events.Mount) -> None:
        event.prevent_default()
        self.set_keymap(dict(self.settings.keymap))
        self._loading = False
        self.adopt_provider(self.env.provider)
        self._subscription = self.env.runtime.hub.subscribe(
            self._forward_hub_event, lecture_id=self.env.lecture_id
        )
        clip_id, open_review = self._start_clip
        if self.prepared_editor is not None:
            self.editor = self.prepared_editor
            self.push_screen(self.prepared_editor)
        elif clip_id is not None:
            self.open_clip(clip_id, open_review=open_review)

    @on(events.Ready)
    def _host_ready(self, event: events.Ready) -> None:
        event.prevent_default()  # the runtime is open already (`open_env`)

    @on(events.Unmount)
    def _host_unmount(self, event: events.Unmount) -> None:
        event.prevent_default()
        if self._subscription is not None:
            self._subscription.close()  # `open_env` closes the provider and the runtime

    def on_run_event_received(self, message: RunEventReceived) -> None:
        self.events_seen.append(message.event)

    def open_clip(self, clip_id: str, open_review: bool = False) -> None:
        if self.screen.id == "clip-editor":
            return
        self.editor = ClipEditorScreen(self.env.provider, self.env.engine, clip_id, open_review=open_review)
        self.push_screen(self.editor)


async def wait_until(
    pilot: Pilot[Any], predicate: Callable[[], Any], timeout: float = 15.0, what: str = ""
) -> Any:
    """`conftest.wait_until` with the longer default deadline these tests need (real generators run)."""
    return await pump_until(pilot, predicate, timeout, what)


def fake_player(bin_dir: Path, name: str, record: Path) -> Path:
    """A tiny real player program: records its arguments, then plays for a while (sleeps)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / name
    sleep = shutil.which("sleep") or "/bin/sleep"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{record}"\nexec {sleep} 30\n', encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


def static_text(app: App[Any], selector: str) -> str:
    """The plain text a `Static` shows now."""
    widget = app.screen.query_one(selector, Static)
    return str(widget.render())


SSH_CONNECTION = "10.1.2.3 50000 10.9.8.7 22"
"""An `SSH_CONNECTION` value: client 10.1.2.3, server 10.9.8.7 on port 22."""
LINK_URL = re.compile(r"http://127\.0\.0\.1:(\d+)/(\S+)\?token=(\S+)")


def shown_link(app: App[Any], selector: str) -> tuple[str, str, str]:
    """(url, port, the ssh line) as the `LinkPanel` at `selector` shows them."""
    text = static_text(app, selector)
    match = LINK_URL.search(text)
    assert match, text
    ssh_line = next(line for line in text.splitlines() if "ssh -L" in line)
    return match.group(0), match.group(1), ssh_line[ssh_line.index("ssh -L") :]


def link_threads() -> list[threading.Thread]:
    """The link servers' threads still alive (`LinkServer` names its thread "preview-link")."""
    return [t for t in threading.enumerate() if t.name == "preview-link" and t.is_alive()]


class GatedGenerator:
    """A real local generator that first reports progress and waits at a gate — a slow provider.

    The run can be cancelled while it waits (the engine cancels the task at its `await`), or the gate opened
    to let the real generator finish.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.gate_open = False
        self.waiting = False

    async def generate(self, request: GenerationRequest, progress: ProgressFn) -> GenerationResult:
        progress(1, 3, "Waiting for the model")
        self.waiting = True
        try:
            while not self.gate_open:
                await asyncio.sleep(0.01)
        finally:
            self.waiting = False
        result: GenerationResult = await self.inner.generate(request, progress)
        return result


def gated_factory() -> tuple[Callable[..., Any], list[GatedGenerator]]:
    """A generator factory for `LocalEngine` whose generators wait at a gate; and the ones it made."""
    from tui_editor.generators.registry import generator_for

    made: list[GatedGenerator] = []

    def factory(kind: str, provider: str, settings: Settings) -> Any:
        generator = GatedGenerator(generator_for(kind, provider, settings))
        made.append(generator)
        return generator

    return factory, made


def screen_text(app: App[Any]) -> str:
    """The screen as plain text (what a user reads), for assertions and debugging."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False, color_system=None
    )
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


async def open_review(pilot: Any, app: EditorHostApp) -> ReviewScreen:
    """Wait for the editor, generate a preview, open the review and wait for its media."""
    await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen), what="the clip editor")
    editor = app.screen
    assert isinstance(editor, ClipEditorScreen)
    await pilot.press("ctrl+g")
    await wait_until(pilot, lambda: editor.session.state.has_preview, what="the preview")
    await pilot.press("ctrl+o")
    await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen), what="the review")
    review = app.screen
    assert isinstance(review, ReviewScreen)
    await wait_until(pilot, lambda: media_loaded(review), what="the review's media")
    await pilot.pause()
    return review
