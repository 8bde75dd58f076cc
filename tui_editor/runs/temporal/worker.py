"""A worker: runs the team engine's workflows and activities for the configured task queue and database.

`tui-editor worker` runs one in the foreground (`serve`); tests and benchmarks run one on a thread
(`WorkerThread`). A worker killed at any moment loses nothing: Temporal hands its workflow tasks to another
worker at once and its generation to one after `heartbeat_timeout`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from ...config import Settings
from ...core.store import Store, open_store
from ...generators.base import Generator
from ..hub import EventHub
from ..local import LocalEngine
from .engine import TemporalUnavailable


async def connect(settings: Settings) -> Any:
    from temporalio.client import Client

    temporal = settings.engine.temporal
    try:
        return await asyncio.wait_for(Client.connect(temporal.address, namespace=temporal.namespace), 10)
    except Exception as exc:  # noqa: BLE001 - any connection failure: one clear line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TemporalUnavailable(
            f"cannot reach the Temporal server at {temporal.address} ({first}); "
            "start one with `tui-editor temporal-dev` or set [engine.temporal] address"
        ) from None


def worker_engine(
    store: Store,
    settings: Settings,
    generator_factory: Callable[[str, str, Settings], Generator] | None = None,
) -> LocalEngine:
    """The embedded engine that does a worker's work: no threads of its own; its events reach the editors
    through the database's event log. (Its start-up sweep leaves team runs alone.)"""
    hub = EventHub(store, poll_interval_ms=settings.events.poll_interval_ms, tail=False)
    return LocalEngine(store, settings, hub=hub, background=False, generator_factory=generator_factory)


def build_worker(client: Any, engine: LocalEngine, settings: Settings, *, concurrency: int = 4) -> Any:
    from temporalio.worker import Worker

    from .activities import RunActivities
    from .workflow import RunWorkflow

    return Worker(
        client,
        task_queue=settings.engine.temporal.task_queue,
        workflows=[RunWorkflow],
        activities=RunActivities(engine).all(),
        max_concurrent_activities=concurrency,
        # After a worker restart the next task waits this long for the old worker's sticky queue.
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=1),
        graceful_shutdown_timeout=timedelta(seconds=2),
    )


async def serve(
    settings: Settings,
    *,
    concurrency: int = 4,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[], None] | None = None,
    generator_factory: Callable[[str, str, Settings], Generator] | None = None,
) -> None:
    """Run a worker until `stop` is set (or the task is cancelled)."""
    settings.data_path.mkdir(parents=True, exist_ok=True)
    client = await connect(settings)
    store = await asyncio.to_thread(open_store, settings.database_url)
    try:
        engine = await asyncio.to_thread(worker_engine, store, settings, generator_factory)
        try:
            async with build_worker(client, engine, settings, concurrency=concurrency):
                if on_ready is not None:
                    on_ready()
                await (stop or asyncio.Event()).wait()
        finally:
            await asyncio.to_thread(engine.close)
    finally:
        store.close()


class WorkerThread:
    """A worker on its own thread and event loop (tests, benchmarks); `stop()` shuts it down."""

    def __init__(
        self,
        settings: Settings,
        *,
        concurrency: int = 4,
        generator_factory: Callable[[str, str, Settings], Generator] | None = None,
    ) -> None:
        self.settings = settings
        self.concurrency = concurrency
        self.generator_factory = generator_factory
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="temporal-worker", daemon=True)

    def start(self, timeout: float = 30.0) -> WorkerThread:
        self._thread.start()
        if not self._ready.wait(timeout) or self._error is not None:
            raise RuntimeError(f"worker did not start: {self._error!r}")
        return self

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._stop = asyncio.Event()
        try:
            self._loop.run_until_complete(
                serve(
                    self.settings,
                    concurrency=self.concurrency,
                    stop=self._stop,
                    on_ready=self._ready.set,
                    generator_factory=self.generator_factory,
                )
            )
        except BaseException as exc:  # noqa: BLE001 - reported by start()
            self._error = exc
            self._ready.set()
        finally:
            self._loop.close()

    def stop(self, timeout: float = 30.0) -> None:
        if self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
