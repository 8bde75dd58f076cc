"""In the editor, text from data is never parsed as markup and never reaches the terminal raw.

Regressions of issue 13: a clip named `[/]` crashed the review every time the clip was opened, and a
clip named `[@click=app.quit]…` became a live action. Names, prompts and provider texts are generated
hostile text (markup, terminal escapes, bidi overrides); the review (opened on a pending preview
planted in the database, twice) and the clip editor must show them literally and escaped.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.factories import lecture_doc
from tests.hostile import assert_terminal_safe, hostile_name
from tests.ui.editor_support import EditorHostApp, Env, open_env, wait_until
from tui_editor.core.clock import utcnow
from tui_editor.core.exchange import asset_json
from tui_editor.ui.screens.clip_editor import ClipEditorScreen
from tui_editor.ui.screens.review import ReviewScreen
from tui_editor.ui.widgets.media import media_loaded

SIZE = (90, 30)
INJECTED = "pwned"


def _doc(name: str, prompt: str, title: str = "Hostile lecture") -> dict[str, Any]:
    doc = lecture_doc(title=title)
    doc["timeline"]["visual"][0]["name"] = name
    doc["visuals"][0]["prompt"] = prompt
    return doc


def _plant_preview(env: Env, data_dir: Path, prompt: str, model: str) -> None:
    """A pending preview of clip_v0 (a real PNG in its run folder), as a finished generation leaves it."""
    run_id = "run_hostile"
    folder = data_dir / "previews" / run_id
    folder.mkdir(parents=True)
    shutil.copy(data_dir / "media/visual/vis_0/seed.png", folder / "p.png")
    asset = asset_json(
        {
            "id": "vis_0",
            "prompt": prompt,
            "model": model,
            "aspect_ratio": "1:1",
            "width": 64,
            "height": 36,
            "file": f"previews/{run_id}/p.png",
            "updated_at": utcnow(),
        }
    )
    now = utcnow()
    with env.store.write() as conn:
        env.store.insert_run(
            conn,
            id=run_id,
            lecture_id=env.lecture_id,
            clip_id="clip_v0",
            kind="visual",
            request={"asset_id": "vis_0", "fields": {"prompt": prompt, "model": model}},
            status="preview_ready",
            preview={"asset": asset},
            created_at=now,
            updated_at=now,
            base_revision=1,
            owner=None,
        )


def _screen_strips_text(app: Any) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def _actions_on_screen(app: Any) -> list[str]:
    actions = []
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            meta = segment.style.meta if segment.style is not None else {}
            if "@click" in meta:
                actions.append(str(meta["@click"]))
    return actions


def _check_screen(app: Any) -> None:
    assert app.is_running
    assert_terminal_safe(_screen_strips_text(app))
    assert not [a for a in _actions_on_screen(app) if INJECTED in a or "quit" in a]


async def _review_twice(env: Env, name: str) -> None:
    app = EditorHostApp(env, clip_id="clip_v0", open_review=True)
    async with app.run_test(size=SIZE) as pilot:
        for attempt in range(2):  # the crash came "every time the clip was opened"
            await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen), what="the review")
            await wait_until(pilot, lambda: media_loaded(app.screen), what="the review's media")
            await pilot.pause()
            _check_screen(app)
            app.notify(f"about {name}", title=name)  # a notification quoting a name
            await pilot.pause()
            _check_screen(app)
            await pilot.click("#review-dialog", offset=(4, 0))  # on the border title row
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen), what="the editor")
            await pilot.pause()
            _check_screen(app)
            if attempt == 0:
                await pilot.press("ctrl+o")
        assert app.is_running


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("[/]", id="close-tag"),
        pytest.param("[@click=app.quit]x", id="click-quit"),
        pytest.param(f"[@click=app.notify('{INJECTED}')]x[/]", id="click-notify"),
        pytest.param("title \x1b]0;pwned\x07 osc52 \x1b]52;c;SGk=\x07 \u202eexe", id="escapes"),
    ],
)
async def test_issue_examples_as_clip_names(tmp_path: Path, name: str) -> None:
    with open_env(tmp_path / "data", doc=_doc(name, f"prompt {name}")) as env:
        _plant_preview(env, tmp_path / "data", f"new {name}", f"{name}/model")
        await _review_twice(env, name)


@settings(
    max_examples=4,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # each example runs the editor: no shrinking
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=hostile_name(), prompt=hostile_name(), model=hostile_name())
async def test_generated_hostile_names_prompts_and_models(
    tmp_path_factory: pytest.TempPathFactory, name: str, prompt: str, model: str
) -> None:
    data_dir = tmp_path_factory.mktemp("hostile-ui") / "data"
    with open_env(data_dir, doc=_doc(name, prompt, title=name)) as env:
        _plant_preview(env, data_dir, prompt + model, model)
        await _review_twice(env, name)


@settings(max_examples=200)
@given(text=hostile_name(), width=st.integers(1, 40))
def test_timeline_cells_and_table_cells_are_literal_and_safe(text: str, width: int) -> None:
    from rich.text import Text

    from tui_editor.ui.widgets.literal_table import literal_cell
    from tui_editor.ui.widgets.timeline import _fit, _fit_summary

    for cell in (_fit(text, width), _fit_summary(f"{text} [1.0s · {text}]", width)):
        assert_terminal_safe(cell, newlines=False)
    shown = literal_cell(text)
    assert isinstance(shown, Text) and not shown.spans  # no markup was read
    assert_terminal_safe(shown.plain, newlines=False)


@pytest.mark.parametrize("name", ["[/]", "[@click=app.quit]x", "\x1b]0;pwned\x07\x1b[2J\u202ename"])
async def test_lecture_queue_and_history_show_hostile_names_literally(tmp_path: Path, name: str) -> None:
    from tests.factories import write_seed_media
    from tests.ui.conftest import make_settings, wait_loaded
    from tui_editor.core.exchange import validate_lecture
    from tui_editor.core.store import open_store
    from tui_editor.ui.app import TuiEditorApp

    settings_ = make_settings(tmp_path)
    doc = _doc(name, f"prompt {name}", title=f"title {name}")
    for clip in doc["timeline"]["voice"]:
        clip["name"] = f"{name} {clip['id']}"
    write_seed_media(doc, settings_.data_path)
    store = open_store(settings_.database_url)
    try:
        store.create_lecture(validate_lecture(doc) | {"id": doc["id"]}, keep_ids=True)

        class _Env:  # what `_plant_preview` needs
            pass

        env: Any = _Env()
        env.store, env.lecture_id = store, doc["id"]
        _plant_preview(env, settings_.data_path, f"new {name}", "local/pillow")
    finally:
        store.close()
    app = TuiEditorApp(settings_, doc["id"])
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        _check_screen(app)
        await pilot.press("v")  # the review queue (r starts a review session)
        await wait_until(pilot, lambda: app.screen.id == "review-queue", what="the queue")
        await wait_until(
            pilot, lambda: len(getattr(app.screen, "run_ids", [])) == 1, what="the pending preview"
        )
        await pilot.pause()
        _check_screen(app)
        assert name.split("\x1b")[0] in _screen_strips_text(app) or "\\x1b" in _screen_strips_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.id != "review-queue", what="the queue closed")
        await pilot.press("r")  # the review session shows the same preview
        await wait_until(pilot, lambda: app.screen.id == "review-session", what="the review session")
        await pilot.pause()
        _check_screen(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.id != "review-session", what="the session's end")
        await pilot.press("h")
        await wait_until(pilot, lambda: app.screen.id == "history", what="the history")
        await pilot.pause()
        _check_screen(app)
        assert app.is_running
