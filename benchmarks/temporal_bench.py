"""Team engine benchmarks: prints numbers, asserts nothing.

    .venv/bin/python benchmarks/temporal_bench.py [--rounds N] [--runs N] [--commands N] [--workers N]
        [--pg URL]

Starts its own Temporal dev server (the `team` extra's binary, in memory) on a free port and uses a
fresh PostgreSQL schema (`--pg`, default the tests' server) or, with `--pg sqlite`, a SQLite file.

- start → preview_ready (the local visual generator) and signal → commit (`decide(accept)` returns,
  committed), p50/p95, for the Temporal engine beside the embedded local engine on the same database;
- `regenerate --no-wait --json` as a user runs it (process start included; `--commands` times), p50/p95;
- throughput: `--runs` (200) runs of the local visual generator started at once, on `--workers` (2)
  `tui-editor worker` processes: wall time from the first start to the last preview, runs per second.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.factories import seeded_store  # noqa: E402
from tui_editor.config import Settings, load_settings  # noqa: E402
from tui_editor.core.flow import StartRequest  # noqa: E402
from tui_editor.core.run_record import RunStatus  # noqa: E402
from tui_editor.runs.runtime import Runtime, open_runtime  # noqa: E402
from tui_editor.runs.temporal.devserver import free_port, start_dev_server, stop_dev_server  # noqa: E402
from tui_editor.runs.waiting import wait_for_run  # noqa: E402

PG_URL = os.environ.get("TUI_EDITOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CLI = Path(sys.executable).with_name("tui-editor")


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def ms(values: Sequence[float]) -> str:
    if not values:
        return "no samples"
    return f"p50 {pct(values, 50) * 1000:7.1f} ms   p95 {pct(values, 95) * 1000:7.1f} ms   (n={len(values)})"


def settings_for(db: str, data_dir: Path, kind: str, address: str, queue: str) -> Settings:
    environ = {
        "TUI_EDITOR__ENGINE__KIND": kind,
        "TUI_EDITOR__ENGINE__TEMPORAL__ADDRESS": address,
        "TUI_EDITOR__ENGINE__TEMPORAL__TASK_QUEUE": queue,
        "TUI_EDITOR__EVENTS__POLL_INTERVAL_MS": "20",
    }
    return load_settings(data_dir=data_dir, db_url=db, environ=environ)


def latencies(runtime: Runtime, lecture_id: str, rounds: int) -> tuple[list[float], list[float]]:
    """start → preview_ready and decide(accept) → committed, `rounds` times, one run at a time."""
    to_preview: list[float] = []
    to_commit: list[float] = []
    for i in range(rounds):
        began = time.perf_counter()
        run_id = runtime.engine.start(
            StartRequest(lecture_id, "clip_v0", "visual", {"prompt": f"A red cube, take {i}"})
        )
        record = wait_for_run(runtime.engine, run_id, timeout=120, recheck_s=0.01)
        if record.status != RunStatus.PREVIEW_READY:
            print(f"  run {record.status}: {record.error}")
            continue
        to_preview.append(time.perf_counter() - began)
        began = time.perf_counter()
        runtime.engine.decide(run_id, True)
        to_commit.append(time.perf_counter() - began)
    return to_preview, to_commit


def throughput(runtime: Runtime, lecture_id: str, runs: int) -> float:
    from concurrent.futures import ThreadPoolExecutor

    def start(i: int) -> str:
        request = StartRequest(lecture_id, "clip_v1", "visual", {"prompt": f"Throughput {i}"})
        run_id: str = runtime.engine.start(request)
        return run_id

    began = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:  # editors start runs in parallel too
        run_ids = list(pool.map(start, range(runs)))
    started = time.perf_counter() - began
    wanted = set(run_ids)
    while True:
        done = {
            r.id
            for r in runtime.store.list_runs(lecture_id=lecture_id)
            if not r.is_open or r.status == "preview_ready"
        }
        if wanted <= done:
            break
        time.sleep(0.05)
    took = time.perf_counter() - began
    failed = [
        r for r in runtime.store.list_runs(lecture_id=lecture_id, statuses=["failed"]) if r.id in wanted
    ]
    print(f"  {runs} starts took {started:.1f} s; all previews after {took:.1f} s; failed {len(failed)}")
    return runs / took


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--commands", type=int, default=20, help="timed `regenerate --no-wait` processes")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4, help="generations at a time per worker")
    parser.add_argument("--pg", default=PG_URL, help="PostgreSQL URL, or 'sqlite'")
    args = parser.parse_args(argv)

    import sqlalchemy as sa

    tmp = Path(tempfile.mkdtemp(prefix="temporal-bench-"))
    data_dir = tmp / "data"
    data_dir.mkdir()
    schema = f"bench_{secrets.token_hex(4)}"
    admin: Any = None
    if args.pg == "sqlite":
        db = f"sqlite:///{data_dir / 'tui-editor.db'}"
    else:
        admin = sa.create_engine(args.pg)
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        db = f"{args.pg}{'&' if '?' in args.pg else '?'}options=-csearch_path%3D{schema}"
    port = free_port()
    server = start_dev_server(port=port, db_file=None, stderr=subprocess.DEVNULL)  # its retries under load
    address = f"127.0.0.1:{port}"
    queue = f"bench-{secrets.token_hex(3)}"
    workers: list[subprocess.Popen[bytes]] = []
    runtimes: list[Runtime] = []
    try:
        store, lecture_id = seeded_store(db, data_dir)
        store.close()
        env = dict(os.environ) | {
            "TUI_EDITOR_DB": db,
            "TUI_EDITOR_DATA_DIR": str(data_dir),
            "TUI_EDITOR__ENGINE__TEMPORAL__ADDRESS": address,
            "TUI_EDITOR__ENGINE__TEMPORAL__TASK_QUEUE": queue,
        }
        for _ in range(args.workers):
            worker = subprocess.Popen(
                [str(CLI), "worker", "--concurrency", str(args.concurrency)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            assert worker.stdout is not None
            worker.stdout.readline()  # its banner: polling the task queue
            workers.append(worker)
        shown = db.split("?")[0]
        print(f"Temporal dev server {address}; {args.workers} workers x {args.concurrency}; database {shown}")

        results: dict[str, tuple[list[float], list[float]]] = {}
        for kind in ("local", "temporal"):
            runtime = open_runtime(settings_for(db, data_dir, kind, address, queue))
            runtimes.append(runtime)
            latencies(runtime, lecture_id, 2)  # warm-up (imports, connections, sticky caches)
            results[kind] = latencies(runtime, lecture_id, args.rounds)
            if kind == "local":  # its engine generated in this process: stop it before the next
                runtime.close()
                runtimes.remove(runtime)
        print(f"\nLatency, local visual generator, {args.rounds} runs one at a time")
        for kind, (to_preview, to_commit) in results.items():
            print(f"  {kind:<8} start → preview_ready   {ms(to_preview)}")
            print(f"  {kind:<8} signal → commit         {ms(to_commit)}")
        command = "tui-editor regenerate LECTURE CLIP --no-wait --json"
        print(f"\n`{command}` (a whole process), {args.commands} times")
        command_env = env | {"TUI_EDITOR__ENGINE__KIND": "temporal"}
        # As on a user's machine, where Python caches the package's bytecode on its first run (a sandbox's
        # PYTHONDONTWRITEBYTECODE would have every run compile it again); the first run is not counted.
        command_env.pop("PYTHONDONTWRITEBYTECODE", None)
        took: list[float] = []
        started_ids: list[str] = []
        for i in range(args.commands + 1):
            began = time.perf_counter()
            result = subprocess.run(
                [str(CLI), "regenerate", lecture_id, "clip_v1", "--no-wait", "--json"],
                env=command_env,
                capture_output=True,
                check=True,
            )
            if i:
                took.append(time.perf_counter() - began)
            started_ids.append(json.loads(result.stdout)["id"])
        print(f"  {ms(took)}")
        # Nothing here decides or watches them: the workers alone take each run to its preview.
        for run_id in started_ids:
            wait_for_run(runtimes[-1].engine, run_id, timeout=120, recheck_s=0.05)
        statuses = Counter(runtimes[-1].store.get_run(run_id).status.value for run_id in started_ids)
        print(f"  those runs now: {dict(statuses)}")
        print(f"\nThroughput: {args.runs} concurrent local visual runs on {args.workers} workers")
        rate = throughput(runtimes[-1], lecture_id, args.runs)
        print(f"  temporal {rate:6.2f} runs/s")
    finally:
        for runtime in runtimes:
            runtime.close()
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
        stop_dev_server(server)
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()
    sys.stdout.flush()
    os._exit(0)  # temporalio's core threads can abort the interpreter's exit (sdk-python#300)


if __name__ == "__main__":
    main()
