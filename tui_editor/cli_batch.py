"""`tui-editor batch`: regenerate many clips at once — estimate, run with a progress display, summary,
`--retry` (see README). The work itself is `runs.batch.run_batch`, which the editor uses too."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from typing import Any

from . import cli

#: Item statuses `--retry` reruns: failed runs, and jobs a ctrl+c cancelled or never started.
RETRIED = ("failed", "cancelled", "queued")


def _parse_sets(pairs: Sequence[str]) -> dict[str, str]:
    from .core.errors import BadInputError

    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise BadInputError(f"--set: expected FIELD=VALUE, got {cli._printable(pair)!r}")
        values[name.strip()] = value
    return values


def select_jobs(store: Any, lecture_id: str, args: argparse.Namespace) -> list[Any]:
    """The batch's jobs from the command line's selection and `--set` fields (checked per kind)."""
    from .core.errors import BadInputError
    from .core.kinds import ValidationError
    from .runs.batch import BatchJob

    snapshot = store.load_snapshot(lecture_id)
    if args.clips:
        refs = [r.strip() for r in args.clips.split(",") if r.strip()]
        if not refs:
            raise BadInputError("--clips: name at least one clip")
        clips = [store.resolve_clip(lecture_id, ref) for ref in refs]
    elif args.track:
        clips = list(snapshot.track(args.track))
    elif args.stale:
        clips = [c for track in ("visual", "voice", "music") for c in snapshot.track(track) if c.stale]
    else:
        clips = [c for track in ("visual", "voice", "music") for c in snapshot.track(track)]
    sets = _parse_sets(args.set)
    used: set[str] = set()
    jobs = []
    seen: set[str] = set()
    for clip in clips:
        if clip.id in seen:
            continue
        seen.add(clip.id)
        kind = clip.kind
        mine = {name: value for name, value in sets.items() if name in kind.editable_names}
        used.update(mine)
        try:
            fields = kind.validate_request(mine)
        except ValidationError as exc:
            raise BadInputError(f"--set {exc}") from None
        jobs.append(BatchJob(clip_id=clip.id, kind=kind.name, fields=fields))
    unused = sorted(set(sets) - used)
    if unused and jobs:
        raise BadInputError(f"--set {unused[0]}: no selected clip has that field")
    return jobs


def _retry_jobs(store: Any, args: argparse.Namespace) -> tuple[str, list[Any], dict[str, Any]]:
    from .core.batch_record import load_batch
    from .core.errors import BadInputError
    from .runs.batch import BatchJob

    if args.set:
        raise BadInputError("--retry reruns the failed runs as they were; it takes no --set")
    batch = load_batch(store, args.retry)
    if args.lecture and store.resolve_lecture(args.lecture) != batch["lecture_id"]:
        raise BadInputError(f"batch {args.retry} belongs to lecture {batch['lecture_id']}")
    jobs = []
    for item in batch["items"]:
        if not isinstance(item, dict) or item.get("status") not in RETRIED:
            continue
        clip_id, kind, fields = item.get("clip_id"), item.get("kind"), item.get("fields") or {}
        if not isinstance(clip_id, str) or not isinstance(kind, str) or not isinstance(fields, dict):
            raise BadInputError(f"batch {args.retry} has a malformed item; start a new batch instead")
        jobs.append(BatchJob(clip_id=clip_id, kind=kind, fields=fields))
    return batch["lecture_id"], jobs, batch


def cmd_batch(settings: Any, args: argparse.Namespace) -> int:
    from .core.errors import BadInputError

    if not (args.clips or args.track or args.stale or args.all or args.retry):
        raise BadInputError("batch: choose the clips: --clips, --track, --stale, --all or --retry BATCH_ID")
    if not args.retry and not args.lecture:
        raise BadInputError("batch: name the LECTURE (an id or exact title)")
    concurrency = args.concurrency if args.concurrency is not None else settings.batch.concurrency
    if not 1 <= concurrency <= 64:
        raise BadInputError(f"--concurrency: {concurrency} is not between 1 and 64")
    runtime = cli._open(settings, background=not args.estimate)
    try:
        store = runtime.store
        batch_id = None
        if args.retry:
            lecture_id, jobs, batch = _retry_jobs(store, args)
            batch_id = batch["id"]
        else:
            lecture_id = store.resolve_lecture(args.lecture)
            jobs = select_jobs(store, lecture_id, args)
        if args.estimate:
            return _print_estimate(runtime, lecture_id, jobs, concurrency, args)
        if not jobs:
            result_json: dict[str, Any] = {"batch_id": batch_id, "succeeded": [], "failed": []}
            if args.json:
                cli._print_json(result_json)
            else:
                print("Nothing to regenerate: no clip matches.")
            return 0
        return _run(runtime, lecture_id, jobs, concurrency, batch_id, args)
    finally:
        runtime.close()


def _print_estimate(
    runtime: Any, lecture_id: str, jobs: list[Any], concurrency: int, args: argparse.Namespace
) -> int:
    from .runs.batch import estimate_batch

    snapshot = runtime.store.load_snapshot(lecture_id)
    estimate = estimate_batch(runtime.store, runtime.settings, snapshot, jobs, concurrency)
    if args.json:
        cli._print_json(estimate.to_json())
        return 0
    print(
        f"{estimate.runs} run{'s' if estimate.runs != 1 else ''} · cost ${estimate.cost_usd:.2f} · "
        f"ETA {format_seconds(estimate.eta_s)} (concurrency {concurrency})"
    )
    for note in estimate.notes:
        print(f"  {cli._printable(note)}")
    return 0


def format_seconds(seconds: float) -> str:
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole}s"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m {rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def _run(
    runtime: Any,
    lecture_id: str,
    jobs: list[Any],
    concurrency: int,
    batch_id: str | None,
    args: argparse.Namespace,
) -> int:
    from .runs.batch import BatchProgress, BatchResult, run_batch

    cancel = threading.Event()
    finished = threading.Event()
    result: list[BatchResult] = []
    failure: list[BaseException] = []
    lines = sys.stderr if args.json else sys.stdout
    bar = _progress_bar(len(jobs)) if sys.stderr.isatty() else None

    def on_progress(progress: BatchProgress) -> None:
        outcome = progress.outcome
        if bar is not None:
            bar[0].update(bar[1], completed=progress.done)
            return
        line = f"[{progress.done}/{progress.total}] {outcome.clip_id} {outcome.status}"
        if outcome.run_id:
            line += f" {outcome.run_id}"
        if outcome.error:
            line += f"  error: {outcome.error}"
        lines.write(cli._printable(line) + "\n")
        lines.flush()

    def work() -> None:
        try:
            result.append(
                run_batch(
                    runtime.engine,
                    lecture_id,
                    jobs,
                    concurrency=concurrency,
                    accept=args.accept,
                    on_progress=on_progress,
                    cancel=cancel,
                    batch_id=batch_id,
                    decided_by=runtime.settings.user.resolved_name(),
                    timeout=args.timeout,
                )
            )
        except BaseException as exc:  # noqa: BLE001 - re-raised on the main thread
            failure.append(exc)
        finally:
            finished.set()

    worker = threading.Thread(target=work, name="batch-main", daemon=True)
    if bar is not None:
        bar[0].start()
    worker.start()
    try:
        # Wait on an Event, not `join`: a ctrl+c inside `Thread.join` can leave the thread looking
        # finished while it still runs (CPython gh-90882).
        while not finished.is_set():
            try:
                finished.wait(0.25)
            except KeyboardInterrupt:
                cancel.set()
                print("cancelling the queued runs…", file=sys.stderr)
    finally:
        if bar is not None:
            bar[0].stop()
    if failure:
        raise failure[0]
    summary = result[0].summary()
    if args.json:
        cli._print_json(summary)
    else:
        succeeded, failed = len(summary["succeeded"]), len(summary["failed"])
        print(f"Batch {summary['batch_id']}: {succeeded} succeeded, {failed} failed")
        for item in summary["failed"]:
            print(cli._printable(f"  {item['clip_id']}  {item['run_id'] or '-'}  {item['error']}"))
        if summary["failed"]:
            print(f"Rerun the failed ones with: tui-editor batch --retry {summary['batch_id']}")
    return 1 if summary["failed"] else 0


def _progress_bar(total: int) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("regenerating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    task = progress.add_task("batch", total=total)
    return progress, task
