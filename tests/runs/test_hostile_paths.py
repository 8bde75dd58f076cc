"""Ids and file names from the database never make the engine touch anything outside the data dir.

Regressions of issue 13: a run id `../../x` in the database made start-up housekeeping delete a folder
outside the data dir; an asset id with `../` made an accept write outside it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.hostile import bad_ids, traversal_paths
from tests.runs.conftest import EngineEnv
from tui_editor.core.clock import utcnow
from tui_editor.core.errors import TuiEditorError
from tui_editor.core.paths import UnsafePathError
from tui_editor.core.run_record import RunStatus

FEW = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` and its bytes (the database's own files left out)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith("tui-editor.db")
    }


_SHARED: dict[int, tuple[EngineEnv, list[int]]] = {}


def _shared_env(make_env: Callable[..., EngineEnv]) -> tuple[EngineEnv, int]:
    """One engine for all hypothesis examples of a test (function fixtures are shared by them too)."""
    if id(make_env) not in _SHARED:
        _SHARED.clear()
        _SHARED[id(make_env)] = (make_env(), [0])
    env, counter = _SHARED[id(make_env)]
    counter[0] += 1
    return env, counter[0]


def _plant_run(env: EngineEnv, run_id: str, status: str, **values: Any) -> None:
    now = utcnow()
    with env.store.write() as conn:
        env.store.insert_run(
            conn,
            id=run_id,
            lecture_id=env.lecture_id,
            clip_id="clip_v0",
            kind="visual",
            request=values.pop("request", {"asset_id": "vis_0", "fields": {}}),
            status=status,
            created_at=now,
            updated_at=now,
            base_revision=1,
            owner="elsewhere:1:gone",
            **values,
        )


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the data dir that `previews/../../x`-style ids point into."""
    folder = tmp_path / "x"
    (folder / "keep").mkdir(parents=True)
    (folder / "keep" / "precious.txt").write_text("do not delete")
    return folder


def test_run_id_with_dotdot_in_the_database_deletes_nothing(
    make_env: Callable[..., EngineEnv], outside: Path, data_dir: Path
) -> None:
    env = make_env()
    assert (data_dir / "previews" / "../../x").resolve() == outside.resolve()
    _plant_run(env, "../../x", RunStatus.GENERATING)
    before = _tree(outside)
    env.engine.housekeeping()  # the dead owner's run is failed, and its "preview folder" removed
    env.engine.remove_stale_previews()
    assert env.store.get_run("../../x").status == RunStatus.FAILED
    assert _tree(outside) == before


@FEW
@given(run_id=bad_ids().filter(lambda s: "\x00" not in s and s.strip() != ""))
def test_generated_bad_run_ids_touch_nothing_outside(
    make_env: Callable[..., EngineEnv], outside: Path, tmp_path: Path, run_id: str
) -> None:
    env, _ = _shared_env(make_env)
    try:
        env.store.get_run(run_id)
        return  # already planted by an earlier example
    except TuiEditorError:
        pass
    before = _tree(outside)
    _plant_run(env, run_id, RunStatus.GENERATING)
    env.engine.housekeeping()
    env.engine.remove_stale_previews()
    assert _tree(outside) == before
    # cancel and reject paths too
    with pytest.raises(TuiEditorError):
        env.engine.cancel(run_id)  # already failed by housekeeping
    assert _tree(outside) == before


def _preview(env: EngineEnv, run_id: str, asset_id: str, file: str) -> None:
    asset = {"id": asset_id, "prompt": "p", "model": "local/pillow", "aspect_ratio": "1:1", "file": file}
    _plant_run(
        env,
        run_id,
        RunStatus.PREVIEW_READY,
        request={"asset_id": asset_id, "fields": {}},
        preview={"asset": asset},
    )


def test_asset_id_with_dotdot_cannot_make_accept_write_outside(
    make_env: Callable[..., EngineEnv], data_dir: Path, tmp_path: Path
) -> None:
    env = make_env()
    folder = data_dir / "previews" / "run_evil"
    folder.mkdir(parents=True)
    (folder / "x.png").write_bytes((data_dir / "media/visual/vis_0").glob("*").__next__().read_bytes())
    _preview(env, "run_evil", "../../../../escape", "previews/run_evil/x.png")
    before = _tree(tmp_path)
    with pytest.raises(UnsafePathError) as caught:
        env.engine.decide("run_evil", True)
    assert "asset id" in caught.value.message
    assert _tree(tmp_path) == before
    assert env.store.get_run("run_evil").status == RunStatus.PREVIEW_READY


@FEW
@given(file=traversal_paths().filter(lambda s: "\x00" not in s))
def test_preview_file_outside_is_never_read(
    make_env: Callable[..., EngineEnv], tmp_path: Path, file: str
) -> None:
    env, n = _shared_env(make_env)
    run_id = f"run_f{n}"
    _preview(env, run_id, "vis_0", file)
    media_before = _tree(env.data_dir / "media")
    with pytest.raises(UnsafePathError):
        env.engine.decide(run_id, True)
    assert _tree(env.data_dir / "media") == media_before


def test_stale_preview_sweep_leaves_symlinks_alone(
    make_env: Callable[..., EngineEnv], data_dir: Path, outside: Path
) -> None:
    env = make_env()
    (data_dir / "previews").mkdir(exist_ok=True)
    (data_dir / "previews" / "run_gone").symlink_to(outside, target_is_directory=True)
    before = _tree(outside)
    env.engine.remove_stale_previews()
    assert _tree(outside) == before
