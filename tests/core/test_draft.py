from __future__ import annotations

import pytest

from tests.core.flow_support import narration_asset
from tui_editor.core.draft import AssetDraft
from tui_editor.core.kinds import MUSIC, NARRATION

COMMITTED = narration_asset("Committed")


def test_starts_equal_to_the_provider_with_only_editable_fields() -> None:
    draft = AssetDraft(NARRATION, COMMITTED)
    assert draft.draft == draft.baseline
    assert set(draft.draft) == set(NARRATION.editable_names)
    assert "duration_s" not in draft.draft and "file" not in draft.draft
    assert not draft.has_changes


def test_edits_mark_changes_and_unknown_fields_fail() -> None:
    draft = AssetDraft(NARRATION, COMMITTED)
    draft.set_draft(script="Edited")
    assert draft.has_changes and draft.changed_fields == ("script",)
    with pytest.raises(KeyError):
        draft.set_draft(duration_s=3)
    draft.set_draft(script="Committed")
    assert not draft.has_changes


def test_reset_to_provider_drops_edits() -> None:
    draft = AssetDraft(NARRATION, COMMITTED)
    draft.set_draft(script="Edited", voice="de")
    draft.reset_to_provider(narration_asset("Newer"))
    assert draft.draft["script"] == "Newer" and not draft.has_changes


def test_apply_preview_updates_baseline_and_draft() -> None:
    draft = AssetDraft(NARRATION, COMMITTED)
    draft.set_draft(script="Typed", emotion="happy")
    draft.apply_preview(narration_asset("Accepted", voice="en-gb"))
    assert draft.baseline["script"] == draft.draft["script"] == "Accepted"
    assert draft.baseline["voice"] == draft.draft["voice"] == "en-gb"
    # The accepted preview carries every editable field, so nothing stays dirty.
    assert not draft.has_changes


def test_rebase_keeps_edits_and_follows_untouched_fields() -> None:
    draft = AssetDraft(NARRATION, COMMITTED)
    draft.set_draft(script="My edit")
    draft.rebase(narration_asset("Someone else's", voice="fr"))
    assert draft.draft["script"] == "My edit"
    assert draft.draft["voice"] == "fr"
    assert draft.baseline["script"] == "Someone else's"
    assert draft.has_changes


def test_defaults_fill_a_missing_asset() -> None:
    draft = AssetDraft(MUSIC, None)
    assert draft.draft["bpm"] == 96 and draft.draft["key"] == "C major"
