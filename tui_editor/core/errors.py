"""Errors the core raises on purpose; each carries the command-line exit code it maps to."""

from __future__ import annotations


class TuiEditorError(Exception):
    """An expected failure with a message fit for the user (no traceback)."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(TuiEditorError):
    """A lecture, clip, run or revision does not exist."""


class ConflictError(TuiEditorError):
    """The change was based on a revision that someone else has since moved past; nothing was written."""


class DecisionError(TuiEditorError):
    """Accept/reject/cancel on a run that is not in a state that allows it."""


class BadInputError(TuiEditorError):
    """Malformed input from the user: a file, an argument, a field value."""

    exit_code = 2


class StoreError(TuiEditorError):
    """The database cannot be reached or used."""
