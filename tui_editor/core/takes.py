"""Takes: every preview is a take of its clip, kept after its decision; undo of the last decision.

A take is a run that produced a preview (its id is the run's id). Its status, newest first in a list:

- `pending`  — the run's preview waits for a decision (`preview_ready`);
- `current`  — its committed file is the clip asset's file now (accepted, or restored from the stack);
- `replaced` — it was current once and something else is now;
- `rejected` — rejected, never made current.

Files: a preview lives under `previews/<run>/` while it waits. A reject copies it to
`takes/<clip>/<run><ext>` (the take's own file) before the run moves, so a crash in between loses
nothing; an accept's committed file under `media/` is the take's file from then on (committed files are
never overwritten or deleted: revisions point at them). `[takes] keep` per clip: beyond the newest
`keep` takes, unstarred rejected and replaced takes are pruned — their file under `takes/` is deleted
and the run is marked `pruned_at` (the run row stays: revisions name it). Starred takes never are.

Undo (`undo_last`): the lecture's newest decision not yet undone. Undoing an accept puts back the
asset the accept replaced (recorded on the run in the accept's own transaction) in a new revision with
source `undo`; undoing a reject changes no asset. Either way the run is `preview_ready` again (a
`reopened` event tells every editor) and can be decided anew — for an accept in the same transaction
as the asset's return, as a take restore records its file on the run in its commit's (see
`core.run_move`). If the clip's asset or the run changed after the decision, undo refuses with a
`ConflictError` and writes nothing.

Every path built here is checked to lie inside the data dir before it is read, written or deleted.
This module holds no state and imports no UI; the callers (engine, command line, editor) publish the
events it returns.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa

from .clock import as_utc, utcnow
from .errors import ConflictError, DecisionError, NotFoundError
from .events import RunEventData
from .exchange import asset_json
from .kinds import get_kind
from .paths import UnsafePathError, check_id, data_file, id_folder, inside, is_inside, relative_name
from .run_move import RunMove
from .run_record import RunRecord, RunStatus
from .store import ASSET, RUN, Store

TakeStatus = Literal["current", "pending", "rejected", "replaced"]
TAKE_STATUSES: tuple[TakeStatus, ...] = ("current", "pending", "rejected", "replaced")
#: Run statuses that can be takes (a preview was made and not thrown away).
TAKE_RUN_STATUSES = (RunStatus.PREVIEW_READY, RunStatus.ACCEPTED, RunStatus.REJECTED)
TAKES_DIR = "takes"


# --- paths (built with core.paths: nothing from data leaves the data dir) ---------------------------
def take_file_path(data_dir: Path, clip_id: str, run_id: str, suffix: str) -> Path:
    """Where a rejected take keeps its file: `takes/<clip>/<run><suffix>` (ids checked as names)."""
    if suffix and not re.fullmatch(r"\.[A-Za-z0-9]{1,10}", suffix):
        suffix = ""
    folder = id_folder(data_dir / TAKES_DIR, clip_id, what="clip id")
    return inside(folder, check_id(run_id, "run id") + suffix, what="take file")


def _is_under_takes(data_dir: Path, relative: str) -> bool:
    try:
        path = data_file(data_dir, relative, "take file")
    except UnsafePathError:
        return False
    return is_inside(path, data_dir / TAKES_DIR) and path.resolve() != (data_dir / TAKES_DIR).resolve()


def copy_atomically(source: Path, target: Path) -> None:
    """Copy to `target` via a temp file + fsync + rename: a reader sees the whole file or nothing."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(3)}.tmp")
    try:
        with source.open("rb") as src, temp.open("wb") as dst:
            shutil.copyfileobj(src, dst)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def keep_take_file(data_dir: Path, run: RunRecord) -> str | None:
    """Before a reject: copy the run's preview file to the take's own file; its path relative to the
    data dir (None when the preview has no file). A file already under `takes/` is kept where it is."""
    asset = run.preview_asset
    relative = str(asset.get("file") or "") if asset else ""
    if not relative:
        return None
    if _is_under_takes(data_dir, relative):
        return relative
    source = data_file(data_dir, relative, "preview file")
    if not source.is_file():
        return None
    target = take_file_path(data_dir, run.clip_id, run.id, source.suffix)
    copy_atomically(source, target)
    return relative_name(target, data_dir, "take file")


def remove_take_file(data_dir: Path, relative: str | None) -> None:
    """Delete a take's own file (only ever one under `takes/`; committed media files stay)."""
    if relative and _is_under_takes(data_dir, relative):
        data_file(data_dir, relative, "take file").unlink(missing_ok=True)


# --- the stack ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Take:
    run: RunRecord
    status: TakeStatus
    file: str | None

    @property
    def id(self) -> str:
        return self.run.id

    def to_json(self) -> dict[str, Any]:
        """The stable `takes --json` shape: `{id, run_id, status, seed, starred, created_at, decided_at,
        decided_by, <the kind's fields>, file}`."""
        run = self.run
        data: dict[str, Any] = {
            "id": run.id,
            "run_id": run.id,
            "status": self.status,
            "seed": run.seed,
            "starred": run.starred,
            "created_at": run.created_at.isoformat(),
            "decided_at": run.decided_at.isoformat() if run.decided_at else None,
            "decided_by": run.decided_by,
        }
        asset = run.preview_asset or {}
        for name in get_kind(run.kind).field_names:
            if name != "file":
                data[name] = asset.get(name)
        data["file"] = self.file
        return data


def take_status(run: RunRecord, current_file: str | None) -> TakeStatus:
    if run.status == RunStatus.PREVIEW_READY:
        return "pending"
    if run.committed_file and run.committed_file == current_file:
        return "current"
    if run.committed_file or run.status == RunStatus.ACCEPTED:
        return "replaced"
    return "rejected"


def _take_of(run: RunRecord, current_file: str | None) -> Take:
    status = take_status(run, current_file)
    asset = run.preview_asset or {}
    if status == "pending":
        file = str(asset.get("file") or "") or None
    elif run.committed_file:
        file = run.committed_file
    else:
        file = run.take_file
    return Take(run=run, status=status, file=file)


def list_takes(store: Store, clip_id: str) -> list[Take]:
    """The clip's takes, newest first (pruned ones left out)."""
    _lecture_id, clip = store.get_clip(clip_id)
    current = store.get_asset(clip.kind.name, clip.asset_id)
    runs = [
        r
        for r in store.list_runs(clip_id=clip_id, statuses=TAKE_RUN_STATUSES)
        if r.pruned_at is None and r.preview_asset is not None
    ]
    return [_take_of(run, current.get("file")) for run in runs]


def find_take(store: Store, clip_id: str, take_id: str) -> Take:
    for take in list_takes(store, clip_id):
        if take.id == take_id:
            return take
    raise NotFoundError(f"clip {clip_id} has no take {take_id!r}")


def set_starred(store: Store, clip_id: str, take_id: str, starred: bool) -> Take:
    """Star (never pruned) or unstar a take; the take as it is then."""
    find_take(store, clip_id, take_id)
    with store.write() as conn:
        conn.execute(RUN.update().where(RUN.c.id == take_id).values(starred=starred))
    return find_take(store, clip_id, take_id)


def prune_takes(store: Store, data_dir: Path, clip_id: str, keep: int) -> list[str]:
    """Prune the clip's takes beyond the newest `keep`: unstarred rejected and replaced ones lose their
    own file and leave the stack. Returns the pruned take ids."""
    lecture_id, clip = store.get_clip(clip_id)
    return [
        take.id
        for take in list_takes(store, clip_id)[max(0, keep) :]
        if not take.run.starred
        and take.status in ("rejected", "replaced")
        and prune_take(store, data_dir, lecture_id, clip.asset_id, take)
    ]


def prune_take(store: Store, data_dir: Path, lecture_id: str, asset_id: str, take: Take) -> bool:
    """Prune one take as it was listed, unless it changed since: True if it was pruned.

    Under the lecture's lock (the one every asset commit takes), the take's run must still be as listed
    and the clip's asset must not use its file now — a take restored, or made current again by an undo,
    after the list was read stays in the stack with its file.
    """
    run = take.run
    with store.write() as conn:
        store.lock_revision(conn, lecture_id)
        asset = ASSET[run.kind]
        current_file = conn.execute(sa.select(asset.c.file).where(asset.c.id == asset_id)).scalar()
        if run.committed_file and run.committed_file == current_file:
            return False
        result = conn.execute(
            RUN.update()
            .where(
                RUN.c.id == run.id,
                RUN.c.status == run.status,
                RUN.c.committed_file.is_not_distinct_from(run.committed_file),
                RUN.c.starred == sa.false(),
                RUN.c.pruned_at.is_(None),
            )
            .values(pruned_at=utcnow(), take_file=None)
        )
        if not result.rowcount:
            return False
    remove_take_file(data_dir, run.take_file)
    return True


def restore_take(
    store: Store, data_dir: Path, clip_id: str, take_id: str, *, decided_by: str | None = None
) -> tuple[int, RunRecord, RunEventData | None]:
    """Make a take current again: its fields and file become the clip's asset (a new revision, source
    `take`). Returns (revision, the take's run afterwards, the `restored` event to publish)."""
    take = find_take(store, clip_id, take_id)
    run = take.run
    if take.status == "pending":
        raise DecisionError(f"take {take_id} is still pending; accept it instead")
    lecture_id, clip = store.get_clip(clip_id)
    base_revision = store.lecture_revision(lecture_id)  # before the asset: a change in between conflicts
    current = store.get_asset(run.kind, clip.asset_id)
    if take.status == "current":
        return base_revision, run, None
    if not take.file:
        raise NotFoundError(f"take {take_id} has no file any more")
    source = data_file(data_dir, take.file, "take file")
    if not source.is_file():
        raise NotFoundError(f"the file of take {take_id} is missing")
    committed = run.committed_file
    target: Path | None = None
    if not committed or committed != take.file:
        # A rejected take's file lives under takes/ (prunable): commit a copy under media/ instead.
        folder = id_folder(data_dir / "media", run.kind, clip.asset_id, what="asset id")
        suffix = source.suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,10}", source.suffix) else ""
        target = inside(folder, f"{check_id(run.id, 'run id')}-{secrets.token_hex(3)}{suffix}", what="file")
        try:
            copy_atomically(source, target)
        except FileNotFoundError:  # pruned since it was listed
            raise NotFoundError(f"the file of take {take_id} is missing (pruned meanwhile)") from None
        committed = relative_name(target, data_dir, "take file")
    fields = {k: v for k, v in (run.preview_asset or {}).items() if k in get_kind(run.kind).field_names}
    fields["file"] = committed
    restored = RunMove(
        run_id=run.id,
        from_statuses=(run.status,),
        event_type="restored",
        build=lambda done: (
            {"asset_id": clip.asset_id, "revision": done.revision},
            # A prune that ran after the copy was made took the take off the stack: it is current now.
            {"committed_file": committed, "pruned_at": None},
        ),
        refused=lambda _status: ConflictError(
            f"take {take_id} changed while it was being restored; nothing was saved — try again"
        ),
    )
    try:  # the asset and the take's committed file in one transaction
        revision, _saved, event = store.commit_asset(
            lecture_id=lecture_id,
            kind=run.kind,
            asset_id=clip.asset_id,
            fields=fields,
            base_revision=base_revision,
            base_asset_updated_at=current["updated_at"],
            source="take",
            decided_by=decided_by,
            clip_id=clip.id,
            run_move=restored,
        )
    except BaseException:
        if target is not None:
            target.unlink(missing_ok=True)
        raise
    return revision, store.get_run(run.id), event


# --- undo --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Undone:
    """What `undo_last` did: the run whose decision was undone, what that decision was, the lecture's
    revision afterwards (a new one for an accept), and the event to publish."""

    run: RunRecord
    decision: Literal["accept", "reject"]
    revision: int
    event: RunEventData | None

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run.id,
            "clip_id": self.run.clip_id,
            "undone": self.decision,
            "status": self.run.status,
            "revision": self.revision,
        }


def last_decision(store: Store, lecture_id: str) -> RunRecord | None:
    """The lecture's newest accept or reject that has not been undone."""
    query = (
        sa.select(RUN.c.id)
        .where(
            RUN.c.lecture_id == lecture_id,
            RUN.c.status.in_([RunStatus.ACCEPTED, RunStatus.REJECTED]),
            RUN.c.decided_at.is_not(None),
        )
        .order_by(RUN.c.decided_at.desc(), RUN.c.updated_at.desc())
        .limit(1)
    )
    with store.read() as conn:
        run_id = conn.execute(query).scalar()
    return store.get_run(run_id) if run_id else None


def undo_last(store: Store, lecture_id: str, *, decided_by: str | None = None) -> Undone:
    """Undo the lecture's last decision (see the module docstring). `NotFoundError` when there is none,
    `ConflictError` when the clip changed after it (nothing is written then)."""
    run = last_decision(store, lecture_id)
    if run is None:
        raise NotFoundError(f"lecture {lecture_id} has no decision to undo")
    return undo_decision(store, run, decided_by=decided_by)


def undo_decision(store: Store, run: RunRecord, *, decided_by: str | None = None) -> Undone:
    """Undo the decision on `run` (its lecture's last one: the caller checks that). An accept's undo is
    one transaction: the replaced asset back, its revision, the run reopened and its `reopened` event."""
    lecture_id, clip = store.get_clip(run.clip_id)
    kind = run.kind
    base_revision = store.lecture_revision(lecture_id)  # before the asset: a change in between conflicts
    current = store.get_asset(kind, clip.asset_id)
    decided_asset = run.decided_asset_updated_at
    if decided_asset is None or as_utc(current["updated_at"]) != as_utc(decided_asset):
        raise ConflictError(f"clip {clip.name!r} changed after that decision; nothing was undone")
    if run.pruned_at is not None:
        raise NotFoundError(f"take {run.id} was pruned; its decision cannot be undone")
    preview = dict(run.preview_asset or {})
    if run.status != RunStatus.ACCEPTED:  # a reject: no asset changes, the run waits again
        if run.take_file:
            preview["file"] = run.take_file
        payload, values = _reopened(run, preview, decided_by, base_revision, current["updated_at"])
        event = store.transition_run(run, [run.status], "reopened", payload, **values)
        if event is None:
            raise _moved_while_undone(run)
        return Undone(run=store.get_run(run.id), decision="reject", revision=base_revision, event=event)
    if not run.replaced:  # an accept recorded before undo information was kept with it
        raise DecisionError(f"run {run.id}: what its accept replaced was not recorded; cannot undo")
    if run.committed_file:
        preview["file"] = run.committed_file  # the preview folder is gone; the committed copy stays
    reopen = RunMove(
        run_id=run.id,
        from_statuses=(run.status,),
        event_type="reopened",
        build=lambda done: _reopened(run, preview, decided_by, done.revision, done.saved["updated_at"]),
        refused=lambda _status: _moved_while_undone(run),
    )
    revision, _restored, event = store.commit_asset(
        lecture_id=lecture_id,
        kind=kind,
        asset_id=clip.asset_id,
        fields={k: v for k, v in run.replaced.items() if k in get_kind(kind).field_names},
        base_revision=base_revision,
        base_asset_updated_at=current["updated_at"],
        source="undo",
        decided_by=decided_by,
        clip_id=clip.id,
        run_move=reopen,
    )
    return Undone(run=store.get_run(run.id), decision="accept", revision=revision, event=event)


def _reopened(
    run: RunRecord,
    preview: Mapping[str, Any],
    decided_by: str | None,
    revision: int,
    asset_updated_at: datetime,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The `reopened` event's payload and the run's columns: its preview waits again, based on
    `revision` and the asset as it is then; its decision (and an accept's undo information) is gone."""
    asset = asset_json(preview)
    payload = {"asset": asset, "decided_by": decided_by or ""}
    return payload, {
        "status": RunStatus.PREVIEW_READY,
        "preview": {"asset": asset},
        "decided_at": None,
        "decided_by": None,
        "decided_asset_updated_at": None,
        "committed_file": None if run.status == RunStatus.ACCEPTED else run.committed_file,
        "replaced": None,
        "base_revision": revision,
        "base_asset_updated_at": asset_updated_at,
    }


def _moved_while_undone(run: RunRecord) -> ConflictError:
    return ConflictError(f"run {run.id} changed while it was being undone; nothing was undone — try again")
