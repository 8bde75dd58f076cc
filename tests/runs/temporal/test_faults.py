"""Faults on the real services: workers killed mid-generation, the starting editor killed, the Temporal
server restarted. A run never stays stuck: it finishes, or fails visibly with a readable message."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
from typing import Any

import pytest

from tests.conftest import wait_for
from tests.runs.conftest import CLI, KIND_CASES, GatedGenerator
from tests.runs.temporal.conftest import ChildWorker, DevServer, PrivatePostgres, Team
from tui_editor.core.flow import StartRequest
from tui_editor.core.run_record import RunStatus
from tui_editor.runs.waiting import wait_for_run


def start(runtime: Any, team: Team, **fields: Any) -> str:
    clip_id, _asset_id, request = KIND_CASES["visual"]
    run_id: str = runtime.engine.start(
        StartRequest(lecture_id=team.lecture_id, clip_id=clip_id, kind="visual", fields=request | fields)
    )
    return run_id


def settle(runtime: Any, run_id: str, status: str, timeout: float = 30.0) -> Any:
    return wait_for_run(runtime.engine, run_id, [status], timeout=timeout, recheck_s=0.05)


def test_a_worker_killed_mid_generation_a_restarted_worker_finishes_a_free_run(
    make_team: Any, child_worker: Any
) -> None:
    team = make_team()
    runtime, _events = team.runtime()
    doomed: ChildWorker = child_worker(team)
    run_id = start(runtime, team)
    assert doomed.expect("generating")["run_id"] == run_id
    doomed.kill9()
    team.worker()  # a fresh worker, with the real local generator
    record = settle(runtime, run_id, RunStatus.PREVIEW_READY)  # after the heartbeat timeout (1.5 s)
    assert (team.data_dir / str((record.preview_asset or {})["file"])).is_file()
    messages = [e.payload.get("message") for e in runtime.store.events_for_run(run_id) if e.type == "status"]
    assert any("attempt 2" in str(m) for m in messages), messages
    assert runtime.engine.decide(run_id, True).accepted


def test_a_worker_killed_mid_generation_fails_a_billed_run_visibly_and_never_resends_it(
    make_team: Any, child_worker: Any
) -> None:
    team = make_team()
    runtime, _events = team.runtime()
    doomed: ChildWorker = child_worker(team)
    run_id = start(runtime, team, model="gpt-image-1")  # an OpenAI-compatible provider: it may bill
    doomed.expect("generating")
    doomed.kill9()
    gate = GatedGenerator()
    team.worker(gate)
    record = settle(runtime, run_id, RunStatus.FAILED)
    assert record.error is not None and "worker stopped while generating" in record.error
    assert not gate.requests  # the request was not sent again
    assert [e.type for e in runtime.store.events_for_run(run_id)][-1] == "error"


def test_the_starting_editor_killed_the_run_completes_and_another_editor_decides(
    make_team: Any, child_worker: Any
) -> None:
    team = make_team()
    worker: ChildWorker = child_worker(team)
    starter = subprocess.Popen(
        [str(CLI), "regenerate", team.lecture_id, "clip_v0", "--prompt", "A lighthouse at dusk"],
        env=team.child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        run_id = worker.expect("generating")["run_id"]
        os.kill(starter.pid, signal.SIGKILL)
        starter.wait(timeout=10)
    finally:
        if starter.poll() is None:
            starter.kill()
            starter.wait()
    (worker.gate / "release").touch()
    other, _events = team.runtime()
    settle(other, run_id, RunStatus.PREVIEW_READY)
    decision = other.engine.decide(run_id, True, decided_by="other editor")
    assert decision.accepted
    assert other.store.get_asset("visual", "vis_0")["prompt"] == "A lighthouse at dusk"


def test_a_server_restart_mid_run_the_run_finishes_after_it_returns(
    make_team: Any, own_server: DevServer
) -> None:
    team = make_team(server=own_server)
    gate = GatedGenerator()
    team.worker(gate)
    runtime, _events = team.runtime()
    run_id = start(runtime, team)
    assert gate.started.wait(20)
    own_server.restart()  # same port, same db file
    gate.release.set()
    settle(runtime, run_id, RunStatus.PREVIEW_READY, timeout=45)
    own_server.restart()  # and once more while the preview waits for its decision
    decision = runtime.engine.decide(run_id, True)
    assert decision.accepted and runtime.engine.get(run_id).status == RunStatus.ACCEPTED
    wait_for(lambda: not (team.data_dir / "previews" / run_id).exists(), message="preview folder removed")


def test_a_postgres_restart_mid_run_the_run_finishes_after_it_returns(
    make_team: Any, private_postgres: PrivatePostgres, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tui_editor.runs.temporal.activities")
    team = make_team(db=private_postgres.url)
    gate = GatedGenerator()
    team.worker(gate)
    runtime, _events = team.runtime()
    run_id = start(runtime, team)
    assert gate.started.wait(20)
    private_postgres.stop()
    gate.release.set()  # the preview is ready while the database is away: the worker keeps it
    assert gate.finished.wait(20)
    wait_for(
        lambda: any("waiting for the database" in r.getMessage() for r in caplog.records),
        message="the worker to wait for the database with the preview in hand",
    )
    private_postgres.start()
    settle(runtime, run_id, RunStatus.PREVIEW_READY)
    private_postgres.stop()
    private_postgres.start()  # and once more while the preview waits for its decision
    decision = runtime.engine.decide(run_id, True)
    assert decision.accepted and runtime.engine.get(run_id).status == RunStatus.ACCEPTED
