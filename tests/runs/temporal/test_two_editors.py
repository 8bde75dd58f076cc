"""Two editors, one worker, in tmux: editor A starts a run, editor B sees its preview arrive, accepts it
in a review session, and A's timeline shows the new revision without a key press. The real `tui-editor`
command on PostgreSQL and the session's Temporal dev server; the worker runs on a thread of this test."""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.runs.temporal.conftest import Team
from tests.ui.test_tmux_e2e import REPO, Tmux, command_line


@pytest.fixture
def editors(tmp_path: Path) -> Iterator[tuple[Tmux, Tmux]]:
    pair = (
        Tmux(f"tui-editor-team-a-{os.getpid()}-{tmp_path.name}"),
        Tmux(f"tui-editor-team-b-{os.getpid()}-{tmp_path.name}"),
    )
    try:
        yield pair
    finally:
        for editor in pair:
            editor.kill()


def open_editor(tmux: Tmux, team: Team, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    values = {
        "TUI_EDITOR_CONFIG": str(config),
        "TUI_EDITOR_DB": team.db,
        "TUI_EDITOR_DATA_DIR": str(team.data_dir),
        "TUI_EDITOR__UI__AUDIO_PLAYER": "none",
        "TERM": "xterm-256color",
    } | {f"TUI_EDITOR__{k.upper()}": str(v) for k, v in team.setting_values().items()}
    environment = " ".join(f"{k}={shlex.quote(v)}" for k, v in values.items())
    argv = " ".join(shlex.quote(part) for part in [*command_line(), team.lecture_id])
    tmux.start(f"cd {REPO} && env -u COLUMNS -u LINES {environment} {argv}; echo EXITED $?; sleep 600")


def row(screen: str, name: str) -> str:
    return next((line for line in screen.splitlines() if name in line), "")


def test_editor_b_accepts_the_run_editor_a_started_and_a_sees_it_live(
    make_team: Any, editors: tuple[Tmux, Tmux], tmp_path: Path
) -> None:
    team = make_team()
    team.worker()
    a, b = editors
    open_editor(a, team, tmp_path)
    open_editor(b, team, tmp_path)
    for editor in (a, b):
        editor.wait_state(["Test lecture", "Visual 0", "rev 1"], ["Loading…"], 90)

    # A opens the first visual clip, changes its prompt and generates.
    a.keys("Enter")
    a.wait_state(["Visual · Visual 0", "Prompt"], [])
    a.keys("End")
    a.type(" under a red sky")
    a.wait_text("modified")
    a.keys("C-g")

    # B, untouched, sees the run's preview arrive on its timeline.
    screen = b.wait_for(lambda s: "preview ready" in row(s, "Visual 0"), 60, "B's row to show the preview")
    assert "1 to review" in screen
    a.wait_text("Preview ready", 30)
    a.keys("Escape")  # A goes back to its timeline and waits there
    a.wait_for(lambda s: "preview ready" in row(s, "Visual 0"), 20, "A's row to show the preview")

    # B reviews and accepts in a review session: one key for the decision.
    b.keys("r")
    b.wait_state(["[1/1] Review session", "under a red sky"], [])
    b.keys("a")
    b.wait_text("Accepted", 30)

    # A's timeline shows the committed prompt and revision 2 without a key press.
    screen = a.wait_for(
        lambda s: "rev 2" in s and "under a red sky" in row(s, "Visual 0") and "idle" in row(s, "Visual 0"),
        30,
        "A's timeline to show the accepted visual at revision 2",
    )
    assert "to review" not in screen
