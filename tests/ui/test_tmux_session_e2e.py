"""End to end in tmux: a five-clip review session from the keyboard only (issue 9, "done when").

Previews for five clips come from the command line; the editor opens, `r` starts the session, five keys
decide all five (`[1/5]` … `[5/5]`), `u` undoes the last one, `escape` ends with the summary; then
`takes --json` finds the rejected takes with their files intact. Every wait polls the screen against a
deadline.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.ui.test_tmux_e2e import REPO, Tmux, command_line, tmux  # noqa: F401 - the fixture

CLIPS = [
    "Intro visual",
    "Ingredients visual",
    "Chloroplasts visual",
    "Light reactions visual",
    "Calvin cycle visual",
]
KEYS = ["a", "x", "a", "x", "x"]


def cli(data: Path, config: Path, *args: str) -> str:
    result = subprocess.run(
        [*command_line(), "--config", str(config), "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_five_clip_review_session_in_tmux(tmux: Tmux, tmp_path: Path) -> None:  # noqa: F811
    config = tmp_path / "config.toml"
    config.write_text('[user]\nname = "e2e reviewer"\n', encoding="utf-8")
    data = tmp_path / "data"
    cli(data, config, "demo")
    runs = {}
    for index, name in enumerate(CLIPS):
        run = json.loads(
            cli(data, config, "regenerate", "Photosynthesis", name, "--prompt", f"take {index}", "--json")
        )
        assert run["status"] == "preview_ready"
        runs[name] = run

    argv = " ".join([*command_line(), "--config", str(config), "--data-dir", str(data)])
    environment = "TUI_EDITOR__UI__AUDIO_PLAYER=none TERM=xterm-256color"
    tmux.start(
        f"cd {REPO} && env -u COLUMNS -u LINES {environment} {argv}; echo TUI-EDITOR-EXITED $?; sleep 600"
    )
    tmux.wait_state(["Intro visual", "5 to review"], ["Loading…", "Opening the lecture"], 90)

    tmux.keys("r")
    tmux.wait_state(["[1/5] Review session", "Intro visual  ·  Visual"], [])
    for number, (name, key) in enumerate(zip(CLIPS, KEYS, strict=True), start=1):
        tmux.wait_state([f"[{number}/5] Review session", f"{name}  ·  Visual"], [])
        tmux.keys(key)
    tmux.wait_state(["All 5 previews reviewed"], [], 30)

    tmux.keys("u")
    tmux.wait_state(
        ["[5/5] Review session", "Calvin cycle visual  ·  Visual", "Undid reject"], ["saving"], 30
    )
    tmux.keys("Escape")
    # the summary (a notification; it may wrap) and the lecture screen with one preview left to review
    tmux.wait_state(["Review session: 2 accepted", "2 rejected", "skipped", "rev 3", "1 to review"], [], 15)
    tmux.keys("q")
    tmux.wait_text("TUI-EDITOR-EXITED 0", timeout=20)

    expected = {
        "Intro visual": "current",
        "Ingredients visual": "rejected",
        "Chloroplasts visual": "current",
        "Light reactions visual": "rejected",
        "Calvin cycle visual": "pending",
    }
    for name, status in expected.items():
        stack = json.loads(cli(data, config, "takes", "Photosynthesis", name, "--json"))
        assert [(t["id"], t["status"]) for t in stack] == [(runs[name]["id"], status)]
        take = stack[0]
        assert (data / take["file"]).is_file(), take
        if status != "pending":
            assert take["decided_by"] == "e2e reviewer" and take["decided_at"]
        if status == "rejected":
            assert take["file"].startswith("takes/") and take["prompt"].startswith("take ")
