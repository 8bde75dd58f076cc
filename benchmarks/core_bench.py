"""Core benchmarks (DESIGN.md §7). Prints measurements; asserts nothing.

    .venv/bin/python benchmarks/core_bench.py [--clips N] [--no-postgres]

(a) Refresh coalescing: 100 `complete` events spread evenly over one second, fed to
    `LectureEditorProvider(..., debounce_ms=150).handle_event`, with a loader that reads the real store;
    a loop runs the due reloads on a real clock (`run_due_refresh`), as the App's timer does.
    Goal: at most 3 snapshot loads.
(b) A 10,000-clip lecture: time and peak memory to import it (`create_lecture` of `big_lecture_doc`),
    load it (`load_snapshot`) and export it (`snapshot_to_export` + JSON), on SQLite and, when it is
    reachable, PostgreSQL (TUI_EDITOR_TEST_PG_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test).
    Times come from a run without tracemalloc; Python heap peaks from a second run with it; RSS from
    /proc/self/status.
(c) Revisions as changes on that 10,000-clip lecture (SQLite): the bytes each accept adds to the
    database (used pages before and after 20 accepts — run row, events and revision — half of them
    narrations whose new length marks their neighbours stale; goal ≤ 50 KB per accept), the size of
    one revision row's changes, and the time to restore the first revision (walking back all 20) and
    one in the middle.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import secrets
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.factories import big_lecture_doc, lecture_doc  # noqa: E402
from tui_editor.core.events import RunEventData  # noqa: E402
from tui_editor.core.exchange import snapshot_to_export, validate_lecture  # noqa: E402
from tui_editor.core.provider import LectureEditorProvider  # noqa: E402
from tui_editor.core.store import Store, open_store  # noqa: E402

PG_URL = os.environ.get("TUI_EDITOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MB = 1024 * 1024


# --- helpers -------------------------------------------------------------------------------------


def rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB, from /proc (0 where unavailable)."""
    values = {"VmRSS": 0.0, "VmHWM": 0.0}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in values:
                values[key] = int(rest.split()[0]) / 1024
    except OSError:
        pass
    return values["VmRSS"], values["VmHWM"]


@contextmanager
def postgres_schema() -> Iterator[str | None]:
    """A URL on a fresh PostgreSQL schema (dropped afterwards), or None when the server is unreachable."""
    import sqlalchemy as sa

    schema = f"bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    except sa.exc.OperationalError as exc:
        print(f"  PostgreSQL at {PG_URL} unreachable ({str(exc.orig).strip().splitlines()[0]}): skipped")
        admin.dispose()
        yield None
        return
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


# --- (a) refresh coalescing ----------------------------------------------------------------------


def bench_refresh_coalescing(work: Path, *, events: int = 100, spread_s: float = 1.0) -> None:
    print(f"(a) {events} complete events over {spread_s:g} s → snapshot loads (goal ≤ 3)")
    doc = lecture_doc(visuals=6, narrations=6, music=2)
    store = open_store(f"sqlite:///{work / 'refresh.db'}")
    try:
        lecture_id = store.create_lecture(validate_lecture(doc))
        load_times: list[float] = []
        start = time.monotonic()

        def loader() -> Any:
            snapshot = store.load_snapshot(lecture_id)
            load_times.append(time.monotonic() - start)
            return snapshot

        # The provider has no thread: this loop drives its reloads on a real clock, as the App's timer does.
        provider = LectureEditorProvider(store.load_snapshot(lecture_id), loader, debounce_ms=150)
        start = time.monotonic()
        for i in range(events):
            target = start + i * spread_s / max(events - 1, 1)
            while time.monotonic() < target:
                provider.run_due_refresh()
                time.sleep(0.001)
            provider.handle_event(
                RunEventData(
                    run_id=f"run_{i}",
                    lecture_id=lecture_id,
                    kind=("visual", "narration", "music")[i % 3],
                    type="complete",
                    payload={"asset_id": "x", "revision": i + 2},
                )
            )
        last_event = time.monotonic() - start
        # Run the pending reloads until none is left (debounce and max-wait bound how long that takes).
        while provider.schedule.pending:
            provider.run_due_refresh()
            time.sleep(0.001)
        loads = list(load_times)
        verdict = "OK" if len(loads) <= 3 else "OVER GOAL"
        print(f"  last event at {last_event * 1000:.0f} ms; loads: {len(loads)} [{verdict}]")
        print("  load times (ms after first event): " + ", ".join(f"{t * 1000:.0f}" for t in loads))
        print(f"  provider.load_count = {provider.load_count}")
    finally:
        store.close()


# --- (b) a 10,000-clip lecture -------------------------------------------------------------------


def _phases(store: Store, doc: dict[str, Any]) -> list[tuple[str, Callable[[], Any]]]:
    state: dict[str, Any] = {}

    def validate() -> None:
        state["clean"] = validate_lecture(doc)

    def create() -> None:
        state["id"] = store.create_lecture(state["clean"])

    def load() -> None:
        state["snapshot"] = store.load_snapshot(state["id"])

    def export() -> None:
        state["json"] = json.dumps(snapshot_to_export(state["snapshot"]), ensure_ascii=False)

    def export_from_db() -> None:
        store.export_lecture(state["id"])

    return [
        ("validate", validate),
        ("import (create_lecture)", create),
        ("load (load_snapshot)", load),
        ("export (to JSON text)", export),
        ("export_lecture (load+export)", export_from_db),
    ]


def bench_big_lecture(label: str, url_factory: Callable[[str], str], clips: int) -> None:
    doc = big_lecture_doc(clips)
    count = sum(len(v) for v in doc["timeline"].values())
    assets = len(doc["visuals"]) + len(doc["narration"]) + len(doc["music"])
    gc.collect()
    print(f"  [{label}] {count} clips, {assets} assets; RSS before: {rss_mb()[0]:.1f} MB")

    # Pass 1: wall time, no tracemalloc (it slows allocation-heavy code several times over).
    store = open_store(url_factory("timing"))
    try:
        timings: dict[str, float] = {}
        rss: dict[str, tuple[float, float]] = {}
        for name, step in _phases(store, doc):
            gc.collect()
            t0 = time.perf_counter()
            step()
            timings[name] = time.perf_counter() - t0
            rss[name] = rss_mb()
    finally:
        store.close()

    # Pass 2: Python heap peak per phase, on a fresh database.
    store = open_store(url_factory("memory"))
    peaks: dict[str, float] = {}
    try:
        tracemalloc.start()
        for name, step in _phases(store, doc):
            gc.collect()
            tracemalloc.reset_peak()
            base, _ = tracemalloc.get_traced_memory()
            step()
            _, peak = tracemalloc.get_traced_memory()
            peaks[name] = (peak - base) / MB
        tracemalloc.stop()
    finally:
        store.close()

    print(f"    {'phase':30} {'time':>9} {'heap peak':>10} {'RSS after':>10} {'RSS peak':>9}")
    for name, _step in _phases(store, doc):
        current, high = rss[name]
        print(
            f"    {name:30} {timings[name] * 1000:7.0f} ms {peaks[name]:8.1f} MB "
            f"{current:8.1f} MB {high:7.1f} MB"
        )


# --- (c) revisions as changes ---------------------------------------------------------------------


def _used_bytes(store: Store) -> int:
    """Bytes of the SQLite file in use (pages minus free pages), after a checkpoint of the WAL."""
    import sqlalchemy as sa

    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.execute(sa.text("PRAGMA page_count")).scalar() or 0
        free = conn.execute(sa.text("PRAGMA freelist_count")).scalar() or 0
        size = conn.execute(sa.text("PRAGMA page_size")).scalar() or 0
    return int((pages - free) * size)


def bench_revision_changes(work: Path, clips: int, accepts: int = 20) -> None:
    import sqlalchemy as sa

    from tui_editor.core.store import REVISION

    store = open_store(f"sqlite:///{work / 'revisions.db'}")
    try:
        lecture_id = store.create_lecture(validate_lecture(big_lecture_doc(clips)))
        snapshot = store.load_snapshot(lecture_id)
        visuals = snapshot.track("visual")
        narrations = snapshot.track("voice")
        before = _used_bytes(store)
        for i in range(accepts):
            if i % 2:
                clip = narrations[(i * 37) % len(narrations)]
                kind, fields = (
                    "narration",
                    {"script": f"take {i}", "duration_s": 3.0 + i, "file": f"m/{i}.wav"},
                )
            else:
                clip = visuals[(i * 37) % len(visuals)]
                kind, fields = "visual", {"prompt": f"take {i}", "file": f"m/{i}.png"}
            # As the engine accepts: a run (with its first event) whose preview is then committed.
            revision = store.lecture_revision(lecture_id)
            run_id = f"run_bench{i:04d}"
            store.create_run(
                {"step": 0, "total_steps": 1, "message": "Queued"},
                id=run_id,
                lecture_id=lecture_id,
                clip_id=clip.id,
                kind=kind,
                request={"fields": fields},
                status="preview_ready",
                base_revision=revision,
            )
            store.commit_asset(
                lecture_id=lecture_id,
                kind=kind,
                asset_id=clip.asset_id,
                fields=fields,
                base_revision=revision,
                run_id=run_id,
                source="accept",
                decided_by="bench",
                clip_id=clip.id,
            )
        added = (_used_bytes(store) - before) / accepts
        with store.read() as conn:
            sizes = [
                len(json.dumps(r.changes))
                for r in conn.execute(sa.select(REVISION.c.changes).where(REVISION.c.revision > 1))
            ]
        verdict = "OK" if added <= 50 * 1024 else "OVER GOAL"
        kb = added / 1024
        print(f"  bytes added per accept (SQLite, {clips:,} clips): {kb:.1f} KB [{verdict}, goal ≤ 50 KB]")
        print(f"  changes JSON per revision: {min(sizes)}–{max(sizes)} bytes")
        for target in (1, 1 + accepts // 2):
            t0 = time.perf_counter()
            store.restore_revision(lecture_id, target)
            elapsed = time.perf_counter() - t0
            walked = store.lecture_revision(lecture_id) - 1 - target
            print(f"  restore revision {target} (walks back {walked} revisions): {elapsed * 1000:.0f} ms")
        from tui_editor.core.timing import retime_plan

        t0 = time.perf_counter()
        plan = retime_plan(store.load_snapshot(lecture_id), 0.25)
        store.change_clips(lecture_id, plan, source="retime")
        elapsed = time.perf_counter() - t0
        print(f"  retime ({len(plan):,} clips move, one revision): {elapsed * 1000:.0f} ms")
        t0 = time.perf_counter()
        states = store.revision_states(lecture_id)
        elapsed = time.perf_counter() - t0
        print(
            f"  every revision's state (export --revisions, {len(states)} revisions): {elapsed * 1000:.0f} ms"
        )
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clips", type=int, default=10_000)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    print(f"tui-editor core benchmarks — Python {sys.version.split()[0]}, pid {os.getpid()}")
    with tempfile.TemporaryDirectory(prefix="tui-bench-") as tmp:
        work = Path(tmp)
        bench_refresh_coalescing(work)
        print()
        print(f"(b) a {args.clips:,}-clip lecture: import, load, export")
        bench_big_lecture("SQLite", lambda name: f"sqlite:///{work / f'big-{name}.db'}", args.clips)
        if not args.no_postgres:
            with postgres_schema() as timing_url, postgres_schema() as memory_url:
                if timing_url and memory_url:
                    urls = {"timing": timing_url, "memory": memory_url}
                    bench_big_lecture("PostgreSQL", urls.__getitem__, args.clips)
        print()
        print(f"(c) revisions as changes on a {args.clips:,}-clip lecture")
        bench_revision_changes(work, args.clips)
    print(f"\nprocess RSS now {rss_mb()[0]:.1f} MB, peak {rss_mb()[1]:.1f} MB")


if __name__ == "__main__":
    main()
