"""Opening the editor from the command line: refused without a terminal, and a LECTURE that does not
exist is one error line before anything is drawn (the editor itself is tested in tests/ui)."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest

from tests.cli.support import TUI, Cli, one_error_line


def run_in_a_pty(cli: Cli, *args: str, until: bytes | None = None) -> tuple[int, bytes]:
    """Run on a pseudo-terminal (stdin, stdout and stderr, where Textual draws); the exit code and
    everything the terminal received. With `until`, the program is ended once the terminal shows it."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    process = subprocess.Popen(
        [str(TUI), *args], stdin=slave, stdout=slave, stderr=slave, env=cli.env, cwd=cli.home
    )
    os.close(slave)
    screen = bytearray()
    deadline = time.monotonic() + 120
    try:
        # Read until the child's side of the terminal is closed (EIO): everything it wrote is in.
        while time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                screen += chunk
                if not chunk or (until is not None and until in screen):
                    break
    finally:
        if process.poll() is None:
            process.kill()
        code = process.wait()
        os.close(master)
    return code, bytes(screen)


@pytest.mark.parametrize("args", [[], ["Photosynthesis"]], ids=["no lecture", "a lecture"])
def test_the_editor_needs_a_terminal(cli: Cli, demo_dir: Path, args: list[str]) -> None:
    result = cli(*args, data_dir=demo_dir)  # stdin and stdout are pipes here
    line = one_error_line(result, 2)
    assert "needs a terminal" in line and "tui-editor lectures" in line
    assert result.stdout == ""


def test_stdout_alone_not_being_a_terminal_is_refused_too(cli: Cli, demo_dir: Path) -> None:
    master, slave = os.openpty()
    try:
        result = subprocess.run(
            [str(TUI), "--data-dir", str(demo_dir)],
            stdin=slave,
            capture_output=True,
            text=True,
            env=cli.env,
            timeout=60,
            check=False,
        )
    finally:
        os.close(slave)
        os.close(master)
    assert "needs a terminal" in one_error_line(result, 2)


def test_a_lecture_that_does_not_exist_is_one_line_before_any_screen(cli: Cli, demo_dir: Path) -> None:
    code, screen = run_in_a_pty(cli, "--data-dir", str(demo_dir), "NOSUCH")
    line = one_error_line(subprocess.CompletedProcess([], code, "", screen.decode()), 1)
    assert "NOSUCH" in line and "no lecture" in line
    assert "nor is it a command" in line and "lectures" in line  # it may have been a mistyped command
    assert b"\x1b" not in screen, screen[:200]  # Textual never started: no escape sequence was written


def test_a_lecture_that_exists_opens_the_editor_on_it(cli: Cli, demo_dir: Path) -> None:
    # The skeleton (track headers) comes first; the title only once the lecture is loaded.
    _code, screen = run_in_a_pty(cli, "--data-dir", str(demo_dir), "Photosynthesis", until=b"Photosynthesis")
    assert b"Photosynthesis" in screen and b"VISUAL" in screen
