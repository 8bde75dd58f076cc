"""One demo data dir per test module (per xdist worker) for the tests that only read it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli.support import Cli


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return Cli(tmp_path_factory.mktemp("cli-home"))


@pytest.fixture(scope="module")
def demo_dir(cli: Cli, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding the demo lecture; tests using it must not change it."""
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    out = cli.ok("demo", data_dir=data_dir)
    assert out.strip().startswith("lec_")
    return data_dir


@pytest.fixture
def demo_copy(demo_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the demo data dir for tests that change things."""
    target = tmp_path / "demo-copy"
    shutil.copytree(demo_dir, target)
    return target
