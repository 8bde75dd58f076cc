"""The reliability suite (issue 13, item 10): tries each class of failure many times and prints, per
class, the cases tried and the failures (every class should print 0 failures).

    .venv/bin/python benchmarks/reliability.py            # the full suite (several minutes)
    .venv/bin/python benchmarks/reliability.py --quick    # the fast subset (tests/test_reliability.py)

Classes
- kill9/<op>: a real process loops over generate / accept / undo / import / restore on a shared data dir
  and gets `kill -9` at a random moment inside a chosen operation (labelled by the one under way then:
  `between` when one had ended and the next not begun, `startup` before the first); then, from a fresh
  process: the SQLite file passes its integrity check, no run is left queued/generating, every file the
  database refers to is whole, every lecture's revision matches its history, every accepted run keeps
  what its undo needs, every undo revision came with its run's `reopened` event, and after the orphan
  sweep nothing under media/ is unreferenced.
- disk-full/<op>: generate, accept, import and restore on a real, nearly full tmpfs (needs root, as on
  this machine and CI): exit 1 within 30 s, at most one stderr line, no traceback, no run in flight, no
  half file.
- databases/corrupt, databases/foreign: random bytes, truncated and bit-flipped copies of a real
  database; another application's tables: opening gives a lecture list or one clear error, and a foreign
  file is left byte for byte as it was.
- fuzz/import, fuzz/events, fuzz/config, fuzz/provider: hypothesis cases (10,000+ in the full suite):
  every mutated real export imports or is refused as bad input, and what imports exports and re-imports
  equal; events parse or raise `EventError`; config files load or raise `ConfigError`; provider outputs
  and returned media bytes are read or refused with a known error.
- hostile/traversal, hostile/escapes: paths from data that point outside the data dir are refused
  (exit 2 + one line, nothing outside touched); names with escape sequences never reach the terminal
  (no ESC in human output). These two check the "hostile" branch's fixes (path containment, terminal
  sanitising) through public behaviour only.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import math
import os
import random
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TUI = str(Path(sys.executable).parent / "tui-editor")
CONTROL_BYTES = (b"\x1b", b"\x9b", b"\x07")


@dataclass
class Tally:
    tried: int = 0
    failures: int = 0
    examples: list[str] = field(default_factory=list)

    def record(self, ok: bool, detail: str = "") -> None:
        self.tried += 1
        if not ok:
            self.failures += 1
            if len(self.examples) < 3:
                self.examples.append(" ".join(detail.split())[:240])


class Results:
    def __init__(self) -> None:
        self.classes: dict[str, Tally] = {}
        self.timings: dict[str, float] = {}
        self.elapsed = 0.0
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> Tally:
        with self._lock:
            return self.classes.setdefault(name, Tally())

    def print(self) -> None:
        width = max((len(n) for n in self.classes), default=10) + 2
        print(f"\n{'class':<{width}} {'tried':>7} {'failures':>9}")
        for name, tally in self.classes.items():
            print(f"{name:<{width}} {tally.tried:>7} {tally.failures:>9}")
            for example in tally.examples:
                print(f"{'':<{width}}   e.g. {example}")
        total = sum(t.tried for t in self.classes.values())
        failed = sum(t.failures for t in self.classes.values())
        print(f"{'total':<{width}} {total:>7} {failed:>9}")


def cli_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUI_EDITOR")}
    env.update(
        XDG_CONFIG_HOME=str(home / "xdg-config"),
        XDG_STATE_HOME=str(home / "xdg-state"),
        XDG_DATA_HOME=str(home / "xdg-data"),
        PYTHONDONTWRITEBYTECODE="1",
        TUI_EDITOR__ENGINE__HEARTBEAT_INTERVAL="0.2",
    )
    return env


def cli(home: Path, data_dir: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [TUI, "--data-dir", str(data_dir), *args],
        capture_output=True,
        env=cli_env(home),
        cwd=home,
        timeout=timeout,
        check=False,
    )


def seed(data_dir: Path, **kw: Any) -> str:
    from tests.factories import seeded_store

    store, lecture_id = seeded_store(f"sqlite:///{data_dir / 'tui-editor.db'}", data_dir, **kw)
    store.close()
    return lecture_id


# --- kill -9 at random moments ---------------------------------------------------------------------------


def child_main(data_dir: str) -> int:
    """The process that gets killed: loops over the operations, announcing each on stdout."""
    from tests.factories import lecture_doc
    from tui_editor.config import load_settings
    from tui_editor.core import takes
    from tui_editor.core.errors import TuiEditorError
    from tui_editor.core.exchange import validate_lecture
    from tui_editor.core.flow import StartRequest
    from tui_editor.runs.runtime import open_runtime
    from tui_editor.runs.waiting import wait_for_run

    settings = load_settings(data_dir=data_dir, environ={})
    runtime = open_runtime(settings)
    store, engine = runtime.store, runtime.engine
    rng = random.Random(os.getpid())

    def say(op: str) -> None:
        sys.stdout.write(json.dumps({"op": op, "t": time.monotonic()}) + "\n")
        sys.stdout.flush()

    say("ready")
    while True:
        say("between")  # a kill from here until the next announcement is not one inside an operation
        op = rng.choice(["generate", "accept", "import", "restore"])
        try:
            lecture = store.resolve_lecture("lec_test")
            if op in ("generate", "accept"):
                clips = store.load_snapshot(lecture).clips
                clip = rng.choice(clips)
                say("generate")
                run_id = engine.start(StartRequest(lecture, clip.id, clip.kind.name, {}))
                record = wait_for_run(engine, run_id, timeout=60)
                if record.status == "preview_ready":
                    say("accept")
                    engine.decide(run_id, True)
                    if rng.random() < 0.5:  # only accepts are decided here: undo_last undoes this one
                        say("undo")
                        takes.undo_last(store, lecture)
            elif op == "import":
                say("import")
                store.create_lecture(validate_lecture(lecture_doc(title=f"Imported {rng.random()}")))
            else:
                revisions = store.list_revisions(lecture)
                say("restore")
                store.restore_revision(lecture, rng.choice(revisions)["revision"])
        except TuiEditorError:
            continue


def _whole(path: Path) -> bool:
    from tui_editor.generators.media_info import AudioReadError, audio_info, image_size

    if not path.is_file() or path.stat().st_size == 0:
        return False
    if path.suffix.lower() in (".wav", ".mp3"):
        try:
            return audio_info(path).duration_s > 0
        except (AudioReadError, OSError):
            return False
    return image_size(path) is not None


def check_after_kill(data_dir: Path) -> list[str]:
    """Problems a fresh process finds after a kill (empty: all well)."""
    from tui_editor.config import load_settings
    from tui_editor.core.media_refs import references_in
    from tui_editor.core.run_record import ACTIVE_STATUSES
    from tui_editor.runs.runtime import open_runtime
    from tui_editor.runs.sweep import sweep_orphan_media

    problems = []
    db = data_dir / "tui-editor.db"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            problems.append("integrity check failed")
    runtime = open_runtime(load_settings(data_dir=data_dir, environ={}), background=False)
    try:
        store = runtime.store
        active = store.list_runs(statuses=ACTIVE_STATUSES)
        if active:
            problems.append(f"{len(active)} run(s) still in flight")
        for lecture in store.list_lectures():
            exported = store.export_lecture(lecture["id"])
            for key in ("visuals", "narration", "music"):
                for asset in exported[key]:
                    if asset.get("file") and not _whole(data_dir / asset["file"]):
                        problems.append(f"referenced file not whole: {asset['file']}")
            revisions = store.list_revisions(lecture["id"])
            if revisions and revisions[0]["revision"] != lecture["revision"]:
                problems.append(f"lecture at revision {lecture['revision']}, history at {revisions[0]}")
        for run in store.list_runs(statuses=["accepted"]):
            if run.replaced is None or run.committed_file is None or run.decided_at is None:
                problems.append(f"accepted run {run.id} without what its undo needs")
        with contextlib.closing(sqlite3.connect(db)) as conn:
            undone = conn.execute("SELECT count(*) FROM lecture_revision WHERE source = 'undo'").fetchone()
            reopened = conn.execute("SELECT count(*) FROM run_event WHERE type = 'reopened'").fetchone()
        if undone != reopened:  # the benchmark's child undoes accepts only: one of each per undo
            problems.append(f"{undone[0]} undo revision(s) but {reopened[0]} reopened event(s)")
        sweep_orphan_media(store, data_dir, grace_s=0)
        with store.read() as conn:
            referenced = {os.path.normpath(r) for r in references_in(conn)}
        for path in (data_dir / "media").rglob("*"):
            relative = os.path.normpath(path.relative_to(data_dir))
            if path.is_file() and relative not in referenced:
                problems.append(f"unreferenced after the sweep: {relative}")
    finally:
        runtime.close()
    return problems


#: Before this run has seen an operation twice, the kill comes within this many seconds of its start
#: (about its length on a laptop); after that, within the median length seen here. So every operation
#: is hit at random moments of its own — not mostly the longest one.
KILL_WINDOWS = {"generate": 0.08, "accept": 0.01, "undo": 0.005, "import": 0.002, "restore": 0.005}


def _announcements(lines: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines.split(b"\n") if line.startswith(b"{") and line.endswith(b"}")]


def _kill_during(
    child: subprocess.Popen[bytes], target: str, window_s: float, rng: random.Random
) -> list[dict[str, Any]]:
    """Read the child's announcements; once it starts `target`, kill -9 it at a random moment within
    `window_s` of that start (its own clock stamp: the same monotonic clock here). Returns every
    announcement it made."""
    assert child.stdout is not None
    stream = child.stdout.fileno()
    received = b""
    kill_at: float | None = None
    deadline = time.monotonic() + 60
    while child.poll() is None:
        now = time.monotonic()
        if now >= (kill_at if kill_at is not None else deadline):
            break
        wait = 0.05 if kill_at is None else kill_at - now
        if select.select([stream], [], [], wait)[0]:
            chunk = os.read(stream, 65536)
            if not chunk:
                break
            received += chunk
            if kill_at is None:
                started = [a["t"] for a in _announcements(received) if a["op"] == target]
                if started:
                    kill_at = started[0] + rng.uniform(0.0, window_s)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    return _announcements(received + child.stdout.read())


def kill9_class(results: Results, work: Path, kills: int, rng: random.Random) -> None:
    data_dir = work / "kill9"
    seed(data_dir)
    targets = list(KILL_WINDOWS)
    lengths: dict[str, list[float]] = {op: [] for op in targets}  # how long each operation takes here
    for index in range(kills):
        target = targets[index % len(targets)]
        seen = sorted(lengths[target])
        window = seen[len(seen) // 2] if len(seen) >= 2 else KILL_WINDOWS[target]
        child = subprocess.Popen(
            [sys.executable, __file__, "--child", str(data_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=cli_env(work) | {"PYTHONPATH": str(ROOT)},
        )
        announced = _kill_during(child, target, window, rng)
        for done, following in pairwise(announced):
            if done["op"] in lengths:
                lengths[done["op"]].append(following["t"] - done["t"])
        # Labelled by what was under way when the kill came: maybe not the target (it ended first).
        op = announced[-1]["op"] if announced else "startup"
        op = "startup" if op == "ready" else op
        problems = check_after_kill(data_dir)
        results[f"kill9/{op}"].record(not problems, "; ".join(problems[:3]))


# --- a full disk -----------------------------------------------------------------------------------------


def disk_full_class(results: Results, work: Path, levels: list[int]) -> None:
    from tests.disk_support import fill, leftovers, small_filesystem, unfill
    from tests.factories import lecture_doc

    home = work / "disk-home"
    home.mkdir(parents=True, exist_ok=True)
    with small_filesystem(work / "disk", size_kb=8192) as disk:
        data_dir = disk / "data"
        lecture = seed(data_dir)
        document = work / "import.json"
        document.write_text(json.dumps(lecture_doc(title="Big", visuals=40, narrations=40, music=10)))
        for leave_kb in levels:
            ready = cli(home, data_dir, "regenerate", lecture, "Narration 0", "--json")
            run_id = json.loads(ready.stdout)["id"] if ready.returncode == 0 else None
            cases: list[tuple[str, tuple[str, ...]]] = [
                ("generate", ("regenerate", lecture, "Visual 1", "--timeout", "300")),
                ("import", ("import", str(document))),
                ("restore", ("restore", lecture, "1")),
            ]
            if run_id:
                cases.append(("accept", ("accept", run_id)))
            fill(disk, leave_kb)
            for op, args in cases:
                started = time.monotonic()
                result = cli(home, data_dir, *args)
                elapsed = time.monotonic() - started
                errors = result.stderr.decode("utf-8", "replace").strip().splitlines()
                ok = elapsed < 30 and b"Traceback" not in result.stderr and len(errors) <= 1
                ok = ok and (result.returncode == 0 or (result.returncode == 1 and len(errors) == 1))
                detail = f"{op}, {leave_kb} KiB free: exit {result.returncode} in {elapsed:.1f}s {errors[:2]}"
                results[f"disk-full/{op}"].record(ok, detail)
            unfill(disk)
            runs = cli(home, data_dir, "runs", "--json")
            active = [r for r in json.loads(runs.stdout or b"[]") if r["status"] in ("queued", "generating")]
            half = [p for p in leftovers(data_dir) if not p.startswith("previews/")]
            results["disk-full/afterwards"].record(
                runs.returncode == 0 and not active and not half, f"active {active} half {half}"
            )


# --- corrupt and foreign databases -----------------------------------------------------------------------


def databases_class(results: Results, work: Path, cases: int, rng: random.Random) -> None:
    from tui_editor.core.errors import TuiEditorError
    from tui_editor.core.store import open_store

    template = work / "db-template"
    seed(template)
    good = (template / "tui-editor.db").read_bytes()
    folder = work / "dbs"
    for index in range(cases):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        path = folder / "db.sqlite"
        choice = index % 4
        if choice == 0:
            data = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 8192)))
        elif choice == 1:
            data = good[: rng.randint(0, len(good) - 1)]
        elif choice == 2:
            flipped = bytearray(good)
            for _ in range(rng.randint(1, 64)):
                flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
            data = bytes(flipped)
        else:
            data = b""
        if choice == 3:  # another application's database
            with contextlib.closing(sqlite3.connect(path)) as conn:
                for t in range(rng.randint(1, 4)):
                    conn.execute(f"CREATE TABLE t{t}_{rng.randrange(10**6)} (id INTEGER PRIMARY KEY, v TEXT)")
                if rng.random() < 0.5:
                    conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
                    conn.execute("INSERT INTO alembic_version VALUES (?)", (f"their_{rng.randrange(999)}",))
                conn.commit()
            data = path.read_bytes()
        else:
            path.write_bytes(data)
        ok, detail = True, ""
        try:
            store = open_store(f"sqlite:///{path}")
            try:
                for lecture in store.list_lectures():
                    store.load_snapshot(lecture["id"])
            finally:
                store.close()
            ok = choice != 3  # a foreign database must never open
            detail = "a foreign database was opened"
        except TuiEditorError as exc:
            ok = "\n" not in exc.message
            detail = f"multi-line error {exc.message!r}"
        except Exception as exc:  # noqa: BLE001 - what this class looks for
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        if choice == 3 and path.read_bytes() != data:
            ok, detail = False, "the foreign database was modified"
        results["databases/foreign" if choice == 3 else "databases/corrupt"].record(ok, detail)


# --- hypothesis: import documents, events, config, provider replies ----------------------------------------


def _json_values() -> Any:
    from hypothesis import strategies as st

    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(10**400), max_value=10**400)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=20)
        | st.sampled_from(["", "0001-01-01T00:00:00", "\ud800", "9999-12-31T23:59:59+14:00", "a" * 500])
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
        max_leaves=8,
    )


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _mutate(document: Any, path: tuple[Any, ...], new: Any, delete: bool) -> Any:
    if not path:
        return new
    doc = copy.deepcopy(document)
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return doc


def _without_ids(document: dict[str, Any]) -> Any:
    """An export with its ids and times left out (a re-import makes new ones)."""
    text = json.dumps(document, sort_keys=True)
    data = json.loads(text)
    for key in ("id", "revision", "updated_at"):  # the new lecture's own
        data.pop(key, None)
    for key in ("visuals", "narration", "music"):
        for asset in data.get(key, []):
            asset.pop("id", None)
            asset.pop("updated_at", None)
    timeline = data.get("timeline", {})
    for clips in timeline.values():
        for clip in clips:
            clip.pop("id", None)
            clip.pop("asset_id", None)
    return data


def fuzz_class(results: Results, work: Path, per_target: int) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tui_editor.config import ConfigError, load_settings
    from tui_editor.core.errors import BadInputError, TuiEditorError
    from tui_editor.core.events import EventError, parse_event
    from tui_editor.core.exchange import validate_lecture
    from tui_editor.core.store import open_store
    from tui_editor.generators.media_info import (
        AudioReadError,
        audio_info,
        choose_extension,
        image_size,
        sniff_extension,
    )
    from tui_editor.generators.replicate import first_output_url

    fuzz_settings = settings(
        max_examples=per_target,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    values = _json_values()

    # import documents derived from a real export
    store = open_store(f"sqlite:///{work / 'fuzz.db'}")
    seed(work / "fuzz-seed")
    seeded = open_store(f"sqlite:///{work / 'fuzz-seed' / 'tui-editor.db'}")
    base = json.loads(json.dumps(seeded.export_lecture("lec_test")))
    seeded.close()
    paths = list(_paths(base))
    tally = results["fuzz/import"]

    @fuzz_settings
    @given(path=st.sampled_from(paths), new=values, delete=st.booleans())
    def import_case(path: tuple[Any, ...], new: Any, delete: bool) -> None:
        document = _mutate(base, path, new, delete and bool(path))
        try:
            document = json.loads(json.dumps(document))  # what a file could hold
            lecture = validate_lecture(document)
            lecture_id = store.create_lecture(lecture)
            exported = store.export_lecture(lecture_id)
            again = store.export_lecture(store.create_lecture(validate_lecture(exported)))
            ok = _without_ids(exported) == _without_ids(again)
            tally.record(ok, f"re-import differs at {path}")
        except BadInputError:
            tally.record(True)
        except TuiEditorError as exc:
            tally.record(False, f"{path} -> exit {exc.exit_code}: {exc.message}")
        except Exception as exc:  # noqa: BLE001
            tally.record(False, f"{path} -> {type(exc).__name__}: {exc}")

    import_case()
    store.close()

    # events
    valid_event = {
        "id": 1,
        "run_id": "run_1",
        "lecture_id": "lec_1",
        "kind": "visual",
        "type": "status",
        "payload": {"step": 1, "total_steps": 2, "message": "x"},
        "created_at": "2026-01-01T00:00:00+00:00",
    }
    event_paths = list(_paths(valid_event))
    tally = results["fuzz/events"]

    @fuzz_settings
    @given(
        path=st.sampled_from(event_paths),
        new=values,
        delete=st.booleans(),
        event_type=st.sampled_from(["status", "preview", "complete", "error", "cancelled", "expired"]),
    )
    def event_case(path: tuple[Any, ...], new: Any, delete: bool, event_type: str) -> None:
        raw = _mutate(dict(valid_event, type=event_type), path, new, delete and bool(path))
        try:
            parse_event(raw)
            tally.record(True)
        except EventError:
            tally.record(True)
        except Exception as exc:  # noqa: BLE001
            tally.record(False, f"{path}={new!r:.60} -> {type(exc).__name__}: {exc}")

    event_case()

    # config files
    from tui_editor.config import load_settings as _defaults

    (work / "empty-config.toml").write_text("", encoding="utf-8")
    defaults = _defaults(work / "empty-config.toml", data_dir=work / "cfg-data", environ={}).as_dict()
    keys = [(s, k) for s, table in defaults.items() if isinstance(table, dict) for k in table]
    tally = results["fuzz/config"]
    config_file = work / "fuzz-config.toml"

    def toml_value(value: Any, depth: int = 0) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float):
            return "inf" if value == math.inf else "-inf" if value == -math.inf else repr(value)
        if isinstance(value, int):
            return str(value)
        if isinstance(value, list):
            return "[" + ", ".join(toml_value(v, depth + 1) for v in value) + "]"
        return json.dumps(str(value))

    config_values = (
        st.sampled_from([math.inf, -math.inf, 1e308, 1e-300, 0.0, -1.0, 10**30, 0, -5, "", "auto"])
        | st.floats(allow_nan=False)
        | st.integers()
        | st.text(max_size=12)
        | st.booleans()
        | st.integers(min_value=1, max_value=5000).map(lambda n: "[" * n + "]" * n)
    )

    @fuzz_settings
    @given(
        chosen=st.lists(st.tuples(st.sampled_from(keys), config_values), min_size=1, max_size=4),
        partial_provider=st.booleans(),
    )
    def config_case(chosen: list[tuple[tuple[str, str], Any]], partial_provider: bool) -> None:
        sections: dict[str, list[str]] = {}
        for (section, key), value in chosen:
            rendered = value if isinstance(value, str) and value.startswith("[") else toml_value(value)
            sections.setdefault(section, []).append(f"{key} = {rendered}")
        text = "".join(f"[{s}]\n" + "\n".join(lines) + "\n" for s, lines in sections.items())
        if partial_provider:
            text += '[providers.openai]\nbase_url = "http://127.0.0.1:9"\n'
        config_file.write_text(text, encoding="utf-8")
        try:
            load_settings(config_file, data_dir=work / "cfg-data", environ={})
            tally.record(True)
        except ConfigError as exc:
            tally.record("\n" not in exc.message, f"multi-line: {exc.message!r}")
        except Exception as exc:  # noqa: BLE001
            tally.record(False, f"{text[:80]!r} -> {type(exc).__name__}: {exc}")

    config_case()

    # provider replies: prediction outputs, and the media bytes a provider returns
    tally = results["fuzz/provider"]
    reply_file = work / "reply.bin"

    @fuzz_settings
    @given(
        output=values,
        head=st.sampled_from(
            [b"", b"RIFF", b"RIFF\xff\xff\xff\xffWAVEfmt ", b"ID3\x04", b"\xff\xfb", b"\x89PNG"]
        ),
        body=st.binary(max_size=512),
        content_type=st.text(max_size=20),
    )
    def provider_case(output: Any, head: bytes, body: bytes, content_type: str) -> None:
        try:
            url = first_output_url(output)
            assert url is None or isinstance(url, str)
            data = head + body
            sniff_extension(data[:64])
            choose_extension(data[:64], content_type, "https://x/y", ("wav", "mp3", "png"))
            reply_file.write_bytes(data)
            with contextlib.suppress(AudioReadError):
                audio_info(reply_file)
            image_size(reply_file)
            tally.record(True)
        except Exception as exc:  # noqa: BLE001
            tally.record(False, f"{head!r}+{len(body)} bytes -> {type(exc).__name__}: {exc}")

    provider_case()


# --- hostile: traversal and escape sequences (the "hostile" branch's classes) ----------------------------


def hostile_class(results: Results, work: Path, rounds: int, rng: random.Random) -> None:
    from tests.factories import lecture_doc

    home = work / "hostile-home"
    home.mkdir(parents=True, exist_ok=True)
    outside = work / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    data_dir = work / "hostile-data"
    seed(data_dir)
    (data_dir / "media" / "escape").symlink_to(outside, target_is_directory=True)
    traversals = [
        "../outside/secret.png",
        "../../outside/secret.png",
        str(outside / "secret.png"),
        "media/escape/secret.png",
        "media/../../outside/secret.png",
        "/etc/passwd",
    ]
    before = sorted(p.name for p in outside.iterdir())
    for index in range(rounds):
        path = traversals[index % len(traversals)]
        doc = lecture_doc(title=f"Traversal {index}")
        doc["visuals"][0]["file"] = path
        source = work / f"traversal-{index}.json"
        source.write_text(json.dumps(doc))
        result = cli(home, data_dir, "import", str(source))
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
        ok = result.returncode == 2 and len(lines) == 1
        ok = ok and sorted(p.name for p in outside.iterdir()) == before
        results["hostile/traversal"].record(ok, f"file {path!r}: exit {result.returncode} {lines[:1]}")
    sequences = ["\x1b]52;c;aGk=\x07", "\x1b]0;owned\x07", "\x1b[2J", "\x9b31m", "\x1b[?1049h", "\x07"]
    for index in range(rounds):
        evil = rng.choice(sequences) + f"name {index}" + rng.choice(sequences)
        doc = lecture_doc(title=f"Escapes {index} {evil}")
        doc["timeline"]["visual"][0]["name"] = evil
        doc["visuals"][0]["prompt"] = evil
        source = work / f"escape-{index}.json"
        source.write_text(json.dumps(doc))
        outputs = []
        imported = cli(home, data_dir, "import", str(source))
        outputs.append(imported.stdout + imported.stderr)
        for args in (("lectures",), ("show", f"Escapes {index} {evil}"), ("show", evil), ("runs",)):
            result = cli(home, data_dir, *args)
            outputs.append(result.stdout + result.stderr)
        leaked = [o for o in outputs if any(c in o for c in CONTROL_BYTES)]
        results["hostile/escapes"].record(not leaked, f"{evil!r} reached the terminal: {leaked[:1]!r:.120}")


# --- running ------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """How many cases of each class to try."""

    kills: int = 100
    disk_levels: tuple[int, ...] = (0, 16, 48, 96, 192)
    databases: int = 200
    fuzz_per_target: int = 2600
    hostile_rounds: int = 12


FULL = Plan()
QUICK = Plan(kills=3, disk_levels=(0,), databases=20, fuzz_per_target=60, hostile_rounds=1)


def run_suite(plan: Plan, *, seed_value: int = 0) -> Results:
    results = Results()
    rng = random.Random(seed_value)
    work = Path(tempfile.mkdtemp(prefix="tui-editor-reliability-"))
    try:
        started = time.monotonic()
        steps: list[tuple[str, Callable[[], None]]] = [
            ("kill -9", partial(kill9_class, results, work, plan.kills, rng)),
            ("disk full", partial(disk_full_class, results, work, list(plan.disk_levels))),
            ("databases", partial(databases_class, results, work, plan.databases, rng)),
            ("hypothesis", partial(fuzz_class, results, work, plan.fuzz_per_target)),
            ("hostile", partial(hostile_class, results, work, plan.hostile_rounds, rng)),
        ]
        for name, step in steps:
            began = time.monotonic()
            step()
            results.timings[name] = time.monotonic() - began
        results.elapsed = time.monotonic() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the fast subset")
    parser.add_argument("--kills", type=int, help="kill -9 cases (default 100; quick 3)")
    parser.add_argument("--fuzz", type=int, help="hypothesis cases per target (default 2600 × 4)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for kill moments and databases")
    parser.add_argument("--child", metavar="DATA_DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args.child)
    python = sys.version.split()[0]
    print(f"tui-editor reliability suite · Python {python} · {os.cpu_count()} CPUs")
    plan = QUICK if args.quick else FULL
    if args.kills is not None:
        plan = replace(plan, kills=args.kills)
    if args.fuzz is not None:
        plan = replace(plan, fuzz_per_target=args.fuzz)
    results = run_suite(plan, seed_value=args.seed)
    results.print()
    spent = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in results.timings.items())
    print(f"({results.elapsed:.0f} s: {spent})")
    return 1 if any(t.failures for t in results.classes.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
