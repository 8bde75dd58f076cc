"""What every generator shares (`base.py`): the failure guard of the local generators, field helpers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tui_editor.generators import local_visual
from tui_editor.generators.base import (
    GenerationError,
    GenerationRequest,
    GenerationResult,
    GuardedGenerator,
    ProgressFn,
    text_field,
)
from tui_editor.generators.local_music import LocalMusicGenerator
from tui_editor.generators.local_narration import LocalNarrationGenerator
from tui_editor.generators.local_visual import LocalVisualGenerator

from .local_support import ProgressLog, files, request


class _Scripted(GuardedGenerator):
    failure = "Local thing failed"

    def __init__(self, error: BaseException | None) -> None:
        self.error = error
        self.calls = 0

    async def _generate(self, request: GenerationRequest, progress: ProgressFn) -> GenerationResult:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return GenerationResult(file=request.out_dir / "x", fields={})


async def test_library_errors_become_retryable_generation_errors(tmp_path: Path) -> None:
    generator = _Scripted(RuntimeError("kaput"))
    with pytest.raises(GenerationError) as caught:
        await generator.generate(request("visual", tmp_path), ProgressLog())
    assert caught.value.message == "Local thing failed: kaput"
    assert caught.value.retryable is True
    assert isinstance(caught.value.__cause__, RuntimeError)


@pytest.mark.parametrize("error", [GenerationError("bad prompt", retryable=False), asyncio.CancelledError()])
async def test_generation_errors_and_cancellation_pass_through(tmp_path: Path, error: BaseException) -> None:
    with pytest.raises(type(error)) as caught:
        await _Scripted(error).generate(request("visual", tmp_path), ProgressLog())
    assert caught.value is error


def test_the_local_generators_say_what_failed() -> None:
    assert LocalVisualGenerator.failure == "Local image rendering failed"
    assert LocalNarrationGenerator.failure == "Local narration failed"
    assert LocalMusicGenerator.failure == "Local music synthesis failed"


async def test_a_local_rendering_crash_is_reported_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise MemoryError("image too large")

    monkeypatch.setattr(local_visual, "_shapes", broken)
    out_dir = tmp_path / "run"
    with pytest.raises(GenerationError, match=r"^Local image rendering failed: image too large$"):
        await LocalVisualGenerator().generate(
            request("visual", out_dir, prompt="A lighthouse"), ProgressLog()
        )
    assert files(out_dir) == []


def test_text_field() -> None:
    fields = {"prompt": "  a cat  ", "model": 3, "empty": "   "}
    assert text_field(fields, "prompt") == "a cat"
    assert text_field(fields, "model") == ""
    assert text_field(fields, "empty") == ""
    assert text_field(fields, "missing") == ""
