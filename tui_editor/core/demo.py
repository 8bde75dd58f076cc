"""The demo lecture "Photosynthesis": six visuals, six narrations, two music beds, each with real media.

The media are produced on the spot by the local generators (offline, deterministic: fixed seeds), so
the repository ships no binaries. `ensure_demo` is idempotent: an existing lecture titled
"Photosynthesis" is returned as it is.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .clock import new_id
from .store import Store

DEMO_TITLE = "Photosynthesis"
DEMO_SUMMARY = "How plants turn light, water and carbon dioxide into sugar and oxygen — a one-minute primer."

SECTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "Intro",
        "A sunlit green leaf close-up, morning light through the veins",
        "Every green leaf is a tiny factory powered by sunlight. Today we look at how it works.",
    ),
    (
        "Ingredients",
        "Diagram of a plant taking in water from roots and carbon dioxide from air",
        "Plants need three things: light from the sun, water from the soil, and carbon dioxide from the air.",
    ),
    (
        "Chloroplasts",
        "Cutaway of a plant cell showing green chloroplasts stacked with thylakoids",
        "Inside each leaf cell, chloroplasts hold chlorophyll, the pigment that captures light energy.",
    ),
    (
        "Light reactions",
        "Sunlight striking a thylakoid membrane, water molecules splitting into oxygen",
        "In the light reactions, that energy splits water and releases oxygen into the air we breathe.",
    ),
    (
        "Calvin cycle",
        "A circular cycle diagram turning carbon dioxide into glucose molecules",
        "In the Calvin cycle, the plant uses the stored energy to build sugar from carbon dioxide.",
    ),
    (
        "Summary",
        "A forest canopy from above with arrows for oxygen out and carbon dioxide in",
        "So light plus water plus carbon dioxide becomes sugar and oxygen. That is photosynthesis.",
    ),
)
SECTION_SECONDS = 10.0
MUSIC: tuple[tuple[str, str, int, str], ...] = (
    ("Opening bed", "Gentle hopeful piano with soft pads, morning mood", 84, "C major"),
    ("Closing bed", "Warm reflective strings, calm resolution", 76, "A minor"),
)


def _plan() -> dict[str, Any]:
    """The demo lecture as an import document (ids fresh, files filled in by `_render`)."""
    visuals, narration, music = [], [], []
    timeline: dict[str, list[dict[str, Any]]] = {"visual": [], "voice": [], "music": []}
    for index, (name, prompt, script) in enumerate(SECTIONS):
        start = index * SECTION_SECONDS
        visual_id, narration_id = new_id("vis"), new_id("nar")
        visuals.append({"id": visual_id, "prompt": prompt, "model": "local/pillow", "aspect_ratio": "16:9"})
        narration.append(
            {
                "id": narration_id,
                "script": script,
                "model": "local/espeak",
                "voice": "en-us",
                "emotion": "neutral",
                "language": "en",
            }
        )
        timeline["visual"].append(
            {
                "id": new_id("clip"),
                "name": f"{name} visual",
                "start": start,
                "duration": SECTION_SECONDS,
                "asset_id": visual_id,
            }
        )
        timeline["voice"].append(
            {
                "id": new_id("clip"),
                "name": f"{name} narration",
                "start": start,
                "duration": SECTION_SECONDS,
                "asset_id": narration_id,
            }
        )
    half = len(SECTIONS) * SECTION_SECONDS / 2
    for index, (name, prompt, bpm, key) in enumerate(MUSIC):
        music_id = new_id("mus")
        music.append(
            {
                "id": music_id,
                "prompt": prompt,
                "model": "local/synth",
                "duration_s": half,
                "bpm": bpm,
                "key": key,
            }
        )
        timeline["music"].append(
            {
                "id": new_id("clip"),
                "name": name,
                "start": index * half,
                "duration": half,
                "asset_id": music_id,
            }
        )
    return {
        "id": new_id("lec"),
        "title": DEMO_TITLE,
        "summary": DEMO_SUMMARY,
        "assets": {"visual": visuals, "narration": narration, "music": music},
        "clips": [dict(c, track=track) for track, clips in timeline.items() for c in clips],
    }


async def _render(plan: dict[str, Any], data_dir: Path, work: Path) -> None:
    """Generate every asset's media with the local generators and move it under `media/`."""
    from ..generators.base import CancelToken, GenerationRequest, Generator
    from ..generators.local_music import LocalMusicGenerator
    from ..generators.local_narration import LocalNarrationGenerator
    from ..generators.local_visual import LocalVisualGenerator

    generators: dict[str, Generator] = {
        "visual": LocalVisualGenerator(),
        "narration": LocalNarrationGenerator(),
        "music": LocalMusicGenerator(),
    }

    def ignore(_step: int, _total: int, _message: str) -> None:
        return None

    async def one(kind: str, index: int, asset: dict[str, Any]) -> None:
        out = work / f"{kind}-{index}"
        out.mkdir(parents=True)
        request = GenerationRequest(kind=kind, fields=dict(asset), out_dir=out, seed=1000 + index)
        result = await generators[kind].generate(request, ignore, CancelToken())
        target = data_dir / "media" / kind / asset["id"] / f"demo{Path(result.file).suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(result.file), target)
        for name, value in result.fields.items():
            if name not in ("file",):
                asset[name] = value
        asset["file"] = target.relative_to(data_dir).as_posix()

    await asyncio.gather(
        *(
            one(kind, index, asset)
            for kind, items in plan["assets"].items()
            for index, asset in enumerate(items)
        )
    )


def find_demo(store: Store) -> str | None:
    """The demo lecture's id, if a lecture with its title exists (the first, if copies were imported)."""
    matches = [lecture["id"] for lecture in store.list_lectures() if lecture["title"] == DEMO_TITLE]
    return matches[0] if matches else None


def ensure_demo(store: Store, data_dir: Path) -> str:
    """Create the demo lecture with its media unless it exists; return its id."""
    existing = find_demo(store)
    if existing is not None:
        return existing
    plan = _plan()
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=data_dir, prefix=".demo-") as work:
        asyncio.run(_render(plan, data_dir, Path(work)))
    return store.create_lecture(plan, source="import", keep_ids=True)
