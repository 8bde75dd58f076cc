"""Commands for timing that follows the narration: `retime` and `clear-stale` (see README).

Both change clips through the store's one clip-change path (`Store.change_clips`), in one revision,
which a `revised` event announces to every open editor.
"""

from __future__ import annotations

import argparse
from typing import Any

from . import cli


def cmd_retime(settings: Any, args: argparse.Namespace) -> int:
    from .core.errors import BadInputError
    from .core.timing import retime_plan

    if not 0 <= args.pad <= 60:
        raise BadInputError(f"--pad: {args.pad:g} is not between 0 and 60 seconds")
    runtime = cli._open(settings)
    try:
        store = runtime.store
        lecture_id = store.resolve_lecture(args.lecture)
        snapshot = store.load_snapshot(lecture_id)
        plan = retime_plan(snapshot, args.pad)
        revision = store.change_clips(
            lecture_id,
            plan,
            source="retime",
            base_revision=snapshot.revision,
            decided_by=settings.user.resolved_name(),
            publish=runtime.hub.publish,
        )
    finally:
        runtime.close()
    moved = [{"clip_id": clip_id, **values} for clip_id, values in sorted(plan.items())]
    if args.json:
        cli._print_json({"lecture_id": lecture_id, "revision": revision, "clips": moved})
    elif not moved:
        print(f"Nothing to retime: every narration already fits its audio (revision {revision})")
    else:
        print(f"Retimed {len(moved)} clips; the lecture is now at revision {revision}")
    return 0


def cmd_clear_stale(settings: Any, args: argparse.Namespace) -> int:
    runtime = cli._open(settings)
    try:
        store = runtime.store
        lecture_id = store.resolve_lecture(args.lecture)
        snapshot = store.load_snapshot(lecture_id)
        if args.clips:
            clips = [store.resolve_clip(lecture_id, ref) for ref in args.clips]
        else:
            clips = [c for c in snapshot.clips if c.stale]
        updates: dict[str, dict[str, Any]] = {c.id: {"stale": []} for c in clips if c.stale}
        revision = store.change_clips(
            lecture_id,
            updates,
            source="edit",
            decided_by=settings.user.resolved_name(),
            publish=runtime.hub.publish,
        )
    finally:
        runtime.close()
    if args.json:
        cli._print_json({"lecture_id": lecture_id, "revision": revision, "cleared": sorted(updates)})
    else:
        print(f"Cleared {len(updates)} stale clips; the lecture is at revision {revision}")
    return 0


def add_overflow(export: dict[str, Any], snapshot: Any) -> dict[str, Any]:
    """`show --json`: each timing clip whose audio is longer than it carries `overflow_s`."""
    from .core.timing import overflow_s

    for clips in export.get("timeline", {}).values():
        for clip in clips:
            view = snapshot.clip(clip["id"])
            seconds = overflow_s(snapshot, view) if view is not None else None
            if seconds is not None:
                clip["overflow_s"] = seconds
    return export
