"""`run_batch`: bounded concurrency, cancel (queued jobs never start, generating ones are cancelled,
finished ones stay decidable), the persisted record, the progress callback; the estimate's schedule."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from tests.runs.conftest import EngineEnv, FactoryLog, GatedGenerator, ProviderStandIn
from tui_editor.core.batch_record import load_batch
from tui_editor.core.run_record import ACTIVE_STATUSES
from tui_editor.runs.batch import BatchJob, BatchProgress, estimate_batch, run_batch, schedule_seconds

JOBS = [BatchJob("clip_v0", "visual", {"prompt": "one"}), BatchJob("clip_v1", "visual", {"prompt": "two"})]


def _in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    box: dict[str, Any] = {}

    def target() -> None:
        box["result"] = fn()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, box


def test_cancel_stops_the_generating_run_and_never_starts_the_queued_one(
    make_env: Callable[..., EngineEnv],
) -> None:
    gate = GatedGenerator()
    env = make_env(generator_factory=FactoryLog(gate))
    cancel = threading.Event()
    thread, box = _in_thread(
        lambda: run_batch(env.engine, env.lecture_id, JOBS, concurrency=1, cancel=cancel)
    )
    assert gate.started.wait(30)
    # Bounded: one run at a time.
    assert len(env.store.list_runs(statuses=ACTIVE_STATUSES)) == 1
    cancel.set()
    thread.join(30)
    result = box["result"]
    assert [(o.clip_id, o.status) for o in result.outcomes] == [
        ("clip_v0", "cancelled"),
        ("clip_v1", "cancelled"),
    ]
    assert result.outcomes[0].run_id is not None and result.outcomes[1].run_id is None
    assert env.engine.get(result.outcomes[0].run_id).status == "cancelled"
    assert result.cancelled and not result.succeeded
    stored = load_batch(env.store, result.batch_id)
    assert [i["status"] for i in stored["items"]] == ["cancelled", "cancelled"]


def test_finished_runs_stay_decidable_after_a_cancel_and_progress_is_reported(
    make_env: Callable[..., EngineEnv],
) -> None:
    env = make_env(generator_factory=FactoryLog(ProviderStandIn()))
    cancel = threading.Event()
    seen: list[BatchProgress] = []

    def on_progress(progress: BatchProgress) -> None:
        seen.append(progress)
        cancel.set()  # ctrl+c right after the first run finished

    result = run_batch(
        env.engine, env.lecture_id, JOBS, concurrency=1, cancel=cancel, on_progress=on_progress
    )
    assert [(p.done, p.total) for p in seen] == [(1, 2), (2, 2)]
    first, second = result.outcomes
    assert (first.status, second.status) == ("preview_ready", "cancelled")
    assert result.summary()["failed"] == [
        {"clip_id": "clip_v1", "run_id": None, "error": "cancelled before it started"}
    ]
    assert first.run_id is not None
    decision = env.engine.decide(first.run_id, True)
    assert decision.accepted and env.asset("visual", "vis_0")["prompt"] == "one"


def test_accept_commits_each_preview(make_env: Callable[..., EngineEnv]) -> None:
    env = make_env(generator_factory=FactoryLog(ProviderStandIn()))
    result = run_batch(env.engine, env.lecture_id, JOBS, concurrency=2, accept=True, decided_by="batcher")
    assert sorted(o.status for o in result.outcomes) == ["accepted", "accepted"]
    assert {env.asset("visual", a)["prompt"] for a in ("vis_0", "vis_1")} == {"one", "two"}
    assert [r["decided_by"] for r in env.store.list_revisions(env.lecture_id)[:2]] == ["batcher", "batcher"]


@pytest.mark.parametrize(
    ("durations", "concurrency", "expected"),
    [([], 3, 0.0), ([10.0] * 6, 2, 30.0), ([10.0] * 6, 10, 10.0), ([30.0, 10.0, 10.0, 10.0], 2, 30.0)],
)
def test_schedule_seconds(durations: list[float], concurrency: int, expected: float) -> None:
    assert schedule_seconds(durations, concurrency) == expected


def test_estimate_uses_pricing_and_the_median_of_past_runs(make_env: Callable[..., EngineEnv]) -> None:
    from tui_editor.config import ModelPricing

    env = make_env(generator_factory=FactoryLog(ProviderStandIn()))
    env.settings.pricing["gpt-image-1"] = ModelPricing(per_image=0.5, per_1k_chars=1.0)
    snapshot = env.store.load_snapshot(env.lecture_id)
    jobs = [BatchJob(j.clip_id, j.kind, {**j.fields, "model": "gpt-image-1"}) for j in JOBS]
    estimate = estimate_batch(env.store, env.settings, snapshot, jobs, 1)
    # $0.50 per image + $1 per 1,000 characters of prompt ("one", "two"); no past runs: 20 s each.
    assert estimate.to_json() == {"runs": 2, "cost_usd": 1.006, "eta_s": 40.0}
    assert "no past runs of gpt-image-1: 20 s each assumed" in estimate.notes
    run_batch(env.engine, env.lecture_id, jobs, concurrency=2)
    after = estimate_batch(env.store, env.settings, snapshot, jobs, 1)
    assert after.eta_s < 40.0 and not any("no past runs" in n for n in after.notes)
    local = [BatchJob("clip_v0", "visual", {"model": "local/pillow"})]
    assert estimate_batch(env.store, env.settings, snapshot, local, 1).cost_usd == 0.0


def test_housekeeping_reports_the_tail_cursor_and_prunes_only_read_old_events(
    make_env: Callable[..., EngineEnv],
) -> None:
    from datetime import timedelta

    from tests.conftest import wait_for
    from tui_editor.core.clock import utcnow
    from tui_editor.core.store import EVENT

    env = make_env(generator_factory=FactoryLog(ProviderStandIn()), tail=True)
    run_batch(env.engine, env.lecture_id, JOBS[:1], concurrency=1)
    newest = env.store.last_event_id()
    wait_for(lambda: env.hub.read_position == newest, message="the tail to read every event")
    with env.store.write() as conn:  # every event so far is a month old
        conn.execute(EVENT.update().values(created_at=utcnow() - timedelta(days=30)))
    # Another live process whose tail lags one event behind.
    env.store.beat("lagging", host="elsewhere", pid=1, event_cursor=newest - 1)
    env.engine._next_prune = utcnow()
    env.engine.housekeeping()
    beats = {b["id"]: b for b in env.store.heartbeats()}
    assert beats[env.engine.process_id]["event_cursor"] == newest
    assert [e["id"] for e in env.store.raw_events_after(0)] == [newest]  # the one it has not read is kept
