"""Lecture documents for tests and benchmarks (export JSON shape), with real small media files."""

from __future__ import annotations

import io
import wave
from pathlib import Path
from typing import Any

EXPORT_KEYS = {
    "id",
    "title",
    "summary",
    "revision",
    "updated_at",
    "visuals",
    "narration",
    "music",
    "timeline",
}
"""The top-level keys of an exported lecture document."""


def lecture_doc(
    *,
    title: str = "Test lecture",
    visuals: int = 2,
    narrations: int = 2,
    music: int = 1,
    clip_seconds: float = 5.0,
) -> dict[str, Any]:
    """An export document with fixed ids and texts; `file` paths are relative to the data dir."""
    doc: dict[str, Any] = {
        "id": "lec_test",
        "title": title,
        "summary": "A lecture for tests",
        "revision": 1,
        "visuals": [],
        "narration": [],
        "music": [],
        "timeline": {"visual": [], "voice": [], "music": []},
    }
    for i in range(visuals):
        doc["visuals"].append(
            {
                "id": f"vis_{i}",
                "prompt": f"Visual prompt {i}",
                "model": "local/pillow",
                "aspect_ratio": "16:9",
                "width": 64,
                "height": 36,
                "file": f"media/visual/vis_{i}/seed.png",
            }
        )
        doc["timeline"]["visual"].append(
            {
                "id": f"clip_v{i}",
                "name": f"Visual {i}",
                "start": i * clip_seconds,
                "duration": clip_seconds,
                "asset_id": f"vis_{i}",
            }
        )
    for i in range(narrations):
        doc["narration"].append(
            {
                "id": f"nar_{i}",
                "script": f"Narration script number {i}.",
                "model": "local/espeak",
                "voice": "en-us",
                "emotion": "neutral",
                "language": "en",
                "duration_s": 1.0,
                "file": f"media/narration/nar_{i}/seed.wav",
            }
        )
        doc["timeline"]["voice"].append(
            {
                "id": f"clip_n{i}",
                "name": f"Narration {i}",
                "start": i * clip_seconds,
                "duration": clip_seconds,
                "asset_id": f"nar_{i}",
            }
        )
    for i in range(music):
        doc["music"].append(
            {
                "id": f"mus_{i}",
                "prompt": f"Music prompt {i}",
                "model": "local/synth",
                "duration_s": 2.0,
                "bpm": 100,
                "key": "C major",
                "file": f"media/music/mus_{i}/seed.wav",
            }
        )
        doc["timeline"]["music"].append(
            {
                "id": f"clip_m{i}",
                "name": f"Music {i}",
                "start": i * clip_seconds,
                "duration": clip_seconds,
                "asset_id": f"mus_{i}",
            }
        )
    return doc


def big_lecture_doc(clips: int, *, title: str = "Big lecture") -> dict[str, Any]:
    """A lecture with `clips` clips split across the three tracks (no media files)."""
    per = clips // 3
    return lecture_doc(title=title, visuals=per + clips % 3, narrations=per, music=per, clip_seconds=4.0)


def write_seed_media(doc: dict[str, Any], data_dir: Path) -> None:
    """Write a tiny real PNG / WAV at every asset's `file` path."""
    from PIL import Image

    for asset in doc["visuals"]:
        path = data_dir / asset["file"]
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (64, 36), (30, 120, 60)).save(path)
    for asset in doc["narration"] + doc["music"]:
        path = data_dir / asset["file"]
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(8000)
            out.writeframes(b"\x00\x10" * 8000)
        path.write_bytes(buffer.getvalue())


def seeded_store(url: str, data_dir: Path, **kw: Any) -> tuple[Any, str]:
    """Open a store at `url`, import `lecture_doc(**kw)` keeping its ids, write its media."""
    from tui_editor.core.exchange import validate_lecture
    from tui_editor.core.store import open_store

    doc = lecture_doc(**kw)
    write_seed_media(doc, data_dir)
    store = open_store(url)
    lecture_id = store.create_lecture(validate_lecture(doc) | {"id": doc["id"]}, keep_ids=True)
    return store, lecture_id
