"""Block until a run reaches one of some statuses — driven by its events, not by sleeping."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from ..core.errors import TuiEditorError
from ..core.events import RunEventData
from ..core.run_record import INACTIVE_STATUSES, RunRecord
from .engine import RunEngine


class WaitTimeout(TuiEditorError):
    """The run did not get there in time."""


def wait_for_run(
    engine: RunEngine,
    run_id: str,
    statuses: Iterable[str] = INACTIVE_STATUSES,
    *,
    timeout: float = 600.0,
    recheck_s: float = 1.0,
) -> RunRecord:
    """Return the run once its status is in `statuses`.

    Wakes on every event of the run (in-process push or the log tail); re-reads the record now and then
    as well, so a missed wake-up costs at most `recheck_s`.
    """
    wanted = frozenset(statuses)
    woke = threading.Event()

    def on_event(_event: RunEventData) -> None:
        woke.set()

    subscription = engine.hub.subscribe(on_event, run_id=run_id)
    deadline = time.monotonic() + timeout
    try:
        while True:
            record = engine.get(run_id)
            if record.status in wanted:
                return record
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaitTimeout(f"run {run_id} is still {record.status} after {timeout:g} s")
            woke.wait(min(recheck_s, remaining))
            woke.clear()
    finally:
        subscription.close()
