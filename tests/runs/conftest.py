"""Shared pieces of the run-engine tests: an engine on a seeded lecture, stand-in generators and real
child processes.

Stand-ins exist only for what a test cannot otherwise get: a generator that blocks until the test says so
(to cancel or kill a run mid-generation deterministically), one that fails on purpose, and one that plays
a remote provider (so the chosen-model route can be checked offline). Everything else is real: SQLite
files (or the PostgreSQL server), the local generators, `LocalEngine`, `EventHub`, OS processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.factories import seeded_store
from tui_editor.core.events import RunEventData
from tui_editor.generators.base import (
    GenerationRequest,
    GenerationResult,
    ProgressFn,
)

CHILD_SCRIPT = Path(__file__).with_name("crash_child.py")
CLI = Path(sys.executable).with_name("tui-editor")

# Clips and assets of `tests.factories.lecture_doc()`, and a small fast request for each kind.
KIND_CASES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "visual": ("clip_v0", "vis_0", {"prompt": "A red cube on a blue table", "aspect_ratio": "1:1"}),
    "narration": ("clip_n0", "nar_0", {"script": "A short test line."}),
    "music": ("clip_m0", "mus_0", {"prompt": "calm piano loop", "duration_s": 2.0, "bpm": 90}),
}


# --- files -------------------------------------------------------------------------------------------


def file_state(path: Path) -> tuple[bytes, int]:
    """A file's bytes and modification time (ns): equal states mean the file was not touched."""
    return path.read_bytes(), path.stat().st_mtime_ns


def media_files(data_dir: Path, kind: str, asset_id: str) -> set[str]:
    """Committed files of one asset, relative to the data dir."""
    folder = data_dir / "media" / kind / asset_id
    return {p.relative_to(data_dir).as_posix() for p in folder.iterdir()} if folder.is_dir() else set()


# --- stand-in generators -----------------------------------------------------------------------------


def _png_result(
    request: GenerationRequest, name: str, size: tuple[int, int], aspect_ratio: str
) -> GenerationResult:
    """Writes a small real PNG `name` into the run's folder; the visual fields that go with it."""
    from PIL import Image

    target = request.out_dir / name
    Image.new("RGB", size, (200, 40, 40)).save(target)
    width, height = size
    return GenerationResult(
        file=target,
        fields={
            "prompt": request.fields["prompt"],
            "model": request.fields["model"],
            "aspect_ratio": aspect_ratio,
            "width": width,
            "height": height,
        },
    )


class GatedGenerator:
    """Writes a partial file and reports progress, then waits until the test releases it.

    `honour_cancel=False` plays a generator that swallows the cancel and finishes late, after it.
    On release it writes a small real PNG and returns visual fields.
    """

    def __init__(self, *, honour_cancel: bool = True) -> None:
        self.honour_cancel = honour_cancel
        self.started = threading.Event()
        self.release = threading.Event()
        self.finished = threading.Event()
        self.requests: list[GenerationRequest] = []

    async def generate(self, request: GenerationRequest, progress: ProgressFn) -> GenerationResult:
        try:
            self.requests.append(request)
            (request.out_dir / "partial.png").write_bytes(b"\x89PNG\r\n\x1a\n half a file")
            progress(1, 3, "Halfway there")
            self.started.set()
            while not self.release.is_set():
                try:
                    await asyncio.sleep(0.005)
                except asyncio.CancelledError:
                    if self.honour_cancel:
                        raise
            result = _png_result(request, "visual.png", (32, 32), "1:1")
            progress(3, 3, "Saved")
            return result
        finally:
            self.finished.set()


class FailingGenerator:
    """Writes a partial file, then raises what it was given."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    async def generate(self, request: GenerationRequest, progress: ProgressFn) -> GenerationResult:
        (request.out_dir / "partial.bin").write_bytes(b"partial")
        progress(1, 2, "About to fail")
        raise self.error


class ProviderStandIn:
    """Plays a remote image provider: records the request and writes a small real PNG."""

    def __init__(self) -> None:
        self.requests: list[GenerationRequest] = []

    async def generate(self, request: GenerationRequest, progress: ProgressFn) -> GenerationResult:
        self.requests.append(request)
        result = _png_result(request, "remote.png", (48, 27), "16:9")
        progress(1, 1, "Downloaded")
        return result


@dataclass
class FactoryLog:
    """A `generator_factory` that hands out one generator and records what it was asked for."""

    generator: Any
    calls: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, kind: str, provider: str, settings: Any) -> Any:
        self.calls.append((kind, provider))
        return self.generator


# --- an engine on a seeded lecture -------------------------------------------------------------------


@dataclass
class EngineEnv:
    settings: Any
    store: Any
    hub: Any
    engine: Any
    lecture_id: str
    data_dir: Path
    events: list[Any]

    def wait(self, run_id: str, *statuses: str, timeout: float = 30.0) -> Any:
        from tui_editor.core.run_record import INACTIVE_STATUSES
        from tui_editor.runs.waiting import wait_for_run

        return wait_for_run(
            self.engine, run_id, statuses or INACTIVE_STATUSES, timeout=timeout, recheck_s=0.05
        )

    def log(self, run_id: str) -> list[RunEventData]:
        events: list[RunEventData] = self.store.events_for_run(run_id)
        return events

    def asset(self, kind: str, asset_id: str) -> dict[str, Any]:
        asset: dict[str, Any] = self.store.get_asset(kind, asset_id)
        return asset

    def preview_dir(self, run_id: str) -> Path:
        return self.data_dir / "previews" / run_id


@pytest.fixture
def make_env(make_settings: Callable[..., Any], data_dir: Path) -> Iterator[Callable[..., EngineEnv]]:
    """`make_env(db=None, background=False, generator_factory=None, tail=False, seed=True, **settings)`.

    A seeded lecture (`lecture_doc()` ids, real seed media), an `EventHub` (no tail unless `tail=True`)
    whose every event is appended to `env.events`, and a `LocalEngine`. Closed after the test.
    """
    from tui_editor.runs.hub import EventHub
    from tui_editor.runs.local import LocalEngine

    opened: list[EngineEnv] = []
    gates: list[GatedGenerator] = []

    def make(
        db: str | None = None,
        *,
        background: bool = False,
        generator_factory: Any = None,
        tail: bool = False,
        seed: bool = True,
        **overrides: Any,
    ) -> EngineEnv:
        from tui_editor.core.store import open_store

        settings = make_settings(db, **overrides)
        if seed:
            store, lecture_id = seeded_store(settings.database_url, data_dir)
        else:  # a second engine (another "process") on the database an earlier call seeded
            store, lecture_id = open_store(settings.database_url), "lec_test"
        hub = EventHub(store, poll_interval_ms=settings.events.poll_interval_ms, tail=tail)
        events: list[Any] = []
        hub.subscribe(events.append)
        engine = LocalEngine(
            store, settings, hub=hub, background=background, generator_factory=generator_factory
        )
        if tail:
            hub.start()
        if isinstance(generator_factory, FactoryLog) and isinstance(
            generator_factory.generator, GatedGenerator
        ):
            gates.append(generator_factory.generator)
        env = EngineEnv(settings, store, hub, engine, lecture_id, data_dir, events)
        opened.append(env)
        return env

    yield make
    for gate in gates:
        gate.release.set()
    for env in opened:
        env.engine.close()
        env.hub.stop()
        env.store.close()


# --- real child processes ----------------------------------------------------------------------------


class Child:
    """A real Python process running `crash_child.py`; it reports milestones as JSON lines."""

    def __init__(
        self, args: list[str], *, env: dict[str, str], stderr_path: Path, script: Path = CHILD_SCRIPT
    ) -> None:
        self.stderr_path = stderr_path
        self._stderr = stderr_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, str(script), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=env,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def expect(self, event: str, *, timeout: float = 30.0) -> dict[str, Any]:
        """The next milestone called `event` (fails at the deadline or if the child ends first)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = self._lines.get(timeout=max(remaining, 0.001))
            except queue.Empty:
                pytest.fail(f"child did not report {event!r} within {timeout:g} s; stderr:\n{self.stderr()}")
            if line is None:
                self.proc.wait(timeout=10)
                pytest.fail(
                    f"child exited ({self.proc.returncode}) before {event!r}; stderr:\n{self.stderr()}"
                )
            message = json.loads(line)
            if message.get("event") == event:
                return dict(message)

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")[-4000:]

    def kill9(self) -> None:
        """SIGKILL, then reap (a zombie would still answer `kill(pid, 0)`)."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        assert self.proc.returncode == -signal.SIGKILL

    def exit_cleanly(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.write("exit\n")
        self.proc.stdin.flush()
        return self.proc.wait(timeout=30)

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._stderr.close()


def child_env(**settings: Any) -> dict[str, str]:
    """The (already isolated) test environment plus `section__key=value` settings for a child."""
    env = dict(os.environ)
    env.update({f"TUI_EDITOR__{k.upper()}": str(v) for k, v in settings.items()})
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., Child]]:
    """`spawn(mode, *args, **settings)` → a running `Child`; any still alive is killed afterwards."""
    children: list[Child] = []

    def start(mode: str, *args: str, **settings: Any) -> Child:
        child = Child(
            [mode, *args],
            env=child_env(**settings),
            stderr_path=tmp_path / f"child-{len(children)}-{mode}.stderr",
        )
        children.append(child)
        return child

    yield start
    for child in children:
        child.cleanup()


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """Run the real `tui-editor` console script."""
    return subprocess.run(
        [str(CLI), *args], capture_output=True, text=True, timeout=timeout, env=env or child_env()
    )
