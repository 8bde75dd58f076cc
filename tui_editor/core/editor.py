"""`ClipSession`: what a clip editor screen wraps — one draft and one flow, wired to the provider.

The three clip editors (visual, narration, music) are thin views over this class; it holds the whole
behaviour so none of them carries flow logic of its own:
- generate with the draft's fields; retry; cancel; review; accept; reject;
- an accepted preview goes into the draft (baseline and draft) and, optimistically, into the provider,
  so every screen shows it at once;
- reject keeps the draft; `leave()` resets it to the provider's committed asset;
- reopening a clip picks up its newest open run, so a pending preview is never orphaned;
- when the committed asset changes under an open editor, untouched fields follow it and edits stay.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from .draft import AssetDraft
from .errors import NotFoundError
from .events import RunEventData
from .flow import Accepted, AssetGenerationFlow, FlowBackend, FlowState
from .kinds import AssetKind
from .provider import LectureEditorProvider
from .run_record import OPEN_STATUSES, RunRecord
from .snapshot import Asset, ClipView, LectureSnapshot


class SessionBackend(FlowBackend, Protocol):
    def list(
        self,
        *,
        lecture_id: str | None = None,
        clip_id: str | None = None,
        statuses: Sequence[str] | None = None,
    ) -> list[RunRecord]: ...


ChangeListener = Callable[["ClipSession"], None]


class ClipSession:
    def __init__(self, provider: LectureEditorProvider, backend: SessionBackend, clip_id: str) -> None:
        clip = provider.snapshot.clip(clip_id)
        if clip is None:
            raise NotFoundError(f"no clip with id {clip_id!r} in lecture {provider.lecture_id}")
        self.provider = provider
        self.backend = backend
        self.clip: ClipView = clip
        self.kind: AssetKind = clip.kind
        self.draft = AssetDraft(self.kind, provider.snapshot.asset_for(clip))
        self.flow = AssetGenerationFlow(
            self.kind,
            backend,
            lecture_id=provider.lecture_id,
            clip_id=clip.id,
            commit_guard=provider.commit_in_flight,
        )
        self._listeners: list[ChangeListener] = []
        # The draft is changed by the UI thread (typing) and by whichever thread delivers a new
        # snapshot or an accept; one lock keeps each change whole.
        self._draft_lock = threading.RLock()
        self._unsubscribe_flow = self.flow.subscribe(self._on_flow)
        self._unsubscribe_provider = provider.subscribe(self._on_snapshot)
        self.closed = False

    # --- what a view shows --------------------------------------------------------------------
    @property
    def asset(self) -> Asset | None:
        """The committed asset, as the provider has it now."""
        return self.provider.snapshot.asset_for(self.clip)

    @property
    def state(self) -> FlowState:
        return self.flow.state

    @property
    def is_dirty(self) -> bool:
        return self.draft.has_changes

    def on_change(self, listener: ChangeListener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener(self)

    # --- editing -------------------------------------------------------------------------------
    def set_field(self, name: str, value: Any) -> None:
        with self._draft_lock:
            self.draft.set_draft(**{name: value})
        self._changed()

    def revert(self) -> None:
        with self._draft_lock:
            self.draft.reset_to_provider(self.asset)
        self._changed()

    # --- the flow (blocking: call from a worker thread in a UI) ---------------------------------
    def generate(self) -> str:
        with self._draft_lock:
            fields = self.draft.draft
        return self.flow.start(fields)

    def retry(self) -> str:
        return self.flow.retry()

    def cancel(self) -> None:
        self.flow.cancel()

    def open_review(self) -> None:
        self.flow.open_review()

    def close_review(self) -> None:
        self.flow.close_review()

    def accept(self) -> None:
        self.flow.accept()

    def reject(self) -> None:
        self.flow.reject()

    def resume(self) -> None:
        """Adopt this clip's newest open run, if any (its preview may be waiting)."""
        runs = self.backend.list(clip_id=self.clip.id, statuses=sorted(OPEN_STATUSES))
        if runs:
            self.flow.attach(runs[0])

    def handle_event(self, event: RunEventData) -> None:
        self.flow.handle_event(event)

    def leave(self) -> None:
        """The user left the clip: the draft reverts; the run (if any) goes on without us."""
        with self._draft_lock:
            self.draft.reset_to_provider(self.asset)
        self.flow.reset()
        self._unsubscribe_flow()
        self._unsubscribe_provider()
        self.closed = True

    # --- reactions -----------------------------------------------------------------------------
    def _on_flow(self, _state: FlowState, outcome: Accepted | None) -> None:
        if outcome is not None:
            with self._draft_lock:
                self.draft.apply_preview(outcome.asset)
            data: Mapping[str, Any] = {k: v for k, v in outcome.asset.items() if k != "id"}
            self.provider.apply_asset_update(
                self.kind.name, self.clip.asset_id, data, revision=outcome.revision
            )
        self._changed()

    def _on_snapshot(self, snapshot: LectureSnapshot) -> None:
        clip = snapshot.clip(self.clip.id)
        if clip is None:
            return
        self.clip = clip
        asset = snapshot.asset_for(clip)
        committed = {name: (asset or {}).get(name) for name in self.kind.editable_names}
        with self._draft_lock:
            if committed != self.draft.baseline:
                self.draft.rebase(asset)
        self._changed()
