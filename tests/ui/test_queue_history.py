"""The review queue (`v`) and the history (`h`) screens, live, on a real database and engine."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

from tests.ui.conftest import screen_as, some
from tui_editor.config import Settings
from tui_editor.core.flow import StartRequest
from tui_editor.ui.app import TuiEditorApp
from tui_editor.ui.screens.clip_editor import ClipEditorScreen
from tui_editor.ui.screens.history import HistoryScreen
from tui_editor.ui.screens.queue import QueueScreen

from .conftest import wait_loaded, wait_until

SIZE = (100, 30)


async def start_run(pilot: Any, clip_name: str, fields: dict[str, Any]) -> tuple[str, str]:
    """Start a run with the App's own engine (in a thread, as a screen would); returns (run id, clip id)."""
    app = pilot.app
    clip = next(c for c in some(app.provider).snapshot.clips if c.name == clip_name)
    request = StartRequest(some(app.provider).lecture_id, clip.id, clip.kind.name, fields)
    worker = app.run_worker(lambda: some(app.runtime).engine.start(request), thread=True)
    run_id = await worker.wait()
    return run_id, clip.id


async def test_queue_lists_pending_previews_live_and_opens_the_review(
    settings: Settings, demo_data_dir: Any
) -> None:
    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("v")
        await wait_until(pilot, lambda: app.screen.id == "review-queue", 5)
        queue = screen_as(app, QueueScreen)
        assert queue.run_ids == []
        assert queue.query_one("#queue-empty").display
        first, _ = await start_run(pilot, "Intro narration", {"script": "Hello there."})
        await wait_until(pilot, lambda: queue.run_ids == [first], 30, "the first preview")
        second, clip_id = await start_run(pilot, "Opening bed", {"duration_s": 2.0})
        await wait_until(pilot, lambda: set(queue.run_ids) == {first, second}, 30, "the second preview")
        table = queue.query_one(DataTable)
        assert table.row_count == 2 and table.display
        cells = [str(c) for c in table.get_row_at(queue.run_ids.index(second))]
        assert cells[0] == "Opening bed" and cells[1] == "Music" and "2.0s" in cells[4]
        # Decided elsewhere → gone from the queue without a key press.
        await app.run_worker(lambda: some(app.runtime).engine.decide(first, False), thread=True).wait()
        await wait_until(pilot, lambda: queue.run_ids == [second], 10, "the rejected run to leave")
        # Enter opens that clip's editor with its review.
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.id in ("clip-editor", "review"), 10, "the editor")
        editor = next(s for s in app.screen_stack if isinstance(s, ClipEditorScreen))
        assert editor.session.clip.id == clip_id


async def test_queue_back_keys(settings: Settings, demo_data_dir: Any) -> None:
    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        for key in ("q", "escape"):
            await pilot.press("v")
            await wait_until(pilot, lambda: app.screen.id == "review-queue", 5)
            await pilot.press("v")  # already there: not pushed twice
            assert [s.id for s in app.screen_stack].count("review-queue") == 1
            await pilot.press(key)
            await wait_until(pilot, lambda: app.screen.id == "lecture", 5)


async def test_history_lists_revisions_and_follows_accepts(settings: Settings, demo_data_dir: Any) -> None:
    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("h")
        await wait_until(pilot, lambda: app.screen.id == "history", 5)
        history = screen_as(app, HistoryScreen)
        await wait_until(pilot, lambda: history.loads >= 1, 10, "the revisions")
        assert [(r["revision"], r["source"], r["run_id"]) for r in history.revisions] == [(1, "import", None)]
        run_id, _ = await start_run(pilot, "Summary narration", {"script": "That is all."})
        await wait_until(
            pilot,
            lambda: (
                some(app.board).runs.get(run_id) and some(app.board).runs[run_id].status == "preview_ready"
            ),
            30,
        )
        decision = await app.run_worker(
            lambda: some(app.runtime).engine.decide(run_id, True), thread=True
        ).wait()
        # No key press: the completion refreshes the provider, and the history reloads.
        await wait_until(
            pilot, lambda: history.revisions and history.revisions[0]["revision"] == decision.revision, 10
        )
        top = history.revisions[0]
        assert (top["source"], top["run_id"]) == ("accept", run_id)
        table = history.query_one(DataTable)
        assert table.row_count == 2
        cells = [str(c) for c in table.get_row_at(0)]
        assert cells[:3] == [str(decision.revision), "accept", run_id]
        assert cells[3] == top["decided_by"] and cells[3] != "—"
        assert len(cells[4]) == 19  # YYYY-MM-DD HH:MM:SS
        assert "Summary narration: duration_s, file, script" in cells[5]  # what changed: clips, fields
        await pilot.press("q")
        await wait_until(pilot, lambda: app.screen.id == "lecture", 5)
