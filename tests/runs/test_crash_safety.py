"""`kill -9` real processes mid-generation and mid-accept, then look from another process.

Nothing committed is lost or half-written; the dead run is reported `failed` ("interrupted") by the next
process that starts on the database; a pending preview stays decidable from any process; a live
process's runs are never touched by another.

How soon a dead owner's run is failed: a process beats every `engine.heartbeat_interval` s and a
beat older than `stale_after = max(3 × heartbeat_interval, 3 s)` means its process died. On the same
host a dead pid is known at once, so the next process's start-up sweep fails the run immediately; for
an owner on another host it takes at most `stale_after + heartbeat_interval` (8 s with the defaults,
within the promised 10 s). The tests run with `heartbeat_interval = 0.2` (stale after 3 s).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import wait_for
from tests.factories import seeded_store
from tests.runs.conftest import KIND_CASES, file_state, media_files, run_cli
from tests.store_support import dump
from tui_editor.core.clock import utcnow
from tui_editor.core.flow import StartRequest
from tui_editor.runs.local import INTERRUPTED, LocalEngine
from tui_editor.runs.runtime import Runtime, open_runtime

HEARTBEAT = 0.2
FAST = {"engine__heartbeat_interval": HEARTBEAT}


@pytest.fixture
def world(make_settings: Any, data_dir: Path) -> Iterator[dict[str, Any]]:
    """A seeded lecture on a SQLite file; children and runtimes all open the same data dir and db."""
    settings = make_settings(**FAST)
    store, lecture_id = seeded_store(settings.database_url, data_dir)
    store.close()
    runtimes: list[Runtime] = []

    def runtime() -> Runtime:
        opened = open_runtime(settings)
        runtimes.append(opened)
        return opened

    yield {
        "settings": settings,
        "db": settings.database_url,
        "data_dir": data_dir,
        "lecture_id": lecture_id,
        "runtime": runtime,
    }
    for opened in runtimes:
        opened.close()


def committed(store: Any, data_dir: Path, kind: str, asset_id: str) -> tuple[Any, ...]:
    asset = store.get_asset(kind, asset_id)
    return asset, file_state(data_dir / asset["file"]), store.lecture_revision("lec_test")


def integrity_ok(db_url: str) -> bool:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        engine.dispose()


def cli(world: dict[str, Any], *args: str) -> Any:
    return run_cli("--data-dir", str(world["data_dir"]), "--db", world["db"], *args)


def runs_json(world: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result = cli(world, "runs", "--json")
    assert result.returncode == 0, result.stderr
    return {r["id"]: r for r in json.loads(result.stdout)}


def stall(spawn: Any, world: dict[str, Any]) -> tuple[Any, str]:
    """A child process generating a visual for clip_v0, stuck halfway; returns (child, run id)."""
    clip_id, _asset_id, fields = KIND_CASES["visual"]
    child = spawn("stall", str(world["data_dir"]), world["db"], "visual", clip_id, json.dumps(fields), **FAST)
    stalled = child.expect("stalled")
    assert Path(stalled["partial"]).is_file()
    return child, stalled["run_id"]


# --- killed mid-generation -----------------------------------------------------------------------------


def test_kill_9_mid_generation_is_reported_by_the_next_process(spawn: Any, world: dict[str, Any]) -> None:
    data_dir = world["data_dir"]
    probe = world["runtime"]()
    before = committed(probe.store, data_dir, "visual", "vis_0")
    probe.close()

    child, run_id = stall(spawn, world)
    preview_dir = data_dir / "previews" / run_id
    assert (preview_dir / "partial.png").is_file()
    child.kill9()

    # The next process to start on this database — a one-shot `tui-editor runs` — shows it failed.
    started = time.monotonic()
    listed = runs_json(world)
    assert time.monotonic() - started < 10
    assert listed[run_id]["status"] == "failed"
    assert listed[run_id]["error"] == INTERRUPTED

    runtime = world["runtime"]()
    run = runtime.engine.get(run_id)
    assert run.status == "failed" and run.error == INTERRUPTED
    error = runtime.store.events_for_run(run_id)[-1]
    assert error.type == "error" and error.payload["message"] == INTERRUPTED
    assert not preview_dir.exists()
    assert committed(runtime.store, data_dir, "visual", "vis_0") == before
    assert media_files(data_dir, "visual", "vis_0") == {before[0]["file"]}
    assert integrity_ok(world["db"])

    # The clip is free for a new run at once.
    clip_id, _asset_id, fields = KIND_CASES["visual"]
    again = runtime.engine.start(StartRequest("lec_test", clip_id, "visual", fields))
    assert runtime.engine.get(again).status in ("queued", "generating", "preview_ready")


def test_a_live_process_keeps_its_run_and_a_dead_one_loses_it(spawn: Any, world: dict[str, Any]) -> None:
    """Another process's housekeeping never fails a run whose owner still beats, however long it runs."""
    child, run_id = stall(spawn, world)
    runtime = world["runtime"]()
    engine: LocalEngine = runtime.engine
    owner = engine.get(run_id).owner
    assert owner and owner != engine.process_id

    def beating_past_staleness() -> bool:
        engine.housekeeping()  # what every other process does every heartbeat
        assert engine.get(run_id).status == "generating", "a live process's run was touched"
        beat = next(b for b in runtime.store.heartbeats() if b["id"] == owner)
        started = engine.get(run_id).created_at
        return bool(beat["seen_at"] - started > engine.stale_after + timedelta(seconds=2 * HEARTBEAT))

    # Only a heartbeat that keeps coming can keep the run alive past `stale_after` (3 s here).
    wait_for(beating_past_staleness, timeout=15, interval=0.05, message="the child to beat past stale_after")
    assert engine.get(run_id).status == "generating"

    child.kill9()
    wait_for(lambda: engine.get(run_id).status == "failed", timeout=10, message="the dead run to be failed")
    assert engine.get(run_id).error == INTERRUPTED
    wait_for(lambda: not (world["data_dir"] / "previews" / run_id).exists(), message="its preview to go")


def test_an_owner_on_another_host_is_failed_once_its_heartbeat_is_stale(
    spawn: Any, world: dict[str, Any]
) -> None:
    """Across machines there is no pid to check: only the heartbeat tells. (The other machine is a
    stand-in: the child's heartbeat row is relabelled with another host name before it is killed.)"""
    child, run_id = stall(spawn, world)
    runtime = world["runtime"]()
    engine: LocalEngine = runtime.engine
    owner = engine.get(run_id).owner
    with runtime.store.write() as conn:
        conn.execute(
            sa.text("UPDATE process_heartbeat SET host = 'elsewhere.example' WHERE id = :id"), {"id": owner}
        )
    child.kill9()
    died = utcnow()

    engine.housekeeping()
    assert engine.get(run_id).status == "generating"  # a fresh beat: slow is not dead
    run = wait_for(
        lambda: (r := engine.get(run_id)).status == "failed" and r,
        timeout=10,
        message="the stale remote owner's run to be failed",
    )
    last_beat = next(b for b in runtime.store.heartbeats() if b["id"] == owner)["seen_at"]
    assert run.updated_at - last_beat >= engine.stale_after
    assert run.updated_at - died <= timedelta(seconds=10)
    assert run.error == INTERRUPTED


def test_the_detection_window_fits_the_promise(make_env: Any) -> None:
    """With the default settings, a dead owner anywhere is failed within stale_after + one beat ≤ 10 s."""
    engine = make_env().engine
    assert engine.heartbeat_interval == 2.0
    assert engine.stale_after.total_seconds() + engine.heartbeat_interval <= 10
    fast = make_env(seed=False, **FAST).engine
    assert fast.stale_after == timedelta(seconds=3)


# --- killed mid-accept -----------------------------------------------------------------------------------


def make_preview(world: dict[str, Any], kind: str = "visual") -> str:
    """A `preview_ready` run made by a runtime that is then closed (as a process that quit would)."""
    clip_id, _asset_id, fields = KIND_CASES[kind]
    runtime = open_runtime(world["settings"])
    try:
        run_id = runtime.engine.start(StartRequest("lec_test", clip_id, kind, fields))
        from tui_editor.runs.waiting import wait_for_run

        assert wait_for_run(runtime.engine, run_id, timeout=30).status == "preview_ready"
    finally:
        runtime.close()
    return run_id


@pytest.mark.parametrize("decision", ["accept", "reject"])
def test_kill_9_mid_accept_leaves_the_preview_pending(
    spawn: Any, world: dict[str, Any], decision: str
) -> None:
    data_dir = world["data_dir"]
    run_id = make_preview(world)
    probe = world["runtime"]()
    before = committed(probe.store, data_dir, "visual", "vis_0")
    preview = dict(probe.engine.get(run_id).preview_asset or {})
    preview_bytes = (data_dir / preview["file"]).read_bytes()
    probe.close()

    child = spawn("accept", str(data_dir), world["db"], run_id, **FAST)
    promoted = child.expect("promoted")["file"]
    # The promoted copy is whole (written to a temp name, fsynced, renamed), but not committed yet.
    assert (data_dir / promoted).read_bytes() == preview_bytes
    assert not [p for p in (data_dir / promoted).parent.iterdir() if p.name.endswith(".tmp")]
    child.kill9()

    runtime = world["runtime"]()
    run = runtime.engine.get(run_id)
    assert run.status == "preview_ready"  # the decision never happened
    assert committed(runtime.store, data_dir, "visual", "vis_0") == before
    assert runtime.store.list_revisions("lec_test")[0]["revision"] == 1
    assert (data_dir / preview["file"]).read_bytes() == preview_bytes
    assert integrity_ok(world["db"])

    # Still decidable, from another process; the orphaned copy is never referenced.
    result = cli(world, decision, run_id, "--json")
    assert result.returncode == 0, result.stderr
    after = runtime.store.get_asset("visual", "vis_0")
    if decision == "accept":
        assert runtime.engine.get(run_id).status == "accepted"
        assert after["file"] != promoted and after["file"] != before[0]["file"]
        assert (data_dir / after["file"]).read_bytes() == preview_bytes
        assert runtime.store.lecture_revision("lec_test") == 2
    else:
        assert runtime.engine.get(run_id).status == "rejected"
        assert committed(runtime.store, data_dir, "visual", "vis_0") == before
    referenced = {a["file"] for a in runtime.store.export_lecture("lec_test")["visuals"]}
    assert promoted not in referenced
    assert not (data_dir / "previews" / run_id).exists()


@pytest.mark.parametrize("op", ["accept", "undo"])
def test_kill_9_inside_an_accept_or_undo_transaction_lands_nothing(
    spawn: Any, world: dict[str, Any], op: str
) -> None:
    """Killed with every write of the commit made (asset, lecture, revision row, the run's move and its
    event) but not committed: none of it is there afterwards, and the decision can be made again."""
    data_dir = world["data_dir"]
    run_id = make_preview(world)
    probe = world["runtime"]()
    original = probe.store.get_asset("visual", "vis_0")
    if op == "undo":
        probe.engine.decide(run_id, True)
    before = dump(probe.store)
    probe.close()

    child = spawn("in-commit", str(data_dir), world["db"], op, run_id, **FAST)
    assert child.expect("written")["type"] == ("complete" if op == "accept" else "reopened")
    child.kill9()

    runtime = world["runtime"]()
    assert dump(runtime.store) == before
    assert runtime.engine.get(run_id).status == ("preview_ready" if op == "accept" else "accepted")
    assert integrity_ok(world["db"])

    # Decided again from another process: the accept keeps what its undo needs, and the undo uses it.
    if op == "accept":
        result = cli(world, "accept", run_id, "--json")
        assert result.returncode == 0, result.stderr
        assert dict(runtime.engine.get(run_id).replaced or {})["file"] == original["file"]
    result = cli(world, "undo", "lec_test", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["undone"] == "accept"
    assert runtime.engine.get(run_id).status == "preview_ready"
    assert runtime.store.get_asset("visual", "vis_0")["file"] == original["file"]


# --- a pending preview outlives its process ---------------------------------------------------------------


@pytest.mark.parametrize("ending", ["clean-exit", "kill-9"])
def test_a_preview_outlives_the_process_that_made_it(spawn: Any, world: dict[str, Any], ending: str) -> None:
    data_dir = world["data_dir"]
    clip_id, asset_id, fields = KIND_CASES["narration"]
    child = spawn("preview", str(data_dir), world["db"], "narration", clip_id, json.dumps(fields), **FAST)
    ready = child.expect("preview_ready")
    run_id = ready["run_id"]
    assert ready["status"] == "preview_ready"
    if ending == "kill-9":
        child.kill9()
    else:
        assert child.exit_cleanly() == 0

    listed = runs_json(world)  # a new process: still pending, not "interrupted"
    assert listed[run_id]["status"] == "preview_ready" and listed[run_id]["error"] is None
    assert (data_dir / ready["file"]).is_file()

    runtime = world["runtime"]()
    assert runtime.engine.get(run_id).status == "preview_ready"
    decision = runtime.engine.decide(run_id, True)
    assert decision.revision == 2
    assert runtime.store.get_asset("narration", asset_id)["script"] == fields["script"]
    assert not (data_dir / "previews" / run_id).exists()
