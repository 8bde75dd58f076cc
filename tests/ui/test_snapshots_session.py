"""Snapshot tests of the review session view (`r`): deterministic runs inserted with fixed previews.

Update with `pytest tests/ui/test_snapshots_session.py --snapshot-update` and review the SVGs.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tui_editor.config import Settings
from tui_editor.ui.app import TuiEditorApp
from tui_editor.ui.screens.review_session import ReviewSessionScreen
from tui_editor.ui.widgets.media import media_loaded

from .conftest import make_lecture, wait_loaded, wait_until
from .test_snapshots_app import _clip, _insert_run

TITLE = "Session Snapshots"


def build_session_fixture(runtime: Any) -> str:
    """Two pending previews (a visual and a narration), no media files: the view shows their facts."""
    store = runtime.store
    lecture_id = make_lecture(store, TITLE, clips_per_track=2)
    slide = _clip(store, lecture_id, "Slide 2")
    voice = _clip(store, lecture_id, "Voice 1")
    with store.write() as conn:
        _insert_run(
            store,
            conn,
            "run_session01",
            lecture_id,
            voice,
            "preview_ready",
            preview={"asset": {"id": voice.asset_id, "script": "Welcome back.", "voice": "en-gb"}},
            base_revision=1,
        )
        _insert_run(
            store,
            conn,
            "run_session02",
            lecture_id,
            slide,
            "preview_ready",
            preview={"asset": {"id": slide.asset_id, "prompt": "Slide 2, in blue", "aspect_ratio": "4:3"}},
            base_revision=1,
        )
    return lecture_id


@pytest.fixture
def session_app(settings: Settings, runtime: Any) -> TuiEditorApp:
    return TuiEditorApp(settings, build_session_fixture(runtime))


async def _open(pilot: Pilot[Any]) -> None:
    await wait_loaded(pilot)
    app = pilot.app
    assert isinstance(app, TuiEditorApp)
    await wait_until(pilot, lambda: app.board is not None and len(app.board.pending_reviews()) == 2, 10)
    await pilot.press("r")
    await wait_until(pilot, lambda: isinstance(app.screen, ReviewSessionScreen), 5)
    await wait_until(pilot, lambda: media_loaded(app.screen), 10, "the media")
    await pilot.pause()


def test_review_session_first_preview(snap_compare: Any, session_app: TuiEditorApp) -> None:
    assert snap_compare(session_app, terminal_size=(100, 30), run_before=_open)


def test_review_session_after_a_skip_with_current_enlarged(
    snap_compare: Any, session_app: TuiEditorApp
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _open(pilot)
        await pilot.press("space", "tab")
        await wait_until(pilot, lambda: media_loaded(pilot.app.screen), 10, "the media")
        await pilot.pause()

    assert snap_compare(session_app, terminal_size=(100, 30), run_before=run_before)


def test_review_session_empty_80x24(snap_compare: Any, session_app: TuiEditorApp) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _open(pilot)
        await pilot.press("space", "space")
        await pilot.pause()

    assert snap_compare(session_app, terminal_size=(80, 24), run_before=run_before)
