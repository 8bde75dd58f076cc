"""`tui-editor render LECTURE -o FILE.mp4`: the lecture's timeline as a video (see `tui_editor.render`).

Progress goes to stderr: a rich progress bar on a terminal, otherwise a line every 10 %. `--json` prints
the result object (README, "render --json") on stdout.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .core.safe_text import json_text

SIZE_PATTERN = re.compile(r"^\s*(\d{1,5})\s*[xX×]\s*(\d{1,5})\s*$")


def parse_size(text: str) -> tuple[int, int]:
    """`WIDTHxHEIGHT` → (width, height); argparse reports a malformed value as a usage error."""
    match = SIZE_PATTERN.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 1280x720, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def add_render_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """The `render` command's options (called from `cli.build_parser`)."""
    p = command("render", "render a lecture's timeline to an MP4 video (H.264 + AAC)")
    p.add_argument("lecture", help="lecture id or exact title")
    p.add_argument("-o", "--output", metavar="FILE", required=True, help="the MP4 file to write")
    p.add_argument(
        "--size", type=parse_size, default=(1280, 720), metavar="WxH", help="frame size (default 1280x720)"
    )
    p.add_argument("--fps", type=int, default=30, help="frames per second (default 30)")
    p.add_argument("--from", dest="start", type=float, metavar="S", help="start of the range, in seconds")
    p.add_argument("--to", dest="end", type=float, metavar="S", help="end of the range, in seconds")
    p.add_argument(
        "--allow-missing",
        action="store_true",
        help="render clips whose media is missing as black / silence instead of failing",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")


class _Progress:
    """Progress on stderr: a rich bar on a terminal, a plain line every 10 % otherwise."""

    def __init__(self, title: str) -> None:
        self.title = title
        self._bar: Any = None
        self._task: Any = None
        self._step = -1
        self._last = 0.0

    def __enter__(self) -> _Progress:
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.completed}/{task.total} frames"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._bar.start()
        return self

    def __call__(self, done: int, total: int) -> None:
        if self._bar is not None:
            now = time.monotonic()
            if self._task is None:
                self._task = self._bar.add_task(self.title, total=total)
            if done == total or now - self._last > 0.1:
                self._last = now
                self._bar.update(self._task, completed=done)
            return
        step = done * 10 // max(1, total)
        if step != self._step:
            self._step = step
            sys.stderr.write(f"{self.title}: {step * 10}% ({done}/{total} frames)\n")
            sys.stderr.flush()

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def cmd_render(settings: Any, args: argparse.Namespace) -> int:
    from .core.errors import BadInputError
    from .render import render_lecture
    from .runs.runtime import open_runtime

    output = Path(args.output)
    if output.suffix.lower() not in (".mp4", ".m4v", ".mov"):
        raise BadInputError(f"-o {args.output}: the video is an MP4 file: name it .mp4")
    runtime = open_runtime(settings)
    try:
        snapshot = runtime.store.load_snapshot(runtime.store.resolve_lecture(args.lecture))
    finally:
        runtime.close()
    width, height = args.size
    with _Progress("render") as progress:
        result = render_lecture(
            snapshot,
            Path(settings.data_path),
            output,
            width=width,
            height=height,
            fps=args.fps,
            start=args.start,
            end=args.end,
            allow_missing=args.allow_missing,
            progress=progress,
        )
    if args.json:
        sys.stdout.write(json_text(result.to_json()))
        return 0
    for problem in result.problems:
        sys.stderr.write(f"tui-editor: rendered black/silent: {problem.describe()}\n")
    print(
        f"Wrote {result.file} ({result.width}x{result.height}, {result.fps} fps, "
        f"{result.duration_s:.2f} s) in {result.wall_s:.1f} s ({result.speed:.2f}x real time)"
    )
    return 0
