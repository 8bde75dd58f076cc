"""Helpers shared by the generator tests: progress logs, requests, cancelling a generation's task."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tui_editor.generators.base import GenerationRequest, GenerationResult


@dataclass
class ProgressLog:
    """A `ProgressFn` that records its calls and can cancel the generation's task at a given step."""

    cancel_at: int | None = None
    calls: list[tuple[int, int, str]] = field(default_factory=list)
    cancelled_at: float | None = None
    """`time.monotonic()` when it cancelled the task."""

    def __call__(self, step: int, total: int, message: str) -> None:
        self.calls.append((step, total, message))
        if self.cancel_at is not None and step >= self.cancel_at and self.cancelled_at is None:
            task = asyncio.current_task()
            assert task is not None, "progress reported outside the generation's task"
            self.cancelled_at = time.monotonic()
            task.cancel()

    @property
    def steps(self) -> list[int]:
        return [step for step, _, _ in self.calls]

    def assert_complete(self) -> None:
        """Steps strictly increase from 0 to a constant total, every message is text."""
        assert self.calls, "no progress reported"
        totals = {total for _, total, _ in self.calls}
        assert len(totals) == 1, f"total changed: {totals}"
        (total,) = totals
        assert total >= 1
        assert self.steps[0] == 0
        assert self.steps[-1] == total
        assert all(b > a for a, b in zip(self.steps, self.steps[1:], strict=False)), self.steps
        assert all(isinstance(message, str) and message for _, _, message in self.calls)


def request(kind: str, out_dir: Path, *, seed: int = 0, clip_duration: float = 0.0, extra: Any = None,
            **fields: Any) -> GenerationRequest:  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    return GenerationRequest(
        kind=kind, fields=fields, out_dir=out_dir, seed=seed, clip_duration=clip_duration, extra=extra or {}
    )


def files(folder: Path) -> list[str]:
    """Every entry of a folder, hidden temporary files included."""
    return sorted(p.name for p in folder.iterdir())


async def run_until_cancelled(generation: Coroutine[Any, Any, GenerationResult]) -> None:
    """Run a generation in a task of its own and expect it to end cancelled (by `ProgressLog.cancel_at`)."""
    task = asyncio.ensure_future(generation)
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()


async def cancel_when(
    ready: Callable[[], object], work: Coroutine[Any, Any, Any], *, within: float = 10
) -> float:
    """Run `work` in a task of its own, cancel it as soon as `ready()` is true (checked every 10 ms, for at
    most `within` seconds), expect it to end cancelled; returns the seconds it took to stop once cancelled.

    A condition, not a fixed delay: on a loaded machine the work may not have got that far after 0.1 s."""
    task = asyncio.ensure_future(work)
    deadline = time.monotonic() + within
    while not ready():
        if task.done():
            task.result()  # its error, if it failed
            raise AssertionError("the work ended before it was cancelled")
        assert time.monotonic() < deadline, f"not ready to cancel within {within} s"
        await asyncio.sleep(0.01)
    cancelled_at = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return time.monotonic() - cancelled_at
