"""Snapshot tests (pytest-textual-snapshot) of the clip editor for each kind and of the review modal.

Deterministic: the fixture lecture has fixed ids and texts (`tests.factories.lecture_doc`), runs are
inserted with fixed ids and previews, media files are written from fixed data, images are drawn with
half-blocks and cursors do not blink. Update with `pytest tests/ui/test_snapshots_editor.py
--snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path
from typing import Any

from PIL import Image
from textual.widgets import Input, TextArea

from tests.ui.editor_support import EditorHostApp, Env, wait_until
from tui_editor.ui.screens.clip_editor import ClipEditorScreen
from tui_editor.ui.screens.review import ReviewScreen
from tui_editor.ui.widgets.media import media_loaded

SIZE = (80, 24)


def insert_run(env: Env, run_id: str, clip_id: str, status: str, **values: Any) -> None:
    """A run as the engine (of this process) would have stored it."""
    from tui_editor.core.clock import utcnow

    clip = env.provider.snapshot.clip(clip_id)
    assert clip is not None
    now = utcnow()  # recent: an old preview would expire
    with env.store.write() as conn:
        env.store.insert_run(
            conn,
            id=run_id,
            lecture_id=env.lecture_id,
            clip_id=clip_id,
            kind=clip.kind.name,
            request={"fields": {}},
            status=status,
            created_at=now,
            updated_at=now,
            base_revision=env.provider.snapshot.revision,
            owner=env.engine.process_id,
            **values,
        )


def write_tone(path: Path, seconds: float, rate: int = 8000) -> None:
    frames = int(seconds * rate)
    data = b"".join(
        struct.pack("<h", int(30000 * abs(math.sin(math.pi * 3 * i / frames)) * math.sin(i / 3)))
        for i in range(frames)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(data)


def write_gradient(path: Path, size: tuple[int, int] = (64, 64)) -> None:
    image = Image.new("RGB", size)
    for x in range(size[0]):
        for y in range(size[1]):
            image.putpixel((x, y), (x * 4 % 256, y * 4 % 256, 160))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


async def settle(pilot: Any) -> None:
    """Wait for the editor (and its resumed run), stop cursor blinking, let the screen settle."""
    app = pilot.app
    await wait_until(pilot, lambda: app.editor is not None and app.editor.resumed, what="the editor")
    for screen in app.screen_stack:
        for widget in screen.query("Input, TextArea"):
            if isinstance(widget, Input | TextArea):
                widget.cursor_blink = False
    await pilot.pause()
    await pilot.pause()


async def review_open(pilot: Any) -> None:
    """`settle`, then wait for the review modal the editor opens and its media (read in workers)."""
    await settle(pilot)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ReviewScreen), what="the review")
    await wait_until(pilot, lambda: media_loaded(pilot.app.screen), what="the review's media")
    await pilot.pause()


def test_narration_editor(snap_compare: Any, env: Env) -> None:
    app = EditorHostApp(env, clip_id="clip_n0")
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


def test_visual_editor_with_edits(snap_compare: Any, env: Env) -> None:
    app = EditorHostApp(env, clip_id="clip_v0")

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press(*" in watercolour")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_music_editor_generating(snap_compare: Any, env: Env) -> None:
    progress = {"step": 2, "total_steps": 5, "message": "Rendered bass line"}
    insert_run(env, "run_snap_music", "clip_m0", "generating", preview={"progress": progress})
    app = EditorHostApp(env, clip_id="clip_m0")

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        editor = pilot.app.screen
        assert isinstance(editor, ClipEditorScreen) and editor.session.state.is_generating

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_narration_editor_after_an_error(snap_compare: Any, env: Env) -> None:
    app = EditorHostApp(env, clip_id="clip_n0")

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        pilot.app.screen.query_one("#input-voice", Input).focus()
        await pilot.press("end", "ctrl+u", *"xx-nope", "ctrl+g")
        editor = pilot.app.screen
        assert isinstance(editor, ClipEditorScreen)
        await wait_until(pilot, lambda: editor.session.state.phase == "failed", what="the failure")
        for widget in editor.query("Input, TextArea"):
            widget.cursor_blink = False  # type: ignore[attr-defined]
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_review_modal_narration(snap_compare: Any, env: Env) -> None:
    write_tone(env.settings.data_path / "previews" / "run_snap_nar" / "narration.wav", 2.5)
    preview = {
        "id": "nar_0",
        "script": "Narration script number 0.",
        "model": "local/espeak",
        "voice": "en-gb",
        "emotion": "neutral",
        "language": "en",
        "duration_s": 2.5,
        "file": "previews/run_snap_nar/narration.wav",
        "updated_at": "2026-01-02T09:30:00+00:00",
    }
    insert_run(env, "run_snap_nar", "clip_n0", "preview_ready", preview={"asset": preview})
    app = EditorHostApp(env, clip_id="clip_n0", open_review=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=review_open)


def test_review_modal_visual(snap_compare: Any, env: Env) -> None:
    write_gradient(env.settings.data_path / "previews" / "run_snap_vis" / "visual.png")
    preview = {
        "id": "vis_0",
        "prompt": "Visual prompt 0, as a gradient",
        "model": "local/pillow",
        "aspect_ratio": "1:1",
        "width": 64,
        "height": 64,
        "file": "previews/run_snap_vis/visual.png",
        "updated_at": "2026-01-02T09:30:00+00:00",
    }
    insert_run(env, "run_snap_vis", "clip_v0", "preview_ready", preview={"asset": preview})
    app = EditorHostApp(env, clip_id="clip_v0", open_review=True)
    assert snap_compare(app, terminal_size=(100, 30), run_before=review_open)
