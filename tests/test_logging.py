"""The log file: records from our modules land there at the configured level, never an API key,
and never on the terminal while the editor runs."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_editor.config import load_settings
from tui_editor.logs import BACKUP_COUNT, MAX_BYTES, secret_forms, setup_logging

KEY = "sk-'lo\"g\\key ü€\t%2F+&=#/"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    logging.captureWarnings(False)


def _log_settings(tmp_path: Path, level: str) -> tuple[Path, dict[str, str]]:
    log = tmp_path / "logs" / "te.log"
    env = {"TUI_EDITOR__LOG__FILE": str(log), "TUI_EDITOR__LOG__LEVEL": level}
    return log, env


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize(("level", "debug_kept"), [("warning", False), ("debug", True)])
def test_records_of_our_modules_land_in_the_file_at_the_configured_level(
    tmp_path: Path, level: str, debug_kept: bool
) -> None:
    log, env = _log_settings(tmp_path, level)
    assert setup_logging(load_settings(environ=env), interactive=True) == log
    logging.getLogger("tui_editor.runs.hub").warning("event tail: the database went away")
    logging.getLogger("tui_editor.runs.local").debug("a detail for debugging")
    logging.getLogger("tui_editor.generators.http_client").info("retrying in 1 s")
    text = log.read_text(encoding="utf-8")
    assert "WARNING" in text and "tui_editor.runs.hub: event tail: the database went away" in text
    assert ("a detail for debugging" in text) is debug_kept
    assert ("retrying in 1 s" in text) is debug_kept


@pytest.mark.usefixtures("restore_logging")
def test_the_file_is_rotated(tmp_path: Path) -> None:
    log, env = _log_settings(tmp_path, "info")
    setup_logging(load_settings(environ=env), interactive=True)
    line = "x" * 1000
    for _ in range((MAX_BYTES // 1000) * (BACKUP_COUNT + 2)):
        logging.getLogger("tui_editor.runs.local").info(line)
    names = sorted(p.name for p in log.parent.iterdir())
    assert names == ["te.log", *(f"te.log.{n}" for n in range(1, BACKUP_COUNT + 1))]
    assert all(p.stat().st_size <= MAX_BYTES for p in log.parent.iterdir())


@pytest.mark.usefixtures("restore_logging")
def test_an_api_key_never_reaches_the_file_in_any_form(tmp_path: Path) -> None:
    log, env = _log_settings(tmp_path, "debug")
    env |= {
        "OPENAI_API_KEY": KEY,
        "MY_REPLICATE": KEY[::-1],
        "TUI_EDITOR__PROVIDERS__REPLICATE__API_KEY_ENV": "MY_REPLICATE",
    }
    setup_logging(load_settings(environ=env), interactive=True, environ=env)
    logger = logging.getLogger("tui_editor.generators.http_client")
    for key in (KEY, KEY[::-1]):
        logger.warning("raw %s repr %r json %s", key, key, json.dumps(key))
        logger.warning("ascii json %s bytes %r", json.dumps(key, ensure_ascii=True), key.encode())
        logger.warning("headers %s", {"Authorization": f"Bearer {key}"})
        try:
            raise RuntimeError(f"request failed for {key!r}")
        except RuntimeError:
            logger.exception("with a traceback")
    text = log.read_text(encoding="utf-8")
    assert text.count("[redacted]") >= 14
    for key in (KEY, KEY[::-1]):
        for form in {repr(key), json.dumps(key), *secret_forms([key])}:
            assert form not in text, form
    assert "Traceback" in text and "RuntimeError" in text  # the rest of the record is kept


def _run(argv: list[str], tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("TUI_EDITOR")} | env
    full |= {"XDG_CONFIG_HOME": str(tmp_path / "xdg-config"), "XDG_STATE_HOME": str(tmp_path / "state")}
    return subprocess.run(
        argv, capture_output=True, text=True, env=full, cwd=tmp_path, timeout=120, check=False
    )


def _script(code: str, tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-c", textwrap.dedent(code)], tmp_path, env)


def test_the_command_line_sends_a_hub_warning_to_the_file_not_the_terminal(tmp_path: Path) -> None:
    """Through `cli.main` (which sets logging up), then a real malformed event in the real hub."""
    code = f"""
        from tui_editor.cli import main
        from tui_editor.config import load_settings
        from tui_editor.runs.runtime import open_runtime

        assert main(["--data-dir", "{tmp_path / "data"}", "--log-level", "warning", "lectures"]) == 0
        runtime = open_runtime(load_settings(data_dir="{tmp_path / "data"}"), background=False)
        runtime.hub.deliver_raw({{"id": {KEY!r}, "type": "nonsense"}})
        runtime.close()
    """
    result = _script(code, tmp_path, {"OPENAI_API_KEY": KEY})
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    log = tmp_path / "state" / "tui-editor" / "log" / "tui-editor.log"
    text = log.read_text(encoding="utf-8")
    assert "WARNING" in text and "tui_editor.runs.hub: dropped malformed event [redacted]" in text
    assert KEY not in text


def test_a_log_file_that_cannot_be_written_is_one_warning_for_commands(tmp_path: Path) -> None:
    env = {"TUI_EDITOR__LOG__FILE": "/proc/no-such-dir/te.log"}
    tui = str(Path(sys.executable).parent / "tui-editor")
    result = _run([tui, "--data-dir", "d", "lectures", "--json"], tmp_path, env)
    assert result.returncode == 0 and json.loads(result.stdout) == []
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot write the log file /proc/no-such-dir/te.log" in lines[0], result.stderr


def test_in_the_editor_an_unwritable_log_is_silent_and_nothing_reaches_stderr(tmp_path: Path) -> None:
    code = """
        import logging, warnings
        from tui_editor.config import load_settings
        from tui_editor.logs import setup_logging

        assert setup_logging(load_settings(), interactive=True) is None
        logging.getLogger("tui_editor.runs.hub").error("would garble the screen")
        warnings.warn("so would this")
    """
    result = _script(code, tmp_path, {"TUI_EDITOR__LOG__FILE": "/proc/no-such-dir/te.log"})
    assert result.returncode == 0 and result.stderr == "", result.stderr
