"""UI benchmarks for tui-editor: prints figures, asserts nothing.

    .venv/bin/python benchmarks/ui_bench.py            # everything (~2-3 minutes on 2 cores)
    .venv/bin/python benchmarks/ui_bench.py --quick    # fewer repetitions, no 100k lecture

1. Startup to first frame: the real `tui-editor` command on the demo lecture vs a bare Textual "hello"
   app, both in a pseudo-terminal (100×30) in the same run; min/median over repetitions and the ratio
   (goal ≤ 1.3×). "First frame" is the first screen drawn (the lecture screen's skeleton); "lecture
   shown" is when the timeline with the lecture's clips is on screen (goal ≤ 1.5× the bare app) — it may
   be a first look read with the stdlib before the store opened, marked "not yet confirmed" and inert;
   "lecture confirmed" is when the store's own load has replaced it.
2. Preview event → screen latency p50/p95: a `preview` event published through the event hub (as the
   engine does after its commit) until the timeline row is rendered as "preview ready"; once in-process,
   once from another runtime on the same database (delivered by the hub's poll of the event log).
3. Bytes written to the terminal per keystroke while typing a prompt in the clip editor (goal ≤ 1 KB),
   with the app in a pty.
4. First frame, lecture shown and RSS for 10,000- and 100,000-clip lectures vs the demo
   (goals: 10k first frame within 1.5× the demo's, RSS ≤ 100 MB at 10k).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import os
import random
import re
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COLS, ROWS = 100, 30
HELLO_APP = """
from textual.app import App
from textual.widgets import Static
class Hello(App):
    def compose(self):
        yield Static("hello")
Hello().run()
"""


# --- a program in a pseudo-terminal -------------------------------------------------------------
class PtyProgram:
    def __init__(self, argv: list[str], env: dict[str, str], cols: int = COLS, rows: int = ROWS) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.started = time.perf_counter()

        def controlling_tty() -> None:
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=ROOT,
            preexec_fn=controlling_tty,  # noqa: PLW1509 - a pty session needs it
            close_fds=True,
        )
        os.close(slave)
        self.fd = master
        self.output = bytearray()

    def read_some(self, timeout: float) -> int:
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return 0
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return -1
        self.output.extend(data)
        return len(data)

    def wait_for(self, pattern: bytes, timeout: float = 60, start: int = 0) -> float:
        """Seconds since start until `pattern` (a regex) appears in the output after `start`."""
        regex = re.compile(pattern)
        deadline = time.perf_counter() + timeout
        while not regex.search(self.output, start):
            if time.perf_counter() > deadline:
                tail = bytes(self.output[-400:])
                raise TimeoutError(f"{pattern!r} not seen after {timeout}s; last output: {tail!r}")
            if self.read_some(0.05) < 0:
                raise RuntimeError("the program exited")
        return time.perf_counter() - self.started

    def quiet(self, window: float = 0.15, limit: float = 3.0) -> int:
        """Read until nothing arrives for `window` seconds; returns the bytes read."""
        total = 0
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            got = self.read_some(window)
            if got <= 0:
                break
            total += got
        return total

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def rss_mb(self) -> float:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.send(b"\x11")  # ctrl+q
        deadline = time.perf_counter() + 5
        while self.proc.poll() is None and time.perf_counter() < deadline:
            self.read_some(0.05)
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        with contextlib.suppress(OSError):
            os.close(self.fd)


def child_env(config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env.update(TERM="xterm-256color", TUI_EDITOR_CONFIG=str(config), TUI_EDITOR__UI__AUDIO_PLAYER="none")
    return env


def editor_argv(data_dir: Path, lecture: str | None = None) -> list[str]:
    argv = [sys.executable, "-m", "tui_editor", "--data-dir", str(data_dir)]
    return [*argv, lecture] if lecture else argv


def summary(values: list[float], unit: str = "s", scale: float = 1.0) -> str:
    if not values:
        return "n/a"
    ordered = sorted(values)
    return (
        f"min {ordered[0] * scale:.3f}{unit}  median {statistics.median(ordered) * scale:.3f}{unit}  "
        f"max {ordered[-1] * scale:.3f}{unit}  (n={len(ordered)})"
    )


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


# --- fixtures -----------------------------------------------------------------------------------
def make_settings(root: Path) -> Any:
    from tui_editor.config import load_settings

    config = root / "config.toml"
    config.write_text("", encoding="utf-8")
    return load_settings(config, data_dir=root / "data", environ={})


def big_lecture(title: str, clips: int) -> dict[str, Any]:
    per_track = clips // 3
    assets: dict[str, list[dict[str, Any]]] = {"visual": [], "narration": [], "music": []}
    rows: list[dict[str, Any]] = []
    for i in range(per_track):
        assets["visual"].append(
            {
                "id": f"v{i}",
                "prompt": f"Slide {i}: a diagram",
                "model": "local/pillow",
                "aspect_ratio": "16:9",
            }
        )
        assets["narration"].append(
            {"id": f"n{i}", "script": f"Narration line {i}.", "model": "local/espeak", "duration_s": 1.5}
        )
        assets["music"].append(
            {"id": f"m{i}", "prompt": f"Bed {i}", "model": "local/synth", "duration_s": 2.0, "bpm": 90}
        )
        for track, prefix, name in (
            ("visual", "v", "Slide"),
            ("voice", "n", "Voice"),
            ("music", "m", "Music"),
        ):
            rows.append(
                {
                    "track": track,
                    "name": f"{name} {i}",
                    "start": i * 2.0,
                    "duration": 2.0,
                    "asset_id": f"{prefix}{i}",
                }
            )
    return {"title": title, "summary": "benchmark", "clips": rows, "assets": assets}


def prepare(root: Path, clips: int | None) -> tuple[Path, Path, str]:
    """A data dir with the demo (clips=None) or a big lecture; returns (config, data dir, lecture ref)."""
    from tui_editor.demo import DEMO_TITLE, ensure_demo
    from tui_editor.runs.runtime import open_runtime

    root.mkdir(parents=True, exist_ok=True)
    settings = make_settings(root)
    runtime = open_runtime(settings, background=False)
    try:
        if clips is None:
            ensure_demo(runtime.store, settings.data_path)
            ref = DEMO_TITLE
        else:
            ref = runtime.store.create_lecture(big_lecture(f"Lecture of {clips} clips", clips))
    finally:
        runtime.close()
    return root / "config.toml", settings.data_path, ref


# --- 1 & 4: startup -----------------------------------------------------------------------------
FIRST_FRAME = rb"Loading|VISUAL \xc2\xb7"


def time_hello(config: Path) -> float:
    program = PtyProgram([sys.executable, "-c", HELLO_APP], child_env(config))
    try:
        return program.wait_for(rb"hello", 30)
    finally:
        program.stop()


#: The lecture header once the store has confirmed the lecture: "rev N · K clips" with nothing between
#: (a first look not yet confirmed reads "rev N (not yet confirmed …) · K clips").
CONFIRMED = rb"rev \d+(?:\x1b\[[0-9;:]*m)* \xc2\xb7 [\d,]+ clips"

LAST_CONFIRMED: list[float] = []
"""The "lecture confirmed" time of each `time_editor` call (its tuple keeps its old shape)."""


def time_editor(config: Path, data_dir: Path, ref: str | None, title: str) -> tuple[float, float, float]:
    """(first frame, lecture shown, RSS MB once shown); the confirmed time goes to `LAST_CONFIRMED`.

    "Lecture shown": the lecture's title and revision are on screen with its timeline — possibly a first
    look read before the store opened, marked "not yet confirmed". "Confirmed": the store has loaded it.
    """
    program = PtyProgram(editor_argv(data_dir, ref), child_env(config))
    try:
        first = program.wait_for(FIRST_FRAME, 60)
        shown = program.wait_for(re.escape(title.encode()) + rb".*?rev", 120)
        program.wait_for(rb"VISUAL \xc2\xb7", 60)
        LAST_CONFIRMED.append(program.wait_for(CONFIRMED, 120))
        program.quiet(0.3)
        return first, shown, program.rss_mb()
    finally:
        program.stop()


def bench_startup(work: Path, reps: int, quick: bool) -> None:
    print("\n== 1. Startup to first frame (pty 100×30, real `python -m tui_editor`) ==")
    config, data_dir, ref = prepare(work / "demo", None)
    hello: list[float] = []
    first: list[float] = []
    shown: list[float] = []
    rss: list[float] = []
    time_hello(config)  # warm the OS file cache for both
    time_editor(config, data_dir, None, "Photosynthesis")
    LAST_CONFIRMED.clear()
    for _ in range(reps):
        hello.append(time_hello(config))
        f, s, r = time_editor(config, data_dir, None, "Photosynthesis")
        first.append(f)
        shown.append(s)
        rss.append(r)
    confirmed = list(LAST_CONFIRMED)
    ratio_min = min(first) / min(hello)
    ratio_median = statistics.median(first) / statistics.median(hello)
    shown_min = min(shown) / min(hello)
    shown_median = statistics.median(shown) / statistics.median(hello)
    print(f"bare Textual hello, first frame : {summary(hello)}")
    print(f"tui-editor demo, first frame    : {summary(first)}")
    print(f"tui-editor demo, lecture shown  : {summary(shown)}")
    print(f"tui-editor demo, lecture confirmed: {summary(confirmed)}")
    print(f"ratio first frame (goal <= 1.3x): min {ratio_min:.2f}x  median {ratio_median:.2f}x")
    print(f"ratio lecture shown (goal <= 1.5x): min {shown_min:.2f}x  median {shown_median:.2f}x")
    print(f"demo RSS once shown             : {statistics.median(rss):.1f} MB")

    print("\n== 4. Big lectures: first frame, lecture shown, RSS ==")
    sizes = [10_000] if quick else [10_000, 100_000]
    demo_first = statistics.median(first)
    for size in sizes:
        started = time.perf_counter()
        config_n, data_n, ref_n = prepare(work / f"big{size}", size)
        print(f"({size:,} clips: created in {time.perf_counter() - started:.1f}s, not timed below)")
        runs = [
            time_editor(config_n, data_n, ref_n, f"Lecture of {size} clips") for _ in range(max(1, reps // 2))
        ]
        f_n = [r[0] for r in runs]
        s_n = [r[1] for r in runs]
        r_n = [r[2] for r in runs]
        first_ratio = statistics.median(f_n) / demo_first
        shown_ratio = statistics.median(s_n) / statistics.median(shown)
        print(f"{size:>7,} clips  first frame    : {summary(f_n)}  ({first_ratio:.2f}x demo)")
        print(f"{size:>7,} clips  lecture shown  : {summary(s_n)}  ({shown_ratio:.2f}x demo)")
        print(f"{size:>7,} clips  RSS once shown : {statistics.median(r_n):.1f} MB")
        if size == 100_000:
            bench_big_keys(config_n, data_n, ref_n, size)


def bench_big_keys(config: Path, data_dir: Path, ref: str, size: int) -> None:
    program = PtyProgram(editor_argv(data_dir, ref), child_env(config))
    try:
        program.wait_for(rb"VISUAL \xc2\xb7", 120)
        program.quiet(0.3)
        for key, label in ((b"j", "j (next clip)"), (b"\x1b[F", "end (last clip)"), (b"\x1b[H", "home")):
            mark = len(program.output)
            started = time.perf_counter()
            program.send(key)
            while len(program.output) == mark and time.perf_counter() - started < 5:
                program.read_some(0.01)
            latency = time.perf_counter() - started
            written = program.quiet(0.15) + (len(program.output) - mark)
            print(
                f"{size:>7,} clips  key {label:<16}: screen updated after {latency * 1000:.0f} ms, "
                f"{written} bytes"
            )
    finally:
        program.stop()


# --- 3: bytes per keystroke ---------------------------------------------------------------------
def bench_keystrokes(work: Path) -> None:
    print("\n== 3. Bytes written per keystroke typing a prompt in the clip editor (pty 100×30) ==")
    config, data_dir, _ = prepare(work / "keys", None)
    program = PtyProgram(editor_argv(data_dir), child_env(config))
    try:
        program.wait_for(rb"Intro visual", 60)
        program.quiet(0.4)
        mark = len(program.output)
        program.send(b"j")
        program.quiet(0.2)
        cursor_bytes = len(program.output) - mark
        program.send(b"k")
        program.quiet(0.2)
        mark = len(program.output)
        program.send(b"\r")  # open the first clip (a visual: its prompt field is focused)
        program.wait_for(rb"Generate Visual", 20, start=mark)
        program.quiet(0.5)
        opened = len(program.output) - mark
        program.send(b"\x1b[F")  # end of the prompt
        program.quiet(0.3)
        sizes: list[int] = []
        for char in "and a tiny ladybird on the leaf":
            mark = len(program.output)
            program.send(char.encode())
            program.quiet(0.12)
            sizes.append(len(program.output) - mark)
        print(f"lecture screen cursor move (j)  : {cursor_bytes} bytes")
        print(f"opening the clip editor         : {opened} bytes (full paint)")
        print(
            f"typing in the prompt (goal <= 1 KB/key): median {statistics.median(sizes):.0f} B  "
            f"mean {statistics.mean(sizes):.0f} B  p95 {percentile(sizes, 95):.0f} B  max {max(sizes)} B  "
            f"(n={len(sizes)})"
        )
    finally:
        program.stop()


# --- 2: preview event → screen --------------------------------------------------------------------
async def _latency(settings: Any, iterations: int, other: Any | None) -> list[float]:
    from tui_editor.core.clock import utcnow
    from tui_editor.core.events import RunEventData
    from tui_editor.core.snapshot import ClipView
    from tui_editor.runs.local import LocalEngine
    from tui_editor.ui.app import TuiEditorApp

    app = TuiEditorApp(settings)
    latencies: list[float] = []
    async with app.run_test(size=(COLS, ROWS)) as pilot:
        while not app.lecture_shown:
            if app.startup_error:
                raise RuntimeError(app.startup_error)
            await pilot.pause(0.01)
        timeline = app.lecture_screen.timeline
        target: dict[str, Any] = {"clip": None, "seen": None}
        original = timeline.render_line

        def render_line(y: int) -> Any:
            strip = original(y)
            index = y + int(timeline.scroll_offset.y)
            rows = timeline._rows
            if target["seen"] is None and index < len(rows):
                row = rows[index]
                if isinstance(row, ClipView) and row.id == target["clip"] and "preview ready" in strip.text:
                    target["seen"] = time.perf_counter()
            return strip

        timeline.render_line = render_line  # type: ignore[method-assign]
        provider = app.provider
        runtime = app.runtime
        assert provider is not None and runtime is not None
        lecture_id = provider.lecture_id
        clips = [c for c in timeline.visible_clip_ids][: ROWS - 8]
        store = (other or runtime).store
        engine = runtime.engine
        assert isinstance(engine, LocalEngine)  # its runs need a live owner, or housekeeping fails them

        def insert_run(run_id: str, clip: Any) -> None:
            now = utcnow()
            with store.write() as conn:
                store.insert_run(conn, id=run_id, lecture_id=lecture_id, clip_id=clip.id, kind=clip.kind.name,
                                 request={"fields": {}}, status="generating", created_at=now, updated_at=now,
                                 owner=engine.process_id)  # fmt: skip

        def publish(event: RunEventData) -> None:
            if other is None:  # this process: the engine commits, then publishes to the hub
                runtime.hub.publish(event)
            else:  # another process: only the event log carries it here
                with other.store.write() as conn:
                    other.store.append_event(conn, event)

        for i in range(iterations):
            clip = provider.snapshot.clip(clips[i % len(clips)])
            board = app.board
            assert clip is not None and board is not None
            run_id = f"run_bench_{'x' if other else 'l'}{i:04d}_{os.getpid()}"
            await asyncio.to_thread(insert_run, run_id, clip)
            kind = clip.kind.name
            status = RunEventData(
                run_id, lecture_id, kind, "status", {"step": 1, "total_steps": 2, "message": ""}
            )
            await asyncio.to_thread(publish, status)
            while run_id not in board.runs:
                await pilot.pause(0.005)
            await pilot.pause(0.05)
            target.update(clip=clip.id, seen=None)
            preview = RunEventData(run_id, lecture_id, kind, "preview", {"asset": {"id": clip.asset_id}})
            if other is not None:  # don't phase-lock with the poll: publish at a random point of its cycle
                await asyncio.sleep(random.uniform(0, settings.events.poll_interval_ms / 1000))
            started = time.perf_counter()
            thread = threading.Thread(target=publish, args=(preview,))
            thread.start()
            deadline = started + 5
            while target["seen"] is None and time.perf_counter() < deadline:
                await asyncio.sleep(0.001)
            thread.join()
            if target["seen"] is not None:
                latencies.append(target["seen"] - started)
            done = RunEventData(run_id, lecture_id, kind, "rejected", {"decided_by": "bench"})
            await asyncio.to_thread(publish, done)
            while board.state_of(clip.id) != "idle":
                await pilot.pause(0.005)
    return latencies


def bench_latency(work: Path, iterations: int) -> None:
    from tui_editor.runs.runtime import open_runtime

    print("\n== 2. Preview event → timeline row rendered (headless App, demo lecture) ==")
    _config, _data, _ref = prepare(work / "latency", None)
    settings = make_settings(work / "latency")
    local = asyncio.run(_latency(settings, iterations, None))
    print(
        f"same process (hub publish)      : p50 {percentile(local, 50) * 1000:.1f} ms  "
        f"p95 {percentile(local, 95) * 1000:.1f} ms  max {max(local) * 1000:.1f} ms  (n={len(local)})"
    )
    other = open_runtime(settings)
    try:
        remote = asyncio.run(_latency(settings, max(10, iterations // 2), other))
    finally:
        other.close()
    poll = settings.events.poll_interval_ms
    print(
        f"another process (poll {poll} ms)   : p50 {percentile(remote, 50) * 1000:.1f} ms  "
        f"p95 {percentile(remote, 95) * 1000:.1f} ms  max {max(remote) * 1000:.1f} ms  (n={len(remote)})"
    )


# --- 5: review session --------------------------------------------------------------------------
async def _session_latency(settings: Any, lecture_id: str, decisions: int) -> list[float]:
    from tui_editor.ui.app import TuiEditorApp
    from tui_editor.ui.screens.review_session import ReviewSessionScreen

    app = TuiEditorApp(settings, lecture_id)
    latencies: list[float] = []
    async with app.run_test(size=(COLS, ROWS)) as pilot:
        while not app.lecture_shown:
            if app.startup_error:
                raise RuntimeError(app.startup_error)
            await pilot.pause(0.01)
        while app.board is None or len(app.board.pending_reviews()) < 500:
            await pilot.pause(0.01)
        await pilot.press("r")
        while not isinstance(app.screen, ReviewSessionScreen):
            await pilot.pause(0.01)
        screen = app.screen
        await pilot.pause(0.2)
        # "On screen": the frame that draws the next preview's clip line (its run id) is rendered; its
        # picture is decoded in a worker and follows.
        clip_line = screen.query_one("#session-clip")
        seen: dict[str, Any] = {"run": None, "at": None}
        original = clip_line.render_line

        def render_line(y: int) -> Any:
            strip = original(y)
            if seen["at"] is None and seen["run"] and seen["run"] in strip.text:
                seen["at"] = time.perf_counter()
            return strip

        clip_line.render_line = render_line  # type: ignore[method-assign]
        keys = ["x", "space", "a"]
        for i in range(decisions):
            items = screen.session.items
            cursor = screen.session.cursor
            expected = items[cursor + 1].run_id if cursor + 1 < len(items) else None
            seen.update(run=expected, at=None)
            started = time.perf_counter()
            await pilot.press(keys[i % len(keys)])
            deadline = started + 10
            while seen["at"] is None and time.perf_counter() < deadline:
                await asyncio.sleep(0.0005)
            if seen["at"] is not None:
                latencies.append(seen["at"] - started)
            await pilot.pause(0.02)
        while screen.in_flight:
            await pilot.pause(0.01)
    return latencies


def bench_session(work: Path, decisions: int) -> None:
    """500 pending visual previews (real PNG files): key press → the next preview on screen."""
    from PIL import Image

    from tui_editor.core.clock import utcnow
    from tui_editor.runs.runtime import open_runtime

    print("\n== 5. Review session: 500 pending previews, decision → next preview on screen ==")
    root = work / "session"
    _config, data, _ref = prepare(root, 1500)
    settings = make_settings(root)
    runtime = open_runtime(settings, background=False)
    try:
        lecture_id = runtime.store.resolve_lecture("Lecture of 1500 clips")
        clips = [c for c in runtime.store.load_snapshot(lecture_id).clips if c.track == "visual"][:500]
        picture = Image.new("RGB", (320, 180), (40, 90, 160))
        now = utcnow()
        with runtime.store.write() as conn:
            for i, clip in enumerate(clips):
                run_id = f"run_session{i:04d}"
                folder = data / "previews" / run_id
                folder.mkdir(parents=True, exist_ok=True)
                picture.save(folder / "visual.png")
                asset = {"id": clip.asset_id, "prompt": f"Slide {i}, redrawn", "model": "local/pillow",
                         "aspect_ratio": "16:9", "width": 320, "height": 180,
                         "file": f"previews/{run_id}/visual.png", "updated_at": now.isoformat()}  # fmt: skip
                runtime.store.insert_run(conn, id=run_id, lecture_id=lecture_id, clip_id=clip.id,
                                         kind="visual", request={"fields": {}, "asset_id": clip.asset_id},
                                         status="preview_ready", preview={"asset": asset}, created_at=now,
                                         updated_at=now, base_revision=1)  # fmt: skip
    finally:
        runtime.close()
    latencies = asyncio.run(_session_latency(settings, lecture_id, decisions))
    print(
        f"decision → next preview (x/space/a): p50 {percentile(latencies, 50) * 1000:.1f} ms  "
        f"p95 {percentile(latencies, 95) * 1000:.1f} ms  max {max(latencies) * 1000:.1f} ms  "
        f"(n={len(latencies)}; goal p95 ≤ 100 ms)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=7, help="startup repetitions (default 7)")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, no 100k-clip lecture")
    parser.add_argument("--only", choices=["startup", "latency", "keys", "session"], help="run one part")
    args = parser.parse_args(argv)
    reps = 3 if args.quick else args.reps
    work = Path(tempfile.mkdtemp(prefix="tui-editor-bench-"))
    python = sys.version.split()[0]
    print(f"tui-editor UI benchmarks · Python {python} · {os.cpu_count()} CPUs · work dir {work}")
    try:
        if args.only in (None, "startup"):
            bench_startup(work, reps, args.quick)
        if args.only in (None, "latency"):
            bench_latency(work, 20 if args.quick else 40)
        if args.only in (None, "keys"):
            bench_keystrokes(work)
        if args.only in (None, "session"):
            bench_session(work, 60 if args.quick else 150)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
