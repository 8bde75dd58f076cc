"""The lecture screen on a real database: live run status from another process, refreshes, big lectures.

"Another process" is a second `open_runtime` on the same SQLite file: its own store, its own
LocalEngine and its own event hub, so its events reach the App only through the database event log
(the App's hub tails it), exactly as a `tui-editor regenerate` in another terminal would.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ui.conftest import screen_as, some
from tui_editor.config import Settings
from tui_editor.core.flow import StartRequest
from tui_editor.ui.app import TuiEditorApp
from tui_editor.ui.screens.queue import QueueScreen

from .conftest import lecture_document, wait_loaded, wait_until

SIZE = (100, 30)


@pytest.fixture
def other_process(settings: Settings, demo_data_dir: Any) -> Iterator[Any]:
    """A second runtime on the same database (a separate engine and hub)."""
    from tui_editor.runs.runtime import open_runtime

    rt = open_runtime(settings)
    try:
        yield rt
    finally:
        rt.close()


def clip_named(app: TuiEditorApp, name: str) -> Any:
    assert app.provider is not None
    return next(c for c in some(app.provider).snapshot.clips if c.name == name)


def header(app: TuiEditorApp) -> str:
    return str(app.lecture_screen.query_one("#lecture-header").render())


def row_text(app: TuiEditorApp, clip_id: str) -> str:
    timeline = app.lecture_screen.timeline
    return timeline.line_text(timeline._row_of[clip_id])


async def test_run_from_another_process_shows_live(settings: Settings, other_process: Any) -> None:
    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        clip = clip_named(app, "Intro narration")
        assert "idle" in row_text(app, clip.id)
        lecture_id = some(app.provider).lecture_id
        run_id = other_process.engine.start(
            StartRequest(lecture_id, clip.id, "narration", {"script": "A brand new line for the intro."})
        )
        # No key is pressed from here on: the App's hub tail delivers the other runtime's events.
        await wait_until(
            pilot,
            lambda: (
                some(app.board).for_clip(clip.id) is not None
                and some(some(app.board).for_clip(clip.id)).run_id == run_id
            ),
            10,
            "the other process's run on the board",
        )
        await wait_until(
            pilot, lambda: "preview ready" in row_text(app, clip.id), 30, "preview ready on the row"
        )
        # The header is refreshed separately from the row: wait for it too, don't race it.
        await wait_until(
            pilot,
            lambda: "to review" in str(app.lecture_screen.query_one("#lecture-header").render()),
            10,
            "the header to count the pending preview",
        )
        # The review queue lists it, and follows a decision made elsewhere.
        await pilot.press("v")
        await wait_until(pilot, lambda: app.screen.id == "review-queue", 5)
        queue = screen_as(app, QueueScreen)
        await wait_until(pilot, lambda: queue.run_ids == [run_id], 5, "the run in the queue")
        decision = other_process.engine.decide(run_id, True)
        await wait_until(pilot, lambda: queue.run_ids == [], 10, "the queue to empty after the accept")
        # The completion refreshes the provider (debounced): the new asset and revision show.
        await wait_until(
            pilot,
            lambda: some(app.provider).snapshot.revision == decision.revision,
            10,
            "the provider refresh",
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.id == "lecture", 5)
        new_duration = f"{decision.asset['duration_s']:.1f}s"
        await wait_until(pilot, lambda: new_duration in row_text(app, clip.id), 5, "the new duration")
        assert "idle" in row_text(app, clip.id)
        await wait_until(
            pilot,
            lambda: (
                f"rev {decision.revision}" in str(app.lecture_screen.query_one("#lecture-header").render())
            ),
            10,
            "the header to show the new revision",
        )


async def test_a_retime_by_the_cli_elsewhere_shows_without_a_key(
    settings: Settings, demo_data_dir: Any, tmp_path: Path
) -> None:
    """`tui-editor retime` in another process: its `revised` event reloads the open editor."""
    from tui_editor.ui.time_text import format_duration

    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        snapshot = some(app.provider).snapshot
        narration = snapshot.track("voice")[0]
        audio = float(some(snapshot.asset_for(narration))["duration_s"])
        wanted = format_duration(round(audio + 2.0, 3))
        assert wanted not in row_text(app, narration.id)
        command = [
            str(Path(sys.executable).with_name("tui-editor")),
            "--config",
            str(tmp_path / "config.toml"),
        ]
        command += ["--data-dir", str(settings.data_path), "retime", snapshot.id, "--pad", "2", "--json"]
        done = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        revision = json.loads(done.stdout)["revision"]
        assert revision == snapshot.revision + 1
        # No key is pressed: the App's hub tail delivers the event, the provider reloads, the row follows.
        await wait_until(
            pilot, lambda: some(app.provider).snapshot.revision == revision, 10, "the reload to the retime"
        )
        await wait_until(
            pilot, lambda: wanted in row_text(app, narration.id), 5, "the new duration on its row"
        )
        await wait_until(pilot, lambda: f"rev {revision}" in header(app), 5, "the header's revision")


async def test_generating_status_shows_step(settings: Settings, demo_data_dir: Any) -> None:
    """Status events become `generating x/y` on the row, from this process's own hub."""
    from tui_editor.core.events import RunEventData

    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        clip = clip_named(app, "Opening bed")
        lecture_id = some(app.provider).lecture_id
        run_id = await pilot.app.run_worker(
            lambda: some(app.runtime).engine.start(
                StartRequest(lecture_id, clip.id, "music", {"duration_s": 2.0})
            ),
            thread=True,
        ).wait()
        await wait_until(pilot, lambda: some(app.board).for_clip(clip.id) is not None, 10, "the run")
        # A synthetic status event through the same hub (the generator may be too quick to catch).
        hub = some(app.runtime).hub
        hub.publish(
            RunEventData(run_id, lecture_id, "music", "status", {"step": 2, "total_steps": 5, "message": "x"})
        )
        await wait_until(
            pilot,
            lambda: "generating 2/5" in row_text(app, clip.id) or "preview ready" in row_text(app, clip.id),
            10,
            "the generating status",
        )
        await wait_until(pilot, lambda: "preview ready" in row_text(app, clip.id), 30, "the preview")


async def test_failed_runs_show_at_load(settings: Settings, demo_data_dir: Any, runtime: Any) -> None:
    from tui_editor.demo import DEMO_TITLE

    lecture_id = runtime.store.resolve_lecture(DEMO_TITLE)
    snapshot = runtime.store.load_snapshot(lecture_id)
    clip = next(c for c in snapshot.clips if c.name == "Summary visual")
    with runtime.store.write() as conn:
        runtime.store.insert_run(
            conn,
            id="run_failed_1",
            lecture_id=lecture_id,
            clip_id=clip.id,
            kind="visual",
            request={"fields": {}},
            status="failed",
            error="the provider said no",
            created_at=snapshot.updated_at,
            updated_at=snapshot.updated_at,
        )
    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        assert "failed" in row_text(app, clip.id)
        assert "1 failed" in str(app.lecture_screen.query_one("#lecture-header").render())


async def test_many_completions_refresh_once_per_burst(settings: Settings, demo_data_dir: Any) -> None:
    from tui_editor.core.events import RunEventData

    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        provider = some(app.provider)
        before = provider.load_count
        for index in range(50):
            some(app.runtime).hub.publish(
                RunEventData(
                    f"run_burst_{index}",
                    provider.lecture_id,
                    "visual",
                    "complete",
                    {"asset_id": "x", "revision": provider.snapshot.revision},
                )
            )
        await wait_until(pilot, lambda: provider.load_count > before, 5, "a refresh")
        await pilot.pause(0.3)
        assert provider.load_count - before <= 3


async def test_ten_thousand_clips_open_fast_and_navigate(settings: Settings, runtime: Any) -> None:
    document = lecture_document("Long lecture", clips_per_track=3334, section_seconds=2.0)
    lecture_id = runtime.store.create_lecture(document, source="import")
    app = TuiEditorApp(settings, lecture_id)
    started = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, timeout=60)
        loaded = time.perf_counter() - started
        timeline = app.lecture_screen.timeline
        assert len(timeline.visible_clip_ids) == 10_002
        assert loaded < 20, loaded  # generous: the benchmark measures it properly
        await pilot.press("end")
        assert timeline.cursor_clip is not None and timeline.cursor_clip.name == "Music 3334"
        await pilot.press("home", "pagedown")
        assert timeline.cursor_row > 20
        await pilot.press("slash", "3", "3", "3", "4")
        expected = {clip_named(app, name).id for name in ("Slide 3334", "Voice 3334", "Music 3334")}
        await wait_until(pilot, lambda: set(timeline.visible_clip_ids) == expected, 5, "the filter")
