"""Pilot tests of the review modal on the real stack (SQLite in tmp_path, LocalEngine, local generators)."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button

from tests.ui.editor_support import (
    EditorHostApp,
    Env,
    fake_player,
    open_env,
    open_review,
    screen_text,
    static_text,
    wait_until,
)
from tui_editor.core.flow import Decision
from tui_editor.ui.screens.clip_editor import ClipEditorScreen
from tui_editor.ui.screens.review import ReviewScreen, diff_rows
from tui_editor.ui.widgets.audio import WaveformView
from tui_editor.ui.widgets.halfblock import HalfBlockImage
from tui_editor.ui.widgets.image import ImagePreview
from tui_editor.ui.widgets.player import NO_PLAYER_MESSAGE

SIZE = (80, 24)


# --- what the modal shows ---------------------------------------------------------------------------------


async def test_review_shows_preview_beside_current_with_differences(env: Env) -> None:
    app = EditorHostApp(env, clip_id="clip_n0")
    async with app.run_test(size=SIZE) as pilot:
        review = await open_review(pilot, app)
        text = screen_text(app)
        assert "Preview Generated Narration" in text
        assert "Current" in text and "Preview" in text
        rows = {spec.name: (before, after, differs) for spec, before, after, differs in review_rows(review)}
        assert rows["script"][2] is False
        assert rows["duration_s"][0] == "1.0" and rows["duration_s"][2] is True
        duration_line = next(line for line in text.splitlines() if "Duration (s)" in line)
        assert "≠" in duration_line
        script_line = next(line for line in text.splitlines() if "Script" in line)
        assert "≠" not in script_line
        # audio: duration and a waveform on both sides, and a Play button
        assert len(review.query(WaveformView)) == 2
        assert "0:01.0 (1.00 s)" in text
        assert "Play (p)" in text
        buttons = [str(b.label) for b in review.query(Button)]
        assert buttons[:2] == ["Accept & Replace Narration (a)", "Reject (x)"]
        assert review.check_action("play", ()) is True


async def test_visual_review_shows_images_and_no_play(env: Env) -> None:
    app = EditorHostApp(env, clip_id="clip_v0")
    async with app.run_test(size=(100, 30)) as pilot:
        review = await open_review(pilot, app)
        assert "Preview Generated Visual" in screen_text(app)
        images = review.query(HalfBlockImage)
        assert len(images) == 2
        assert "▀" in images.last().render_line(0).text
        assert review.check_action("play", ()) is False
        assert not review.query("#review-play")
        await pilot.press("p")  # nothing to play: no error either
        assert static_text(app, "#review-status") == ""


async def test_image_protocol_none_shows_facts_only(tmp_path: Path) -> None:
    with open_env(tmp_path / "data", ui__image_protocol="none") as env:
        app = EditorHostApp(env, clip_id="clip_v0")
        async with app.run_test(size=SIZE) as pilot:
            review = await open_review(pilot, app)
            assert len(review.query(ImagePreview)) == 2
            assert not review.query(HalfBlockImage)
            assert "64×36 · seed.png" in screen_text(app)


# --- decisions ----------------------------------------------------------------------------------------------


class SlowDecisions:
    """The real engine, except that a decision waits until the test lets it through (a slow database)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.release = threading.Event()
        self.calls: list[tuple[str, bool]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def decide(self, run_id: str, accept: bool, **kw: Any) -> Decision:
        self.calls.append((run_id, accept))
        self.release.wait(10)
        return self.engine.decide(run_id, accept, **kw)  # type: ignore[no-any-return]


async def test_decision_pending_shows_saving_and_ignores_more_keys(env: Env) -> None:
    backend = SlowDecisions(env.engine)
    app = EditorHostApp(env)
    app.prepared_editor = ClipEditorScreen(env.provider, backend, "clip_n0")
    revision = env.provider.snapshot.revision
    async with app.run_test(size=SIZE) as pilot:
        review = await open_review(pilot, app)
        await pilot.press("a")
        await wait_until(
            pilot, lambda: review.session.state.is_decision_pending, what="the decision to start"
        )
        await pilot.pause()
        assert static_text(app, "#review-status") == "Saving decision…"
        assert app.screen.query_one("#review-accept", Button).disabled
        assert review.check_action("accept", ()) is None  # shown, disabled
        await pilot.press("a", "x", "a")
        assert len(backend.calls) == 1 and backend.calls[0][1] is True
        backend.release.set()
        await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen), what="the modal to close")
        await wait_until(pilot, lambda: env.provider.snapshot.revision == revision + 1)
        assert len(backend.calls) == 1
        assert [r.status for r in env.engine.list(clip_id="clip_n0")] == ["accepted"]


async def test_conflict_is_shown_inline_and_the_preview_stays(env: Env) -> None:
    app = EditorHostApp(env, clip_id="clip_n0")
    async with app.run_test(size=SIZE) as pilot:
        review = await open_review(pilot, app)
        # someone else changes this very asset meanwhile (another process on the same database)
        env.store.commit_asset(
            lecture_id=env.lecture_id,
            kind="narration",
            asset_id="nar_0",
            fields={"emotion": "calm"},
            base_revision=env.store.lecture_revision(env.lecture_id),
            source="edit",
        )
        await pilot.press("a")
        await wait_until(pilot, lambda: static_text(app, "#review-status").startswith("✗"), what="the error")
        assert "nothing was saved" in static_text(app, "#review-status")
        assert app.screen is review
        assert review.session.state.has_preview
        assert not app.screen.query_one("#review-accept", Button).disabled
        assert [r.status for r in env.engine.list(clip_id="clip_n0")] == ["preview_ready"]
        # rejecting still works from here
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen))
        assert [r.status for r in env.engine.list(clip_id="clip_n0")] == ["rejected"]


async def test_rejected_elsewhere_closes_the_modal(env: Env) -> None:
    app = EditorHostApp(env, clip_id="clip_n0")
    async with app.run_test(size=SIZE) as pilot:
        review = await open_review(pilot, app)
        run_id = review.session.state.run_id
        assert run_id is not None
        env.engine.decide(run_id, False, decided_by="cli")  # `tui-editor reject RUN`
        await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen), what="the modal to close")
        await pilot.pause()
        assert any("rejected elsewhere" in n.message for n in app._notifications)
        assert env.asset("clip_n0")["duration_s"] == 1.0


# --- playback through an external player --------------------------------------------------------------------


async def test_play_runs_the_player_found_on_path_and_stops_on_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "played.txt"
    fake_player(tmp_path / "bin", "aplay", record)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with open_env(tmp_path / "data", ui__audio_player="auto") as env:
        app = EditorHostApp(env, clip_id="clip_n0")
        async with app.run_test(size=SIZE) as pilot:
            review = await open_review(pilot, app)
            await pilot.press("p")
            await wait_until(pilot, lambda: record.exists() and record.read_text().strip(), what="the player")
            args = record.read_text().splitlines()
            preview_file = env.settings.data_path / review.preview["file"]  # type: ignore[index]
            assert args == ["-q", str(preview_file)]
            assert preview_file.is_file()
            assert static_text(app, "#review-status") == "Playing preview with aplay… (p to stop)"
            player = review._player
            assert player is not None and player.is_playing
            process = player.process
            assert process is not None

            await pilot.press("p")  # again: stop
            assert process.poll() is not None
            assert static_text(app, "#review-status") == "Stopped"

            record.unlink()
            await pilot.press("p")  # and play again
            await wait_until(pilot, lambda: record.exists() and record.read_text().strip())
            process = player.process
            assert process is not None and process.poll() is None
            await pilot.press("escape")  # closing the review stops the player
            await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen))
            assert process.poll() is not None


async def test_play_with_a_custom_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record = tmp_path / "played.txt"
    script = fake_player(tmp_path / "tools", "myplayer", record)
    monkeypatch.setenv("PATH", os.defpath)
    with open_env(tmp_path / "data", ui__audio_player=f"{script} --volume 50 {{file}}") as env:
        app = EditorHostApp(env, clip_id="clip_m0")
        async with app.run_test(size=SIZE) as pilot:
            review = await open_review(pilot, app)
            await pilot.press("p")
            await wait_until(pilot, lambda: record.exists() and record.read_text().strip(), what="the player")
            args = record.read_text().splitlines()
            assert args[:2] == ["--volume", "50"]
            assert args[2].endswith(".wav") and Path(args[2]).is_file()
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen))
            assert review._player is not None and not review._player.is_playing


async def test_play_without_any_player_says_how_to_set_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "empty-bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with open_env(tmp_path / "data", ui__audio_player="auto") as env:
        app = EditorHostApp(env, clip_id="clip_n0")
        async with app.run_test(size=SIZE) as pilot:
            await open_review(pilot, app)
            await pilot.press("p")
            await pilot.pause()
            assert static_text(app, "#review-status") == NO_PLAYER_MESSAGE
            assert any(n.message == NO_PLAYER_MESSAGE for n in app._notifications)


async def test_play_turned_off(env: Env) -> None:
    app = EditorHostApp(env, clip_id="clip_n0")  # the test settings say audio_player = "none"
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot, app)
        await pilot.press("p")
        await pilot.pause()
        assert "Audio playback is off" in static_text(app, "#review-status")


def review_rows(review: ReviewScreen) -> list[Any]:
    return diff_rows(review.kind, review.current, review.preview)
