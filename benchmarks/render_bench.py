"""Render benchmark: prints numbers, asserts nothing.

    .venv/bin/python benchmarks/render_bench.py [--seconds S] [--size 1280x720] [--fps 30]

Renders a demo-like lecture (pictures with Ken Burns moves, still pictures, narration and a music bed,
built in a temporary folder by `tests/render/support.py`) with `tui_editor.render` and prints the render
speed: seconds of video made per second of wall time, for moving pictures (every frame drawn) and for
still pictures (one frame drawn per clip, the encoder does the rest). The machine's load matters: run it
on an idle machine for comparable figures; the CPU time (all threads: Pillow, libx264, AAC) is steadier.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.render.support import KEN_BURNS, demo_like  # noqa: E402
from tui_editor.cli_render import parse_size  # noqa: E402
from tui_editor.render import render_lecture  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0, help="timeline length (default 10)")
    parser.add_argument("--size", type=parse_size, default=(1280, 720))
    parser.add_argument("--fps", type=int, default=30)
    args = parser.parse_args()
    width, height = args.size
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        snapshot = demo_like(data_dir, seconds=args.seconds / 2)
        cases = {
            "Ken Burns on every visual": replace(
                snapshot,
                clips=tuple(
                    replace(c, params=KEN_BURNS) if c.track == "visual" else c for c in snapshot.clips
                ),
            ),
            "still visuals": replace(
                snapshot,
                clips=tuple(
                    replace(c, params={"effect": "none"}) if c.track == "visual" else c
                    for c in snapshot.clips
                ),
            ),
        }
        print(f"render {args.seconds:g} s of video at {width}x{height}, {args.fps} fps (H.264 + AAC)")
        for label, case in cases.items():
            cpu = time.process_time()
            result = render_lecture(
                case, data_dir, data_dir / "out.mp4", width=width, height=height, fps=args.fps
            )
            cpu = time.process_time() - cpu
            print(
                f"  {label:<26} {result.wall_s:6.2f} s wall  {result.speed:5.2f} s of video per s"
                f"  ({result.frames / result.wall_s:5.1f} frames/s);  CPU {cpu:5.2f} s:"
                f" {result.duration_s / cpu:4.2f} s of video per CPU second (all threads)"
            )


if __name__ == "__main__":
    main()
