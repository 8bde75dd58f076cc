"""Team mode from the command line, with the real console script: `temporal-dev`, `worker`,
`regenerate --no-wait`, and accept/reject/cancel answered by the run's workflow."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.runs.conftest import CLI, child_env
from tests.runs.temporal.conftest import Team
from tui_editor.core.flow import StartRequest
from tui_editor.core.run_record import RunStatus
from tui_editor.runs.temporal.devserver import free_port
from tui_editor.runs.waiting import wait_for_run


def cli(team: Team, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), *args], capture_output=True, text=True, timeout=timeout, env=team.child_env()
    )


def no_wait(team: Team, *args: str) -> tuple[dict[str, Any], float]:
    began = time.monotonic()
    result = cli(team, "regenerate", team.lecture_id, "clip_v0", *args, "--no-wait", "--json")
    took = time.monotonic() - began
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data, took


def test_regenerate_no_wait_returns_at_once_and_the_cli_decides(make_team: Any) -> None:
    team = make_team()
    team.worker()
    run, took = no_wait(team, "--prompt", "A quiet harbour")
    assert run["status"] == "queued" and run["kind"] == "visual" and run["clip_id"] == "clip_v0"
    assert took < 10, took  # a process start and one round trip (under a second when the box is idle)
    watcher, _events = team.runtime()
    # The run reaches its preview with no editor open: only the worker works on it.
    wait_for_run(watcher.engine, run["id"], [RunStatus.PREVIEW_READY], timeout=30, recheck_s=0.05)
    accepted = cli(team, "accept", run["id"], "--json")
    assert accepted.returncode == 0, accepted.stderr
    assert json.loads(accepted.stdout)["status"] == "accepted"
    assert watcher.store.get_asset("visual", "vis_0")["prompt"] == "A quiet harbour"
    again = cli(team, "reject", run["id"])
    assert again.returncode == 1
    assert again.stderr.strip() == (
        f"tui-editor: run {run['id']} is accepted; only a run with a preview waiting can be decided"
    )


def test_cli_reject_and_a_conflict_come_back_from_the_workflow(make_team: Any) -> None:
    team = make_team()
    team.worker()
    watcher, _events = team.runtime()
    # Started by an editor (this process); decided by commands (`no_wait` has its own test above).
    first, second, third = (
        {"id": watcher.engine.start(StartRequest(team.lecture_id, "clip_v0", "visual", {"prompt": p}))}
        for p in ("first", "second", "third")
    )
    for run in (first, second, third):
        wait_for_run(watcher.engine, run["id"], [RunStatus.PREVIEW_READY], timeout=30, recheck_s=0.05)
    assert cli(team, "reject", first["id"]).returncode == 0
    assert watcher.engine.get(first["id"]).status == RunStatus.REJECTED
    assert cli(team, "accept", second["id"]).returncode == 0
    conflict = cli(team, "accept", third["id"])
    assert conflict.returncode == 1
    assert "changed since revision" in conflict.stderr and conflict.stderr.count("\n") == 1
    assert watcher.engine.get(third["id"]).status == RunStatus.PREVIEW_READY


def test_the_worker_command_serves_runs_and_stops_cleanly_on_sigterm(make_team: Any, tmp_path: Path) -> None:
    team = make_team()
    worker = subprocess.Popen(
        [str(CLI), "worker", "--concurrency", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=team.child_env(),
    )
    try:
        assert worker.stdout is not None
        banner = worker.stdout.readline()
        assert f"task queue '{team.task_queue}'" in banner and "2 at a time" in banner
        run, _took = no_wait(team)
        watcher, _events = team.runtime()
        wait_for_run(watcher.engine, run["id"], [RunStatus.PREVIEW_READY], timeout=30, recheck_s=0.05)
        worker.send_signal(signal.SIGTERM)
        _out, err = worker.communicate(timeout=30)
        assert worker.returncode == 0, err
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def test_worker_usage_errors_and_an_unreachable_server_are_one_line(make_team: Any) -> None:
    team = make_team()
    bad = cli(team, "worker", "--concurrency", "0")
    assert bad.returncode == 2 and bad.stderr.strip() == "tui-editor: --concurrency 0: give at least 1"
    env = team.child_env() | {"TUI_EDITOR__ENGINE__TEMPORAL__ADDRESS": f"127.0.0.1:{free_port()}"}
    for args in (["worker"], ["regenerate", team.lecture_id, "clip_v0", "--no-wait"]):
        result = subprocess.run([str(CLI), *args], capture_output=True, text=True, timeout=60, env=env)
        assert result.returncode == 1, result.stderr
        assert result.stderr.startswith("tui-editor: cannot reach the Temporal server at 127.0.0.1:")
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_temporal_dev_starts_the_bundled_server_and_says_where(tmp_path: Path) -> None:
    port = free_port()
    db_file = tmp_path / "dev.db"
    server = subprocess.Popen(
        [
            str(CLI),
            "--data-dir",
            str(tmp_path / "data"),
            "temporal-dev",
            "--port",
            str(port),
            "--db-file",
            str(db_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith(f"Temporal dev server listening on 127.0.0.1:{port}"), line
        assert str(db_file) in line
        server.send_signal(signal.SIGINT)
        _out, err = server.communicate(timeout=30)
        assert server.returncode == 0, err
        assert db_file.is_file()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_the_local_engine_still_refuses_no_wait(make_team: Any) -> None:
    team = make_team()
    env = team.child_env() | {"TUI_EDITOR__ENGINE__KIND": "local"}
    result = subprocess.run(
        [str(CLI), "regenerate", team.lecture_id, "clip_v0", "--no-wait"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 2 and "--no-wait needs an engine whose runs outlive" in result.stderr
