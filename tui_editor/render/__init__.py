"""Rendering a lecture's timeline to a video, and handing previews out over a one-file link (UI-free).

- `schedule`: timeline → frame and audio schedule (pure; the Ken Burns and fade rules live there).
- `mixer`: the audio mix (numpy; sources decoded with `generators.wav` or PyAV).
- `frames`: one video frame of a picture under its Ken Burns move (Pillow).
- `encoder`: the MP4 (PyAV: H.264 + AAC), written atomically.
- `link_server`: a one-file HTTP server on 127.0.0.1 with a one-time token (previews over SSH).

PyAV (and so FFmpeg) is imported only when something is rendered: importing this package is cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .schedule import RenderError, RenderPlan, plan_render

if TYPE_CHECKING:
    from ..core.snapshot import LectureSnapshot
    from .encoder import ProgressCallback, RenderResult

__all__ = ["RenderError", "RenderPlan", "plan_render", "render_lecture"]


def render_lecture(
    snapshot: LectureSnapshot,
    data_dir: Path,
    output: Path,
    *,
    width: int = 1280,
    height: int = 720,
    fps: int = 30,
    start: float | None = None,
    end: float | None = None,
    allow_missing: bool = False,
    progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    preset: str = "veryfast",
) -> RenderResult:
    """Plan and encode `snapshot` (or its range) into the MP4 file `output`; see `schedule` and `encoder`."""
    from .encoder import encode

    plan = plan_render(
        snapshot,
        data_dir,
        width=width,
        height=height,
        fps=fps,
        start=start,
        end=end,
        allow_missing=allow_missing,
    )
    return encode(plan, output, progress=progress, should_stop=should_stop, preset=preset)
