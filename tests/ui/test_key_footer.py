"""Every screen's footer fits 80 columns: no key cut off, `f1 Help` always there; the palette's key when wide.

Walks the real App over a lecture with pending previews (an audio one, whose screens have the most keys)
at 80×24 through each screen a key opens (modal ones too), and checks the footer Textual laid out: each
key's region ends inside the terminal.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.widgets._footer import FooterKey

from tests.ui.conftest import screen_as, some, wait_loaded, wait_until
from tests.ui.editor_support import screen_text
from tests.ui.test_review_session import make_previews
from tui_editor.config import Settings
from tui_editor.ui.app import TuiEditorApp
from tui_editor.ui.screens.lecture import LectureScreen


def footer_keys(app: App[Any]) -> list[FooterKey]:
    return list(app.screen.query(FooterKey))


def assert_footer_fits(app: App[Any], where: str) -> None:
    keys = footer_keys(app)
    assert keys, where
    width = app.size.width
    cut = [str(key.description or key.key_display) for key in keys if key.region.right > width]
    assert not cut, (where, cut, screen_text(app).splitlines()[-1])
    footer = screen_text(app).splitlines()[-1]
    if not app.screen.is_modal and where != "help":  # a modal's footer has its own keys only
        assert "f1 Help" in footer, (where, footer)
    assert "Commands" not in footer, (where, footer)  # ctrl+p still works; the help lists it


async def shows(pilot: Any, screen_id: str, where: str) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: app.screen.id == screen_id, 10, where)
    await pilot.pause()

    def laid_out() -> bool:
        keys = footer_keys(app)
        return bool(keys) and all(key.region.width for key in keys)

    await wait_until(pilot, laid_out, 5, where)
    assert_footer_fits(app, where)


async def back_to_lecture(pilot: Any) -> None:
    await pilot.press("escape")
    await wait_until(pilot, lambda: pilot.app.screen.id == "lecture", 10, "the lecture screen")


async def test_every_footer_fits_80_columns(settings: Settings, runtime: Any) -> None:
    lecture_id, _runs = make_previews(runtime, ["Slide 1", "Voice 1"])
    app = TuiEditorApp(settings, lecture_id)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot)
        await wait_until(pilot, lambda: len(some(app.board).pending_reviews()) == 2, 10, "the previews")
        await shows(pilot, "lecture", "lecture")

        await pilot.press("r")
        await shows(pilot, "review-session", "session on an image")
        await pilot.press("space")  # on to the narration: its play keys join the footer
        await wait_until(pilot, lambda: "Voice 1" in screen_text(app), 5, "the narration in the session")
        await shows(pilot, "review-session", "session on a narration")
        await back_to_lecture(pilot)

        for key, screen_id in (("v", "review-queue"), ("h", "history"), ("f1", "help")):
            await pilot.press(key)
            await shows(pilot, screen_id, screen_id)
            await back_to_lecture(pilot)

        lecture = screen_as(app, LectureScreen)
        assert lecture.timeline.select_clip(runtime.store.resolve_clip(lecture_id, "Voice 1").id)
        await pilot.press("enter")
        await shows(pilot, "clip-editor", "clip editor")
        await pilot.press("ctrl+o")
        await shows(pilot, "review", "review")
        await pilot.press("escape")
        await shows(pilot, "clip-editor", "clip editor after the review")
        await pilot.press("f3")
        await shows(pilot, "takes", "takes")
        await pilot.press("c")
        await shows(pilot, "take-compare", "a take beside the current asset")
        await pilot.press("escape", "escape", "escape")
        await wait_until(pilot, lambda: app.screen.id == "lecture", 10, "the lecture screen")

        await pilot.press("o")
        await shows(pilot, "picker", "lecture picker")


def last_line(app: App[Any]) -> str:
    return screen_text(app).splitlines()[-1]


async def test_wide_footers_show_the_palette_key(settings: Settings, runtime: Any) -> None:
    lecture_id, _runs = make_previews(runtime, ["Slide 1"])
    app = TuiEditorApp(settings, lecture_id)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_loaded(pilot)
        await wait_until(pilot, lambda: "^p Commands" in last_line(app), 5, "the palette key")
        await pilot.resize_terminal(80, 24)
        await wait_until(pilot, lambda: "Commands" not in last_line(app), 5, "narrow")
        assert_footer_fits(app, "lecture")
        await pilot.resize_terminal(120, 30)
        await wait_until(pilot, lambda: "^p Commands" in last_line(app), 5, "wide again")
