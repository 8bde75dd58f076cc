"""A run's move that lands in an asset commit's own transaction (`Store.commit_asset(run_move=...)`).

An accept, the undo of an accept and a take restore each change an asset AND a run: the asset, the
lecture's revision and its revision row, the run's columns and the run's event must land together or
not at all — a killed process may never leave the asset back and the run still `accepted`.

The move is a compare-and-set: the run must still be in `from_statuses` (checked under the commit's
lock before anything is written, and again by the update itself); otherwise `refused(status)` is raised
and nothing is written. What the run gets depends on the commit (its revision, what it replaced, the
asset's new `updated_at`), so `build` makes the event's payload and the run's new column values from
the `Committed` result inside the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import TuiEditorError


@dataclass(frozen=True)
class Committed:
    """What a commit wrote, as a run move sees it inside the transaction."""

    revision: int
    #: The asset's fields as they were before the commit (no `id`, no `updated_at`): what it replaced.
    replaced: Mapping[str, Any]
    #: The asset as committed, with its new `updated_at`.
    saved: Mapping[str, Any]


@dataclass(frozen=True)
class RunMove:
    """Move run `run_id` out of `from_statuses` and append its `event_type` event, in the commit."""

    run_id: str
    from_statuses: Collection[str]
    event_type: str
    #: (the event's payload, the run's new column values) for this commit.
    build: Callable[[Committed], tuple[Mapping[str, Any], Mapping[str, Any]]]
    #: The error to raise (nothing written) when the run is in another status (None: no such run).
    refused: Callable[[str | None], TuiEditorError]
