"""Whole-lecture work in the editor: `space` marks, `R` estimates then starts a batch whose progress the
header shows and whose previews join the review queue; `T` retimes; `X` clears stale marks; the history
shows what each revision changed, `enter` its field diff, `R` restores it. Real database and engine."""

from __future__ import annotations

from typing import Any

from tests.ui.conftest import screen_as, some
from tui_editor.config import Settings
from tui_editor.ui.app import TuiEditorApp
from tui_editor.ui.screens.batch import BatchScreen
from tui_editor.ui.screens.history import HistoryScreen
from tui_editor.ui.screens.lecture import LectureScreen
from tui_editor.ui.screens.revision_diff import RevisionDiffScreen

from .conftest import wait_loaded, wait_until

SIZE = (110, 32)


def header(app: TuiEditorApp) -> str:
    return str(app.lecture_screen.query_one("#lecture-header").render())


async def test_space_marks_and_R_confirms_then_runs_the_batch(settings: Settings, demo_data_dir: Any) -> None:
    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        lecture = screen_as(app, LectureScreen)
        timeline = lecture.timeline
        first = some(timeline.cursor_clip).id
        await pilot.press("space", "down", "space")
        second = some(timeline.cursor_clip).id
        assert timeline.marked == {first, second}
        assert "2 marked" in header(app)
        assert "✓" in timeline.line_text(timeline.cursor_row)
        await pilot.press("up", "space", "down")  # unmark the first again
        assert timeline.marked == {second}
        await pilot.press("up", "space", "down")  # and mark it back
        assert timeline.marked == {first, second}

        # R: the estimate first; escape starts nothing.
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, BatchScreen), 5, "the batch confirm")
        confirm = screen_as(app, BatchScreen)
        await wait_until(pilot, lambda: confirm.estimate is not None, 10, "the estimate")
        assert some(confirm.estimate).runs == 2
        assert "2 runs · cost $0.00" in str(confirm.query_one("#batch-estimate").render())
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is lecture, 5)
        assert some(app.runtime).store.list_runs() == []

        # R then enter: the batch runs; the header shows it; its previews are ordinary pending runs.
        headers: list[str] = []
        update = lecture.update_header

        def recording_update() -> None:
            update()
            headers.append(header(app))

        lecture.update_header = recording_update  # type: ignore[method-assign]
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, BatchScreen), 5)
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("batch 2/2" in h for h in headers), 60, "the batch's progress")
        await wait_until(pilot, lambda: lecture.batch_progress is None, 60, "the batch to finish")
        assert timeline.marked == set()
        assert any("batch 0/2" in h for h in headers) and not any("batch" in h for h in headers[-1:])
        runs = some(app.runtime).store.list_runs()
        assert sorted(r.clip_id for r in runs) == sorted([first, second])
        assert {r.status for r in runs} == {"preview_ready"}
        await wait_until(pilot, lambda: some(app.board).counts()["preview_ready"] == 2, 10, "the board")


async def test_T_retimes_and_X_clears_stale(settings: Settings, demo_data_dir: Any) -> None:
    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        lecture = screen_as(app, LectureScreen)
        store = some(app.runtime).store
        snapshot = some(app.provider).snapshot
        narration = snapshot.track("voice")[0]
        visual = snapshot.track("visual")[0]
        # A longer narration accepted elsewhere: the overlapping visual goes stale.
        await app.run_worker(
            lambda: store.commit_asset(
                lecture_id=snapshot.id,
                kind="narration",
                asset_id=narration.asset_id,
                fields={"duration_s": narration.duration + 3.0},
                base_revision=snapshot.revision,
                source="accept",
            ),
            thread=True,
        ).wait()
        some(app.provider).refresh_lecture()
        await wait_until(pilot, lambda: some(app.provider).snapshot.revision == 2, 10, "the reload")
        await wait_until(pilot, lambda: "⚠ stale" in lecture.timeline.line_text(1), 5, "the stale marker")
        narration_row = lecture.timeline._row_of[narration.id]
        assert "» +3.0s" in lecture.timeline.line_text(narration_row)

        await pilot.press("T")
        await wait_until(pilot, lambda: some(app.provider).snapshot.revision == 3, 10, "the retime")
        assert store.list_revisions(snapshot.id)[0]["source"] == "retime"
        retimed = some(app.provider).snapshot
        assert retimed.clip(narration.id).duration == narration.duration + 3.0 + 0.25  # type: ignore[union-attr]
        assert "»" not in lecture.timeline.line_text(lecture.timeline._row_of[narration.id])

        assert some(lecture.timeline.cursor_clip).id == visual.id
        await pilot.press("X")
        await wait_until(pilot, lambda: some(app.provider).snapshot.revision == 4, 10, "the clear")
        assert not some(app.provider).snapshot.clip(visual.id).stale  # type: ignore[union-attr]


async def test_history_diff_and_restore(settings: Settings, demo_data_dir: Any) -> None:
    app = TuiEditorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        store = some(app.runtime).store
        snapshot = some(app.provider).snapshot
        visual = snapshot.track("visual")[0]
        original = dict(some(snapshot.asset_for(visual)))
        await app.run_worker(
            lambda: store.commit_asset(
                lecture_id=snapshot.id,
                kind="visual",
                asset_id=visual.asset_id,
                fields={"prompt": "[bold]not markup[/bold]"},
                base_revision=snapshot.revision,
                source="edit",
            ),
            thread=True,
        ).wait()
        some(app.provider).refresh_lecture()
        await wait_until(pilot, lambda: some(app.provider).snapshot.revision == 2, 10)
        await pilot.press("h")
        await wait_until(pilot, lambda: app.screen.id == "history", 5)
        history = screen_as(app, HistoryScreen)
        await wait_until(pilot, lambda: len(history.revisions) == 2, 10, "the revisions")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RevisionDiffScreen), 5, "the diff")
        body = str(app.screen.query_one("#diff-body").render())
        assert visual.name in body
        assert f"prompt: {original['prompt']}  →  [bold]not markup[/bold]" in body
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is history, 5)
        await pilot.press("down", "R")  # restore revision 1
        await wait_until(pilot, lambda: store.lecture_revision(snapshot.id) == 3, 10, "the restore")
        assert store.get_asset("visual", visual.asset_id)["prompt"] == original["prompt"]
        await wait_until(pilot, lambda: history.revisions and history.revisions[0]["source"] == "restore", 10)
