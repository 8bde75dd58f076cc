"""A real worker process whose generator stops halfway until the test lets it go (or kills it).

`python worker_child.py GATE_DIR` runs a team worker (settings from the environment) whose generator
reports progress, prints `{"event": "generating", "run_id": ...}` and then waits for GATE_DIR/release.
Prints `{"event": "ready"}` once the worker polls its task queue.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from tui_editor.config import load_settings
from tui_editor.generators.base import GenerationRequest, GenerationResult, ProgressFn
from tui_editor.runs.temporal.worker import serve


def say(event: str, **data: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, **data}) + "\n")
    sys.stdout.flush()


class GateGenerator:
    def __init__(self, gate: Path) -> None:
        self.gate = gate

    async def generate(self, request: GenerationRequest, progress: ProgressFn) -> GenerationResult:
        from PIL import Image

        progress(1, 3, "Halfway there")
        say("generating", run_id=request.out_dir.name)
        while not (self.gate / "release").exists():
            await asyncio.sleep(0.02)
        target = request.out_dir / "visual.png"
        Image.new("RGB", (32, 32), (10, 200, 40)).save(target)
        progress(3, 3, "Saved")
        return GenerationResult(
            file=target,
            fields={
                "prompt": request.fields["prompt"],
                "model": request.fields["model"],
                "aspect_ratio": "1:1",
                "width": 32,
                "height": 32,
            },
        )


def main() -> None:
    gate = Path(sys.argv[1])
    settings = load_settings()
    generator = GateGenerator(gate)
    asyncio.run(
        serve(
            settings,
            concurrency=2,
            on_ready=lambda: say("ready"),
            generator_factory=lambda kind, provider, settings: generator,
        )
    )


if __name__ == "__main__":
    main()
    os._exit(0)
