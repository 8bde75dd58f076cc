"""Command-line handlers of the review features: `undo LECTURE` and `takes LECTURE CLIP`.

`cli.py` holds their parser lines and the `HANDLERS` entries; the logic lives in `core.takes`.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _printable(text: str) -> str:
    """`text` with control characters escaped: names and prompts come from anywhere."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _open(settings: Any) -> Any:
    from .runs.runtime import open_runtime

    return open_runtime(settings, background=False)


def cmd_undo(settings: Any, args: argparse.Namespace) -> int:
    """Undo the lecture's last decision (exit 1 on a conflict or when there is none)."""
    from .core.takes import undo_last

    runtime = _open(settings)
    try:
        lecture_id = runtime.store.resolve_lecture(args.lecture)
        undone = undo_last(runtime.store, lecture_id, decided_by=settings.user.resolved_name())
        if undone.event is not None:
            runtime.hub.publish(undone.event)
    finally:
        runtime.close()
    if args.json:
        _print_json(undone.to_json())
    elif undone.decision == "accept":
        print(
            f"Undid the accept of {undone.run.id}: the previous asset is back "
            f"(lecture revision {undone.revision}); the take is pending again"
        )
    else:
        print(f"Undid the reject of {undone.run.id}: the take is pending again")
    return 0


def cmd_takes(settings: Any, args: argparse.Namespace) -> int:
    """List a clip's takes, newest first; or restore, star or unstar one."""
    from .core.takes import list_takes, restore_take, set_starred

    runtime = _open(settings)
    try:
        store = runtime.store
        lecture_id = store.resolve_lecture(args.lecture)
        clip = store.resolve_clip(lecture_id, args.clip)
        note = ""
        if args.restore:
            revision, _run, event = restore_take(
                store, settings.data_path, clip.id, args.restore, decided_by=settings.user.resolved_name()
            )
            if event is not None:
                runtime.hub.publish(event)
                note = f"Take {args.restore} is current (lecture revision {revision})"
            else:
                note = f"Take {args.restore} is already current"
        elif args.star or args.unstar:
            take_id = args.star or args.unstar
            set_starred(store, clip.id, take_id, bool(args.star))
            note = f"Take {take_id} {'starred' if args.star else 'unstarred'}"
        takes = list_takes(store, clip.id)
    finally:
        runtime.close()
    if args.json:
        _print_json([t.to_json() for t in takes])
        return 0
    if note:
        print(note)
    if not takes:
        print("No takes.")
        return 0
    rows = [
        (
            t.id,
            t.status + (" *" if t.run.starred else ""),
            "" if t.run.seed is None else str(t.run.seed),
            t.run.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            t.run.decided_by or "",
            t.file or "",
        )
        for t in takes
    ]
    header = ("TAKE", "STATUS", "SEED", "CREATED (UTC)", "DECIDED BY", "FILE")
    cells = [list(header)] + [[_printable(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for row in cells:
        sys.stdout.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
    return 0
