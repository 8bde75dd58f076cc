"""The log file: one rotated file that every module's `logging.getLogger(__name__)` writes to.

`setup_logging` is called once by the command line before a command or the editor runs. Without it,
Python prints warnings on stderr, where they would vanish under (or garble) the editor's screen.
API keys never reach the file: every line is scrubbed of the values of the providers' key variables,
raw and in every escaped form a message might carry them (repr, JSON, bytes repr, URL-quoted).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from collections.abc import Iterable, Mapping
from dataclasses import fields
from pathlib import Path

from .config import Settings
from .core.redaction import REDACTED, redact, secret_forms
from .core.safe_text import visible

__all__ = ["REDACTED", "RedactingFormatter", "api_key_values", "redact", "secret_forms", "setup_logging"]

MAX_BYTES = 2 * 1024 * 1024
BACKUP_COUNT = 3
FORMAT = "%(asctime)s %(levelname)s [%(process)d %(threadName)s] %(name)s: %(message)s"

_installed: list[logging.Handler] = []
deferred_warnings: list[str] = []
"""Lines for stderr that cannot go to the log (it cannot be written). The command line prints them
after a command succeeds, so a failure is still exactly one line on stderr."""


def api_key_values(settings: Settings, environ: Mapping[str, str] | None = None) -> list[str]:
    """The API keys in the environment variables the providers name (those that are set)."""
    env = os.environ if environ is None else environ
    values = []
    for spec in fields(settings.providers):
        variable = getattr(settings.providers, spec.name).api_key_env
        value = env.get(variable, "") if variable else ""
        if value.strip():
            values.append(value)
    return values


class RedactingFormatter(logging.Formatter):
    """A formatter whose output (message, arguments and traceback alike) never holds a secret, nor a raw
    control character."""

    def __init__(self, secrets: Iterable[str], fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self.forms = secret_forms(secrets)

    def format(self, record: logging.LogRecord) -> str:
        # Control characters from data (names, provider replies) are made visible too: people read
        # log files on a terminal (`tail -f`).
        return visible(redact(super().format(record), self.forms), keep_newlines=True)


def setup_logging(
    settings: Settings, *, interactive: bool, environ: Mapping[str, str] | None = None
) -> Path | None:
    """Send every log record at `[log] level` and above to the rotated log file; return its path.

    A log file that cannot be opened is not fatal: logging is turned off (never onto the terminal),
    with one warning line on stderr unless `interactive` (the editor owns the terminal) — then None.
    Calling it again replaces the handler it installed before.
    """
    root = logging.getLogger()
    for previous in _installed:
        root.removeHandler(previous)
        previous.close()
    _installed.clear()
    logging.raiseExceptions = False  # a failing write (disk full) must not print a traceback under the TUI
    level = logging.getLevelNamesMapping()[settings.log.level.upper()]
    path = settings.log_path
    handler: logging.Handler
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8"
        )
    except OSError as exc:
        handler = logging.NullHandler()
        if not interactive:
            reason = exc.strerror or type(exc).__name__
            deferred_warnings.append(f"warning: cannot write the log file {path}: {reason}; not logging")
        path_in_use: Path | None = None
    else:
        handler.setFormatter(RedactingFormatter(api_key_values(settings, environ)))
        path_in_use = path
    handler.setLevel(level)
    root.addHandler(handler)
    root.setLevel(level)
    _installed.append(handler)
    logging.captureWarnings(True)  # Python warnings too go to the file, not onto the screen
    return path_in_use
