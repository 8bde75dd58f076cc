"""`AssetDraft`: a clip editor's unsaved edits, with the seed's exact rules.

- `baseline` is the committed asset as the provider had it; `draft` is what the user is editing.
- Rejecting a preview keeps the draft (nothing here changes).
- Leaving the clip resets the draft to the provider (`reset_to_provider`).
- Accepting applies the preview to baseline *and* draft (`apply_preview`), so the editor shows the
  committed state at once with no reload.
Only the kind's editable fields are drafted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .kinds import AssetKind


class AssetDraft:
    def __init__(self, kind: AssetKind, snapshot: Mapping[str, Any] | None) -> None:
        self.kind = kind
        self._baseline = self._editable(snapshot)
        self._draft = dict(self._baseline)

    def _editable(self, data: Mapping[str, Any] | None) -> dict[str, Any]:
        data = data or {}
        return {name: data.get(name, self.kind.defaults.get(name)) for name in self.kind.editable_names}

    @property
    def draft(self) -> dict[str, Any]:
        return dict(self._draft)

    @property
    def baseline(self) -> dict[str, Any]:
        return dict(self._baseline)

    @property
    def has_changes(self) -> bool:
        return self._draft != self._baseline

    @property
    def changed_fields(self) -> tuple[str, ...]:
        return tuple(
            name for name in self.kind.editable_names if self._draft.get(name) != self._baseline.get(name)
        )

    def set_draft(self, **changes: Any) -> None:
        """Change one or more editable fields; unknown names raise `KeyError`."""
        for name, value in changes.items():
            if name not in self._draft:
                raise KeyError(f"{self.kind.name} has no editable field {name!r}")
            self._draft[name] = value

    def reset_to_provider(self, snapshot: Mapping[str, Any] | None) -> None:
        """Forget every edit: baseline and draft become the provider's committed asset."""
        self._baseline = self._editable(snapshot)
        self._draft = dict(self._baseline)

    def rebase(self, snapshot: Mapping[str, Any] | None) -> None:
        """The committed asset changed under an open editor: follow it, keeping the user's edits.

        Fields the user has not touched take the new committed values; edited fields stay as typed.
        """
        edited = set(self.changed_fields)
        self._baseline = self._editable(snapshot)
        self._draft = {
            name: (self._draft[name] if name in edited else self._baseline[name])
            for name in self.kind.editable_names
        }

    def apply_preview(self, data: Mapping[str, Any]) -> None:
        """An accepted preview: merge its values into both baseline and draft."""
        values = {name: data[name] for name in self.kind.editable_names if name in data}
        self._baseline.update(values)
        self._draft.update(values)
