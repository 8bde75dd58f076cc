"""Starting a run, the part every engine shares: check the request, then record the queued run.

`prepare_run` validates a `StartRequest` against the clip and its asset (kind, fields, model, the voices a
model has, the seed) without writing anything; `record_run` then writes the `queued` run and its event in
one transaction. An engine does its own work in between (the team engine checks that Temporal answers,
so that no run is recorded that no worker could ever see) and after (scheduling the generation).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..config import Settings
from ..core.clock import new_id, utcnow
from ..core.errors import BadInputError, NotFoundError
from ..core.events import RunEventData
from ..core.flow import StartRequest
from ..core.kinds import get_kind
from ..core.run_record import RunStatus
from ..core.store import Store
from ..generators.base import GenerationError
from ..generators.registry import check_request, resolve_model

MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class PreparedRun:
    """A checked request: what the run will generate and what it is based on."""

    run_id: str
    lecture_id: str
    clip_id: str
    kind: str
    asset_id: str
    clip_duration: float
    fields: dict[str, Any]
    provider: str
    seed: int
    base_revision: int
    base_asset_updated_at: datetime


def prepare_run(store: Store, settings: Settings, request: StartRequest) -> PreparedRun:
    """Check `request` (one clear `BadInputError`/`NotFoundError` when it cannot run); writes nothing."""
    spec = get_kind(request.kind)
    lecture_id, clip = store.get_clip(request.clip_id)
    if lecture_id != request.lecture_id:
        raise NotFoundError(f"clip {request.clip_id} is not in lecture {request.lecture_id}")
    if clip.kind.name != spec.name:
        raise BadInputError(f"clip {clip.name!r} is on the {clip.track} track, not a {spec.name} clip")
    asset = store.get_asset(spec.name, clip.asset_id)
    fields = {name: asset.get(name) for name in spec.editable_names}
    try:
        fields.update(spec.validate_request(request.fields))
        model, provider = resolve_model(spec.name, fields.get("model"), settings)
        check_request(spec.name, model, fields)  # e.g. a voice the model lacks: refused before sending
    except (ValueError, GenerationError) as exc:
        raise BadInputError(str(exc)) from None
    fields["model"] = model
    if request.seed is not None and not 0 <= request.seed <= MAX_SEED:
        raise BadInputError(f"seed {request.seed} is out of range (0 to {MAX_SEED})")
    return PreparedRun(
        run_id=new_id("run"),
        lecture_id=lecture_id,
        clip_id=clip.id,
        kind=spec.name,
        asset_id=clip.asset_id,
        clip_duration=clip.duration,
        fields=fields,
        provider=provider,
        seed=request.seed if request.seed is not None else secrets.randbits(31),
        base_revision=store.lecture_revision(lecture_id),
        base_asset_updated_at=asset["updated_at"],
    )


def record_run(store: Store, run: PreparedRun, *, owner: str) -> RunEventData:
    """Write the `queued` run and its event (one transaction); the caller publishes the event."""
    now = utcnow()
    return store.create_run(
        {"step": 0, "total_steps": 1, "message": "Queued"},
        id=run.run_id,
        lecture_id=run.lecture_id,
        clip_id=run.clip_id,
        kind=run.kind,
        request={
            "fields": run.fields,
            "provider": run.provider,
            "seed": run.seed,
            "clip_duration": run.clip_duration,
            "asset_id": run.asset_id,
        },
        status=RunStatus.QUEUED,
        created_at=now,
        updated_at=now,
        base_revision=run.base_revision,
        base_asset_updated_at=run.base_asset_updated_at,
        owner=owner,
        seed=run.seed,
    )
