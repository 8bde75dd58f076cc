"""Helpers shared by the local (offline) generator tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui_editor.generators.base import CancelToken, GenerationRequest


@dataclass
class ProgressLog:
    """A `ProgressFn` that records its calls and can cancel a token when a given step is reported."""

    cancel_at: int | None = None
    token: CancelToken = field(default_factory=CancelToken)
    calls: list[tuple[int, int, str]] = field(default_factory=list)

    def __call__(self, step: int, total: int, message: str) -> None:
        self.calls.append((step, total, message))
        if self.cancel_at is not None and step >= self.cancel_at:
            self.token.cancel()

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
