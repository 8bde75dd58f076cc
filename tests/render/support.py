"""A short demo-like lecture built in memory, with real media files (pictures and tone WAVs)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from tui_editor.core.snapshot import ClipView, LectureSnapshot, freeze_asset
from tui_editor.generators.wav import write_wav

KEN_BURNS = {"start_scale": 1.0, "end_scale": 1.5, "start_x": 0.0, "end_x": 120.0}


def write_picture(path: Path, seed: int) -> str:
    """A 320x180 picture with detail everywhere (a grid and a gradient), so motion shows in every crop."""
    path.parent.mkdir(parents=True, exist_ok=True)
    xs = np.linspace(0, 255, 320, dtype=np.float32)[None, :]
    ys = np.linspace(0, 255, 180, dtype=np.float32)[:, None]
    pixels = np.stack([xs + 0 * ys, ys + 0 * xs, np.full((180, 320), 40.0 * seed)], axis=2)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for x in range(0, 320, 20):
        draw.line([(x, 0), (x, 179)], fill=(255, 255, 255), width=2)
    for y in range(0, 180, 20):
        draw.line([(0, y), (319, y)], fill=(0, 0, 0), width=2)
    image.save(path)
    return path.name


def write_tone(path: Path, seconds: float, freq: float, rate: int = 22_050, amplitude: float = 0.5) -> None:
    t = np.arange(round(seconds * rate)) / rate
    write_wav(path, (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate)


def clip(
    clip_id: str,
    track: str,
    start: float,
    duration: float,
    asset_id: str,
    params: Mapping[str, Any] | None = None,
) -> ClipView:
    return ClipView(
        id=clip_id,
        track=track,
        name=f"{clip_id} name",
        start=start,
        duration=duration,
        asset_id=asset_id,
        params=dict(params or {}),
    )


def snapshot_of(clips: list[ClipView], assets: dict[str, dict[str, dict[str, Any]]]) -> LectureSnapshot:
    return LectureSnapshot(
        id="lec_render",
        title="Render test",
        summary="",
        revision=1,
        updated_at=datetime.now(UTC),
        clips=tuple(clips),
        assets={
            kind: {i: freeze_asset({"id": i, **a}) for i, a in items.items()}
            for kind, items in assets.items()
        },
    )


def demo_like(data_dir: Path, *, seconds: float = 2.0) -> LectureSnapshot:
    """Two visuals (the second with an explicit Ken Burns move), two narrations, one music bed under both.

    Timeline: visual/narration 1 at 0–`seconds`, visual/narration 2 at `seconds`–2×`seconds`; the
    narrations are 440 Hz / 660 Hz tones as long as their clips' first half; the music (a quiet 220 Hz,
    shorter than its clip, so it loops) has fades.
    """
    media = data_dir / "media"
    for i in (1, 2):
        write_picture(media / f"vis_{i}.png", i)
        write_tone(media / f"nar_{i}.wav", seconds / 2, 220.0 * (i + 1))
    write_tone(media / "mus_1.wav", seconds / 2, 220.0, amplitude=0.2)
    clips = [
        clip("v1", "visual", 0.0, seconds, "vis_1", {"effect": "none"}),
        clip("v2", "visual", seconds, seconds, "vis_2", KEN_BURNS),
        clip("n1", "voice", 0.0, seconds, "nar_1"),
        clip("n2", "voice", seconds, seconds, "nar_2"),
        clip("m1", "music", 0.0, 2 * seconds, "mus_1", {"volume": 0.5, "fade_in_s": 0.5, "fade_out_s": 0.5}),
    ]
    assets = {
        "visual": {f"vis_{i}": {"file": f"media/vis_{i}.png"} for i in (1, 2)},
        "narration": {f"nar_{i}": {"file": f"media/nar_{i}.wav"} for i in (1, 2)},
        "music": {"mus_1": {"file": "media/mus_1.wav"}},
    }
    return snapshot_of(clips, assets)
