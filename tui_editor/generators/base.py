"""The contract every media generator fulfils, local or remote.

A generator turns a `GenerationRequest` into a media file inside the run's own preview folder and
returns the asset fields describing it. It reports progress through `progress(step, total, message)`,
checks `cancel.raise_if_cancelled()` between steps, and raises `GenerationError` with a readable message
on failure (never a bare exception from a library: the engine shows `str(error)` to the user).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

ProgressFn = Callable[[int, int, str], None]


class GenerationError(Exception):
    """A generation failed; `str(error)` is shown to the user, `retryable` says whether to offer retry."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class GenerationCancelled(Exception):
    """Raised by `CancelToken.raise_if_cancelled` once the run was cancelled."""


class CancelToken:
    """Thread-safe cancellation flag shared by the engine and a running generator."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise GenerationCancelled()


@dataclass(frozen=True)
class GenerationRequest:
    kind: str
    """"visual" | "narration" | "music"."""
    fields: Mapping[str, Any]
    """The asset fields asked for: the current asset's values overlaid with the user's draft
    (visual: prompt, model, aspect_ratio, width, height; narration: script, model, voice, emotion,
    language; music: prompt, model, duration_s, bpm, key)."""
    out_dir: Path
    """The run's own preview folder. Write files only here; it exists when `generate` is called."""
    seed: int = 0
    """Makes local generation deterministic: same request + seed → same bytes."""
    clip_duration: float = 0.0
    """Seconds the clip lasts on the timeline (music defaults its duration to this)."""
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GenerationResult:
    file: Path
    """Absolute path of the produced media file, inside `request.out_dir`."""
    fields: Mapping[str, Any]
    """The asset's fields as they will be saved (all of the kind's fields except `file`), including
    the model actually used and measured values such as width/height or duration_s."""


class Generator(Protocol):
    """Produces one kind of media. Implementations must be safe to call from any thread."""

    async def generate(
        self, request: GenerationRequest, progress: ProgressFn, cancel: CancelToken
    ) -> GenerationResult: ...


class GuardedGenerator:
    """Base for a generator whose unexpected failures must still reach the user as `GenerationError`.

    `generate` checks the cancel token, runs the subclass's `_generate`, and turns any exception other
    than `GenerationError` / `GenerationCancelled` into a retryable `GenerationError` saying
    "<failure>: <exception>" (a library's bare exception must never reach the engine).
    """

    failure: ClassVar[str] = "Generation failed"
    """What failed, in the user's words ("Local narration failed")."""

    async def generate(
        self, request: GenerationRequest, progress: ProgressFn, cancel: CancelToken
    ) -> GenerationResult:
        cancel.raise_if_cancelled()
        try:
            return await self._generate(request, progress, cancel)
        except (GenerationError, GenerationCancelled):
            raise
        except Exception as exc:
            raise GenerationError(f"{self.failure}: {exc}", retryable=True) from exc

    async def _generate(
        self, request: GenerationRequest, progress: ProgressFn, cancel: CancelToken
    ) -> GenerationResult:
        raise NotImplementedError


def text_field(fields: Mapping[str, Any], name: str) -> str:
    """A request field as stripped text; "" when it is missing or not a string."""
    value = fields.get(name)
    return value.strip() if isinstance(value, str) else ""
