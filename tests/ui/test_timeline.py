"""The virtual timeline widget, on in-memory snapshots and run boards (no database needed)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from textual.app import App, ComposeResult

from tests.ui.conftest import some
from tui_editor.core.events import RunEventData
from tui_editor.core.runboard import RunBoard, synthetic_record
from tui_editor.core.snapshot import ClipView, LectureSnapshot, freeze_asset
from tui_editor.ui.time_text import format_duration, format_start
from tui_editor.ui.widgets.timeline import Columns, Timeline

from .conftest import wait_until

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def build_snapshot(per_track: int, *, lecture_id: str = "lec_1", revision: int = 1) -> LectureSnapshot:
    clips: list[ClipView] = []
    assets: dict[str, dict[str, Any]] = {"visual": {}, "narration": {}, "music": {}}
    for i in range(per_track):
        clips.append(ClipView(f"cv{i}", "visual", f"Slide {i + 1}", i * 5.0, 5.0, f"v{i}"))
        clips.append(ClipView(f"cn{i}", "voice", f"Voice {i + 1}", i * 5.0, 5.0, f"n{i}"))
        clips.append(ClipView(f"cm{i}", "music", f"Music {i + 1}", i * 5.0, 5.0, f"m{i}"))
        assets["visual"][f"v{i}"] = freeze_asset(
            {"id": f"v{i}", "prompt": f"A diagram of photosynthesis step {i + 1}", "aspect_ratio": "16:9"}
        )
        assets["narration"][f"n{i}"] = freeze_asset(
            {
                "id": f"n{i}",
                "script": f"Narration line {i + 1} about leaves",
                "duration_s": 2.5,
                "voice": "en-us",
            }
        )
        assets["music"][f"m{i}"] = freeze_asset(
            {"id": f"m{i}", "prompt": "Calm piano bed", "duration_s": 5.0, "bpm": 90}
        )
    return LectureSnapshot(
        id=lecture_id,
        title="Test lecture",
        summary="",
        revision=revision,
        updated_at=T0,
        clips=tuple(clips),
        assets=MappingProxyType({k: MappingProxyType(v) for k, v in assets.items()}),
    )


class TimelineApp(App[None]):
    def __init__(self, snapshot: LectureSnapshot, board: RunBoard | None = None) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.board = board
        self.selected: list[str] = []

    def compose(self) -> ComposeResult:
        yield Timeline(id="timeline")

    def on_mount(self) -> None:
        timeline = self.query_one(Timeline)
        timeline.set_snapshot(self.snapshot, self.board)
        timeline.focus()

    def on_timeline_clip_selected(self, message: Timeline.ClipSelected) -> None:
        self.selected.append(message.clip_id)


# --- formatting -------------------------------------------------------------------------------
def test_formatting() -> None:
    assert format_start(0) == "0:00.0"
    assert format_start(75.25) == "1:15.2"
    assert format_start(3725) == "1:02:05"
    assert format_duration(2.5) == "2.5s"
    assert format_duration(725) == "12m05s"
    cols = Columns.for_width(78)
    assert 2 + cols.name + cols.start + cols.duration + cols.status + cols.summary + 3 <= 78
    assert cols.summary > 10


# --- navigation -------------------------------------------------------------------------------
async def test_cursor_moves_over_clips_and_skips_track_headers() -> None:
    app = TimelineApp(build_snapshot(3))
    async with app.run_test(size=(100, 30)) as pilot:
        timeline = app.query_one(Timeline)
        assert timeline.cursor_clip is not None and some(timeline.cursor_clip).id == "cv0"
        await pilot.press("j", "j", "j")  # past the last visual clip, over the VOICE header
        assert some(timeline.cursor_clip).id == "cn0"
        await pilot.press("k")
        assert some(timeline.cursor_clip).id == "cv2"
        await pilot.press("down", "up", "up")
        assert some(timeline.cursor_clip).id == "cv1"
        await pilot.press("end")
        assert some(timeline.cursor_clip).id == "cm2"
        await pilot.press("home")
        assert some(timeline.cursor_clip).id == "cv0"
        await pilot.press("k")  # nothing above the first clip
        assert some(timeline.cursor_clip).id == "cv0"
        await pilot.press("enter")
        assert app.selected == ["cv0"]


async def test_page_keys_and_scrolling_keep_the_cursor_visible() -> None:
    app = TimelineApp(build_snapshot(100))
    async with app.run_test(size=(80, 24)) as pilot:
        timeline = app.query_one(Timeline)
        height = timeline.size.height
        await pilot.press("pagedown")
        assert timeline.cursor_row >= height - 2
        for _ in range(5):
            await pilot.press("pagedown")
        top = timeline.scroll_offset.y
        assert top <= timeline.cursor_row < top + height
        await pilot.press("pageup")
        top = timeline.scroll_offset.y
        assert top <= timeline.cursor_row < top + height
        await pilot.press("end")
        top = timeline.scroll_offset.y
        assert top <= timeline.cursor_row < top + height
        assert some(timeline.cursor_clip).id == "cm99"


async def test_rows_show_name_start_duration_status_and_summary() -> None:
    snapshot = build_snapshot(2)
    board = RunBoard(
        "lec_1",
        [
            synthetic_record(
                run_id="r1", lecture_id="lec_1", clip_id="cv1", kind="visual", status="generating"
            ),
            synthetic_record(
                run_id="r2",
                lecture_id="lec_1",
                clip_id="cn0",
                kind="narration",
                status="preview_ready",
                preview={"id": "n0", "script": "New", "duration_s": 3.1},
            ),
            synthetic_record(run_id="r3", lecture_id="lec_1", clip_id="cm1", kind="music", status="failed"),
        ],
    )
    app = TimelineApp(snapshot, board)
    async with app.run_test(size=(100, 30)):
        timeline = app.query_one(Timeline)
        texts = [timeline.line_text(i) for i in range(timeline.row_count)]
        assert texts[0].startswith("VISUAL · 2 clips")
        assert "Slide 1" in texts[1] and "0:00.0" in texts[1] and "5.0s" in texts[1] and "idle" in texts[1]
        assert "A diagram of photosynthesis" in texts[1] and "[16:9]" in texts[1]
        assert "generating" in texts[2]
        assert texts[3].startswith("VOICE · 2 clips")
        assert "preview ready" in texts[4] and "[2.5s · en-us]" in texts[4]
        assert "failed" in texts[8]
        # Live: events move the status without a rebuild.
        board.apply_event(RunEventData("r1", "lec_1", "visual", "status", {"step": 3, "total_steps": 4}))
        timeline.refresh_clips({"cv1"})
        assert "generating 3/4" in timeline.line_text(2)


async def test_filter_by_name_and_summary_and_clear() -> None:
    app = TimelineApp(build_snapshot(20))
    async with app.run_test(size=(100, 30)):
        timeline = app.query_one(Timeline)
        timeline.set_filter("slide 1")
        names = [some(some(timeline.snapshot).clip(i)).name for i in timeline.visible_clip_ids]
        assert names == ["Slide 1", *[f"Slide {n}" for n in range(10, 20)]]
        assert timeline.line_text(0).startswith("VISUAL · 11 of 20 clips")
        timeline.set_filter("LEAVES")  # summary text, case-insensitive
        assert len(timeline.visible_clip_ids) == 20
        assert all(i.startswith("cn") for i in timeline.visible_clip_ids)
        assert timeline.cursor_clip is not None and timeline.cursor_clip.track == "voice"
        timeline.set_filter("no such thing")
        assert timeline.visible_clip_ids == [] and timeline.cursor_clip is None
        timeline.set_filter("")
        assert len(timeline.visible_clip_ids) == 60


async def test_cursor_stays_on_its_clip_across_snapshots() -> None:
    app = TimelineApp(build_snapshot(5))
    async with app.run_test(size=(100, 30)) as pilot:
        timeline = app.query_one(Timeline)
        await pilot.press("j", "j")
        assert some(timeline.cursor_clip).id == "cv2"
        # An accepted asset (same clips, new asset text) keeps rows and cursor.
        updated = some(timeline.snapshot).with_asset("visual", "v2", {"prompt": "A brand new prompt"})
        timeline.set_snapshot(updated)
        assert some(timeline.cursor_clip).id == "cv2"
        assert "A brand new prompt" in timeline.line_text(timeline.cursor_row)
        # A reload (new clip tuple) keeps it too.
        timeline.set_snapshot(build_snapshot(6, revision=2))
        assert some(timeline.cursor_clip).id == "cv2"


async def test_hundred_thousand_clips_stay_usable() -> None:
    started = time.perf_counter()
    snapshot = build_snapshot(33_334)
    app = TimelineApp(snapshot)
    async with app.run_test(size=(100, 30)) as pilot:
        timeline = app.query_one(Timeline)
        assert timeline.row_count == 100_005
        assert time.perf_counter() - started < 30
        await pilot.press("end")
        assert some(timeline.cursor_clip).id == "cm33333"
        moved = time.perf_counter()
        await pilot.press("k", "k", "pageup", "home")
        assert time.perf_counter() - moved < 5
        assert some(timeline.cursor_clip).id == "cv0"
        timeline.set_filter("slide 33333")
        assert [some(some(timeline.snapshot).clip(i)).name for i in timeline.visible_clip_ids] == [
            "Slide 33333"
        ]


async def test_wait_until_times_out_clearly() -> None:
    app = TimelineApp(build_snapshot(1))
    async with app.run_test() as pilot:
        try:
            await wait_until(pilot, lambda: False, 0.05, "nothing")
        except AssertionError as exc:
            assert "nothing" in str(exc)
        else:  # pragma: no cover
            raise AssertionError("wait_until did not time out")
