"""`tui-editor new --from-script`: a whole lecture from a script, its media generated offline.

The narrations are generated first (their audio decides the timing), then the visuals and music, whose
durations are then known; every generation runs through the kind's configured generator, at most a few at
once (`run_bounded`), into a temporary folder inside the data dir. The files are then moved under
`media/` and the lecture is created in ONE `Store.create_lecture` call with its final timings: a failure
or an interrupt anywhere leaves no lecture and no files behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..core.errors import BadInputError, TuiEditorError
from ..core.kinds import KIND_NAMES, ValidationError, get_kind
from ..core.script import STALE_NOT_GENERATED, AssetJob, LectureScript, complete_assets, plan_lecture
from ..core.store import Store
from ..generators.base import GenerationError, GenerationRequest
from ..generators.registry import generator_for, resolve_model
from .bounded import default_limit, run_bounded
from .media import MediaStager, Refused, measure


@dataclass(frozen=True)
class BuildProgress:
    """One finished item of a build: `done` of `total` (the total may grow once timings are known)."""

    done: int
    total: int
    label: str


ProgressCallback = Callable[[BuildProgress], None]


class BuildError(TuiEditorError):
    """Generating one of the lecture's assets failed; nothing was created."""


def configured_models(settings: Settings) -> dict[str, str]:
    """The model each kind generates with (`[generators.<kind>] model`, else the kind's default)."""
    models: dict[str, str] = {}
    for kind in KIND_NAMES:
        try:
            models[kind] = resolve_model(kind, None, settings)[0]
        except GenerationError as exc:
            raise BadInputError(exc.message) from None
    return models


def build_from_script(
    store: Store,
    settings: Settings,
    script: LectureScript,
    *,
    generate: bool = True,
    progress: ProgressCallback | None = None,
    limit: int | None = None,
) -> str:
    """Create the lecture `script` makes and return its id.

    With `generate`, every asset is generated and the timing follows the narration audio; without, the
    assets are placeholders timed by an estimate and every clip is marked stale.
    """
    models = configured_models(settings)
    if not generate:
        plan = plan_lecture(script, None, models)
        plan.mark_stale(STALE_NOT_GENERATED)
        return store.create_lecture(complete_assets(plan.lecture), source="import", keep_ids=True)
    data_dir = settings.data_path
    data_dir.mkdir(parents=True, exist_ok=True)
    stager = MediaStager(data_dir)
    work = Path(tempfile.mkdtemp(dir=data_dir, prefix=".new-lecture-"))
    try:
        lecture = asyncio.run(
            _generate(script, settings, models, work, stager, progress, limit or default_limit())
        )
        return store.create_lecture(complete_assets(lecture), source="import", keep_ids=True)
    except BaseException:
        stager.rollback()
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


async def _generate(
    script: LectureScript,
    settings: Settings,
    models: dict[str, str],
    work: Path,
    stager: MediaStager,
    progress: ProgressCallback | None,
    limit: int,
) -> dict[str, object]:
    estimated = plan_lecture(script, None, models)
    counter = {"done": 0, "total": len(estimated.jobs)}

    def finished(job: AssetJob, _result: None) -> None:
        counter["done"] += 1
        if progress is not None:
            progress(BuildProgress(counter["done"], counter["total"], job.label))

    async def one(job: AssetJob) -> None:
        await _generate_job(job, settings, work, stager)

    # 1. Narrations: their audio decides how long every segment lasts.
    narrations = estimated.jobs_of("narration")
    await run_bounded(narrations, one, limit=limit, on_done=finished)
    ordered = sorted(narrations, key=lambda job: job.segment or 0)
    durations = [float(job.asset["duration_s"]) for job in ordered]
    # 2. The lecture laid out on those durations; then its visuals and music.
    plan = plan_lecture(script, durations, models, narration_ids=[job.asset["id"] for job in ordered])
    spoken = (job.asset for job in ordered)
    for planned, done in zip(plan.lecture["assets"]["narration"], spoken, strict=True):
        planned.update(done)
    rest = [job for job in plan.jobs if job.kind != "narration"]
    counter["total"] = len(narrations) + len(rest)
    await run_bounded(rest, one, limit=limit, on_done=finished)
    return plan.lecture


async def _generate_job(job: AssetJob, settings: Settings, work: Path, stager: MediaStager) -> None:
    """Generate one asset of the plan and move its file into place; the asset row is filled in."""
    spec = get_kind(job.kind)
    asset = job.asset
    try:
        model, provider = resolve_model(spec.name, asset.get("model"), settings)
        generator = generator_for(spec.name, provider, settings)
    except GenerationError as exc:
        raise BuildError(f"{job.label}: {exc.message}") from None
    requested = {name: asset[name] for name in spec.editable_names if asset.get(name) not in (None, "")}
    requested["model"] = model
    fields, extra = spec.apply_generator_options(requested, settings.generators.of(spec.name).options)
    out_dir = work / f"{spec.name}-{asset['id']}"
    out_dir.mkdir(parents=True)
    request = GenerationRequest(
        kind=spec.name,
        fields=fields,
        out_dir=out_dir,
        seed=job.seed,
        clip_duration=job.clip_duration,
        extra=extra,
    )

    def ignore(_step: int, _total: int, _message: str) -> None:
        return None

    try:
        result = await generator.generate(request, ignore)
    except GenerationError as exc:
        raise BuildError(f"{job.label}: {exc.message}") from None
    produced = Path(result.file)
    extension = produced.suffix.lstrip(".").lower()
    if extension not in spec.media.extensions:
        raise BuildError(f"{job.label}: the generator wrote an unexpected file type {extension!r}")
    placed = await asyncio.to_thread(
        stager.place, spec.name, str(asset["id"]), produced, stem="new", extension=extension, move=True
    )
    measured = await asyncio.to_thread(measure, spec.name, placed)
    if isinstance(measured, Refused):
        raise BuildError(f"{job.label}: the generated file is {measured.reason}")
    for name in spec.field_names:
        if name in result.fields and name != "file":
            asset[name] = result.fields[name]
    asset["model"] = asset.get("model") or model
    for name, value in measured.items():  # what the file really is (a narration's exact length)
        with contextlib.suppress(ValidationError):
            asset[name] = spec.field(name).coerce(value)
    asset["file"] = stager.relative(placed)
