"""The clip editor's voice field follows the model: voices are named per model (`core.kinds`)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Select

from tests.ui.editor_support import EditorHostApp, Env, static_text, wait_until
from tui_editor.ui.screens.clip_editor import ClipEditorScreen

SIZE = (80, 24)


async def test_the_voice_field_offers_the_model_s_voices_and_piper_speaks(env: Env) -> None:
    app = EditorHostApp(env, clip_id="clip_n0")  # a narration made with local/espeak, voice en-us
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen), what="the clip editor")
        await pilot.pause()
        editor: Any = app.screen
        voice = app.screen.query_one("#input-voice", Input)
        assert voice.placeholder.startswith("en-us (default) · en-us, en-gb, de")

        model = app.screen.query_one("#input-model", Select)
        model.focus()
        await pilot.press("enter", "up", "enter")  # local/espeak → local/piper, the first model
        await wait_until(pilot, lambda: editor.session.draft.draft["model"] == "local/piper")
        await wait_until(pilot, lambda: voice.placeholder == "joe (default) · joe", what="piper's voices")
        # en-us is an espeak voice: it gives way to Piper's default (the field shows it while empty).
        await wait_until(pilot, lambda: editor.session.draft.draft["voice"] == "", what="the voice reset")
        assert voice.value == ""

        voice.focus()
        await pilot.press("end", "ctrl+u", "j", "right")  # the completion of the model's voice
        await wait_until(pilot, lambda: editor.session.draft.draft["voice"] == "joe", what="the voice")
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: editor.session.state.has_preview, timeout=60, what="Piper's preview")
        preview = editor.session.state.preview
        assert preview is not None
        assert (preview["model"], preview["voice"]) == ("local/piper", "joe")
        assert static_text(app, "#clip-status") == "Preview ready — ctrl+o to review"


async def test_a_voice_the_new_model_also_has_stays(env: Env) -> None:
    app = EditorHostApp(env, clip_id="clip_n0")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen), what="the clip editor")
        await pilot.pause()
        editor: Any = app.screen
        voice = app.screen.query_one("#input-voice", Input)
        voice.focus()
        await pilot.press("end", "ctrl+u", *"de")
        await wait_until(pilot, lambda: editor.session.draft.draft["voice"] == "de")
        editor._voice_follows_model("local/espeak")  # espeak-ng speaks German
        await pilot.pause()
        assert editor.session.draft.draft["voice"] == "de"
        editor._voice_follows_model("tts-1")
        await pilot.pause()
        assert editor.session.draft.draft["voice"] == ""
