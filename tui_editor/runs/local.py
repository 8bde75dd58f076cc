"""`LocalEngine`: the embedded run engine — asyncio in a background thread, all state in the database.

Lifecycle (DESIGN.md §4): queued → generating → preview_ready → accepted | rejected | expired, with
failed and cancelled on the way. Every move is a compare-and-set on the run's status plus its event,
in one transaction, so two processes (or a late generator and a cancel) can never both win.

Files: a run writes only under `previews/<run_id>/`. Accept copies the preview to a new file under
`media/<kind>/<asset_id>/` (temp name, fsync, atomic rename) and then commits the asset pointing at it in
the store's single transaction; a committed file is never overwritten, so reject, cancel and expiry only
ever delete preview folders.

A failure that cannot be recorded (the disk is full, the database read-only) is still a failure: the
engine keeps it in memory, `get` reports the run as failed and its waiters are woken, and housekeeping
writes it once the store takes writes again (or, should this process end first, any other process's
housekeeping marks the run "interrupted").

Orphans: a process killed between copying a preview into `media/` and the commit leaves a file nothing
refers to; each process with background threads sweeps such files once at start (`runs/sweep.py`).

Crash safety: each process beats a heartbeat row while it lives. Any process's housekeeping marks
queued/generating runs whose owner stopped beating (or, on the same host, whose pid is gone) as
`failed` with the error "interrupted". `preview_ready` runs belong to nobody and survive restarts.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import logging
import os
import secrets
import shutil
import socket
import threading
from collections.abc import Collection, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from ..config import Settings
from ..core import takes
from ..core.clock import utcnow
from ..core.errors import BadInputError, DecisionError, NotFoundError, StoreError, TuiEditorError
from ..core.events import RunEventData
from ..core.exchange import asset_json
from ..core.flow import Decision, StartRequest
from ..core.kinds import get_kind
from ..core.paths import UnsafePathError, check_id, data_file, id_folder, is_inside, relative_name
from ..core.run_record import ACTIVE_STATUSES, OPEN_STATUSES, RunRecord, RunStatus
from ..core.store import Store
from ..generators.base import (
    GenerationError,
    GenerationRequest,
    GenerationResult,
    Generator,
)
from ..generators.registry import generator_for
from .hub import EventHub
from .new_run import prepare_run, record_run

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted"
#: How often a process prunes the event log (`[events] retention_hours`; see `Store.prune_events`).
PRUNE_EVERY = timedelta(minutes=10)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LocalEngine:
    runs_outlive_process = False

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        hub: EventHub | None = None,
        background: bool = True,
        generator_factory: Any = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.hub = hub or EventHub(store, poll_interval_ms=settings.events.poll_interval_ms, tail=False)
        self.data_dir = settings.data_path
        self.host = socket.gethostname()
        self.process_id = f"{self.host}:{os.getpid()}:{secrets.token_hex(3)}"
        self.decision_timeout = timedelta(seconds=settings.engine.decision_timeout)
        self.heartbeat_interval = settings.engine.heartbeat_interval
        self.stale_after = timedelta(seconds=max(3 * self.heartbeat_interval, 3.0))
        self.event_retention = timedelta(hours=settings.events.retention_hours)
        self._next_prune = utcnow()
        self._generator_factory = generator_factory or generator_for
        # Runs generating in this process: the future of each one's task on the engine loop.
        self._tasks: dict[str, concurrent.futures.Future[None]] = {}
        # Failures the store refused to record (disk full, read-only database): what `get` reports
        # until housekeeping manages to write them.
        self._unrecorded: dict[str, RunRecord] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._housekeeper: threading.Thread | None = None
        self._closed = False
        # Every process sweeps once on start, one-shot commands too: `tui-editor runs` right after a
        # crash must show the dead process's runs as failed, not generating.
        self.housekeeping()
        self.remove_stale_previews()
        if background:
            self._housekeeper = threading.Thread(
                target=self._housekeeping_loop, name="engine-housekeeping", daemon=True
            )
            self._housekeeper.start()

    # --- paths ---------------------------------------------------------------------------------
    def preview_dir(self, run_id: str) -> Path:
        """`previews/<run_id>`; `UnsafePathError` for a run id that is not one this program makes."""
        return id_folder(self.data_dir / "previews", run_id, what="run id")

    def _relative(self, path: Path) -> str:
        return relative_name(path, self.data_dir)

    def _remove_preview(self, run_id: str) -> None:
        try:
            folder = self.preview_dir(run_id)
        except UnsafePathError as exc:  # an id planted in the database: touch nothing
            log.warning("not removing a preview folder: %s", exc.message)
            return
        shutil.rmtree(folder, ignore_errors=True)

    # --- the one state-moving primitive --------------------------------------------------------
    def _move(
        self,
        run: RunRecord,
        from_statuses: Collection[str],
        event_type: str,
        payload: Mapping[str, Any],
        **values: Any,
    ) -> bool:
        """Compare-and-set the run's status and append its event in one transaction; publish after."""
        event = self.store.transition_run(run, from_statuses, event_type, dict(payload), **values)
        if event is None:
            return False
        self.hub.publish(event)
        return True

    # --- starting ------------------------------------------------------------------------------
    def start(self, request: StartRequest) -> str:
        if self._closed:
            raise TuiEditorError("the run engine is closed")
        run = prepare_run(self.store, self.settings, request)
        run_id = run.run_id
        event = record_run(self.store, run, owner=self.process_id)
        self.hub.publish(event)
        future = asyncio.run_coroutine_threadsafe(self._execute(run_id), self._ensure_loop())
        with self._lock:
            self._tasks[run_id] = future
        future.add_done_callback(lambda _done: self._forget_task(run_id, future))
        return run_id

    def _forget_task(self, run_id: str, future: concurrent.futures.Future[None]) -> None:
        with self._lock:
            if self._tasks.get(run_id) is future:
                del self._tasks[run_id]

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="engine-loop", daemon=True)
                thread.start()
                self._loop, self._loop_thread = loop, thread
            return self._loop

    async def _execute(self, run_id: str) -> None:
        """Generate a run's preview. Cancelled (`asyncio.CancelledError`) only once its run is already
        cancelled or failed in the store, so its preview folder is then always ours to delete."""
        run: RunRecord | None = None
        try:
            run = await asyncio.to_thread(self.store.get_run, run_id)
            moved = await asyncio.to_thread(
                self._move,
                run,
                [RunStatus.QUEUED],
                "status",
                {"step": 0, "total_steps": 1, "message": "Starting"},
                status=RunStatus.GENERATING,
            )
            if not moved:
                return
            result = await self._generate(run)
            await asyncio.to_thread(self._finish_preview, run, result)
        except asyncio.CancelledError:
            self._remove_preview(run_id)  # the generator has stopped: nothing writes here any more
            raise
        except GenerationError as exc:
            await asyncio.to_thread(self._fail, run_id, exc.message, exc.retryable, run)
        except TuiEditorError as exc:
            await asyncio.to_thread(self._fail, run_id, exc.message, True, run)
        except Exception as exc:  # noqa: BLE001 - never leave a run "generating" forever
            log.exception("run %s crashed", run_id)
            await asyncio.to_thread(self._fail, run_id, f"internal error: {exc}", True, run)

    async def _generate(self, run: RunRecord) -> GenerationResult:
        request = run.request
        kind = run.kind
        generator: Generator = self._generator_factory(
            kind, str(request.get("provider", "local")), self.settings
        )
        out_dir = self.preview_dir(run.id)
        out_dir.mkdir(parents=True, exist_ok=True)
        fields, extra = get_kind(kind).apply_generator_options(
            request.get("fields", {}), self.settings.generators.of(kind).options
        )
        loop = asyncio.get_running_loop()
        last_step = [0]
        progress_lock = threading.Lock()

        def progress(step: int, total: int, message: str) -> None:
            # Generators may call this from a worker thread or the loop; either way the write is short.
            # Writes run in executor threads: check and write under one lock, so steps never go back.
            total = max(1, int(total))
            step = max(0, min(int(step), total))
            with progress_lock:
                if step < last_step[0]:
                    return
                last_step[0] = step
                try:
                    self._progress(run, step, total, message)
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

    def _progress(self, run: RunRecord, step: int, total: int, message: str) -> None:
        payload = {"step": step, "total_steps": total, "message": message}
        self._move(run, [RunStatus.GENERATING], "status", payload, preview={"progress": payload})

    def _finish_preview(self, run: RunRecord, result: GenerationResult) -> None:
        spec = get_kind(run.kind)
        asset_id = str(run.request.get("asset_id"))
        data = {
            name: result.fields[name] for name in spec.field_names if name in result.fields and name != "file"
        }
        data["model"] = data.get("model") or run.request.get("fields", {}).get("model")
        if not is_inside(Path(result.file), self.preview_dir(run.id)):
            raise UnsafePathError("the generator's file is not inside the run's preview folder")
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
        if not moved:  # cancelled (or failed by a sweep) while we were generating
            self._remove_preview(run.id)

    def _fail(self, run_id: str, message: str, retryable: bool, run: RunRecord | None = None) -> None:
        """Record a run's failure. Never raises: when the store refuses the write, the failure is kept
        in memory (see `get`) and the run's waiters are woken all the same."""
        # The preview's files first: on a full disk, freeing them is what lets the write below land.
        self._remove_preview(run_id)
        try:
            run = self.store.get_run(run_id) if run is None else run
            self._fail_run(run, message, retryable)
        except TuiEditorError as exc:
            log.warning("run %s failed (%s) but the failure was not recorded: %s", run_id, message, exc)
            if run is not None:
                self._remember_failure(run, message, retryable, exc)

    def _remember_failure(self, run: RunRecord, message: str, retryable: bool, why: TuiEditorError) -> None:
        now = utcnow()
        error = message if message == why.message else f"{message} (not recorded: {why.message})"
        failed = dataclasses.replace(run, status=RunStatus.FAILED, error=error, updated_at=now)
        with self._lock:
            self._unrecorded[run.id] = failed
        # Wake whoever waits on the run (an in-process event; it has no id, as it is not stored).
        self.hub.publish(
            RunEventData(
                run_id=run.id,
                lecture_id=run.lecture_id,
                kind=run.kind,
                type="error",
                payload={"message": failed.error or message, "retryable": retryable},
                created_at=now,
            )
        )

    def _record_remembered_failures(self) -> None:
        """Write the failures the store refused before; forget each one it now takes (or that moved on)."""
        with self._lock:
            pending = list(self._unrecorded.values())
        for failed in pending:
            message = (failed.error or INTERRUPTED).split(" (not recorded: ")[0]
            try:
                self._fail_run(self.store.get_run(failed.id), message)
            except TuiEditorError:
                continue
            with self._lock:
                self._unrecorded.pop(failed.id, None)

    def _fail_run(self, run: RunRecord, message: str, retryable: bool = True) -> bool:
        """Move a queued/generating run to `failed` with its `error` event; True if it moved."""
        moved = self._move(
            run,
            ACTIVE_STATUSES,
            "error",
            {"message": message, "retryable": retryable},
            status=RunStatus.FAILED,
            error=message,
        )
        if moved:
            self._remove_preview(run.id)
        return moved

    # --- deciding ------------------------------------------------------------------------------
    def decide(self, run_id: str, accept: bool, *, decided_by: str | None = None) -> Decision:
        run = self.store.get_run(run_id)
        if run.status != RunStatus.PREVIEW_READY:
            raise DecisionError(
                f"run {run_id} is {run.status}; only a run with a preview waiting can be decided"
            )
        if utcnow() - run.updated_at > self.decision_timeout:
            self._expire(run)
            raise DecisionError(f"run {run_id}: the preview expired before a decision")
        decided_by = decided_by or self.settings.user.resolved_name()
        if not accept:
            return self._reject(run, decided_by)
        decision = self._accept(run, decided_by)
        self._prune(run.clip_id)
        return decision

    def _reject(self, run: RunRecord, decided_by: str) -> Decision:
        # The take keeps its own file: copied out of the preview folder before the run moves, so a
        # crash in between leaves the preview (still pending) rather than a rejected take without file.
        try:
            take_file = takes.keep_take_file(self.data_dir, run)
        except (OSError, BadInputError) as exc:
            log.warning("run %s: the rejected take's file was not kept: %s", run.id, exc)
            take_file = None
        asset_id = str(run.request.get("asset_id") or (run.preview_asset or {}).get("id") or "")
        try:
            asset_updated_at = self.store.get_asset(run.kind, asset_id)["updated_at"]
        except NotFoundError:
            asset_updated_at = None
        moved = self._move(
            run,
            [RunStatus.PREVIEW_READY],
            "rejected",
            {"decided_by": decided_by},
            status=RunStatus.REJECTED,
            decided_by=decided_by,
            decided_at=utcnow(),
            decided_asset_updated_at=asset_updated_at,
            take_file=take_file,
        )
        if not moved:
            if take_file != run.take_file:
                takes.remove_take_file(self.data_dir, take_file)
            current = self.store.get_run(run.id).status
            raise DecisionError(
                f"run {run.id} is {current}; only a run with a preview waiting can be decided"
            )
        self._remove_preview(run.id)
        self._prune(run.clip_id)
        return Decision(accepted=False)

    def _prune(self, clip_id: str) -> None:
        try:
            takes.prune_takes(self.store, self.data_dir, clip_id, self.settings.takes.keep)
        except (TuiEditorError, OSError) as exc:
            log.warning("pruning the takes of clip %s failed: %s", clip_id, exc)

    def _accept(self, run: RunRecord, decided_by: str) -> Decision:
        asset = run.preview_asset
        if asset is None or not asset.get("file"):
            raise DecisionError(f"run {run.id} has no preview to accept")
        source = data_file(self.data_dir, asset["file"], "preview file")
        if not source.is_file():
            current = self.store.get_run(run.id).status  # decided meanwhile by someone else?
            if current != RunStatus.PREVIEW_READY:
                raise DecisionError(
                    f"run {run.id} is {current}; only a run with a preview waiting can be decided"
                )
            raise DecisionError(f"run {run.id}: the preview file {asset['file']} is missing")
        asset_id = check_id(asset["id"], "asset id")
        if asset_id != run.request.get("asset_id", asset_id):
            raise DecisionError(f"run {run.id}: the preview names another asset than the run's clip")
        suffix = source.suffix if source.suffix[1:].isalnum() else ""
        folder = id_folder(self.data_dir / "media", run.kind, asset_id, what="asset id")
        target = folder / f"{check_id(run.id, 'run id')}-{secrets.token_hex(3)}{suffix}"
        try:
            takes.copy_atomically(source, target)
        except OSError as exc:
            # A racing decision may have removed the preview while we copied it: say so plainly.
            target.unlink(missing_ok=True)
            current = self.store.get_run(run.id).status
            if current != RunStatus.PREVIEW_READY:
                raise DecisionError(
                    f"run {run.id} is {current}; only a run with a preview waiting can be decided"
                ) from None
            raise TuiEditorError(
                f"run {run.id}: cannot copy the preview into place: {exc.strerror or exc}"
            ) from None
        fields = {k: v for k, v in asset.items() if k not in ("id", "updated_at")}
        fields["file"] = self._relative(target)
        try:  # with the run accepted and what undo needs (what it replaced), in one transaction
            revision, saved, event = self.store.commit_asset(
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
        if event is not None:
            self.hub.publish(event)
        self._remove_preview(run.id)
        return Decision(accepted=True, asset=saved, revision=revision)

    def _expire(self, run: RunRecord) -> None:
        if self._move(
            run,
            [RunStatus.PREVIEW_READY],
            "expired",
            {},
            status=RunStatus.EXPIRED,
            error="the preview expired",
        ):
            self._remove_preview(run.id)

    # --- cancelling ----------------------------------------------------------------------------
    def cancel(self, run_id: str) -> None:
        run = self.store.get_run(run_id)
        if run.status == RunStatus.PREVIEW_READY:
            raise DecisionError(f"run {run_id} has a preview waiting; reject it instead of cancelling")
        if run.status not in ACTIVE_STATUSES:
            raise DecisionError(f"run {run_id} is already {run.status}")
        # The store first: once the run is cancelled there, a generator that still finishes cannot
        # publish its preview, so stopping its task afterwards can never lose a preview_ready run.
        if not self._move(run, ACTIVE_STATUSES, "cancelled", {}, status=RunStatus.CANCELLED):
            current = self.store.get_run(run_id).status
            raise DecisionError(f"run {run_id} is already {current}")
        if not self._stop_task(run_id):
            self._remove_preview(run_id)  # owned elsewhere (or nowhere): its files are ours to clear

    def _stop_task(self, run_id: str) -> bool:
        """Cancel the run's task if this process runs it (it deletes its preview once the generator has
        stopped); False when it runs elsewhere or not at all."""
        with self._lock:
            future = self._tasks.get(run_id)
        if future is None:
            return False
        future.cancel()  # cancels the task on the engine loop: CancelledError at the generator's await
        return True

    # --- reading -------------------------------------------------------------------------------
    def get(self, run_id: str) -> RunRecord:
        record = self.store.get_run(run_id)
        with self._lock:
            failed = self._unrecorded.get(run_id)
        if failed is not None and record.status in ACTIVE_STATUSES:
            return failed  # it failed here; the store has not taken the write yet
        return record

    def list(
        self,
        *,
        lecture_id: str | None = None,
        clip_id: str | None = None,
        statuses: Sequence[str] | None = None,
    ) -> list[RunRecord]:
        return self.store.list_runs(lecture_id=lecture_id, clip_id=clip_id, statuses=statuses)

    # --- housekeeping --------------------------------------------------------------------------
    def housekeeping(self) -> None:
        """Beat, fail runs whose owner died, expire undecided previews, prune old events (at most every
        ten minutes). Safe to run from any process."""
        self.store.beat(self.process_id, host=self.host, pid=os.getpid(), event_cursor=self.hub.read_position)
        self._record_remembered_failures()
        now = utcnow()
        if now >= self._next_prune:
            self._next_prune = now + PRUNE_EVERY
            pruned = self.store.prune_events(
                older_than=now - self.event_retention, live_since=now - self.stale_after
            )
            if pruned:
                log.info("pruned %d old events", pruned)
        beats = {b["id"]: b for b in self.store.heartbeats()}

        def owner_alive(owner: str | None) -> bool:
            if owner is None or owner == self.process_id:
                return owner is not None
            beat = beats.get(owner)
            if beat is None or now - beat["seen_at"] > self.stale_after:
                return False
            return not (beat["host"] == self.host and not _pid_alive(int(beat["pid"])))

        for run in self.store.list_runs(statuses=ACTIVE_STATUSES):
            if run.owner is not None and run.owner.startswith("temporal:"):
                continue  # a team run: its workflow owns it, however long no process beats for it
            if owner_alive(run.owner):
                continue
            if run.owner == self.process_id:
                continue
            self._fail_run(run, INTERRUPTED)
        for run in self.store.list_runs(statuses=[RunStatus.PREVIEW_READY]):
            if now - run.updated_at > self.decision_timeout:
                self._expire(run)

    def remove_stale_previews(self) -> None:
        """Delete preview folders whose run is decided or gone (left by a process killed mid-cleanup)."""
        root = self.data_dir / "previews"
        if not root.is_dir():
            return
        for folder in root.iterdir():
            # Only real folders named like a run id: a symlink or odd name is left alone, never followed.
            if folder.is_symlink() or not folder.is_dir() or not _is_run_folder(folder.name):
                continue
            try:
                status = self.store.get_run(folder.name).status
            except NotFoundError:
                status = None
            except TuiEditorError:
                continue
            if status not in OPEN_STATUSES:
                shutil.rmtree(folder, ignore_errors=True)

    def sweep_media(self) -> None:
        """Delete media files nothing refers to (left by a process killed between copy and commit)."""
        from .sweep import sweep_orphan_media

        try:
            sweep_orphan_media(self.store, self.data_dir)
        except StoreError as exc:
            log.warning("media sweep: %s", exc)
        except Exception:  # noqa: BLE001 - a sweep must never take the engine down
            log.exception("media sweep failed")

    def _housekeeping_loop(self) -> None:
        self.sweep_media()  # once per start, off the caller's path (it reads every revision)
        while not self._stop.wait(self.heartbeat_interval):
            try:
                self.housekeeping()
            except StoreError as exc:
                log.warning("housekeeping: %s", exc)
            except Exception:  # noqa: BLE001
                log.exception("housekeeping failed")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        with self._lock:
            running = list(self._tasks)
        for run_id in running:  # the store first, as in `cancel`
            with contextlib.suppress(TuiEditorError):
                if self._fail_run(self.store.get_run(run_id), INTERRUPTED):
                    self._stop_task(run_id)
        with contextlib.suppress(TuiEditorError):
            self._record_remembered_failures()
        if self._loop is not None:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(_drain(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._loop_thread is not None:
                self._loop_thread.join(timeout=5)
        if self._housekeeper is not None:
            self._housekeeper.join(timeout=5)
        with contextlib.suppress(TuiEditorError):
            self.store.forget_process(self.process_id)


def _is_run_folder(name: str) -> bool:
    try:
        check_id(name)
    except UnsafePathError:
        return False
    return True


async def _drain() -> None:
    """Wait (bounded) for every other task on the engine loop: cancelled runs clean up, late ones finish."""
    others = asyncio.all_tasks() - {asyncio.current_task()}
    if others:
        await asyncio.wait(others, timeout=5)
