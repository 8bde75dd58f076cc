"""The engine on a full disk (issue 13, item 3): a run whose failure the store cannot record still ends —
its waiters learn it at once — and the failure is written once the disk has room again."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.disk_support import fill, small_filesystem, unfill
from tests.runs.conftest import KIND_CASES
from tui_editor.core.flow import StartRequest
from tui_editor.generators.base import GenerationError, GenerationRequest, GenerationResult


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with small_filesystem(tmp_path / "disk", size_kb=6144) as mount:
        yield mount


@pytest.fixture
def data_dir(disk: Path) -> Path:
    """The data dir (database and media) on the small filesystem: overrides tests/conftest.py's."""
    return disk / "data"


class DiskFillingGenerator:
    """Fills the disk while it works — as a long generation on a nearly full disk does — then fails."""

    def __init__(self, disk: Path) -> None:
        self.disk = disk

    async def generate(self, request: GenerationRequest, progress: Any) -> GenerationResult:
        (request.out_dir / "partial.png").write_bytes(b"\x89PNG\r\n\x1a\n")
        fill(self.disk, 0)
        raise GenerationError("cannot save the image: No space left on device", retryable=True)


def test_a_run_failing_on_a_full_disk_ends_its_waiters_fast(make_env: Any, disk: Path) -> None:
    env = make_env(generator_factory=lambda *_: DiskFillingGenerator(disk))
    errors: list[Any] = []
    env.hub.subscribe(lambda event: errors.append(event) if event.type == "error" else None)
    clip_id, _asset_id, fields = KIND_CASES["visual"]
    started = time.monotonic()
    run_id = env.engine.start(StartRequest("lec_test", clip_id, "visual", fields))
    record = env.wait(run_id, timeout=20)
    assert time.monotonic() - started < 10
    assert record.status == "failed" and "No space left" in (record.error or "")
    assert "not recorded" in (record.error or "")  # the store refused the write: kept in memory
    assert [e.run_id for e in errors] == [run_id]  # the waiters were woken by an error event
    assert not (env.data_dir / "previews" / run_id).exists()  # no half file
    unfill(disk)
    env.engine.housekeeping()  # the store takes writes again: the failure is recorded
    stored = env.store.get_run(run_id)
    assert stored.status == "failed" and "No space left" in (stored.error or "")
