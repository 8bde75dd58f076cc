"""Lectures in and out: how long a whole lecture takes to build from a script, and a timeline to import.
Prints measurements; asserts nothing.

    .venv/bin/python benchmarks/lectures_bench.py [--segments N] [--limits 1,2,4]

(a) `build_from_script` on an N-segment script (two short sentences a segment, two music cues), every
    asset generated offline, once per concurrency limit: wall time, items, seconds of narration made.
(b) `import_tutopanda` of a 1,000-clip timeline without media (placeholders) and its export back.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tui_editor.config import load_settings  # noqa: E402
from tui_editor.core.script import LectureScript, Segment  # noqa: E402
from tui_editor.core.store import open_store  # noqa: E402
from tui_editor.core.tutopanda import snapshot_to_tutopanda  # noqa: E402
from tui_editor.lectures.from_script import BuildProgress, build_from_script  # noqa: E402
from tui_editor.lectures.tutopanda_import import import_tutopanda, read_tutopanda_file  # noqa: E402


def _settings(folder: Path) -> Any:
    config = folder / "config.toml"
    config.write_text("", encoding="utf-8")
    return load_settings(config, data_dir=folder / "data", environ={})


def bench_build(segments: int, limits: list[int]) -> None:
    script = LectureScript(
        "Bench",
        "",
        tuple(
            Segment(
                f"Part {i + 1}. Leaves turn light into sugar.",
                music="calm" if i < segments // 2 else "bright",
            )
            for i in range(segments)
        ),
    )
    for limit in limits:
        with tempfile.TemporaryDirectory() as folder:
            settings = _settings(Path(folder))
            store = open_store(settings.database_url)
            items: list[BuildProgress] = []
            started = time.perf_counter()
            lecture_id = build_from_script(store, settings, script, progress=items.append, limit=limit)
            elapsed = time.perf_counter() - started
            voice = store.load_snapshot(lecture_id).track("voice")
            spoken = sum(c.duration for c in voice)
            print(
                f"build {segments} segments, limit {limit}: {elapsed:.2f} s for {len(items)} items "
                f"({spoken:.1f} s of narration)"
            )
            store.close()


def bench_import(clips: int) -> None:
    tracks: dict[str, list[dict[str, Any]]] = {"visual": [], "voice": [], "music": []}
    kinds = {
        "visual": ("kenBurns", "imageAssetId"),
        "voice": ("voice", "narrationAssetId"),
        "music": ("music", "musicAssetId"),
    }
    for index in range(clips):
        track = ("visual", "voice", "music")[index % 3]
        kind, key = kinds[track]
        tracks[track].append(
            {
                "id": f"c{index}",
                "kind": kind,
                "name": f"Clip {index}",
                "startTime": index * 2.0,
                "duration": 2.0,
                key: f"a{index}",
                "volume": 0.5,
            }
        )
    with tempfile.TemporaryDirectory() as folder:
        settings = _settings(Path(folder))
        path = Path(folder) / "timeline.json"
        path.write_text(json.dumps({"name": "Bench", "tracks": tracks}), encoding="utf-8")
        store = open_store(settings.database_url)
        started = time.perf_counter()
        result = import_tutopanda(store, settings, read_tutopanda_file(path))
        imported = time.perf_counter() - started
        started = time.perf_counter()
        json.dumps(snapshot_to_tutopanda(store.load_snapshot(result.lecture_id)))
        exported = time.perf_counter() - started
        print(f"import {clips} clips (placeholders): {imported:.2f} s; export back: {exported:.2f} s")
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=12)
    parser.add_argument("--limits", default="1,2,4")
    parser.add_argument("--clips", type=int, default=1000)
    args = parser.parse_args()
    bench_build(args.segments, [int(x) for x in args.limits.split(",")])
    bench_import(args.clips)


if __name__ == "__main__":
    main()
