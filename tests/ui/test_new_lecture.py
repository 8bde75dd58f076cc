"""The lecture picker's `n`: a lecture from a script, built in a worker with a progress bar, then opened;
a bad script is shown in the modal (never markup), `escape` closes it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, ProgressBar, Static

from tests.ui.conftest import some
from tui_editor.config import Settings
from tui_editor.ui.app import TuiEditorApp
from tui_editor.ui.screens.new_lecture import NewLectureScreen

from .conftest import make_lecture, make_settings, wait_loaded, wait_until

SIZE = (100, 30)


def _script(path: Path) -> Path:
    segments = [
        {"narration": f"Step {i}.", "backgroundMusic": "calm", "effect": "", "suggestedFormat": "image"}
        for i in range(3)
    ]
    path.write_text(json.dumps({"detailedSummary": "Steps", "segments": segments}), encoding="utf-8")
    return path


async def _open_modal(pilot: Pilot[Any]) -> NewLectureScreen:
    app = pilot.app
    await wait_until(pilot, lambda: app.screen.id == "picker", 20, "the picker")
    await pilot.press("n")
    await wait_until(pilot, lambda: app.screen.id == "new-lecture", 5, "the new-lecture modal")
    assert isinstance(app.screen, NewLectureScreen)
    return app.screen


async def test_n_in_the_picker_builds_the_lecture_and_opens_it(
    settings: Settings, runtime: Any, tmp_path: Path
) -> None:
    make_lecture(runtime.store, "Algebra")
    make_lecture(runtime.store, "Biology")
    script = _script(tmp_path / "steps.json")
    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        modal = await _open_modal(pilot)
        modal.query_one("#new-path", Input).value = str(script)
        modal.query_one("#new-title", Input).value = "Three steps"
        bar = modal.query_one("#new-progress", ProgressBar)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bar.has_class("-running"), 5, "the progress bar")

        def done() -> bool:
            return bool(app.provider and some(app.provider).snapshot.title == "Three steps")

        await wait_until(pilot, done, 120, "the new lecture to open")
        await wait_loaded(pilot)
        assert app.screen.id == "lecture"
        assert len(some(app.provider).snapshot.clips) == 7
        assert (bar.progress, bar.total) == (7, 7)  # the bar followed every generated asset
        titles = [x["title"] for x in some(app.runtime).store.list_lectures()]
        assert sorted(titles) == ["Algebra", "Biology", "Three steps"]


async def test_a_bad_script_is_shown_in_the_modal_and_escape_closes_it(
    settings: Settings, runtime: Any, tmp_path: Path
) -> None:
    make_lecture(runtime.store, "Algebra")
    make_lecture(runtime.store, "Biology")
    bad = tmp_path / "[bold]bad.json"
    bad.write_text('{"segments": [{"narration": "x"}]}', encoding="utf-8")
    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        modal = await _open_modal(pilot)
        await pilot.press("enter")  # no path yet
        status = modal.query_one("#new-status", Static)
        assert "Enter the path" in str(status.render())
        modal.query_one("#new-path", Input).value = str(bad)
        await pilot.press("enter")
        await wait_until(pilot, lambda: status.has_class("-error") and "missing" in str(status.render()), 10)
        text = str(status.render())
        assert "[bold]bad.json" in text and "segment 1" in text  # shown as written, not as markup
        assert not modal.building and not modal.query_one("#new-path", Input).disabled
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.id == "picker", 5, "back to the picker")
        assert len(some(app.runtime).store.list_lectures()) == 2


def test_new_lecture_modal(snap_compare: Any, tmp_path: Path) -> None:
    from tui_editor.runs.runtime import open_runtime

    settings = make_settings(tmp_path)
    rt = open_runtime(settings, background=False)
    try:
        make_lecture(rt.store, "Algebra basics", clips_per_track=2)
        make_lecture(rt.store, "Biology of the cell", clips_per_track=2)
    finally:
        rt.close()

    async def run_before(pilot: Pilot[Any]) -> None:
        modal = await _open_modal(pilot)
        for field in modal.query(Input):
            field.cursor_blink = False
        await pilot.press(*"talk.md")
        await pilot.pause()

    assert snap_compare(TuiEditorApp(settings), terminal_size=(100, 30), run_before=run_before)
