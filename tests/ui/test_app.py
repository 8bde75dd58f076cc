"""Pilot tests of the App's own flows: startup, demo, picker, errors, themes, keymap, palette, quit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.ui.conftest import screen_as, some
from tui_editor.config import Settings
from tui_editor.runs.local import LocalEngine
from tui_editor.ui.app import TuiEditorApp
from tui_editor.ui.screens.help import HelpScreen

from .conftest import make_lecture, make_settings, wait_loaded, wait_until

SIZE = (100, 30)


def notifications(app: TuiEditorApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_first_frame_is_a_loading_skeleton(settings: Settings) -> None:
    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        # Before the runtime worker finished, the lecture screen is already there.
        assert app.screen.id == "lecture"
        assert app.screen is app.lecture_screen
        await wait_loaded(pilot)


async def test_empty_database_creates_and_opens_the_demo(settings: Settings) -> None:
    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, timeout=60)
        assert app.startup_error is None
        assert app.provider is not None
        snapshot = some(app.provider).snapshot
        assert snapshot.title == "Photosynthesis"
        timeline = app.lecture_screen.timeline
        assert len(timeline.visible_clip_ids) == len(snapshot.clips) == 14
        assert timeline.cursor_clip is not None and timeline.cursor_clip.track == "visual"
        assert app.runtime is not None
        assert [lecture["title"] for lecture in some(app.runtime).store.list_lectures()] == ["Photosynthesis"]
    engine = some(app.runtime).engine
    assert isinstance(engine, LocalEngine) and engine._closed  # closed on exit


async def test_lecture_ref_opens_that_lecture(settings: Settings, runtime: Any) -> None:
    make_lecture(runtime.store, "Algebra")
    make_lecture(runtime.store, "Biology")
    app = TuiEditorApp(settings, "Biology")
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        assert app.provider is not None and some(app.provider).snapshot.title == "Biology"
        assert app.screen.id == "lecture"


async def test_picker_when_several_lectures(settings: Settings, runtime: Any) -> None:
    make_lecture(runtime.store, "Algebra")
    make_lecture(runtime.store, "Biology", clips_per_track=2)
    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.screen.id == "picker", 20, "the picker")
        assert app.provider is None
        await pilot.press("j", "enter")
        await wait_loaded(pilot)
        assert app.provider is not None and some(app.provider).snapshot.title == "Biology"
        assert app.screen.id == "lecture"
        assert len(app.lecture_screen.timeline.visible_clip_ids) == 6
        # `o` switches lecture through the same picker.
        await pilot.press("o")
        await wait_until(pilot, lambda: app.screen.id == "picker", 10, "the picker again")
        await pilot.press("k", "enter")
        await wait_until(pilot, lambda: some(app.provider).snapshot.title == "Algebra", 10, "Algebra")
        assert app.screen.id == "lecture"
        assert len(app.lecture_screen.timeline.visible_clip_ids) == 9


async def test_picker_escape_without_a_lecture_quits(settings: Settings, runtime: Any) -> None:
    make_lecture(runtime.store, "Algebra")
    make_lecture(runtime.store, "Biology")
    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.screen.id == "picker", 20, "the picker")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.is_running or app._exit_renderables is not None, 5)
    assert app.return_code == 0


async def test_unknown_lecture_is_a_clear_error(settings: Settings, runtime: Any) -> None:
    make_lecture(runtime.store, "Algebra")
    app = TuiEditorApp(settings, "No such lecture")
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        assert app.startup_error is not None and "No such lecture" in app.startup_error
        assert "Traceback" not in app.startup_error
        assert any("No such lecture" in text for text in notifications(app))
        await pilot.press("q")
    assert app.return_code == 1


async def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    settings.database.url = "postgresql://nobody@127.0.0.1:1/nothing"
    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, timeout=30)
        assert app.startup_error is not None
        assert "database" in app.startup_error.lower()
        assert app.provider is None
        await pilot.press("q")
    assert app.return_code == 1


async def test_a_first_start_on_a_full_disk_says_why_and_leaves_nothing(tmp_path: Path) -> None:
    """The first start creates the demo lecture; on a full disk that fails as one startup message, and
    no lecture and no media are left for the next start to trip over."""
    from tests.disk_support import fill, small_filesystem, unfill
    from tui_editor.runs.runtime import open_runtime

    with small_filesystem(tmp_path / "disk", size_kb=6144) as disk:
        settings = make_settings(disk)
        open_runtime(settings, background=False).close()  # the empty database, made while there is room
        fill(disk, 300)
        app = TuiEditorApp(settings)
        async with app.run_test(size=SIZE) as pilot:
            await wait_loaded(pilot, timeout=30)
            assert app.startup_error is not None
            assert "cannot create the demo lecture" in app.startup_error, app.startup_error
            assert "Traceback" not in app.startup_error and "unexpected" not in app.startup_error
            await pilot.press("q")
        assert app.return_code == 1
        unfill(disk)
        runtime = open_runtime(settings, background=False)
        try:
            assert runtime.store.list_lectures() == []
        finally:
            runtime.close()
        assert not (settings.data_path / "media").exists()


async def test_unknown_theme_falls_back_with_a_notice(tmp_path: Path, demo_template: Path) -> None:
    settings = make_settings(tmp_path, ui={"theme": "no-such-theme"})
    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "textual-dark"
        await wait_until(pilot, lambda: any("no-such-theme" in t for t in notifications(app)), 5)


async def test_configured_theme_is_used(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, ui={"theme": "textual-light"})
    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE):
        assert app.theme == "textual-light"


async def test_keymap_remaps_by_binding_id(tmp_path: Path, demo_template: Path) -> None:
    settings = make_settings(tmp_path, keymap={"lecture.down": "n", "lecture.history": "y"})
    import shutil

    shutil.copytree(demo_template, settings.data_path)
    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        timeline = app.lecture_screen.timeline
        first = timeline.cursor_clip
        await pilot.press("j")  # no longer bound
        assert timeline.cursor_clip == first
        await pilot.press("n")
        assert timeline.cursor_clip != first
        await pilot.press("h")  # no longer history
        assert app.screen.id == "lecture"
        await pilot.press("y")
        await wait_until(pilot, lambda: app.screen.id == "history", 5)
        await pilot.press("escape")
        await pilot.press("f1")
        await wait_until(pilot, lambda: app.screen.id == "help", 5)
        rows = {row.id: row.keys for rows in screen_as(app, HelpScreen).rows.values() for row in rows}
        assert rows["lecture.down"] == ("n",)
        assert rows["lecture.history"] == ("y",)
        assert rows["lecture.up"] == ("k", "up")


async def test_keymap_clash_is_reported(tmp_path: Path, demo_template: Path) -> None:
    import shutil

    settings = make_settings(tmp_path, keymap={"lecture.history": "r"})
    shutil.copytree(demo_template, settings.data_path)
    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("j")
        await wait_until(pilot, lambda: any("clash" in t.lower() for t in notifications(app)), 5)
        clash_notes = [t for t in notifications(app) if "clash" in t.lower()]
        assert len(clash_notes) == 1  # once, not on every key press
        assert "lecture.review" in clash_notes[0] or "lecture.history" in clash_notes[0]


async def test_ctrl_q_quits_from_any_screen(settings: Settings, demo_data_dir: Path) -> None:
    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("h")
        await wait_until(pilot, lambda: app.screen.id == "history", 5)
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: app._exit_renderables is not None or not app.is_running, 5)
    assert app.return_code == 0


async def test_help_lists_every_screen_and_toggles(settings: Settings, demo_data_dir: Path) -> None:
    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: app.screen.id == "help", 5)
        sections = screen_as(app, HelpScreen).rows
        expected = {
            "Anywhere",
            "Lecture timeline",
            "Review session",
            "Review queue",
            "History",
            "Lecture picker",
        }
        assert expected <= set(sections)
        ids = {row.id for rows in sections.values() for row in rows}
        for binding_id in (
            "app.quit",
            "app.help",
            "lecture.open",
            "lecture.filter",
            "lecture.review",
            "lecture.review_queue",
            "lecture.history",
            "lecture.quit",
            "queue.open",
            "history.back",
        ):
            assert binding_id in ids
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: app.screen.id == "lecture", 5)
        await pilot.press("f1")
        await wait_until(pilot, lambda: app.screen.id == "help", 5)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.id == "lecture", 5)


async def test_command_palette_offers_every_action(settings: Settings, demo_data_dir: Path) -> None:
    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        for title in (
            "Open clip",
            "Filter",
            "Review queue",
            "History",
            "Lectures",
            "Help",
            "Quit",
            "Down",
            "Up",
        ):
            assert title in titles, title
        # Running a command from the palette works like its key.
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        await commands["History"].callback()
        await wait_until(pilot, lambda: app.screen.id == "history", 5)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert "Back" in titles
        # And the palette itself opens with ctrl+p.
        await pilot.press("escape", "ctrl+p")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "CommandPalette", 5)


def test_ui_import_does_not_load_the_database_stack() -> None:
    """The first frame must not wait for sqlalchemy/sqlmodel/httpx/alembic/PIL/numpy."""
    code = (
        "import sys, tui_editor.ui.app, tui_editor.ui.run, tui_editor.ui.screens.lecture, "
        "tui_editor.ui.screens.queue, tui_editor.ui.screens.history, tui_editor.ui.screens.help, "
        "tui_editor.ui.screens.picker, tui_editor.ui.widgets.timeline\n"
        "heavy = [m for m in ('sqlalchemy', 'sqlmodel', 'alembic', 'httpx', 'PIL', 'numpy', "
        "'tui_editor.core.store', 'tui_editor.runs.runtime', 'tui_editor.runs.local') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


async def test_no_color_keeps_the_cursor_visible(
    settings: Settings, demo_data_dir: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = TuiEditorApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot)
        assert app.no_color
        timeline = app.lecture_screen.timeline
        await pilot.press("j")
        assert timeline.line_text(timeline.cursor_row).startswith("▶ Ingredients")


async def test_a_first_look_is_marked_unconfirmed_and_inert_until_the_store_confirms(
    settings: Any, demo_data_dir: Path, monkeypatch: Any
) -> None:
    """The timeline may be drawn from a stdlib read before the store opens (issue 13, item 9): it says
    so, and nothing acts on it until the store's own load replaces it."""
    import threading

    from tui_editor.runs import runtime as runtime_module
    from tui_editor.ui.app import TuiEditorApp

    gate = threading.Event()
    real_open = runtime_module.open_runtime

    def held_open(*args: Any, **kwargs: Any) -> Any:
        gate.wait(30)  # the store is slow to open: the first look is all there is
        return real_open(*args, **kwargs)

    monkeypatch.setattr(runtime_module, "open_runtime", held_open)
    app = TuiEditorApp(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.lecture_screen
        await wait_until(pilot, lambda: screen.timeline.snapshot is not None, what="the first look")
        header = str(screen.query_one("#lecture-header").render())
        assert "Photosynthesis" in header and "not yet confirmed" in header
        assert not app.lecture_shown and not screen.confirmed
        await pilot.press("enter")  # would open the clip editor on a confirmed lecture
        await pilot.press("slash", "h", "r")  # filter, history and review-queue keys: off
        await pilot.pause()
        assert app.screen is screen and not screen.filter_input.has_class("-shown")
        gate.set()
        await wait_loaded(pilot)
        assert screen.confirmed and app.lecture_shown
        assert "not yet confirmed" not in str(screen.query_one("#lecture-header").render())
