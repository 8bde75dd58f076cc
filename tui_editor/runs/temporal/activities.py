"""What a run does in a worker: generate the preview, commit or reject it, end the run.

Each step moves the run in the database with the same compare-and-set and event as the embedded engine
(`LocalEngine`), so editors see a team run exactly like a local one, through the event log. Files are
written under the worker's data dir (`previews/<run_id>/`, accepted files under `media/`): on one box,
or a data dir shared by the editors and the workers.

Retries: the generate activity is tried again (when the run's provider bills nothing) only after its worker
was lost; a generator's own error ends the run at once with its message. Store errors (the database away)
are retried by Temporal in the decide and end activities, whose writes are transactions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import socket
import threading
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any, TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError

from ...config import Settings
from ...core.clock import utcnow
from ...core.errors import (
    BadInputError,
    ConflictError,
    DecisionError,
    NotFoundError,
    StoreError,
    TuiEditorError,
)
from ...core.exchange import asset_json
from ...core.kinds import get_kind
from ...core.run_record import ACTIVE_STATUSES, OPEN_STATUSES, RunRecord, RunStatus
from ...core.store import Store
from ...generators.base import GenerationError, GenerationRequest, GenerationResult, Generator
from ...generators.registry import generator_for
from .workflow import (
    BAD_INPUT_ERROR,
    CONFLICT_ERROR,
    DECIDE,
    DECISION_ERROR,
    END,
    GENERATE,
    NOT_FOUND_ERROR,
    DecideInput,
    EndInput,
    GenerateInput,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

_ERROR_TYPES: tuple[tuple[type[TuiEditorError], str], ...] = (
    (ConflictError, CONFLICT_ERROR),
    (DecisionError, DECISION_ERROR),
    (NotFoundError, NOT_FOUND_ERROR),
    (BadInputError, BAD_INPUT_ERROR),
)


def as_application_error(exc: TuiEditorError) -> ApplicationError:
    """A store's refusal as a failure no retry heals (its type tells the caller which error it was)."""
    for cls, name in _ERROR_TYPES:
        if isinstance(exc, cls):
            return ApplicationError(exc.message, type=name, non_retryable=True)
    return ApplicationError(exc.message, type=type(exc).__name__)


class RunActivities:
    """The activities of one worker, bound to its store, settings and generators."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        generator_factory: Callable[[str, str, Settings], Generator] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.data_dir = settings.data_path
        self.host = socket.gethostname()
        self._generator_factory = generator_factory or generator_for

    def all(self) -> list[Callable[..., Any]]:
        return [self.generate, self.decide, self.end]

    # --- paths ---------------------------------------------------------------------------------
    def preview_dir(self, run_id: str) -> Path:
        return self.data_dir / "previews" / run_id

    def _relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.data_dir.resolve()).as_posix()

    def _remove_preview(self, run_id: str) -> None:
        shutil.rmtree(self.preview_dir(run_id), ignore_errors=True)

    def _move(
        self,
        run: RunRecord,
        from_statuses: Collection[str],
        event_type: str,
        payload: Mapping[str, Any],
        **values: Any,
    ) -> bool:
        """As the embedded engine: compare-and-set the status and append the event in one transaction."""
        return self.store.transition_run(run, from_statuses, event_type, dict(payload), **values) is not None

    # --- generate ------------------------------------------------------------------------------
    @activity.defn(name=GENERATE)
    async def generate(self, params: GenerateInput) -> dict[str, Any]:
        """Generate the preview; `{status: preview_ready, asset}` or the status the run has instead.

        A generator's failure fails the run here, at once, with its message (nothing is sent again).
        """
        run_id = params.run_id
        attempt = activity.info().attempt
        # A retry follows a lost worker: the run is still `generating` then, and starts over.
        from_statuses = [RunStatus.QUEUED] if attempt == 1 else [RunStatus.QUEUED, RunStatus.GENERATING]
        message = "Starting" if attempt == 1 else f"Starting again (attempt {attempt}: the worker was lost)"
        latest: list[Any] = [0, 1, message]
        beat_every = max(0.05, params.heartbeat_timeout_s / 4)

        async def beat() -> None:
            while True:
                activity.heartbeat(*latest)
                await asyncio.sleep(beat_every)

        beating = asyncio.create_task(beat())  # from the start: a wait for the database beats too
        try:
            run = await self._stored(self.store.get_run, run_id)
            moved = await self._stored(
                self._move,
                run,
                from_statuses,
                "status",
                {"step": 0, "total_steps": 1, "message": message},
                status=RunStatus.GENERATING,
            )
            if not moved:
                return {"status": str((await self._stored(self.store.get_run, run_id)).status)}
            if attempt > 1:
                self._remove_preview(run_id)
            try:
                result = await self._generate(run, latest)
                # The preview is in hand (maybe billed): keep it until the database takes it.
                asset = await self._stored(self._finish_preview, run, result)
            except asyncio.CancelledError:
                self._remove_preview(run_id)  # the generator has stopped: nothing writes here any more
                raise
            except GenerationError as exc:
                await self._stored(self._fail, run_id, exc.message, exc.retryable)
                return {"status": RunStatus.FAILED, "error": exc.message}
            except TuiEditorError as exc:
                await self._stored(self._fail, run_id, exc.message, True)
                return {"status": RunStatus.FAILED, "error": exc.message}
            except Exception as exc:  # noqa: BLE001 - never leave a run "generating" forever
                log.exception("run %s crashed", run_id)
                await self._stored(self._fail, run_id, f"internal error: {exc}", True)
                return {"status": RunStatus.FAILED, "error": str(exc)}
            if asset is None:
                return {"status": str((await self._stored(self.store.get_run, run_id)).status)}
            return {"status": RunStatus.PREVIEW_READY, "asset": asset}
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating

    async def _stored(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`work` (a store call) in a thread, tried again while the database is away (it heals);
        cancellable meanwhile."""
        delay = 0.1
        while True:
            try:
                return await asyncio.to_thread(work, *args, **kwargs)
            except StoreError as exc:
                log.warning("waiting for the database: %s", exc.message)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _generate(self, run: RunRecord, latest: list[Any]) -> GenerationResult:
        request = run.request
        kind = run.kind
        generator = self._generator_factory(kind, str(request.get("provider", "local")), self.settings)
        out_dir = self.preview_dir(run.id)
        out_dir.mkdir(parents=True, exist_ok=True)
        fields, extra = get_kind(kind).apply_generator_options(
            request.get("fields", {}), self.settings.generators.of(kind).options
        )
        loop = asyncio.get_running_loop()
        progress_lock = threading.Lock()

        def progress(step: int, total: int, message: str) -> None:
            total = max(1, int(total))
            step = max(0, min(int(step), total))
            with progress_lock:
                if step < int(latest[0]):
                    return
                latest[:] = [step, total, message]
                payload = {"step": step, "total_steps": total, "message": message}
                try:
                    self._move(run, [RunStatus.GENERATING], "status", payload, preview={"progress": payload})
                except StoreError as exc:
                    log.warning("progress of run %s not recorded: %s", run.id, exc)

        def threadsafe_progress(step: int, total: int, message: str) -> None:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                loop.run_in_executor(None, progress, step, total, message)
            else:
                progress(step, total, message)

        gen_request = GenerationRequest(
            kind=kind,
            fields=fields,
            out_dir=out_dir,
            seed=int(request.get("seed", 0)),
            clip_duration=float(request.get("clip_duration", 0.0)),
            extra=extra,
        )
        return await generator.generate(gen_request, threadsafe_progress)

    def _finish_preview(self, run: RunRecord, result: GenerationResult) -> dict[str, Any] | None:
        spec = get_kind(run.kind)
        asset_id = str(run.request.get("asset_id"))
        data = {
            name: result.fields[name] for name in spec.field_names if name in result.fields and name != "file"
        }
        data["model"] = data.get("model") or run.request.get("fields", {}).get("model")
        data["file"] = self._relative(Path(result.file))
        clean = spec.validate_asset(data, partial=True)
        asset = asset_json({"id": asset_id, **clean, "updated_at": utcnow()})
        moved = self._move(
            run,
            [RunStatus.GENERATING],
            "preview",
            {"asset": asset},
            status=RunStatus.PREVIEW_READY,
            preview={"asset": asset},
        )
        if not moved:  # cancelled while we were generating
            self._remove_preview(run.id)
            return None
        return dict(asset)

    def _fail(self, run_id: str, message: str, retryable: bool) -> None:
        try:
            run = self.store.get_run(run_id)
            self._move(
                run,
                ACTIVE_STATUSES,
                "error",
                {"message": message, "retryable": retryable},
                status=RunStatus.FAILED,
                error=message,
            )
        finally:
            self._remove_preview(run_id)

    # --- decide --------------------------------------------------------------------------------
    @activity.defn(name=DECIDE)
    async def decide(self, params: DecideInput) -> dict[str, Any]:
        """Accept (promote the file, commit with the revision check) or reject; the answer as JSON."""
        try:
            return await asyncio.to_thread(self._decide, params)
        except StoreError:
            raise  # the database is away: Temporal tries again (every write is one transaction)
        except TuiEditorError as exc:
            raise as_application_error(exc) from None

    def _decide(self, params: DecideInput) -> dict[str, Any]:
        run = self.store.get_run(params.run_id)
        if run.status != RunStatus.PREVIEW_READY:
            raise DecisionError(
                f"run {run.id} is {run.status}; only a run with a preview waiting can be decided"
            )
        decided_by = params.decided_by or os.environ.get("USER") or self.host
        if not params.accept:
            if not self._move(
                run,
                [RunStatus.PREVIEW_READY],
                "rejected",
                {"decided_by": decided_by},
                status=RunStatus.REJECTED,
                decided_by=decided_by,
            ):
                current = self.store.get_run(run.id).status
                raise DecisionError(
                    f"run {run.id} is {current}; only a run with a preview waiting can be decided"
                )
            self._remove_preview(run.id)
            return {"accepted": False}
        return self._accept(run, decided_by)

    def _accept(self, run: RunRecord, decided_by: str) -> dict[str, Any]:
        asset = run.preview_asset
        if asset is None or not asset.get("file"):
            raise DecisionError(f"run {run.id} has no preview to accept")
        source = self.data_dir / str(asset["file"])
        if not source.is_file():
            current = self.store.get_run(run.id).status
            if current != RunStatus.PREVIEW_READY:
                raise DecisionError(
                    f"run {run.id} is {current}; only a run with a preview waiting can be decided"
                )
            raise DecisionError(f"run {run.id}: the preview file {asset['file']} is missing")
        asset_id = str(asset["id"])
        target = (
            self.data_dir / "media" / run.kind / asset_id / f"{run.id}-{secrets.token_hex(3)}{source.suffix}"
        )
        try:
            _promote(source, target)
        except OSError as exc:
            target.unlink(missing_ok=True)
            raise TuiEditorError(
                f"run {run.id}: cannot copy the preview into place: {exc.strerror or exc}"
            ) from None
        fields = {k: v for k, v in asset.items() if k not in ("id", "updated_at")}
        fields["file"] = self._relative(target)
        try:
            revision, saved, _event = self.store.commit_asset(
                lecture_id=run.lecture_id,
                kind=run.kind,
                asset_id=asset_id,
                fields=fields,
                base_revision=run.base_revision if run.base_revision is not None else -1,
                base_asset_updated_at=run.base_asset_updated_at,
                run_id=run.id,
                decided_by=decided_by,
                clip_id=run.clip_id,
            )
        except BaseException:
            target.unlink(missing_ok=True)  # never referenced: the transaction did not land
            raise
        self._remove_preview(run.id)
        return {"accepted": True, "asset": dict(asset_json(saved)), "revision": revision}

    # --- end -----------------------------------------------------------------------------------
    @activity.defn(name=END)
    async def end(self, params: EndInput) -> bool:
        """Move an open run to failed, cancelled or expired (a no-op when it is there already)."""
        return await asyncio.to_thread(self._end, params)

    def _end(self, params: EndInput) -> bool:
        try:
            run = self.store.get_run(params.run_id)
        except NotFoundError:
            return False
        try:
            if params.status == RunStatus.FAILED:
                return self._move(
                    run,
                    ACTIVE_STATUSES,
                    "error",
                    {"message": params.message, "retryable": True},
                    status=RunStatus.FAILED,
                    error=params.message,
                )
            if params.status == RunStatus.EXPIRED:
                return self._move(
                    run,
                    [RunStatus.PREVIEW_READY],
                    "expired",
                    {},
                    status=RunStatus.EXPIRED,
                    error=params.message or "the preview expired",
                )
            if params.status == RunStatus.CANCELLED:
                return self._move(run, OPEN_STATUSES, "cancelled", {}, status=RunStatus.CANCELLED)
            raise ApplicationError(f"cannot end a run as {params.status!r}", non_retryable=True)
        finally:
            if self.store.get_run(params.run_id).status not in OPEN_STATUSES:
                self._remove_preview(params.run_id)


def _promote(source: Path, target: Path) -> None:
    """Copy a preview to its committed place atomically: a reader sees the whole file or nothing."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.tmp")
    try:
        with source.open("rb") as src, temp.open("wb") as dst:
            shutil.copyfileobj(src, dst)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
