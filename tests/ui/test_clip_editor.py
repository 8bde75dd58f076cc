"""Pilot tests of the clip editor on the real stack: SQLite in tmp_path, LocalEngine, local generators."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Input, ProgressBar, Select, TextArea

from tests.ui.editor_support import (
    EditorHostApp,
    Env,
    gated_factory,
    open_env,
    screen_text,
    static_text,
    wait_until,
)
from tui_editor.ui.screens.clip_editor import ClipEditorScreen
from tui_editor.ui.screens.review import ReviewScreen
from tui_editor.ui.widgets.halfblock import HalfBlockImage
from tui_editor.ui.widgets.media import media_loaded

SIZE = (80, 24)


def editor_of(app: App[Any]) -> ClipEditorScreen:
    screen = app.screen
    assert isinstance(screen, ClipEditorScreen), f"expected the clip editor, got {screen!r}"
    return screen


async def started(pilot: Any, app: EditorHostApp) -> ClipEditorScreen:
    await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen), what="the clip editor")
    await pilot.pause()
    return editor_of(app)


async def replace_input(pilot: Any, app: EditorHostApp, field: str, text: str) -> None:
    """Focus a one-line field, clear it and type `text` (what a user does)."""
    app.screen.query_one(f"#input-{field}", Input).focus()
    await pilot.press("end", "ctrl+u", *text)


async def generate_preview(pilot: Any, editor: ClipEditorScreen) -> None:
    await pilot.press("ctrl+g")
    await wait_until(pilot, lambda: editor.session.state.has_preview, what="the preview")


def run_statuses(env: Env, clip_id: str) -> list[str]:
    return [run.status for run in env.engine.list(clip_id=clip_id)]


# --- the main flow ------------------------------------------------------------------------------------


async def test_generate_review_accept_updates_editor_and_provider(env: Env) -> None:
    before_revision = env.provider.snapshot.revision
    assert env.asset("clip_n0")["duration_s"] == 1.0
    app = EditorHostApp(env, clip_id="clip_n0")
    async with app.run_test(size=SIZE) as pilot:
        editor = await started(pilot, app)
        assert static_text(app, "#clip-status") == "Generate Narration: ctrl+g"
        assert static_text(app, "#clip-dirty") == ""
        # the script area has focus: type more words at its end
        assert isinstance(app.focused, TextArea)
        await pilot.press(*" Plants love light.")
        assert editor.session.draft.draft["script"] == "Narration script number 0. Plants love light."
        assert static_text(app, "#clip-dirty") == "● modified"

        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: editor.session.state.has_preview, what="the preview")
        await wait_until(pilot, lambda: "Preview ready" in static_text(app, "#clip-status"))
        assert static_text(app, "#clip-status") == "Preview ready — ctrl+o to review"

        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen), what="the review")
        text = screen_text(app)
        assert "Preview Generated Narration" in text
        assert "Accept & Replace Narration (a)" in text
        assert "Reject (x)" in text

        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen), what="the review to close")
        await wait_until(pilot, lambda: editor.session.state.phase == "idle")
        await pilot.pause()

        # the provider has the new asset at once (no reload), and so does the database
        asset = env.asset("clip_n0")
        assert asset["script"] == "Narration script number 0. Plants love light."
        assert asset["duration_s"] != 1.0
        assert env.provider.snapshot.revision == before_revision + 1
        stored = env.stored_asset("clip_n0")
        assert stored["duration_s"] == pytest.approx(asset["duration_s"])
        assert stored["file"] == asset["file"]
        # the editor shows the accepted values: draft = baseline = the accepted preview
        assert not editor.session.is_dirty
        assert static_text(app, "#clip-dirty") == ""
        assert f"{asset['duration_s']:.1f}s" in static_text(app, "#clip-committed")
        assert app.screen.query_one("#input-script", TextArea).text == asset["script"]
        assert "Accepted" in static_text(app, "#clip-status")
        assert run_statuses(env, "clip_n0") == ["accepted"]


async def test_reject_keeps_the_draft(env: Env) -> None:
    before = dict(env.asset("clip_n0"))
    app = EditorHostApp(env, clip_id="clip_n0")
    async with app.run_test(size=SIZE) as pilot:
        editor = await started(pilot, app)
        await pilot.press(*" Edited.")
        await generate_preview(pilot, editor)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen), what="the review to close")
        await wait_until(pilot, lambda: editor.session.state.phase == "idle")
        await pilot.pause()
        assert editor.session.draft.draft["script"] == "Narration script number 0. Edited."
        assert app.screen.query_one("#input-script", TextArea).text == "Narration script number 0. Edited."
        assert static_text(app, "#clip-dirty") == "● modified"
        assert "draft is kept" in static_text(app, "#clip-status")
        assert dict(env.asset("clip_n0")) == before
        assert env.stored_asset("clip_n0")["duration_s"] == 1.0
        assert run_statuses(env, "clip_n0") == ["rejected"]


async def test_leaving_the_clip_reverts_the_draft(env: Env) -> None:
    app = EditorHostApp(env, clip_id="clip_n0")
    async with app.run_test(size=SIZE) as pilot:
        editor = await started(pilot, app)
        await replace_input(pilot, app, "voice", "en-gb")
        assert editor.session.draft.draft["voice"] == "en-gb"
        assert static_text(app, "#clip-dirty") == "● modified"
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.id == "lecture", what="back at the lecture")
        assert editor.session.closed
        assert editor.session.draft.draft["voice"] == "en-us"

        app.open_clip("clip_n0")
        again = await started(pilot, app)
        assert again is not editor
        assert app.screen.query_one("#input-voice", Input).value == "en-us"
        assert static_text(app, "#clip-dirty") == ""


async def test_revert_key_restores_the_committed_values(env: Env) -> None:
    app = EditorHostApp(env, clip_id="clip_m0")
    async with app.run_test(size=SIZE) as pilot:
        editor = await started(pilot, app)
        assert editor.check_action("revert", ()) is False  # nothing to revert: hidden
        await replace_input(pilot, app, "bpm", "120")
        assert editor.session.draft.draft["bpm"] == 120
        assert editor.check_action("revert", ()) is True
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert editor.session.draft.draft["bpm"] == 100
        assert app.screen.query_one("#input-bpm", Input).value == "100"
        assert static_text(app, "#clip-dirty") == ""


async def test_escape_in_review_keeps_the_preview_and_ctrl_o_reopens_it(env: Env) -> None:
    app = EditorHostApp(env, clip_id="clip_n0")
    async with app.run_test(size=SIZE) as pilot:
        editor = await started(pilot, app)
        assert editor.check_action("open_review", ()) is False
        await generate_preview(pilot, editor)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        assert editor.session.state.is_review_open
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen))
        state = editor.session.state
        assert state.has_preview and not state.is_review_open
        assert run_statuses(env, "clip_n0") == ["preview_ready"]
        assert static_text(app, "#clip-status") == "Preview ready — ctrl+o to review"
        assert editor.check_action("open_review", ()) is True
        assert editor.check_action("generate", ()) is False  # decide first

        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen), what="the review again")
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen))
        await wait_until(pilot, lambda: run_statuses(env, "clip_n0") == ["rejected"])


async def test_reopening_the_clip_finds_its_pending_preview(env: Env) -> None:
    app = EditorHostApp(env, clip_id="clip_n0")
    async with app.run_test(size=SIZE) as pilot:
        editor = await started(pilot, app)
        await generate_preview(pilot, editor)
        await pilot.press("escape")  # leave: the run goes on without us
        await wait_until(pilot, lambda: app.screen.id == "lecture")
        assert run_statuses(env, "clip_n0") == ["preview_ready"]

        app.open_clip("clip_n0")
        editor = await started(pilot, app)
        await wait_until(pilot, lambda: editor.session.state.has_preview, what="the resumed preview")
        await wait_until(
            pilot, lambda: static_text(app, "#clip-status") == "Preview ready — ctrl+o to review"
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.id == "lecture")

        # from the review queue: the review opens by itself once the preview is known
        app.open_clip("clip_n0", open_review=True)
        await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen), what="the review to open")
        reopened = app.screen_stack[-2]
        assert isinstance(reopened, ClipEditorScreen)
        await wait_until(pilot, lambda: reopened.session.state.is_review_open)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen))
        await wait_until(pilot, lambda: run_statuses(env, "clip_n0") == ["accepted"])
        assert env.asset("clip_n0")["duration_s"] != 1.0


async def test_open_review_without_a_preview_says_so(env: Env) -> None:
    app = EditorHostApp(env, clip_id="clip_n0", open_review=True)
    async with app.run_test(size=SIZE) as pilot:
        editor = await started(pilot, app)
        await wait_until(pilot, lambda: not editor._want_review, what="the resume to finish")
        assert any("No pending narration preview" in n.message for n in app._notifications)
        assert isinstance(app.screen, ClipEditorScreen)


# --- errors, retry, cancel ----------------------------------------------------------------------------


async def test_generation_error_then_fix_and_retry(env: Env) -> None:
    app = EditorHostApp(env, clip_id="clip_n0")
    async with app.run_test(size=SIZE) as pilot:
        editor = await started(pilot, app)
        await replace_input(pilot, app, "voice", "xx-nope")
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: editor.session.state.phase == "failed", what="the failure")
        await pilot.pause()
        status = static_text(app, "#clip-status")
        assert status.startswith("✗ ")
        assert "xx-nope" in status
        assert "ctrl+g" in status
        assert app.screen.query_one("#clip-status").has_class("-error")
        assert editor.check_action("generate", ()) is True
        assert run_statuses(env, "clip_n0") == []  # a voice the model lacks is refused before any run

        # unchanged fields: ctrl+g retries the same request (and is refused the same way)
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: editor.session.state.phase == "failed")
        assert "xx-nope" in static_text(app, "#clip-status")
        assert run_statuses(env, "clip_n0") == []

        # fix the field: ctrl+g generates with the fixed draft
        await replace_input(pilot, app, "voice", "en-us")
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: editor.session.state.has_preview, what="the preview after the fix")
        assert static_text(app, "#clip-status") == "Preview ready — ctrl+o to review"


async def test_invalid_field_blocks_generate_until_fixed(env: Env) -> None:
    app = EditorHostApp(env, clip_id="clip_m0")
    async with app.run_test(size=SIZE) as pilot:
        editor = await started(pilot, app)
        await replace_input(pilot, app, "bpm", "5")
        await pilot.pause()
        assert app.screen.query_one("#field-bpm").has_class("-invalid")
        assert "must be at least 30" in static_text(app, "#clip-field-error")
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert any(n.title == "Fix this field first" for n in app._notifications)
        assert env.engine.list(clip_id="clip_m0") == []

        await pilot.press("0")  # 50
        await pilot.pause()
        assert not app.screen.query_one("#field-bpm").has_class("-invalid")
        assert editor.session.draft.draft["bpm"] == 50
        await generate_preview(pilot, editor)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("a")
        await wait_until(pilot, lambda: run_statuses(env, "clip_m0") == ["accepted"])
        await wait_until(pilot, lambda: env.asset("clip_m0")["bpm"] == 50)


async def test_cancel_during_generation(tmp_path: Path) -> None:
    factory, made = gated_factory()
    with open_env(tmp_path / "data", generator_factory=factory) as env:
        app = EditorHostApp(env, clip_id="clip_n0")
        async with app.run_test(size=SIZE) as pilot:
            editor = await started(pilot, app)
            assert editor.check_action("cancel_run", ()) is False
            await pilot.press("ctrl+g")
            await wait_until(
                pilot,
                lambda: editor.session.state.progress is not None and editor.session.state.progress.step == 1,
                what="progress from the generator",
            )
            await pilot.pause()
            status = static_text(app, "#clip-status")
            assert status.startswith("Generating… step 1/3 — Waiting for the model")
            assert "ctrl+t to cancel" in status
            bar = app.screen.query_one("#clip-progress", ProgressBar)
            assert bar.display and bar.total == 3 and bar.progress == 1
            assert editor.check_action("cancel_run", ()) is True
            assert editor.check_action("generate", ()) is False
            assert "Cancel" in screen_text(app)  # in the footer

            await pilot.press("ctrl+t")
            await wait_until(pilot, lambda: editor.session.state.phase == "idle", what="the cancel")
            await pilot.pause()
            assert static_text(app, "#clip-status") == "Generation cancelled"
            assert not app.screen.query_one("#clip-progress", ProgressBar).display
            assert run_statuses(env, "clip_n0") == ["cancelled"]
            await wait_until(pilot, lambda: not made[0].waiting, what="the generator to stop")
            assert env.asset("clip_n0")["duration_s"] == 1.0


# --- other kinds, keymap, updates from elsewhere ---------------------------------------------------------


async def test_visual_generate_with_a_new_aspect_ratio_and_accept(env: Env) -> None:
    app = EditorHostApp(env, clip_id="clip_v0")
    async with app.run_test(size=SIZE) as pilot:
        editor = await started(pilot, app)
        select = app.screen.query_one("#input-aspect_ratio", Select)
        select.focus()
        await pilot.press("enter")  # open the list
        await pilot.press("up", "up", "up", "enter")  # 16:9 → 1:1
        await pilot.pause()
        assert editor.session.draft.draft["aspect_ratio"] == "1:1"
        assert static_text(app, "#clip-dirty") == "● modified"
        await generate_preview(pilot, editor)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await wait_until(pilot, lambda: media_loaded(app.screen), what="the review's images")
        await pilot.pause()
        assert len(app.screen.query(HalfBlockImage)) == 2  # current and preview, side by side
        assert "Play" not in screen_text(app)  # no audio in a visual
        await pilot.press("a")
        await wait_until(pilot, lambda: run_statuses(env, "clip_v0") == ["accepted"])
        await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen))
        asset = env.asset("clip_v0")
        assert asset["aspect_ratio"] == "1:1"
        assert asset["width"] == asset["height"]
        assert f"Width: {asset['width']}" in static_text(app, "#clip-readonly")
        assert not editor.session.is_dirty


async def test_keymap_remaps_generate(tmp_path: Path) -> None:
    keymap = json.dumps({"clip.generate": "f5"})
    with open_env(tmp_path / "data", keymap=keymap) as env:
        app = EditorHostApp(env, clip_id="clip_n0")
        async with app.run_test(size=SIZE) as pilot:
            editor = await started(pilot, app)
            assert static_text(app, "#clip-status") == "Generate Narration: f5"
            await pilot.press("ctrl+g")
            await pilot.pause()
            assert env.engine.list(clip_id="clip_n0") == []
            await pilot.press("f5")
            await wait_until(pilot, lambda: editor.session.state.has_preview)


async def test_accept_from_another_process_updates_the_open_editor(env: Env) -> None:
    app = EditorHostApp(env, clip_id="clip_n0")
    async with app.run_test(size=SIZE) as pilot:
        editor = await started(pilot, app)
        await generate_preview(pilot, editor)
        run_id = editor.session.state.run_id
        assert run_id is not None
        env.engine.decide(run_id, True, decided_by="cli")  # e.g. `tui-editor accept RUN`
        await wait_until(pilot, lambda: editor.session.state.phase == "idle", what="the complete event")
        await wait_until(pilot, lambda: env.asset("clip_n0")["duration_s"] != 1.0)
        await pilot.pause()
        assert static_text(app, "#clip-status") == "Accepted elsewhere"
        duration = env.asset("clip_n0")["duration_s"]
        assert f"{duration:.1f}s" in static_text(app, "#clip-committed")


async def test_a_change_committed_elsewhere_updates_untouched_fields_only(env: Env) -> None:
    app = EditorHostApp(env, clip_id="clip_n0")
    async with app.run_test(size=SIZE) as pilot:
        editor = await started(pilot, app)
        await replace_input(pilot, app, "voice", "en-gb")
        env.store.commit_asset(  # another process edits this clip's asset
            lecture_id=env.lecture_id,
            kind="narration",
            asset_id="nar_0",
            fields={"emotion": "calm", "voice": "de"},
            base_revision=env.store.lecture_revision(env.lecture_id),
            source="edit",
        )
        env.provider.refresh_now()
        await wait_until(pilot, lambda: app.screen.query_one("#input-emotion", Input).value == "calm")
        assert app.screen.query_one("#input-voice", Input).value == "en-gb"  # the user's edit stays
        assert editor.session.draft.draft["voice"] == "en-gb"
        assert editor.session.draft.baseline["voice"] == "de"
        assert static_text(app, "#clip-dirty") == "● modified"


async def test_script_area_grows_with_its_text_but_stays_small(env: Env) -> None:
    app = EditorHostApp(env, clip_id="clip_n0")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, app)
        area = app.screen.query_one("#input-script", TextArea)
        assert area.size.height == 1
        await pilot.press("enter", *"two", "enter", *"three")
        await pilot.pause()
        assert area.size.height == 3
        for _ in range(8):
            await pilot.press("enter", "x")
        await pilot.pause()
        assert area.size.height == 6  # at most six rows of text, whatever the length
        assert area.outer_size.height == 6  # no border: each keystroke repaints only text rows


# --- inside the real App ----------------------------------------------------------------------------------


async def test_in_the_real_app_accept_shows_on_the_timeline(tmp_path: Path) -> None:
    """The whole loop in `TuiEditorApp`: open a clip, regenerate, review, accept, back to the timeline."""
    from tests.factories import lecture_doc, write_seed_media
    from tests.ui.editor_support import make_settings
    from tui_editor.core.exchange import validate_lecture
    from tui_editor.core.store import open_store
    from tui_editor.ui.app import TuiEditorApp

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    settings = make_settings(data_dir)
    doc = lecture_doc()
    write_seed_media(doc, data_dir)
    store = open_store(settings.database_url)
    store.create_lecture(validate_lecture(doc) | {"id": doc["id"]}, keep_ids=True)
    store.close()

    app = TuiEditorApp(settings, lecture_ref="lec_test")
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(
            pilot, lambda: app.provider is not None and app.runtime is not None, what="the lecture"
        )
        app.open_clip("clip_n0")
        await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen), what="the clip editor")
        editor = editor_of(app)
        await generate_preview(pilot, editor)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen), what="the review")
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen), what="the review to close")
        provider = app.provider
        assert provider is not None
        clip = provider.snapshot.clip("clip_n0")
        assert clip is not None
        await wait_until(pilot, lambda: provider.snapshot.asset_for(clip)["duration_s"] != 1.0)  # type: ignore[index]
        duration = provider.snapshot.asset_for(clip)["duration_s"]  # type: ignore[index]
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.id == "lecture", what="the timeline")
        await wait_until(pilot, lambda: f"{duration:.1f}s" in screen_text(app), what="the new duration")
