"""End to end: the real `tui-editor` command in tmux, driven by send-keys and read by capture-pane.

What a new user does with only the README: open the demo, move to a narration clip, open it, change
the script, generate, review, accept, go back and see the new duration on the timeline.
Every wait polls the screen against a deadline; nothing sleeps a fixed time hoping for the best. A
check that reads several things from the screen waits until all of them are there and the state they
replace is gone, all in one capture (a capture can fall between two frames).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    """One private tmux server (its own socket) running one command in a 100×30 window."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20, check=False
        )
        return result.stdout

    def start(self, command: str, *, width: int = 100, height: int = 30) -> None:
        self.run("new-session", "-d", "-s", "e2e", "-x", str(width), "-y", str(height), command)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "e2e", *keys)

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", "e2e", "-l", text)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "e2e")

    def wait_for(self, predicate: Callable[[str], object], timeout: float, what: str) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if predicate(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; the screen:\n{screen}")
            time.sleep(0.1)

    def wait_text(self, text: str, timeout: float = 20) -> str:
        return self.wait_for(lambda screen: text in screen, timeout, repr(text))

    def wait_state(self, shown: list[str], gone: list[str], timeout: float = 20) -> str:
        """Wait for one capture with every text of `shown` and none of `gone`."""
        return self.wait_for(
            lambda screen: all(t in screen for t in shown) and not any(t in screen for t in gone),
            timeout,
            f"{shown} shown and {gone} gone",
        )

    def kill(self) -> None:
        self.run("kill-server")


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    session = Tmux(f"tui-editor-e2e-{os.getpid()}-{tmp_path.name}")
    try:
        yield session
    finally:
        session.kill()


def command_line() -> list[str]:
    script = Path(sys.executable).parent / "tui-editor"
    return [str(script)] if script.exists() else [sys.executable, "-m", "tui_editor"]


def duration_on_row(screen: str, clip_name: str) -> str | None:
    """The narration duration (`[5.1s · en-us]`) on the timeline row of `clip_name`, if shown."""
    for line in screen.splitlines():
        if clip_name in line and ("idle" in line or "preview" in line or "generating" in line):
            match = re.search(r"\[(\d+\.\d)s · ", line)
            if match:
                return match.group(1)
    return None


def test_regenerate_a_narration_in_tmux(tmux: Tmux, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    data = tmp_path / "data"
    argv = " ".join([*command_line(), "--data-dir", str(data)])
    environment = f"TUI_EDITOR_CONFIG={config} TUI_EDITOR__UI__AUDIO_PLAYER=none TERM=xterm-256color"
    # COLUMNS/LINES may be inherited stale from the environment: the terminal's real size must win.
    tmux.start(
        f"cd {REPO} && env -u COLUMNS -u LINES {environment} {argv}; echo TUI-EDITOR-EXITED $?; sleep 600"
    )

    # The demo is created on the empty database and opened.
    screen = tmux.wait_state(
        ["Intro narration", "Photosynthesis"],
        ["Creating the demo lecture", "Loading…", "Opening the lecture"],
        90,
    )
    before = duration_on_row(screen, "Intro narration")
    assert before is not None, screen

    # Move to the first narration clip: six visual clips, then the VOICE header is skipped.
    tmux.keys("j", "j", "j", "j", "j", "j")
    tmux.wait_for(lambda s: "▶ Intro narration" in s, 10, "the cursor on Intro narration")
    tmux.keys("Enter")
    tmux.wait_state(["Narration · Intro narration", "Generate Narration"], [])

    # Lengthen the script (the focused field), generate, and wait for the preview.
    tmux.keys("End")
    tmux.type(" Plants also take minerals from the soil, and they store the sugar they make as starch.")
    tmux.wait_text("modified")
    tmux.keys("C-g")
    tmux.wait_text("Preview ready", timeout=60)

    # Review and accept.
    tmux.keys("C-o")
    tmux.wait_state(["Accept & Replace Narration"], ["Saving decision"])
    tmux.keys("a")
    # The review's own closing toast, not the absence of its button: a capture can fall in the middle of
    # a frame that redraws the button row (disabled while saving), and escape then would close the review.
    tmux.wait_state(
        ["Narration replaced — lecture revision 2", "✓ Accepted"], ["Accept & Replace Narration"], 30
    )

    # Back on the lecture screen, the row shows the new narration's duration.
    tmux.keys("Escape")
    screen = tmux.wait_for(
        lambda s: (
            "▶ Intro narration" in s
            and "VOICE" in s
            and "rev 2" in s
            and duration_on_row(s, "Intro narration") not in (None, before)
        ),
        15,
        "the lecture screen at rev 2 with the new duration",
    )
    after = duration_on_row(screen, "Intro narration")
    assert after is not None and float(after) > float(before)

    # Quit cleanly.
    tmux.keys("q")
    tmux.wait_text("TUI-EDITOR-EXITED 0", timeout=20)
