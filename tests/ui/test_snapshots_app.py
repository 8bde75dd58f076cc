"""Snapshot tests (pytest-textual-snapshot) of the App's screens: lecture, queue, history, help, picker.

The data are deterministic: lectures built with fixed names and texts, runs inserted with fixed ids and
previews, revision times pinned. Nothing on these screens shows a clock or a spinner. Update the SVGs
with `pytest tests/ui/test_snapshots_app.py --snapshot-update` and review them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tui_editor.config import Settings
from tui_editor.ui.app import TuiEditorApp
from tui_editor.ui.screens.history import HistoryScreen

from .conftest import make_lecture, make_settings, wait_loaded, wait_until

TITLE = "Cell Biology 101"
FIXED = datetime(2026, 1, 2, 9, 30, tzinfo=UTC)


def _clip(store: Any, lecture_id: str, name: str) -> Any:
    return next(c for c in store.load_snapshot(lecture_id).clips if c.name == name)


def _insert_run(
    store: Any, conn: Any, run_id: str, lecture_id: str, clip: Any, status: str, **values: Any
) -> None:
    from tui_editor.core.clock import utcnow

    now = utcnow()  # recent: a preview older than the decision timeout would expire
    store.insert_run(
        conn,
        id=run_id,
        lecture_id=lecture_id,
        clip_id=clip.id,
        kind=clip.kind.name,
        request={"fields": {}},
        status=status,
        created_at=now,
        updated_at=now,
        **values,
    )


def build_fixture(runtime: Any) -> str:
    """A 9-clip lecture with two pending previews, one generation in progress, one failure, and an
    accepted revision — every time pinned."""
    from tui_editor.core.store import REVISION

    store = runtime.store
    lecture_id = make_lecture(store, TITLE, clips_per_track=3)
    slide2 = _clip(store, lecture_id, "Slide 2")
    voice1 = _clip(store, lecture_id, "Voice 1")
    voice3 = _clip(store, lecture_id, "Voice 3")
    music2 = _clip(store, lecture_id, "Music 2")
    slide3 = _clip(store, lecture_id, "Slide 3")
    with store.write() as conn:
        _insert_run(
            store,
            conn,
            "run_accepted01",
            lecture_id,
            slide3,
            "preview_ready",
            preview={"asset": {"id": slide3.asset_id, "prompt": "Slide 3, redrawn", "aspect_ratio": "4:3"}},
            base_revision=1,
        )
        _insert_run(
            store,
            conn,
            "run_preview01",
            lecture_id,
            voice1,
            "preview_ready",
            preview={
                "asset": {
                    "id": voice1.asset_id,
                    "script": "Welcome to cell biology.",
                    "duration_s": 3.4,
                    "voice": "en-gb",
                }
            },
            base_revision=1,
        )
        _insert_run(
            store,
            conn,
            "run_preview02",
            lecture_id,
            music2,
            "preview_ready",
            preview={
                "asset": {
                    "id": music2.asset_id,
                    "prompt": "Bright marimba loop",
                    "duration_s": 12.0,
                    "bpm": 110,
                }
            },
            base_revision=1,
        )
        _insert_run(
            store,
            conn,
            "run_working01",
            lecture_id,
            slide2,
            "generating",
            preview={"progress": {"step": 2, "total_steps": 4, "message": "Rendering"}},
            owner=runtime.engine.process_id,  # a live process owns it: not swept as interrupted
        )
        _insert_run(store, conn, "run_failed01", lecture_id, voice3, "failed", error="voice not found")
    store.commit_asset(
        lecture_id=lecture_id,
        kind="visual",
        asset_id=slide3.asset_id,
        fields={"prompt": "Slide 3, redrawn", "aspect_ratio": "4:3"},
        base_revision=1,
        run_id="run_accepted01",
        clip_id=slide3.id,
    )
    with store.write() as conn:
        for revision in (1, 2):
            conn.execute(
                REVISION.update()
                .where(REVISION.c.lecture_id == lecture_id, REVISION.c.revision == revision)
                .values(created_at=FIXED + timedelta(minutes=17 * revision))
            )
    return lecture_id


@pytest.fixture
def fixture_app(settings: Settings, runtime: Any) -> TuiEditorApp:
    lecture_id = build_fixture(runtime)
    return TuiEditorApp(settings, lecture_id)


async def loaded(pilot: Pilot[Any]) -> None:
    await wait_loaded(pilot)
    app = pilot.app
    assert isinstance(app, TuiEditorApp)
    await wait_until(pilot, lambda: app.board is not None and app.board.counts()["generating"] == 1, 10)
    await pilot.pause()


def test_lecture_screen(snap_compare: Any, fixture_app: TuiEditorApp) -> None:
    assert snap_compare(fixture_app, terminal_size=(100, 30), run_before=loaded)


def test_lecture_screen_80x24(snap_compare: Any, fixture_app: TuiEditorApp) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await loaded(pilot)
        await pilot.press("j", "j", "j")

    assert snap_compare(fixture_app, terminal_size=(80, 24), run_before=run_before)


def test_lecture_screen_filtered(snap_compare: Any, fixture_app: TuiEditorApp) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await loaded(pilot)
        await pilot.press("slash")
        field = pilot.app.screen.query_one("#lecture-filter", Input)
        field.cursor_blink = False
        await pilot.press("2")
        await pilot.pause()

    assert snap_compare(fixture_app, terminal_size=(100, 30), run_before=run_before)


def test_review_queue(snap_compare: Any, fixture_app: TuiEditorApp) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await loaded(pilot)
        await pilot.press("v")
        await wait_until(pilot, lambda: pilot.app.screen.id == "review-queue", 5)
        await pilot.pause()

    assert snap_compare(fixture_app, terminal_size=(100, 30), run_before=run_before)


def test_history(snap_compare: Any, fixture_app: TuiEditorApp) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await loaded(pilot)
        await pilot.press("h")
        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, HistoryScreen) and pilot.app.screen.loads, 5
        )
        await pilot.pause()

    assert snap_compare(fixture_app, terminal_size=(100, 30), run_before=run_before)


def test_lecture_screen_stale_and_overrunning(snap_compare: Any, fixture_app: TuiEditorApp) -> None:
    """A longer narration accepted: the visual and music under it are marked stale, the narration
    shows how far its audio overruns it."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await loaded(pilot)
        app = pilot.app
        assert isinstance(app, TuiEditorApp) and app.runtime is not None and app.provider is not None
        store, snapshot = app.runtime.store, app.provider.snapshot
        voice2 = next(c for c in snapshot.clips if c.name == "Voice 2")
        await app.run_worker(
            lambda: store.commit_asset(
                lecture_id=snapshot.id,
                kind="narration",
                asset_id=voice2.asset_id,
                fields={"duration_s": 7.5},
                base_revision=snapshot.revision,
                source="edit",
            ),
            thread=True,
        ).wait()
        app.provider.refresh_lecture()
        await wait_until(pilot, lambda: app.provider is not None and app.provider.snapshot.revision == 3, 10)
        await pilot.pause()

    assert snap_compare(fixture_app, terminal_size=(100, 30), run_before=run_before)


def test_revision_diff(snap_compare: Any, fixture_app: TuiEditorApp) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await loaded(pilot)
        await pilot.press("h")
        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, HistoryScreen) and pilot.app.screen.loads, 5
        )
        await pilot.press("enter")
        await wait_until(pilot, lambda: pilot.app.screen.id == "revision-diff", 5)
        await pilot.pause()

    assert snap_compare(fixture_app, terminal_size=(100, 30), run_before=run_before)


def test_batch_confirm(snap_compare: Any, fixture_app: TuiEditorApp) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        from tui_editor.ui.screens.batch import BatchScreen

        await loaded(pilot)
        await pilot.press("space", "down", "space")
        await pilot.press("R")
        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, BatchScreen) and pilot.app.screen.estimate, 10
        )
        await pilot.pause()

    assert snap_compare(fixture_app, terminal_size=(100, 30), run_before=run_before)


def test_help(snap_compare: Any, fixture_app: TuiEditorApp) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await loaded(pilot)
        await pilot.press("f1")
        await wait_until(pilot, lambda: pilot.app.screen.id == "help", 5)
        await pilot.pause()

    assert snap_compare(fixture_app, terminal_size=(100, 30), run_before=run_before)


def test_picker(snap_compare: Any, tmp_path: Path) -> None:
    from tui_editor.runs.runtime import open_runtime

    settings = make_settings(tmp_path)
    rt = open_runtime(settings, background=False)
    try:
        make_lecture(rt.store, "Algebra basics", clips_per_track=4)
        make_lecture(rt.store, "Biology of the cell", clips_per_track=2)
    finally:
        rt.close()
    app = TuiEditorApp(settings)

    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: pilot.app.screen.id == "picker", 20)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_startup_error(snap_compare: Any, settings: Settings, runtime: Any) -> None:
    make_lecture(runtime.store, "Algebra basics")
    app = TuiEditorApp(settings, "Missing lecture")

    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_loaded(pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_lecture_screen_no_color_80x24(
    snap_compare: Any, settings: Settings, runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NO_COLOR: the Monochrome filter applies; the cursor (▶) and statuses stay readable."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = TuiEditorApp(settings, build_fixture(runtime))
    assert app.no_color
    assert snap_compare(app, terminal_size=(80, 24), run_before=loaded)
