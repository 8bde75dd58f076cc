"""`ReviewSession`: one key per decision over every pending preview of a lecture (UI-free).

The session holds the previews in timeline order (visual, voice, music tracks, then start time), a
cursor on the one shown, what was decided on each, and the session's own undo stack. It is optimistic:
`decide` records the decision and advances at once, returning what the caller must save (in a worker);
`decision_failed` puts an item back (at the end) when saving failed, `conflict` records that an accept
could not land because the clip changed (the preview stays pending; the session moves on). Previews
that arrive during the session join its end (`add`). No threads, no locks: all calls on one thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .kinds import get_kind

Outcome = Literal["accept", "reject", "skip", "conflict"]
#: Track order of the timeline (the session's first sort key).
TRACK_ORDER = {"visual": 0, "voice": 1, "music": 2}


@dataclass(frozen=True)
class SessionItem:
    """One pending preview: its run, its clip's place on the timeline, and the preview asset."""

    run_id: str
    clip_id: str
    kind: str
    track: str
    start: float
    preview: Mapping[str, Any] | None = None
    seed: int | None = None

    @property
    def order(self) -> tuple[int, float, str]:
        return (TRACK_ORDER.get(self.track, len(TRACK_ORDER)), self.start, self.run_id)


def make_item(
    run_id: str,
    clip_id: str,
    kind: str,
    start: float,
    preview: Mapping[str, Any] | None,
    seed: int | None = None,
) -> SessionItem:
    return SessionItem(
        run_id=run_id,
        clip_id=clip_id,
        kind=kind,
        track=get_kind(kind).track,
        start=start,
        preview=preview,
        seed=seed,
    )


@dataclass(frozen=True)
class Step:
    """One decision of the session, as the undo stack keeps it."""

    item: SessionItem
    outcome: Outcome
    position: int


class ReviewSession:
    def __init__(self, items: Iterable[SessionItem]) -> None:
        ordered = sorted({item.run_id: item for item in items}.values(), key=lambda i: i.order)
        self.items: list[SessionItem] = ordered
        self.cursor = 0
        self.outcomes: dict[str, Outcome] = {}
        self.undo_stack: list[Step] = []
        self._known = {item.run_id for item in ordered}
        # Runs this session has decided: their own events (which may arrive after an undo) never make
        # the session drop them as "decided elsewhere".
        self._decided_here: set[str] = set()

    # --- reading -------------------------------------------------------------------------------
    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def current(self) -> SessionItem | None:
        return self.items[self.cursor] if self.cursor < len(self.items) else None

    @property
    def position(self) -> tuple[int, int]:
        """(n, N) for `[n/N]`: n counts from 1; past the end n is N."""
        return (min(self.cursor + 1, self.total), self.total)

    @property
    def finished(self) -> bool:
        return self.cursor >= len(self.items)

    def counts(self) -> dict[str, int]:
        result = {"accepted": 0, "rejected": 0, "skipped": 0}
        for outcome in self.outcomes.values():
            key = {"accept": "accepted", "reject": "rejected"}.get(outcome, "skipped")
            result[key] += 1
        return result

    def summary(self) -> str:
        """The one-line summary shown when the session ends."""
        counts = self.counts()
        return (
            f"Review session: {counts['accepted']} accepted · {counts['rejected']} rejected · "
            f"{counts['skipped']} skipped"
        )

    def contains(self, run_id: str) -> bool:
        return run_id in self._known

    # --- deciding ------------------------------------------------------------------------------
    def decide(self, outcome: Literal["accept", "reject", "skip"]) -> SessionItem | None:
        """Record a decision on the current item and advance; the item decided (None: nothing shown)."""
        item = self.current
        if item is None:
            return None
        self.outcomes[item.run_id] = outcome
        if outcome != "skip":
            self._decided_here.add(item.run_id)
        self.undo_stack.append(Step(item, outcome, self.cursor))
        self.cursor += 1
        return item

    def undo(self) -> Step | None:
        """Take back the session's last decision and show its item again; the step (None: nothing to
        undo). For an accept or reject the caller undoes it in the store too."""
        if not self.undo_stack:
            return None
        step = self.undo_stack.pop()
        self.outcomes.pop(step.item.run_id, None)
        index = self._index(step.item.run_id)
        if index is not None:
            self.items.pop(index)
            if index < self.cursor:
                self.cursor -= 1
        self.items.insert(self.cursor, step.item)  # shown next
        return step

    def undo_failed(self, step: Step) -> None:
        """Undoing `step` in the store failed: the decision stands again (the cursor moves past it)."""
        if self.current is not None and self.current.run_id == step.item.run_id:
            self.outcomes[step.item.run_id] = step.outcome
            self.undo_stack.append(step)
            self.cursor += 1

    def decision_failed(self, run_id: str) -> None:
        """Saving the decision failed: the item is pending again and rejoins the session at its end."""
        if self.outcomes.pop(run_id, None) is None:
            return
        self.undo_stack = [s for s in self.undo_stack if s.item.run_id != run_id]
        index = self._index(run_id)
        if index is None:
            return
        item = self.items.pop(index)
        if index < self.cursor:
            self.cursor -= 1
        self.items.append(item)

    def conflict(self, run_id: str) -> None:
        """An accept could not land (the clip changed): the preview stays pending; counted as skipped."""
        if run_id in self.outcomes:
            self.outcomes[run_id] = "conflict"
            self.undo_stack = [s for s in self.undo_stack if s.item.run_id != run_id]

    def add(self, item: SessionItem) -> bool:
        """A preview that arrived during the session joins its end (once). True if it was added."""
        if item.run_id in self._known:
            return False
        self._known.add(item.run_id)
        self.items.append(item)
        return True

    def drop(self, run_id: str) -> bool:
        """A preview decided elsewhere (or gone) before this session got to it: leave it out."""
        if run_id in self.outcomes or run_id in self._decided_here:
            return False
        index = self._index(run_id)
        if index is None or index < self.cursor:
            return False
        self.items.pop(index)
        return True

    def _index(self, run_id: str) -> int | None:
        for i, item in enumerate(self.items):
            if item.run_id == run_id:
                return i
        return None
