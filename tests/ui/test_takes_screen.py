"""The clip editor's take stack (`f3`/`t`) and `ctrl+s` (the current take's seed), on the real stack."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

from tests.ui.editor_support import EditorHostApp, Env, screen_text, wait_until
from tui_editor.core.flow import StartRequest
from tui_editor.core.takes import list_takes
from tui_editor.runs.waiting import wait_for_run
from tui_editor.ui.screens.clip_editor import ClipEditorScreen
from tui_editor.ui.screens.takes import TakeCompareScreen, TakesScreen

SIZE = (100, 30)
CLIP = "clip_v0"


def make_take(env: Env, prompt: str, *, accept: bool | None, seed: int | None = None) -> str:
    engine = env.runtime.engine
    run_id: str = engine.start(StartRequest(env.lecture_id, CLIP, "visual", {"prompt": prompt}, seed=seed))
    assert wait_for_run(engine, run_id, timeout=60).status == "preview_ready"
    if accept is not None:
        engine.decide(run_id, accept)
    return run_id


async def open_takes(pilot: Any, app: EditorHostApp) -> TakesScreen:
    await wait_until(
        pilot, lambda: isinstance(app.screen, ClipEditorScreen) and app.screen.resumed, what="editor"
    )
    await pilot.press("f3")
    await wait_until(pilot, lambda: isinstance(app.screen, TakesScreen) and app.screen.loads, what="takes")
    screen = app.screen
    assert isinstance(screen, TakesScreen)
    return screen


async def test_take_stack_star_compare_and_restore(env: Env) -> None:
    accepted = make_take(env, "the accepted one", accept=True)
    rejected = make_take(env, "the rejected one", accept=False)
    app = EditorHostApp(env, clip_id=CLIP)
    async with app.run_test(size=SIZE) as pilot:
        takes = await open_takes(pilot, app)
        assert [(t.id, t.status) for t in takes.takes] == [(rejected, "rejected"), (accepted, "current")]
        assert takes.query_one(DataTable).row_count == 2
        # s stars the take under the cursor (the newest)
        await pilot.press("s")
        await wait_until(pilot, lambda: takes.loads >= 2 and takes.takes[0].run.starred, 10, "the star")
        # c compares it with the current asset; escape comes back
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, TakeCompareScreen), 5, "the comparison")
        compare = app.screen
        assert "the rejected one" in screen_text(app)
        await pilot.press("tab")
        assert compare.query_one("#compare-current").has_class("-enlarged")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is takes, 5)
        # enter restores it: a new revision, the take is current
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen), 10, "the stack to close")
        statuses = [(t.id, t.status) for t in list_takes(env.runtime.store, CLIP)]
        assert statuses == [(rejected, "current"), (accepted, "replaced")]
        assert env.runtime.store.list_revisions(env.lecture_id)[0]["source"] == "take"
        await wait_until(
            pilot,
            lambda: "the rejected one" in str(env.provider.snapshot.asset("visual", "vis_0")),
            10,
            "the editor's provider to follow the restore",
        )


async def test_ctrl_s_regenerates_with_the_current_take_seed(env: Env) -> None:
    make_take(env, "seeded", accept=True, seed=1234)
    app = EditorHostApp(env, clip_id=CLIP)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen) and app.screen.resumed)
        editor = app.screen
        assert isinstance(editor, ClipEditorScreen)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: editor.session.state.run_id is not None, 20, "the run")
        run_id = editor.session.state.run_id
        assert run_id is not None and env.runtime.engine.get(run_id).seed == 1234
        await wait_until(pilot, lambda: editor.session.state.has_preview, 60, "the preview")
        # ctrl+g draws a new seed
        await pilot.press("ctrl+o")
        await pilot.press("x")
        await wait_until(pilot, lambda: editor.session.state.phase == "idle", 20)
        await pilot.press("ctrl+g")
        await wait_until(
            pilot, lambda: editor.session.state.run_id not in (None, run_id), 20, "the second run"
        )
        second = editor.session.state.run_id
        assert second is not None and env.runtime.engine.get(second).seed != 1234


async def test_ctrl_s_without_a_seeded_take_says_so(env: Env) -> None:
    app = EditorHostApp(env, clip_id=CLIP)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen) and app.screen.resumed)
        editor = app.screen
        assert isinstance(editor, ClipEditorScreen)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: any("no take" in n.message for n in app._notifications), 10)
        assert editor.session.state.phase == "idle"


async def test_an_undo_elsewhere_brings_the_preview_back_to_the_open_editor(env: Env) -> None:
    from tui_editor.core.takes import undo_last

    run_id = make_take(env, "undo me", accept=False)
    app = EditorHostApp(env, clip_id=CLIP)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen) and app.screen.resumed)
        editor = app.screen
        assert isinstance(editor, ClipEditorScreen) and not editor.session.state.has_preview
        undone = undo_last(env.runtime.store, env.lecture_id)
        assert undone.event is not None
        env.runtime.hub.publish(undone.event)
        await wait_until(pilot, lambda: editor.session.state.has_preview, 10, "the reopened preview")
        assert editor.session.state.run_id == run_id
