"""The team engine end to end on a real Temporal dev server and PostgreSQL: a run is a workflow whose
state changes land in the shared event log exactly as the embedded engine's do."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import wait_for
from tests.runs.conftest import KIND_CASES, FailingGenerator, GatedGenerator
from tests.runs.temporal.conftest import Team
from tui_editor.core import takes
from tui_editor.core.errors import ConflictError, DecisionError
from tui_editor.core.flow import StartRequest
from tui_editor.core.run_record import RunStatus
from tui_editor.generators.base import GenerationError
from tui_editor.runs.temporal.engine import TemporalEngine
from tui_editor.runs.waiting import wait_for_run


def start(runtime: Any, team: Team, kind: str = "visual", **fields: Any) -> str:
    clip_id, _asset_id, request = KIND_CASES[kind]
    run_id: str = runtime.engine.start(
        StartRequest(lecture_id=team.lecture_id, clip_id=clip_id, kind=kind, fields=request | fields)
    )
    return run_id


def settle(runtime: Any, run_id: str, status: str, timeout: float = 30.0) -> Any:
    return wait_for_run(runtime.engine, run_id, [status], timeout=timeout, recheck_s=0.05)


def heartbeat(team: Team, run_id: str) -> bytes:
    """The details of the run's pending activity's last heartbeat, as raw payload bytes."""
    from temporalio.client import Client

    async def read() -> bytes:
        client = await Client.connect(team.server.address)
        description = await client.get_workflow_handle(run_id).describe()
        pending = description.raw_description.pending_activities
        return b"".join(p.data for a in pending for p in a.heartbeat_details.payloads)

    return asyncio.run(read())


@pytest.mark.parametrize("kind", ["visual", "narration", "music"])
def test_start_preview_accept_commits_and_logs_every_step(make_team: Any, kind: str) -> None:
    team = make_team()
    team.worker()
    runtime, events = team.runtime()
    assert isinstance(runtime.engine, TemporalEngine) and runtime.engine.runs_outlive_process
    clip_id, asset_id, _request = KIND_CASES[kind]
    run_id = start(runtime, team, kind)
    record = settle(runtime, run_id, RunStatus.PREVIEW_READY)
    preview = dict(record.preview_asset or {})
    assert (team.data_dir / preview["file"]).is_file()
    # The preview is in the workflow's memo as well (read with describe(), no worker needed).
    # (The activity writes the database first; the workflow's memo follows a moment later.)
    memo = wait_for(lambda: runtime.engine.preview_from_memo(run_id), message="the preview in the memo")
    assert memo["file"] == preview["file"]

    before = runtime.store.lecture_revision(team.lecture_id)
    decision = runtime.engine.decide(run_id, True, decided_by="ada")
    assert decision.accepted and decision.revision == before + 1
    assert decision.asset is not None and decision.asset["file"].startswith(f"media/{kind}/{asset_id}/")
    record = runtime.engine.get(run_id)
    assert record.status == RunStatus.ACCEPTED and record.decided_by == "ada"
    assert runtime.store.get_asset(kind, asset_id)["file"] == decision.asset["file"]
    assert (team.data_dir / decision.asset["file"]).is_file()
    assert not (team.data_dir / "previews" / run_id).exists()
    # The log holds the local engine's sequence: queued, starting, progress..., preview, complete.
    logged = [e.type for e in runtime.store.events_for_run(run_id)]
    assert logged[:2] == ["status", "status"] and logged[-2:] == ["preview", "complete"]
    assert set(logged[2:-2]) <= {"status"}
    # ... and this process's hub delivered each of them once (tail of the worker's writes).
    wait_for(lambda: events.types(run_id) == logged, timeout=10, message="every event delivered once")
    # A second decision is refused, with nothing committed twice.
    with pytest.raises(DecisionError, match="accepted"):
        runtime.engine.decide(run_id, True)
    assert runtime.store.lecture_revision(team.lecture_id) == before + 1


def test_reject_commits_nothing_and_removes_the_preview(make_team: Any) -> None:
    team = make_team()
    team.worker()
    runtime, _events = team.runtime()
    run_id = start(runtime, team)
    settle(runtime, run_id, RunStatus.PREVIEW_READY)
    before = runtime.store.get_asset("visual", "vis_0")
    decision = runtime.engine.decide(run_id, False, decided_by="bo")
    assert not decision.accepted
    record = runtime.engine.get(run_id)
    assert record.status == RunStatus.REJECTED and record.decided_by == "bo"
    assert runtime.store.get_asset("visual", "vis_0") == before
    assert not (team.data_dir / "previews" / run_id).exists()
    assert [e.type for e in runtime.store.events_for_run(run_id)][-1] == "rejected"


def test_an_undone_accept_can_be_decided_again_after_its_workflow_ended(make_team: Any) -> None:
    team = make_team()
    team.worker()
    runtime, _events = team.runtime()
    run_id = start(runtime, team)
    settle(runtime, run_id, RunStatus.PREVIEW_READY)
    before = runtime.store.get_asset("visual", "vis_0")
    assert runtime.engine.decide(run_id, True, decided_by="ana").accepted
    # The worker's accept kept what undo needs on the run, in the accept's own transaction.
    accepted = runtime.engine.get(run_id)
    committed = runtime.store.get_asset("visual", "vis_0")
    assert dict(accepted.replaced or {}) == {k: v for k, v in before.items() if k not in ("id", "updated_at")}
    assert accepted.committed_file == committed["file"] != before["file"]
    assert accepted.decided_asset_updated_at == committed["updated_at"]
    undone = takes.undo_last(runtime.store, team.lecture_id)  # the workflow has ended; the take waits again
    assert undone.event is not None and undone.event.type == "reopened"
    assert runtime.engine.get(run_id).status == RunStatus.PREVIEW_READY
    assert runtime.store.get_asset("visual", "vis_0")["file"] == before["file"]

    decision = runtime.engine.decide(run_id, False, decided_by="bo")

    assert not decision.accepted
    record = runtime.engine.get(run_id)
    assert record.status == RunStatus.REJECTED and record.decided_by == "bo"
    assert runtime.store.get_asset("visual", "vis_0")["file"] == before["file"]


def test_cancel_mid_generation_stops_the_generator(make_team: Any) -> None:
    team = make_team()
    gate = GatedGenerator()
    team.worker(gate)
    runtime, _events = team.runtime()
    run_id = start(runtime, team)
    assert gate.started.wait(20)
    assert runtime.engine.get(run_id).status == RunStatus.GENERATING
    # The generate activity's heartbeats carry the generator's progress.
    wait_for(lambda: b"Halfway there" in heartbeat(team, run_id), message="the progress in a heartbeat")
    runtime.engine.cancel(run_id)
    assert runtime.engine.get(run_id).status == RunStatus.CANCELLED  # at once, in the store
    assert gate.finished.wait(20), "the generator was not cancelled"
    wait_for(lambda: not (team.data_dir / "previews" / run_id).exists(), message="preview folder removed")
    assert [e.type for e in runtime.store.events_for_run(run_id)][-1] == "cancelled"
    with pytest.raises(DecisionError, match="already cancelled"):
        runtime.engine.cancel(run_id)


def test_an_undecided_preview_expires(make_team: Any) -> None:
    team = make_team(engine__decision_timeout=1)
    team.worker()
    runtime, _events = team.runtime()
    run_id = start(runtime, team)
    record = settle(runtime, run_id, RunStatus.EXPIRED, timeout=20)
    assert record.error == "the preview expired"
    wait_for(lambda: not (team.data_dir / "previews" / run_id).exists(), message="preview folder removed")
    with pytest.raises(DecisionError, match="expired"):
        runtime.engine.decide(run_id, True)


def test_conflicting_accepts_one_commits_the_other_gets_a_conflict(make_team: Any) -> None:
    team = make_team()
    team.worker()
    first_editor, _ = team.runtime()
    second_editor, _ = team.runtime()
    first = start(first_editor, team, prompt="A red cube")
    second = start(second_editor, team, prompt="A blue sphere")
    settle(first_editor, first, RunStatus.PREVIEW_READY)
    settle(second_editor, second, RunStatus.PREVIEW_READY)
    decision = first_editor.engine.decide(first, True)
    assert decision.accepted
    with pytest.raises(ConflictError, match="changed since revision"):
        second_editor.engine.decide(second, True)
    # Nothing lost: the first commit stands, the second preview still waits and can be rejected.
    assert first_editor.store.get_asset("visual", "vis_0")["prompt"] == "A red cube"
    assert second_editor.engine.get(second).status == RunStatus.PREVIEW_READY
    assert not second_editor.engine.decide(second, False).accepted


def test_a_generator_failure_fails_the_run_at_once_and_is_not_sent_again(make_team: Any) -> None:
    team = make_team()
    failing = GenerationError("provider said: content policy violation", retryable=False)
    team.worker(FailingGenerator(failing))
    runtime, _events = team.runtime()
    run_id = start(runtime, team)
    record = settle(runtime, run_id, RunStatus.FAILED)
    assert record.error == "provider said: content policy violation"
    assert team.workers[0].generator_factory.calls == [("visual", "local")]
    assert not (team.data_dir / "previews" / run_id).exists()
    error = [e for e in runtime.store.events_for_run(run_id) if e.type == "error"]
    assert [e.payload["message"] for e in error] == ["provider said: content policy violation"]


HISTORIES = Path(__file__).with_name("histories")


def test_histories_replay_deterministically(make_team: Any) -> None:
    """Every ending (accepted, rejected, expired, cancelled, failed) recorded, then replayed by a Replayer.

    With RECORD_TEMPORAL_HISTORIES=1 the histories are also written to `histories/`, which the next test
    replays on every run: a change to the workflow code that breaks runs already in flight fails there.
    """
    from temporalio.client import Client
    from temporalio.worker import Replayer

    from tui_editor.runs.temporal.workflow import RunWorkflow

    team = make_team(engine__decision_timeout=1.5)
    team.worker()
    runtime, _events = team.runtime()
    accepted, rejected, expired = (start(runtime, team, prompt=f"p{i}") for i in range(3))
    for run_id in (accepted, rejected):
        settle(runtime, run_id, RunStatus.PREVIEW_READY)
    runtime.engine.decide(rejected, False)
    runtime.engine.decide(accepted, True)
    settle(runtime, expired, RunStatus.EXPIRED, timeout=20)
    # A cancelled one, on a queue whose generator waits; a failed one, on a queue whose generator fails.
    gate = GatedGenerator()
    gated = make_team()
    gated.worker(gate)
    gated_runtime, _ = gated.runtime()
    cancelled = start(gated_runtime, gated)
    assert gate.started.wait(20)
    gated_runtime.engine.cancel(cancelled)
    assert gate.finished.wait(20)
    failing = make_team()
    failing.worker(FailingGenerator(GenerationError("no", retryable=False)))
    failing_runtime, _ = failing.runtime()
    failed = start(failing_runtime, failing)
    settle(failing_runtime, failed, RunStatus.FAILED)
    endings = {"accepted": accepted, "rejected": rejected, "expired": expired}
    endings |= {"cancelled": cancelled, "failed": failed}

    async def replay() -> list[str]:
        client = await Client.connect(team.server.address)
        replayed = []
        for ending, run_id in endings.items():
            handle = client.get_workflow_handle(run_id)
            for _ in range(400):  # the workflow closes once its last activity reported back
                if (await handle.describe()).close_time is not None:
                    break
                await asyncio.sleep(0.05)
            history = await handle.fetch_history()
            await Replayer(workflows=[RunWorkflow]).replay_workflow(history)
            if os.environ.get("RECORD_TEMPORAL_HISTORIES") == "1":
                HISTORIES.mkdir(exist_ok=True)
                (HISTORIES / f"{ending}.json").write_text(history.to_json(), encoding="utf-8")
            replayed.append(ending)
        return replayed

    assert asyncio.run(replay()) == list(endings)


def test_recorded_histories_still_replay() -> None:
    """Histories recorded by an earlier version of the workflow (one per ending) replay on this one."""
    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer

    from tui_editor.runs.temporal.workflow import RunWorkflow

    files = sorted(HISTORIES.glob("*.json"))
    assert [f.stem for f in files] == ["accepted", "cancelled", "expired", "failed", "rejected"]

    async def replay() -> None:
        replayer = Replayer(workflows=[RunWorkflow])
        for file in files:
            history = WorkflowHistory.from_json(file.stem, file.read_text(encoding="utf-8"))
            await replayer.replay_workflow(history)

    asyncio.run(replay())


def test_starting_without_a_server_is_one_clear_error(make_team: Any, tmp_path: Path) -> None:
    from tui_editor.runs.temporal.devserver import free_port
    from tui_editor.runs.temporal.engine import TemporalUnavailable

    team = make_team(engine__temporal__address=f"127.0.0.1:{free_port()}")
    runtime, _events = team.runtime()
    with pytest.raises(TemporalUnavailable, match="cannot reach the Temporal server"):
        start(runtime, team)
    assert runtime.engine.list(lecture_id=team.lecture_id) == []  # no run recorded for nobody


def test_a_local_engine_sweep_leaves_team_runs_alone(make_team: Any) -> None:
    """A one-shot command on the embedded engine sweeps dead owners' runs: a team run has no beating
    process, and its workflow owns it, so the sweep must not fail it as 'interrupted'."""
    from tui_editor.runs.local import LocalEngine

    team = make_team()
    gate = GatedGenerator()
    team.worker(gate)
    runtime, _events = team.runtime()
    run_id = start(runtime, team)
    assert gate.started.wait(20)
    local, _ = team.runtime(engine__kind="local")
    assert isinstance(local.engine, LocalEngine)
    local.engine.housekeeping()
    assert runtime.engine.get(run_id).status == RunStatus.GENERATING
    gate.release.set()
    settle(runtime, run_id, RunStatus.PREVIEW_READY)
