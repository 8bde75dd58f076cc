"""The team engine's tests run on the real services: one Temporal dev server per test session, started
from the `temporal` binary the `team` extra installs (nothing is downloaded), and PostgreSQL.

Each test gets its own task queue, so the workers of different tests never take each other's runs, and its
own PostgreSQL schema (`pg_url`). Workers run on a thread of the test process (`WorkerThread`), or as real
processes where a test kills one (`worker_child.py`, `tui-editor worker`).
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.factories import seeded_store
from tests.runs.conftest import Child, FactoryLog, child_env
from tui_editor.core.events import RunEventData
from tui_editor.runs.runtime import Runtime, open_runtime
from tui_editor.runs.temporal.devserver import free_port, start_dev_server, stop_dev_server
from tui_editor.runs.temporal.worker import WorkerThread

WORKER_CHILD = Path(__file__).with_name("worker_child.py")


@dataclass
class DevServer:
    host: str
    port: int
    proc: subprocess.Popen[bytes]
    db_file: Path | None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def stop(self) -> None:
        stop_dev_server(self.proc)

    def restart(self) -> None:
        """Stop and start again on the same port and db file (workflows carry on)."""
        self.stop()
        self.proc = start_dev_server(port=self.port, db_file=self.db_file)


@pytest.fixture(scope="session")
def temporal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """One dev server for the whole session (an in-memory one: each test uses its own task queue)."""
    port = free_port()
    proc = start_dev_server(port=port, db_file=None)
    server = DevServer("127.0.0.1", port, proc, None)
    yield server
    server.stop()


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[DevServer]:
    """A dev server of this test alone, keeping its workflows in a file (for restarts)."""
    port = free_port()
    db_file = tmp_path / "temporal.db"
    server = DevServer("127.0.0.1", port, start_dev_server(port=port, db_file=db_file), db_file)
    yield server
    server.stop()


class Events:
    """Every event a runtime's hub delivers (pushed here, or tailed from the shared log)."""

    def __init__(self, runtime: Runtime) -> None:
        self.items: list[RunEventData] = []
        self._lock = threading.Lock()
        runtime.hub.subscribe(self._add)

    def _add(self, event: RunEventData) -> None:
        with self._lock:
            self.items.append(event)

    def types(self, run_id: str) -> list[str]:
        with self._lock:
            return [e.type for e in self.items if e.run_id == run_id]


@dataclass
class Team:
    """A seeded lecture on PostgreSQL, a Temporal task queue of its own, and runtimes on them."""

    server: DevServer
    db: str
    data_dir: Path
    task_queue: str
    lecture_id: str
    make_settings: Callable[..., Any]
    overrides: dict[str, Any]
    runtimes: list[Runtime] = field(default_factory=list)
    workers: list[WorkerThread] = field(default_factory=list)

    def settings(self, **more: Any) -> Any:
        return self.make_settings(self.db, **(self.setting_values() | more))

    def setting_values(self) -> dict[str, Any]:
        return {
            "engine__kind": "temporal",
            "engine__temporal__address": self.server.address,
            "engine__temporal__task_queue": self.task_queue,
            "engine__temporal__heartbeat_timeout": 1.5,
            "engine__temporal__answer_timeout": 20,
            "events__poll_interval_ms": 20,
        } | self.overrides

    def runtime(self, **more: Any) -> tuple[Runtime, Events]:
        runtime = open_runtime(self.settings(**more))
        self.runtimes.append(runtime)
        return runtime, Events(runtime)

    def worker(self, generator: Any = None, *, concurrency: int = 4) -> WorkerThread:
        factory = FactoryLog(generator) if generator is not None else None
        worker = WorkerThread(self.settings(), concurrency=concurrency, generator_factory=factory)
        self.workers.append(worker.start())
        return worker

    def child_env(self) -> dict[str, str]:
        env = child_env(**self.setting_values())
        env["TUI_EDITOR_DB"] = self.db
        env["TUI_EDITOR_DATA_DIR"] = str(self.data_dir)
        return env

    def close(self) -> None:
        for runtime in self.runtimes:
            runtime.close()
        for worker in self.workers:
            worker.stop()


@pytest.fixture
def make_team(
    pg_url: str, data_dir: Path, make_settings: Callable[..., Any], temporal_server: DevServer
) -> Iterator[Callable[..., Team]]:
    """`make_team(server=None, db=None, **settings)`: the team set-up on the session's dev server (or
    `server`) and the test's PostgreSQL schema (or `db`).

    Every call gets its own task queue; the first one seeds the lecture, later ones share it."""
    made: list[Team] = []

    def make(server: DevServer | None = None, db: str | None = None, **overrides: Any) -> Team:
        if made and db is None:  # another task queue on the same database and lecture
            lecture_id = made[0].lecture_id
        else:
            store, lecture_id = seeded_store(db or pg_url, data_dir)
            store.close()
        team = Team(
            server=server or temporal_server,
            db=db or pg_url,
            data_dir=data_dir,
            task_queue=f"test-{secrets.token_hex(4)}",
            lecture_id=lecture_id,
            make_settings=make_settings,
            overrides=overrides,
        )
        made.append(team)
        return team

    yield make
    for team in made:
        team.close()


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster of this test alone (it gets restarted), run as the `postgres` user."""

    root: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", "pg_ctl", "-D", str(self.root / "data"), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-o", options, "-l", str(self.root / "log"), "-w", "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="tui-editor-pg-"))  # not under tmp_path: postgres must reach it
    shutil.chown(root, "postgres")
    subprocess.run(
        ["runuser", "-u", "postgres", "--", "initdb", "-D", str(root / "data"), "--auth=trust"]
        + ["-U", "postgres", "-E", "UTF8", "--no-sync"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    server = PrivatePostgres(root, free_port())
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


class ChildWorker(Child):
    """A worker in a real process (`worker_child.py`): its generator waits for the test's release file."""

    def __init__(self, env: dict[str, str], gate: Path, stderr_path: Path) -> None:
        super().__init__([str(gate)], env=env, stderr_path=stderr_path, script=WORKER_CHILD)
        self.gate = gate


@pytest.fixture
def child_worker(tmp_path: Path) -> Iterator[Callable[[Team], ChildWorker]]:
    children: list[ChildWorker] = []

    def start(team: Team) -> ChildWorker:
        gate = tmp_path / f"gate-{len(children)}"
        gate.mkdir()
        child = ChildWorker(team.child_env(), gate, tmp_path / f"worker-{len(children)}.stderr")
        children.append(child)
        child.expect("ready")
        return child

    yield start
    for child in children:
        child.cleanup()
