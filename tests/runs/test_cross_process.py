"""A run started in one process is seen live by another, on SQLite and on PostgreSQL.

(`db_url` comes first in a test's arguments so the database outlives the runtimes using it.)

The other process is the real `tui-editor regenerate` console script (or a child stuck mid-run); the
watcher is this test process's own runtime, whose event hub tails the shared database.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import wait_for
from tests.factories import seeded_store
from tests.runs.conftest import CLI, KIND_CASES, child_env, file_state
from tui_editor.core.events import RunEventData
from tui_editor.core.flow import StartRequest
from tui_editor.runs.runtime import Runtime, open_runtime
from tui_editor.runs.waiting import wait_for_run


class Watcher:
    """Collects every event its runtime's hub delivers for one lecture, with the time it arrived."""

    def __init__(self, runtime: Runtime, lecture_id: str) -> None:
        self.runtime = runtime
        self.events: list[RunEventData] = []
        self.arrived: list[float] = []
        self._lock = threading.Lock()
        runtime.hub.subscribe(self._on_event, lecture_id=lecture_id)

    def _on_event(self, event: RunEventData) -> None:
        with self._lock:
            self.events.append(event)
            self.arrived.append(time.time())

    def of(self, run_id: str, event_type: str | None = None) -> list[RunEventData]:
        with self._lock:
            return [e for e in self.events if e.run_id == run_id and event_type in (None, e.type)]


@pytest.fixture
def watched(make_settings: Any, data_dir: Path) -> Iterator[Any]:
    """`watched(db=None)` → (settings, runtime, watcher) on a freshly seeded lecture."""
    runtimes: list[Runtime] = []

    def make(db: str | None = None) -> tuple[Any, Runtime, Watcher]:
        settings = make_settings(db)
        store, lecture_id = seeded_store(settings.database_url, data_dir)
        store.close()
        runtime = open_runtime(settings)  # tails the log (poll 100 ms; LISTEN/NOTIFY on PostgreSQL)
        runtimes.append(runtime)
        return settings, runtime, Watcher(runtime, lecture_id)

    yield make
    for runtime in runtimes:
        runtime.close()


def regenerate(settings: Any, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(CLI), "--data-dir", str(settings.data_path), "--db", settings.database_url, "regenerate", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )


def test_a_cli_run_is_seen_live_then_accepted_here(db_url: str, watched: Any, data_dir: Path) -> None:
    settings, runtime, watcher = watched(db_url)
    clip_id, asset_id, fields = KIND_CASES["narration"]
    before = runtime.store.get_asset("narration", asset_id)
    seed_file = file_state(data_dir / before["file"])

    proc = regenerate(settings, "lec_test", "Narration 0", "--script", fields["script"], "--json")
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    shown = json.loads(out)
    run_id = shown["id"]
    assert shown["status"] == "preview_ready" and shown["clip_id"] == clip_id
    assert shown["preview"]["file"].startswith(f"previews/{run_id}/")

    # This process saw the other one's run through the log: its progress, then the preview.
    wait_for(lambda: watcher.of(run_id, "preview"), timeout=10, message="the preview event")
    seen = watcher.of(run_id)
    assert [e.type for e in seen][-1] == "preview"
    assert seen[0].type == "status" and seen[0].payload["message"] == "Queued"
    assert len({e.id for e in seen}) == len(seen)  # once each
    assert [e.id for e in seen] == sorted(e.id for e in seen)
    assert [e.id for e in seen] == [e.id for e in runtime.store.events_for_run(run_id)]
    assert seen[-1].payload["asset"]["file"] == shown["preview"]["file"]
    # The command exited leaving the preview pending; nothing committed changed.
    assert runtime.engine.get(run_id).status == "preview_ready"
    assert runtime.store.get_asset("narration", asset_id) == before

    decision = runtime.engine.decide(run_id, True)
    assert decision.revision == 2
    saved = runtime.store.get_asset("narration", asset_id)
    assert saved["script"] == fields["script"] and saved["file"].startswith(f"media/narration/{asset_id}/")
    assert file_state(data_dir / before["file"]) == seed_file
    wait_for(lambda: watcher.of(run_id, "complete"), message="the complete event")
    assert len(watcher.of(run_id, "complete")) == 1


def test_a_generating_run_is_seen_while_its_process_is_still_working(
    watched: Any, spawn: Any, data_dir: Path
) -> None:
    """Deterministically live: the other process is stuck mid-generation while we receive its events."""
    settings, runtime, watcher = watched()
    clip_id, _asset_id, fields = KIND_CASES["visual"]
    child = spawn("stall", str(data_dir), settings.database_url, "visual", clip_id, json.dumps(fields))
    run_id = child.expect("stalled")["run_id"]

    wait_for(
        lambda: any(e.payload.get("message") == "Halfway there" for e in watcher.of(run_id, "status")),
        timeout=10,
        message="the child's progress event",
    )
    assert child.proc.poll() is None  # the child is alive and still generating
    assert runtime.engine.get(run_id).status == "generating"
    messages = [e.payload["message"] for e in watcher.of(run_id, "status")]
    assert messages[:2] == ["Queued", "Starting"]

    # Cancelling from here reaches the other process's run: the database is the one place of record.
    runtime.engine.cancel(run_id)
    assert runtime.engine.get(run_id).status == "cancelled"
    assert watcher.of(run_id, "cancelled")
    child.kill9()  # its generator never returns; the run stays cancelled, not failed
    runtime.engine.housekeeping()
    assert runtime.engine.get(run_id).status == "cancelled"


def test_accepts_in_two_processes_on_different_clips_both_land(db_url: str, watched: Any) -> None:
    settings, runtime, watcher = watched(db_url)
    mine = runtime.engine.start(StartRequest("lec_test", "clip_v0", "visual", {"prompt": "mine"}))
    proc = regenerate(settings, "lec_test", "Visual 1", "--prompt", "theirs", "--accept", "--json")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    theirs = json.loads(out)
    assert theirs["status"] == "accepted" and theirs["revision"] == 2

    assert wait_for_run(runtime.engine, mine, timeout=30).status == "preview_ready"
    assert runtime.engine.get(mine).base_revision == 1  # started before their accept
    assert runtime.engine.decide(mine, True).revision == 3
    visuals = {v["id"]: v for v in runtime.store.export_lecture("lec_test")["visuals"]}
    assert visuals["vis_0"]["prompt"] == "mine" and visuals["vis_1"]["prompt"] == "theirs"
    wait_for(lambda: watcher.of(theirs["id"], "complete"), message="their complete event")
