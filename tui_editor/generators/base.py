"""The contract every media generator fulfils, local or remote.

A generator turns a `GenerationRequest` into a media file inside the run's own preview folder and
returns the asset fields describing it. It reports progress through `progress(step, total, message)` and
raises `GenerationError` with a readable message on failure (never a bare exception from a library: the
engine shows `str(error)` to the user).

Cancelling a run cancels the asyncio task running `generate`: `asyncio.CancelledError` arrives at the
generator's next `await`. Blocking work goes through `run_blocking` in short steps (a thread cannot be
interrupted, so a cancel takes effect when the current step ends), and a child process is killed when
the await on it is cancelled. Nothing polls a flag.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

ProgressFn = Callable[[int, int, str], None]
T = TypeVar("T")


class GenerationError(Exception):
    """A generation failed; `str(error)` is shown to the user, `retryable` says whether to offer retry."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


async def run_blocking(work: Callable[..., T], *args: Any) -> T:
    """Run one blocking step of a generation in a worker thread and return its result.

    A cancel that arrives while the step runs is re-raised only once the step has finished: the thread
    cannot be stopped, and a step still writing into the run's folder after the engine cleared it would
    leave files behind. Keep steps short (each is a natural boundary where a cancel takes effect).
    """
    await asyncio.sleep(0)  # a cancel that is already pending stops us before the work starts
    step = asyncio.ensure_future(asyncio.to_thread(work, *args))
    try:
        return await asyncio.shield(step)
    except asyncio.CancelledError:
        while not step.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait({step})
        if not step.cancelled():
            step.exception()  # retrieved: the cancel wins over whatever the step ended with
        raise


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
    """Makes local generation deterministic: same request + seed → same bytes (the visual's layout and
    colours, the music's melody and voicing follow it; Piper's neural voice is not reproducible). HTTP
    providers send it where the model's API takes one (`ModelChoice.seed_input`: Replicate's `seed`);
    OpenAI's image and speech endpoints have none."""
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

    async def generate(self, request: GenerationRequest, progress: ProgressFn) -> GenerationResult: ...


class GuardedGenerator:
    """Base for a generator whose unexpected failures must still reach the user as `GenerationError`.

    `generate` runs the subclass's `_generate` and turns any exception other than `GenerationError` into
    a retryable `GenerationError` saying "<failure>: <exception>" (a library's bare exception must never
    reach the engine). Cancellation (`asyncio.CancelledError`) passes through untouched.
    """

    failure: ClassVar[str] = "Generation failed"
    """What failed, in the user's words ("Local narration failed")."""

    async def generate(self, request: GenerationRequest, progress: ProgressFn) -> GenerationResult:
        try:
            return await self._generate(request, progress)
        except GenerationError:
            raise
        except Exception as exc:
            raise GenerationError(f"{self.failure}: {exc}", retryable=True) from exc

    async def _generate(self, request: GenerationRequest, progress: ProgressFn) -> GenerationResult:
        raise NotImplementedError


def text_field(fields: Mapping[str, Any], name: str) -> str:
    """A request field as stripped text; "" when it is missing or not a string."""
    value = fields.get(name)
    return value.strip() if isinstance(value, str) else ""
