"""Commands that bring lectures in and take them out: `new --from-script`, and the web original's
timelines (`import --format tutopanda`, `export --format tutopanda`).

Progress goes to standard error: a rich progress bar on a terminal, one line per finished item
otherwise; standard output keeps only the result (the new lecture's id, or `--json`).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .core.safe_text import json_text, visible

#: The formats `import`/`export --format` read and write.
FORMATS = ("tui-editor", "tutopanda")


def _open(settings: Any) -> Any:
    from .runs.runtime import open_runtime

    return open_runtime(settings)


def _summary(runtime: Any, lecture_id: str) -> dict[str, Any]:
    summary: dict[str, Any] = next(x for x in runtime.store.list_lectures() if x["id"] == lecture_id)
    return summary


def _report(summary: dict[str, Any], as_json: bool, verb: str) -> None:
    if as_json:
        sys.stdout.write(json_text(summary))
    else:
        title = visible(str(summary["title"]))
        print(f"{verb} {title!r} as {summary['id']} ({summary['clips']} clips)")


@contextlib.contextmanager
def _progress_reporter(what: str) -> Iterator[Any]:
    """A callback for `BuildProgress` items: a rich bar on a terminal, else one stderr line per item."""
    from .lectures.from_script import BuildProgress

    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        ) as bar:
            task = bar.add_task(what, total=None)

            def update(item: BuildProgress) -> None:
                bar.update(task, completed=item.done, total=item.total, description=f"{what}: {item.label}")

            yield update
        return

    def line(item: BuildProgress) -> None:
        sys.stderr.write(f"[{item.done}/{item.total}] {visible(item.label)}\n")
        sys.stderr.flush()

    yield line


def cmd_new(settings: Any, args: argparse.Namespace) -> int:
    from .core.script import read_script_file
    from .lectures.from_script import build_from_script

    script = read_script_file(args.from_script, title=args.title)  # checked before anything is opened
    runtime = _open(settings)
    try:
        with _progress_reporter("Generating") as progress:
            lecture_id = build_from_script(
                runtime.store, settings, script, generate=not args.no_generate, progress=progress
            )
        summary = _summary(runtime, lecture_id)
    finally:
        runtime.close()
    _report(summary, args.json, "Created")
    return 0


def cmd_import_tutopanda(settings: Any, args: argparse.Namespace) -> int:
    from .lectures.tutopanda_import import import_tutopanda, read_tutopanda_file

    document = read_tutopanda_file(args.file)  # checked before anything is opened
    runtime = _open(settings)
    try:
        result = import_tutopanda(runtime.store, settings, document)
        summary = _summary(runtime, result.lecture_id)
    finally:
        runtime.close()
    for warning in result.warnings:
        sys.stderr.write(f"tui-editor: warning: {visible(warning)}\n")
    _report(summary, args.json, "Imported")
    return 0


@contextlib.contextmanager
def hint_tutopanda(path: str) -> Iterator[None]:
    """An import error on a file that looks like the web original's timeline says to use `--format`."""
    from .core.errors import BadInputError

    try:
        yield
    except BadInputError as exc:
        if _looks_like_tutopanda(Path(path)):
            raise BadInputError(f"{exc.message} (a tutopanda timeline? add --format tutopanda)") from None
        raise


def _looks_like_tutopanda(path: Path) -> bool:
    from .core.errors import BadInputError
    from .core.exchange import load_json_file

    try:
        data = load_json_file(path)
    except BadInputError:
        return False
    if not isinstance(data, dict):
        return False
    timeline = data.get("timeline")
    return "tracks" in data or (isinstance(timeline, dict) and "tracks" in timeline)


def cmd_export_tutopanda(settings: Any, args: argparse.Namespace) -> int:
    """A lecture as the web original's timeline JSON; `--with-media` copies its media beside `-o FILE`."""
    from .core.errors import BadInputError
    from .core.tutopanda import dumps, snapshot_to_tutopanda

    if args.with_media and not args.output:
        raise BadInputError("--with-media needs -o FILE (the media are copied beside it)")
    runtime = _open(settings)
    try:
        snapshot = runtime.store.load_snapshot(runtime.store.resolve_lecture(args.lecture))
    finally:
        runtime.close()
    if args.with_media:
        from .lectures.tutopanda_export import export_with_media

        document, copied = export_with_media(snapshot, settings.data_path, Path(args.output))
        sys.stderr.write(f"copied {copied} media file{'s' if copied != 1 else ''} beside {args.output}\n")
    else:
        document = snapshot_to_tutopanda(snapshot)
    write_output(dumps(document), args.output)
    return 0


def write_output(text: str, output: str | None) -> None:
    """`text` to `output` (a file) or standard output."""
    if output:
        from .core.errors import BadInputError

        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise BadInputError(f"{output}: cannot write: {exc.strerror}") from None
    else:
        sys.stdout.write(text)
