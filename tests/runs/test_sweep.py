"""Nothing orphaned (issue 13, item 7): a process killed between copying a preview into `media/` and the
commit leaves a file nothing refers to; the next process's start-up sweep removes it — and only files
that no asset, revision, run or take refers to."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import wait_for
from tests.factories import seeded_store
from tests.runs.conftest import KIND_CASES
from tests.runs.test_crash_safety import FAST, make_preview, world  # noqa: F401 - fixture
from tui_editor.core import media_refs
from tui_editor.core.media_refs import _walk, references_in
from tui_editor.runs.sweep import GRACE_S, sweep_orphan_media


def _age(path: Path, seconds: float = GRACE_S + 60) -> None:
    """Make a file look `seconds` old (the sweep spares young files: an accept may be committing)."""
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def _all_files(data_dir: Path) -> set[str]:
    return {p.relative_to(data_dir).as_posix() for p in data_dir.rglob("*") if p.is_file()}


def test_kill_9_between_copy_and_commit_leaves_a_file_the_next_start_sweeps(
    spawn: Any,
    world: dict[str, Any],  # noqa: F811
) -> None:
    data_dir = world["data_dir"]
    run_id = make_preview(world, "narration")
    child = spawn("accept", str(data_dir), world["db"], run_id, **FAST)
    promoted = child.expect("promoted")["file"]
    child.kill9()
    assert (data_dir / promoted).is_file()  # copied, never committed: nothing refers to it
    for path in data_dir.rglob("*"):
        if path.is_file():
            _age(path)  # everything is old now: only the reference decides
    before = _all_files(data_dir) - {promoted}

    runtime = world["runtime"]()  # a new process's start-up (its housekeeping thread sweeps once)
    wait_for(lambda: not (data_dir / promoted).exists(), timeout=30, message="the orphan to be swept")
    assert _all_files(data_dir) == before  # the preview, seed media and everything referenced stay
    assert runtime.engine.get(run_id).status == "preview_ready"
    accepted = runtime.engine.decide(run_id, True)  # and the decision still works
    assert accepted.accepted and (data_dir / str((accepted.asset or {})["file"])).is_file()


def test_the_sweep_keeps_every_referenced_file_and_young_ones(make_env: Any) -> None:
    env = make_env()
    data_dir, store = env.data_dir, env.store
    clip_id, asset_id, fields = KIND_CASES["visual"]
    from tui_editor.core.flow import StartRequest

    first = env.engine.start(StartRequest("lec_test", clip_id, "visual", fields))
    assert env.wait(first).status == "preview_ready"
    old_file = store.get_asset("visual", asset_id)["file"]
    env.engine.decide(first, True)
    new_file = store.get_asset("visual", asset_id)["file"]
    assert old_file != new_file  # the old one is referenced by revision 1 only

    media = data_dir / "media"
    orphan = media / "visual" / asset_id / "orphan.png"
    orphan.write_bytes(b"nobody")
    temp = media / "visual" / asset_id / ".half.png.tmp"
    temp.write_bytes(b"half")
    young = media / "music" / "young.wav"
    young.parent.mkdir(parents=True, exist_ok=True)
    young.write_bytes(b"being committed")
    outside = data_dir.parent / "outside.txt"
    outside.write_text("not ours")
    (media / "link").symlink_to(outside)
    for path in media.rglob("*"):
        if path.is_file() and path != young:
            _age(path)

    report = sweep_orphan_media(store, data_dir)
    assert sorted(report.removed) == sorted(
        ["media/visual/vis_0/orphan.png", "media/visual/vis_0/.half.png.tmp", "media/link"]
    )
    assert (data_dir / old_file).is_file() and (data_dir / new_file).is_file()
    assert young.is_file() and outside.read_text() == "not ours"
    for kind in ("visual", "narration", "music"):
        for asset in store.export_lecture("lec_test")[{"visual": "visuals"}.get(kind, kind)]:
            assert (data_dir / asset["file"]).is_file()


def test_references_cover_assets_revisions_and_runs(db_url: str, tmp_path: Path) -> None:
    store, _lecture = seeded_store(db_url, tmp_path / "data")
    try:
        with store.read() as conn:
            found = references_in(conn)
        exported = store.export_lecture("lec_test")
        files = {a["file"] for key in ("visuals", "narration", "music") for a in exported[key]}
        assert files <= found
        media_refs.EXTRA_REFERENCES.append(lambda _conn: ["media/elsewhere/x.png"])
        try:
            with store.read() as conn:
                assert "media/elsewhere/x.png" in references_in(conn)
        finally:
            media_refs.EXTRA_REFERENCES.pop()
    finally:
        store.close()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(document=JSON, key=st.sampled_from(["file", "take_file", "poster_file"]), path=st.text(min_size=1))
def test_a_file_reference_is_found_at_any_depth_of_a_json_column(document: Any, key: str, path: str) -> None:
    """A take stack (`take_file`) or changes-shaped revisions need no change to the sweep."""
    nested = {"changes": [{"asset": {key: path}}], "other": document}
    assert path in set(_walk(json.loads(json.dumps(nested))))
