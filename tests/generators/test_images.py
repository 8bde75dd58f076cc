"""Sizes for an aspect ratio (`images.size_for_ratio`), shared by the local and remote image generators."""

from __future__ import annotations

import pytest

from tui_editor.core.kinds import ASPECT_RATIOS
from tui_editor.generators.images import size_for_ratio
from tui_editor.generators.local_visual import LONG_SIDE, MIN_SIDE, image_size


def test_size_for_ratio() -> None:
    assert size_for_ratio("16:9") == (1024, 576)
    assert size_for_ratio("9:16") == (576, 1024)
    assert size_for_ratio("1:1") == (1024, 1024)
    assert size_for_ratio("nonsense") == (1024, 1024)


@pytest.mark.parametrize("ratio", ["0:1", "-4:3", "nan:1", "16:9:1", ""])
def test_unreadable_ratios_count_as_square(ratio: str) -> None:
    assert size_for_ratio(ratio) == (1024, 1024)


def test_long_side_and_multiple() -> None:
    assert size_for_ratio("21:9", 1024, 64) == (1024, 448)  # the OpenAI-compatible request size
    assert size_for_ratio("21:9", 768, 1) == (768, 329)  # the local renderer: whole pixels
    assert size_for_ratio("2:3", 768, 1) == (512, 768)
    assert size_for_ratio("1:100", 1024, 16) == (16, 1024)  # never below one multiple


@pytest.mark.parametrize("ratio", ASPECT_RATIOS)
def test_local_visual_sizes_are_the_shared_ones(ratio: str) -> None:
    """The local renderer's size is the shared function at 768 px, whole pixels (as it was computed)."""
    a, b = (int(part) for part in ratio.split(":"))
    expected = (
        (LONG_SIDE, max(MIN_SIDE, round(LONG_SIDE * b / a)))
        if a >= b
        else (max(MIN_SIDE, round(LONG_SIDE * a / b)), LONG_SIDE)
    )
    assert image_size(ratio) == size_for_ratio(ratio, LONG_SIDE, 1) == expected
