"""App-wide messages: typed, past tense, posted by background threads to the App.

Threads (the runtime worker, the event hub, the reload worker) never touch widgets: they `post_message`
one of these, and the App's handlers (on the App's thread) do the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual.message import Message

from ..core.events import RunEventData
from ..core.run_record import RunRecord
from ..core.snapshot import LectureSnapshot

if TYPE_CHECKING:  # the runtime's modules import sqlalchemy: never at import time
    from ..core.provider import LectureEditorProvider, LoadTicket
    from ..runs.runtime import Runtime


@dataclass
class RuntimeOpened(Message):
    """The database, engine and event hub are open."""

    runtime: Runtime


@dataclass
class LectureChoiceNeeded(Message):
    """Several lectures and none named: the user picks one."""

    lectures: list[dict[str, Any]]


@dataclass
class LectureLoaded(Message):
    """A lecture's snapshot and its open (and failed) runs are loaded; its provider is built."""

    provider: LectureEditorProvider
    runs: Sequence[RunRecord] = field(default_factory=tuple)


@dataclass
class LecturePeeked(Message):
    """A first, unconfirmed look at the lecture (`core.quick_read`), read while the store opens: shown
    marked as not yet confirmed, with its actions off, until `LectureLoaded` replaces it."""

    snapshot: LectureSnapshot


@dataclass
class LoadingNoted(Message):
    """What the startup worker is doing (shown while no lecture is open)."""

    text: str


@dataclass
class StartupFailed(Message):
    """Opening the database or the lecture failed; `message` is fit for the user."""

    message: str


@dataclass
class RunEventReceived(Message):
    """One run event from the process's single hub subscription."""

    event: RunEventData


@dataclass
class RunsResolved(Message):
    """Records of runs the App had only seen events of (which clip they belong to)."""

    records: Sequence[RunRecord]
    missing: Sequence[str] = field(default_factory=tuple)


@dataclass
class SnapshotLoaded(Message):
    """The reload worker read the lecture for `provider`'s reload `ticket`."""

    provider: LectureEditorProvider
    ticket: LoadTicket
    snapshot: LectureSnapshot


@dataclass
class SnapshotLoadFailed(Message):
    """The reload worker could not read the lecture (the database went away...)."""

    provider: LectureEditorProvider
    ticket: LoadTicket
    error: Exception
