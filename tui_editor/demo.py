"""The demo lecture "Photosynthesis": six visuals, six narrations, two music beds, each with real media.

The media are produced on the spot by the local generators (offline, deterministic: fixed seeds), so
the repository ships no binaries. `ensure_demo` is idempotent: an existing lecture titled
"Photosynthesis" is returned as it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .core.clock import new_id
from .core.errors import TuiEditorError
from .core.paths import MadeFolders
from .core.store import Store

DEMO_TITLE = "Photosynthesis"


def _definition() -> dict[str, Any]:
    """The demo's texts and timing, from `assets/demo_lecture.json` (installed as tui_editor.assets)."""
    from importlib.resources import files

    text = files("tui_editor.assets").joinpath("demo_lecture.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _plan() -> dict[str, Any]:
    """The demo lecture as an import document (ids fresh, files filled in by `_render`)."""
    definition = _definition()
    seconds = float(definition["section_seconds"])
    visuals, narration, music = [], [], []
    timeline: dict[str, list[dict[str, Any]]] = {"visual": [], "voice": [], "music": []}
    for index, section in enumerate(definition["sections"]):
        name, prompt, script = section["name"], section["prompt"], section["script"]
        start = index * seconds
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
                "duration": seconds,
                "asset_id": visual_id,
            }
        )
        timeline["voice"].append(
            {
                "id": new_id("clip"),
                "name": f"{name} narration",
                "start": start,
                "duration": seconds,
                "asset_id": narration_id,
            }
        )
    half = len(definition["sections"]) * seconds / 2
    for index, bed in enumerate(definition["music"]):
        name, prompt, bpm, key = bed["name"], bed["prompt"], bed["bpm"], bed["key"]
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
                # The synth beds are about twice as loud as the speech: a bed under the voice.
                "params": {"volume": 0.35, "fade_in_s": 1.0, "fade_out_s": 1.0},
            }
        )
    return {
        "id": new_id("lec"),
        "title": definition["title"],
        "summary": definition["summary"],
        "assets": {"visual": visuals, "narration": narration, "music": music},
        "clips": [dict(c, track=track) for track, clips in timeline.items() for c in clips],
    }


async def _render(plan: dict[str, Any], work: Path) -> list[tuple[dict[str, Any], str, Path]]:
    """Generate every asset's media with the local generators into `work`; returns (asset, kind, file)."""
    from .generators.base import GenerationRequest, Generator
    from .generators.local_music import LocalMusicGenerator
    from .generators.local_narration import LocalNarrationGenerator
    from .generators.local_visual import LocalVisualGenerator

    generators: dict[str, Generator] = {
        "visual": LocalVisualGenerator(),
        "narration": LocalNarrationGenerator(),
        "music": LocalMusicGenerator(),
    }

    def ignore(_step: int, _total: int, _message: str) -> None:
        return None

    async def one(kind: str, index: int, asset: dict[str, Any]) -> tuple[dict[str, Any], str, Path]:
        out = work / f"{kind}-{index}"
        out.mkdir(parents=True)
        request = GenerationRequest(kind=kind, fields=dict(asset), out_dir=out, seed=1000 + index)
        result = await generators[kind].generate(request, ignore)
        asset.update((name, value) for name, value in result.fields.items() if name != "file")
        return asset, kind, Path(result.file)

    return await asyncio.gather(
        *(
            one(kind, index, asset)
            for kind, items in plan["assets"].items()
            for index, asset in enumerate(items)
        )
    )


def _place(
    made: list[tuple[dict[str, Any], str, Path]], data_dir: Path, placed: list[Path], folders: MadeFolders
) -> None:
    """Move the generated files under `media/` (renames within the data dir: no new space needed)."""
    for asset, kind, file in made:
        target = data_dir / "media" / kind / asset["id"] / f"demo{file.suffix}"
        folders.make(target.parent)
        shutil.move(str(file), target)
        placed.append(target)
        asset["file"] = target.relative_to(data_dir).as_posix()


def find_demo(store: Store) -> str | None:
    """The demo lecture's id, if a lecture with its title exists (the first, if copies were imported)."""
    matches = [lecture["id"] for lecture in store.list_lectures() if lecture["title"] == DEMO_TITLE]
    return matches[0] if matches else None


def ensure_demo(store: Store, data_dir: Path) -> str:
    """Create the demo lecture with its media unless it exists; return its id.

    All or nothing: when anything fails (a full disk, a generator), no lecture and no media are left, and
    the error is one readable line (`TuiEditorError`).
    """
    from .generators.base import GenerationError

    existing = find_demo(store)
    if existing is not None:
        return existing
    plan = _plan()
    placed: list[Path] = []
    folders = MadeFolders()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=data_dir, prefix=".demo-") as work:
            made = asyncio.run(_render(plan, Path(work)))
            _place(made, data_dir, placed, folders)
        return store.create_lecture(plan, source="import", keep_ids=True)
    except BaseException as exc:
        for path in placed:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        folders.remove_empty()
        if isinstance(exc, GenerationError):
            raise TuiEditorError(f"cannot create the demo lecture: {exc.message}") from None
        if isinstance(exc, OSError):
            reason = exc.strerror or str(exc)
            raise TuiEditorError(f"cannot create the demo lecture in {data_dir}: {reason}") from None
        raise
