"""`ClipSession`: what a clip editor screen wraps — one draft and one flow, wired to the provider.

The three clip editors (visual, narration, music) are thin views over this class; it holds the whole
behaviour so none of them carries flow logic of its own:
- generate with the draft's fields; retry; cancel; review; accept; reject;
- an accepted preview goes into the draft (baseline and draft) and, optimistically, into the provider,
  so every screen shows it at once;
- reject keeps the draft; `leave()` resets it to the provider's committed asset;
- reopening a clip picks up its newest open run, so a pending preview is never orphaned;
- when the committed asset changes under an open editor, untouched fields follow it and edits stay.

It holds no thread and no lock: the draft, the flow and the provider change only in calls made on one
thread (the App's in the UI). Blocking backend calls are split as in the flow: `begin_generate()` and
`session.flow.begin_*` change state and return a request, a worker makes the call (`flow.call_*`,
`list_open_runs`), and `flow.finish_*` / `adopt_open_runs` apply the result. `generate`, `accept`,
`reject`, `cancel` and `resume` do all of it on the caller's thread (command line, tests).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from .draft import AssetDraft
from .errors import NotFoundError
from .events import RunEventData
from .flow import Accepted, AssetGenerationFlow, FlowBackend, FlowState, StartRequest
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


def list_open_runs(backend: SessionBackend, clip_id: str) -> list[RunRecord]:
    """Blocking (a worker may call it): the clip's open runs, newest first."""
    return backend.list(clip_id=clip_id, statuses=sorted(OPEN_STATUSES))


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
            commit_guard=provider,
        )
        self._listeners: list[ChangeListener] = []
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
        self.draft.set_draft(**{name: value})
        self._changed()

    def revert(self) -> None:
        self.draft.reset_to_provider(self.asset)
        self._changed()

    # --- the flow ------------------------------------------------------------------------------
    def begin_generate(self, *, seed: int | None = None) -> StartRequest:
        """Start with the draft's fields: the request for `flow.call_start` (then `flow.finish_start`);
        `seed` None lets the engine draw a new one."""
        return self.flow.begin_start(self.draft.draft, seed=seed)

    def generate(self) -> str:
        """Blocking: start a run with the draft's fields on this thread."""
        return self.flow.start(self.draft.draft)

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

    def adopt_open_runs(self, runs: Sequence[RunRecord]) -> None:
        """Adopt this clip's newest open run, if any (its preview may be waiting)."""
        if runs and not self.closed:
            self.flow.attach(runs[0])

    def resume(self) -> None:
        """Blocking: find this clip's open runs and adopt the newest, on this thread."""
        self.adopt_open_runs(list_open_runs(self.backend, self.clip.id))

    def handle_event(self, event: RunEventData) -> None:
        self.flow.handle_event(event)

    def leave(self) -> None:
        """The user left the clip: the draft reverts; the run (if any) goes on without us."""
        self.draft.reset_to_provider(self.asset)
        self.flow.reset()
        self._unsubscribe_flow()
        self._unsubscribe_provider()
        self.closed = True

    # --- reactions -----------------------------------------------------------------------------
    def _on_flow(self, _state: FlowState, outcome: Accepted | None) -> None:
        if outcome is not None:
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
        if committed != self.draft.baseline:
            self.draft.rebase(asset)
        self._changed()
