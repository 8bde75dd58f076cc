"""Shared fixtures of the UI tests: real settings on a tmp SQLite, a real runtime, the demo lecture.

- `env`: the clip editor tests' real runtime with the fixture lecture (`editor_support.open_env`).
- `settings`: a tmp data dir (SQLite inside), an empty config file (no user config is read), a short
  event poll and refresh debounce so cross-process updates arrive quickly.
- `runtime`: `open_runtime(settings)` (the real LocalEngine), closed after the test.
- `demo_data_dir` / `demo_lecture_id`: the demo lecture, rendered once per test session (per xdist
  worker) and copied into each test's data dir.
- `wait_until(pilot, predicate, timeout=...)`: loop on `pilot.pause()` with a deadline; never sleep.
- `make_lecture(store, title, clips_per_track=...)`: a deterministic lecture (fixed names and texts).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
from textual.app import App
from textual.screen import Screen

from tui_editor.config import Settings, load_settings

if TYPE_CHECKING:
    from tests.ui.editor_support import Env


T = TypeVar("T")
ScreenT = TypeVar("ScreenT", bound=Screen[Any])


@pytest.fixture(autouse=True)
def _quiet_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No user config, no colour surprises, UTC times, no terminal image probing."""
    for name in ("TUI_EDITOR_CONFIG", "TUI_EDITOR_DB", "TUI_EDITOR_DATA_DIR", "NO_COLOR", "SSH_CONNECTION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    config = tmp_path / "config.toml"
    if not config.exists():
        config.write_text("", encoding="utf-8")
    environ = {
        "TUI_EDITOR__EVENTS__POLL_INTERVAL_MS": "20",
        "TUI_EDITOR__EVENTS__REFRESH_DEBOUNCE_MS": "30",
    }
    settings = load_settings(config, data_dir=tmp_path / "data", environ=environ)
    for section, values in overrides.items():
        if section == "keymap":
            settings.keymap = dict(values)
            continue
        target = getattr(settings, section)
        for key, value in values.items():
            setattr(target, key, value)
    return settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Any]:
    from tui_editor.runs.runtime import open_runtime

    rt = open_runtime(settings)
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    from tests.ui.editor_support import open_env

    with open_env(tmp_path / "data") as environment:
        yield environment


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding only the demo lecture (rendered once per session)."""
    from tui_editor.demo import ensure_demo
    from tui_editor.runs.runtime import open_runtime

    root = tmp_path_factory.mktemp("demo-template")
    template_settings = make_settings(root)
    rt = open_runtime(template_settings, background=False)
    try:
        ensure_demo(rt.store, template_settings.data_path)
    finally:
        rt.close()
    return template_settings.data_path


@pytest.fixture
def demo_data_dir(demo_template: Path, settings: Settings) -> Path:
    """This test's data dir, pre-filled with the demo lecture."""
    target = settings.data_path
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(demo_template, target)
    return target


@pytest.fixture
def demo_lecture_id(demo_data_dir: Path, runtime: Any) -> str:
    from tui_editor.demo import DEMO_TITLE

    return str(runtime.store.resolve_lecture(DEMO_TITLE))


async def wait_until(pilot: Any, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    """Pump the App until `predicate()` is truthy (returns it) or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what or predicate}")
        await pilot.pause(0.01)


async def wait_loaded(pilot: Any, timeout: float = 20.0) -> None:
    """Wait until the App has its lecture (or failed to open one)."""
    app = pilot.app
    await wait_until(
        pilot,
        lambda: app.lecture_shown or app.startup_error,
        timeout,
        "the lecture to load",
    )
    await pilot.pause()


def lecture_document(
    title: str,
    *,
    clips_per_track: int = 3,
    summary: str = "",
    section_seconds: float = 5.0,
) -> dict[str, Any]:
    """A deterministic lecture import document (the shape `store.create_lecture` takes)."""
    visuals, narration, music, clips = [], [], [], []
    for index in range(clips_per_track):
        start = index * section_seconds
        vid, nid, mid = f"v{index}", f"n{index}", f"m{index}"
        visuals.append(
            {
                "id": vid,
                "prompt": f"Slide {index + 1}: diagram of step {index + 1}",
                "model": "local/pillow",
                "aspect_ratio": "16:9",
                "width": 320,
                "height": 180,
            }
        )
        narration.append(
            {
                "id": nid,
                "script": f"This is narration number {index + 1}.",
                "model": "local/espeak",
                "voice": "en-us",
                "emotion": "neutral",
                "language": "en",
                "duration_s": 2.5,
            }
        )
        music.append(
            {
                "id": mid,
                "prompt": f"Calm bed {index + 1}",
                "model": "local/synth",
                "duration_s": section_seconds,
                "bpm": 90,
                "key": "C major",
            }
        )
        clips.append(
            {
                "track": "visual",
                "name": f"Slide {index + 1}",
                "start": start,
                "duration": section_seconds,
                "asset_id": vid,
            }
        )
        clips.append(
            {
                "track": "voice",
                "name": f"Voice {index + 1}",
                "start": start,
                "duration": section_seconds,
                "asset_id": nid,
            }
        )
        clips.append(
            {
                "track": "music",
                "name": f"Music {index + 1}",
                "start": start,
                "duration": section_seconds,
                "asset_id": mid,
            }
        )
    return {
        "title": title,
        "summary": summary or f"{title}: a test lecture",
        "assets": {"visual": visuals, "narration": narration, "music": music},
        "clips": clips,
    }


def make_lecture(store: Any, title: str, **kwargs: Any) -> str:
    return str(store.create_lecture(lecture_document(title, **kwargs), source="import"))


def some(value: T | None) -> T:
    """`value`, which the test expects to be there (and mypy then knows is not None)."""
    assert value is not None
    return value


def screen_as(app: App[Any], kind: type[ScreenT]) -> ScreenT:
    """The App's current screen, which the test expects to be a `kind`."""
    screen = app.screen
    assert isinstance(screen, kind), f"expected {kind.__name__}, the screen is {type(screen).__name__}"
    return screen
