"""Revisions as changes: what one revision touched, with the values before and after.

A revision row (`lecture_revision.changes`) holds a `Changes` document, never a copy of the lecture:

    {"assets": [{"kind": "visual", "id": "vis_1", "clip_ids": ["clip_3"],
                 "before": {"prompt": "old", "file": "media/…"}, "after": {"prompt": "new", …}}],
     "clips":  [{"id": "clip_4", "track": "visual",
                 "before": {"stale": []}, "after": {"stale": ["narration changed at rev 7"]}}]}

Only the fields that changed are listed. The state at revision R is the current state with the
`before` side of every later revision applied, newest first (`walk_back`); `Store.restore_revision`
and `export --revisions` both work that way. Asset `updated_at` times are not part of a revision:
a restore stamps the assets it writes with the time of the restore.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from .kinds import EXPORT_LIST_OF_KIND, KINDS, kind_for_track
from .snapshot import ClipView, LectureSnapshot, freeze_asset

#: What made a revision (`lecture_revision.source`): a run's accept, a restore, an import, a clip edit
#: (clear-stale), an undo, a take made current again, a retime.
REVISION_SOURCES: tuple[str, ...] = ("accept", "restore", "import", "edit", "undo", "take", "retime")

#: The clip columns a revision records (the clip's own state, not its asset's).
CLIP_FIELDS: tuple[str, ...] = ("name", "start", "duration", "stale", "params")

Side = Literal["before", "after"]
Changes = dict[str, list[dict[str, Any]]]


def empty_changes() -> Changes:
    return {"assets": [], "clips": []}


def clip_values(clip: ClipView) -> dict[str, Any]:
    """A clip's recorded fields as plain JSON values (stale as a list, params as an object)."""
    return {
        "name": clip.name,
        "start": clip.start,
        "duration": clip.duration,
        "stale": list(clip.stale),
        "params": dict(clip.params),
    }


def normalise_clip_value(name: str, value: Any) -> Any:
    """A clip field as a revision stores it (None → empty list/object; numbers as floats)."""
    if name == "stale":
        return list(value or ())
    if name == "params":
        return dict(value or {})
    if name in ("start", "duration"):
        return float(value)
    return value


def field_diff(
    before: Mapping[str, Any], after: Mapping[str, Any], names: Iterable[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) of the fields among `names` whose values differ."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for name in names:
        if name in after and before.get(name) != after[name]:
            old[name] = before.get(name)
            new[name] = after[name]
    return old, new


def is_empty(changes: Mapping[str, Any]) -> bool:
    return not changes.get("assets") and not changes.get("clips")


# --- applying --------------------------------------------------------------------------------------


def apply_to_snapshot(snapshot: LectureSnapshot, changes: Mapping[str, Any], side: Side) -> LectureSnapshot:
    """`snapshot` with one side of `changes` applied (its `revision` is left as it is)."""
    assets = {kind: dict(items) for kind, items in snapshot.assets.items()}
    for entry in changes.get("assets", ()):
        kind = entry["kind"]
        current = dict(assets.setdefault(kind, {}).get(entry["id"]) or {"id": entry["id"]})
        current.update(entry[side])
        assets[kind][entry["id"]] = freeze_asset(current)
    by_id = {clip.id: clip for clip in snapshot.clips}
    for entry in changes.get("clips", ()):
        clip = by_id.get(entry["id"])
        if clip is None:
            continue
        values = entry[side]
        updates: dict[str, Any] = {}
        for name in CLIP_FIELDS:
            if name not in values:
                continue
            if name == "stale":
                updates["stale"] = tuple(values["stale"] or ())
            elif name == "params":
                updates["params"] = MappingProxyType(dict(values["params"] or {}))
            elif name in ("start", "duration"):
                updates[name] = float(values[name])
            else:
                updates[name] = values[name]
        by_id[clip.id] = replace(clip, **updates)
    return replace(
        snapshot,
        clips=tuple(by_id[c.id] for c in snapshot.clips),
        assets=MappingProxyType({k: MappingProxyType(v) for k, v in assets.items()}),
    )


def walk_back(
    snapshot: LectureSnapshot, later: Sequence[tuple[int, Mapping[str, Any]]]
) -> list[tuple[int, LectureSnapshot]]:
    """The lecture at every revision before `snapshot`'s: `later` is [(revision, changes)], newest first.

    Returns [(revision - 1, state)] for each entry, i.e. the state just before each revision.
    """
    states = []
    state = snapshot
    for revision, changes in later:
        state = apply_to_snapshot(state, changes, "before")
        states.append((revision - 1, replace(state, revision=revision - 1)))
    return states


# --- diffing two exports (migration of snapshot rows, tests) ----------------------------------------


def diff_exports(before: Mapping[str, Any], after: Mapping[str, Any]) -> Changes:
    """The changes that turn export document `before` into `after` (assets by id, clips by id)."""
    changes = empty_changes()
    clip_ids_of: dict[tuple[str, str], list[str]] = {}
    for track, clips in (after.get("timeline") or {}).items():
        track_kind: str = kind_for_track(track).name
        for clip in clips:
            clip_ids_of.setdefault((track_kind, clip["asset_id"]), []).append(clip["id"])
    for kind, key in EXPORT_LIST_OF_KIND.items():
        old = {a["id"]: a for a in before.get(key, [])}
        for asset in after.get(key, []):
            previous = old.get(asset["id"])
            if previous is None:
                continue
            names = KINDS[kind].field_names
            was, now = field_diff(previous, asset, names)
            if now:
                changes["assets"].append(
                    {
                        "kind": kind,
                        "id": asset["id"],
                        "clip_ids": clip_ids_of.get((kind, asset["id"]), []),
                        "before": was,
                        "after": now,
                    }
                )
    old_clips = {c["id"]: c for clips in (before.get("timeline") or {}).values() for c in clips}
    for track, clips in (after.get("timeline") or {}).items():
        for clip in clips:
            previous = old_clips.get(clip["id"])
            if previous is None:
                continue
            was_values = {n: normalise_clip_value(n, previous.get(n)) for n in CLIP_FIELDS}
            now_values = {n: normalise_clip_value(n, clip.get(n)) for n in CLIP_FIELDS}
            was, now = field_diff(was_values, now_values, CLIP_FIELDS)
            if now:
                changes["clips"].append({"id": clip["id"], "track": track, "before": was, "after": now})
    return changes


# --- reading them ----------------------------------------------------------------------------------


def per_clip(changes: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """`changes` as `[{clip_id, kind, fields: {name: {before, after}}}]` (`revisions --json`), one entry
    per clip touched, asset fields and clip fields together, in clip id order."""
    if not changes:
        return []
    out: dict[str, dict[str, Any]] = {}
    for entry in changes.get("assets", ()):
        for clip_id in entry.get("clip_ids") or ():
            item = out.setdefault(clip_id, {"clip_id": clip_id, "kind": entry["kind"], "fields": {}})
            for name, value in entry["after"].items():
                item["fields"][name] = {"before": entry["before"].get(name), "after": value}
    for entry in changes.get("clips", ()):
        clip_kind: str = kind_for_track(entry["track"]).name
        item = out.setdefault(entry["id"], {"clip_id": entry["id"], "kind": clip_kind, "fields": {}})
        for name, value in entry["after"].items():
            item["fields"][name] = {"before": entry["before"].get(name), "after": value}
    return [out[k] for k in sorted(out)]


def describe(
    items: Sequence[Mapping[str, Any]], *, limit: int = 3, names: Mapping[str, str] | None = None
) -> str:
    """One line from `per_clip` entries: what a revision changed ("clip_3 file, prompt; +2 more"),
    clips by their name in `names` where it has them."""
    if not items:
        return "—"
    label = (names or {}).get
    parts = [f"{label(i['clip_id'], i['clip_id'])}: {', '.join(sorted(i['fields']))}" for i in items[:limit]]
    if len(items) > limit:
        parts.append(f"+{len(items) - limit} more")
    return "; ".join(parts)


# --- canonical per-revision files ------------------------------------------------------------------


def canonical_document(export: Mapping[str, Any]) -> dict[str, Any]:
    """An export document without its times and revision number: what differs between two revision
    files is then only what changed in the lecture."""
    doc = {k: v for k, v in export.items() if k not in ("updated_at", "revision")}
    for key in EXPORT_LIST_OF_KIND.values():
        doc[key] = [{k: v for k, v in asset.items() if k != "updated_at"} for asset in export.get(key, [])]
    return doc


def canonical_json(doc: Mapping[str, Any]) -> str:
    """Sorted keys, two-space indent, one value per line, a final newline."""
    return json.dumps(_finite(doc), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def revision_file_name(revision: int) -> str:
    return f"{revision:04d}.json"


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, Path):
        return value.as_posix()
    return value
