"""History commands: `export --revisions DIR` (one canonical JSON per revision) and the text of
`revisions` (see README)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from . import cli


def export_revisions(settings: Any, lecture_ref: str, directory: str) -> int:
    """Write `DIR/0001.json` … : the lecture at every revision, canonical (`core.revisions`), so that a
    `git diff` of two files shows only what changed between them."""
    from .core.errors import BadInputError
    from .core.exchange import snapshot_to_export
    from .core.revisions import canonical_document, canonical_json, revision_file_name

    target = Path(directory)
    runtime = cli._open(settings)
    try:
        store = runtime.store
        states = store.revision_states(store.resolve_lecture(lecture_ref))
    finally:
        runtime.close()
    try:
        target.mkdir(parents=True, exist_ok=True)
        for row, snapshot in states:
            text = canonical_json(canonical_document(snapshot_to_export(snapshot)))
            (target / revision_file_name(int(row["revision"]))).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BadInputError(f"{directory}: cannot write: {exc.strerror}") from None
    print(f"Wrote {len(states)} revision files to {cli._printable(str(target))}")
    return 0


def print_revisions(revisions: list[dict[str, Any]], args: argparse.Namespace) -> None:
    from .core.revisions import describe

    if args.json:
        cli._print_json(revisions)
        return
    cli._table(
        [
            (
                r["revision"],
                r["source"],
                r["run_id"] or "",
                r.get("decided_by") or "",
                r["created_at"],
                describe(r.get("changes") or []),
            )
            for r in revisions
        ],
        ("REV", "SOURCE", "RUN", "BY", "CREATED", "CHANGES"),
    )
