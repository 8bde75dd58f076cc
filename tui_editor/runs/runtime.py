"""Everything a process needs to work on lectures: settings, store, event hub and run engine.

`open_runtime(settings)` is the one place that wires them; the App, the command line and the
benchmarks all use it. Close it when done (stops background threads, marks interrupted runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..core.errors import StoreError
from ..core.store import Store, open_store
from .engine import RunEngine
from .hub import EventHub


@dataclass
class Runtime:
    settings: Settings
    store: Store
    hub: EventHub
    engine: RunEngine

    @property
    def data_dir(self) -> Path:
        return self.settings.data_path

    def close(self) -> None:
        self.engine.close()
        self.hub.stop()
        self.store.close()


def open_runtime(settings: Settings, *, background: bool = True) -> Runtime:
    """Open the database (creating/upgrading it) and start the engine and the event tail.

    `background=False` skips the event tail and the engine's housekeeping threads (one-shot commands
    that only read).
    """
    try:
        settings.data_path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the data directory {settings.data_path}: {exc.strerror}") from None
    store = open_store(settings.database_url)
    # "memory": events never leave this process; every other transport tails the database's event log.
    # The team engine's events are all written by workers elsewhere: it always tails.
    tail = background and (settings.events.transport != "memory" or settings.engine.kind == "temporal")
    listen = settings.events.transport in ("auto", "postgres")  # LISTEN/NOTIFY where the database has it
    hub = EventHub(store, poll_interval_ms=settings.events.poll_interval_ms, tail=tail, listen=listen)
    engine: RunEngine
    if settings.engine.kind == "temporal":
        import importlib.util

        if importlib.util.find_spec("temporalio") is None:  # the `team` extra is not installed
            store.close()
            from ..core.errors import BadInputError

            raise BadInputError(
                "[engine] kind = 'temporal' needs the team extra: pip install 'tui-editor[team]'"
            )
        from .temporal.engine import TemporalEngine

        engine = TemporalEngine(store, settings, hub=hub)
    else:
        from .local import LocalEngine

        engine = LocalEngine(store, settings, hub=hub, background=background)
    if background:
        hub.start()
    return Runtime(settings=settings, store=store, hub=hub, engine=engine)
