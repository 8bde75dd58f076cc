"""The offline Pillow visual generator: sizes, variety, determinism, progress, cancellation, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFont

from tui_editor.core.kinds import ASPECT_RATIOS, VISUAL
from tui_editor.generators import local_visual
from tui_editor.generators.base import GenerationError, Generator
from tui_editor.generators.local_visual import (
    LocalVisualGenerator,
    SlideText,
    image_size,
    plan_slide,
    slide_text,
    wrap_text,
)

from .local_support import ProgressLog, files, request, run_until_cancelled

PROMPT = "A diagram of the water cycle: evaporation, condensation, precipitation"


async def _generate(out_dir: Path, *, seed: int = 0, **fields: Any) -> tuple[Path, dict[str, Any]]:
    result = await LocalVisualGenerator().generate(
        request("visual", out_dir, seed=seed, **fields), ProgressLog()
    )
    return result.file, dict(result.fields)


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def test_it_is_a_generator() -> None:
    generator: Generator = LocalVisualGenerator()
    assert generator is not None


@pytest.mark.parametrize("aspect_ratio", ASPECT_RATIOS)
async def test_png_size_follows_the_aspect_ratio(tmp_path: Path, aspect_ratio: str) -> None:
    file, fields = await _generate(tmp_path, prompt=PROMPT, aspect_ratio=aspect_ratio)

    a, b = (int(x) for x in aspect_ratio.split(":"))
    with Image.open(file) as image:
        assert image.format == "PNG"
        width, height = image.size
    assert max(width, height) == 768
    assert width / height == pytest.approx(a / b, rel=0.01)
    assert (fields["width"], fields["height"]) == (width, height)
    assert fields["aspect_ratio"] == aspect_ratio
    assert file == (tmp_path / "visual.png").resolve()
    assert files(tmp_path) == ["visual.png"]


async def test_result_fields_are_a_valid_visual_asset(tmp_path: Path) -> None:
    _, fields = await _generate(tmp_path, prompt=PROMPT)
    assert fields == {
        "prompt": PROMPT,
        "model": "local/pillow",
        "aspect_ratio": "16:9",
        "width": 768,
        "height": 432,
    }
    VISUAL.validate_asset(fields)  # every field the kind stores, except `file`, with valid values

    _, fields = await _generate(tmp_path / "m", prompt=PROMPT, model="my/model")
    assert fields["model"] == "my/model"


async def test_requested_size_is_kept_when_it_matches_the_ratio(tmp_path: Path) -> None:
    _, fields = await _generate(tmp_path / "a", prompt=PROMPT, aspect_ratio="16:9", width=1280, height=720)
    assert (fields["width"], fields["height"]) == (1280, 720)
    _, fields = await _generate(tmp_path / "b", prompt=PROMPT, aspect_ratio="16:9", width=1000, height=1000)
    assert (fields["width"], fields["height"]) == (768, 432)
    _, fields = await _generate(tmp_path / "c", prompt=PROMPT, aspect_ratio="9:16", width=1280, height=720)
    assert (fields["width"], fields["height"]) == (432, 768)


def test_image_size_table() -> None:
    assert image_size("1:1") == (768, 768)
    assert image_size("4:3") == (768, 576)
    assert image_size("3:4") == (576, 768)
    assert image_size("21:9") == (768, 329)
    assert image_size("2:3", 400, 600) == (400, 600)
    assert image_size("2:3", 400, True) == (512, 768)
    with pytest.raises(ValueError):
        image_size("5:4")


async def test_different_prompts_look_different(tmp_path: Path) -> None:
    first, _ = await _generate(tmp_path / "a", prompt="Photosynthesis in plant cells")
    second, _ = await _generate(tmp_path / "b", prompt="The French Revolution, 1789")
    a, b = _pixels(first), _pixels(second)
    assert a.shape == b.shape
    # Not just different text: the colours differ across the whole picture.
    assert np.mean(np.abs(a - b)) > 20
    assert np.abs(a.reshape(-1, 3).mean(axis=0) - b.reshape(-1, 3).mean(axis=0)).max() > 10


async def test_same_request_and_seed_give_identical_bytes(tmp_path: Path) -> None:
    first, _ = await _generate(tmp_path / "a", prompt=PROMPT, aspect_ratio="4:3", seed=7)
    second, _ = await _generate(tmp_path / "b", prompt=PROMPT, aspect_ratio="4:3", seed=7)
    other_seed, _ = await _generate(tmp_path / "c", prompt=PROMPT, aspect_ratio="4:3", seed=8)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other_seed.read_bytes()


def _ink(path: Path) -> int:
    """Pixels painted exactly in one of the two text colours (glyph interiors; panels are blended)."""
    pixels = _pixels(path)
    light = (pixels == (248, 248, 242)).all(axis=2)
    dark = (pixels == (18, 20, 28)).all(axis=2)
    return int(light.sum() + dark.sum())


async def test_prompt_text_is_drawn(tmp_path: Path) -> None:
    short, _ = await _generate(tmp_path / "a", prompt="Cells", aspect_ratio="1:1")
    longer, _ = await _generate(tmp_path / "b", prompt="Cells divide by mitosis " * 6, aspect_ratio="1:1")
    assert _ink(short) > 200
    assert _ink(longer) > 3 * _ink(short)


def test_wrap_text_fits_the_width_and_keeps_every_word() -> None:
    font = local_visual._font(24)
    text = "Mitochondria are the powerhouse of the cell\n\nand supercalifragilisticexpialidocious words split"
    lines = wrap_text(text, font, 200)
    assert all(font.getlength(line) <= 200 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "").replace("\n", "")
    assert "" in lines  # the blank line between paragraphs survives


async def test_long_and_non_ascii_prompts_render(tmp_path: Path) -> None:
    file, fields = await _generate(tmp_path, prompt="Zellteilung – Mitose und Meiose im Überblick. " * 30)
    assert fields["prompt"].startswith("Zellteilung")  # stored verbatim, whatever the font could draw
    with Image.open(file) as image:
        assert image.size == (768, 432)


def test_characters_missing_from_the_font_are_replaced() -> None:
    from PIL import ImageFont

    bundled = ImageFont.load_default(size=20)  # ASCII-only: exercises the fallback everywhere
    assert local_visual.displayable("Überblick – 5×3", bundled) == "Uberblick - 5x3"
    assert local_visual.displayable("東", bundled) == "?"


async def test_progress_is_reported_in_order_up_to_the_total(tmp_path: Path) -> None:
    log = ProgressLog()
    await LocalVisualGenerator().generate(request("visual", tmp_path, prompt=PROMPT), log)
    log.assert_complete()
    assert log.steps == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("cancel_at", [0, 1, 2, 3])
async def test_cancel_mid_generation_raises_and_writes_nothing(tmp_path: Path, cancel_at: int) -> None:
    log = ProgressLog(cancel_at=cancel_at)
    await run_until_cancelled(
        LocalVisualGenerator().generate(request("visual", tmp_path, prompt=PROMPT), log)
    )
    assert files(tmp_path) == []
    assert log.steps[-1] == cancel_at


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"prompt": "   "}, "prompt is empty"),
        ({}, "prompt is empty"),
        ({"prompt": PROMPT, "aspect_ratio": "5:4"}, "Unknown aspect ratio"),
    ],
)
async def test_bad_requests_are_not_retryable(tmp_path: Path, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(GenerationError, match=message) as info:
        await LocalVisualGenerator().generate(request("visual", tmp_path, **fields), ProgressLog())
    assert info.value.retryable is False
    assert files(tmp_path) == []


async def test_library_failures_become_generation_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("decoder exploded")

    monkeypatch.setattr(local_visual, "_shapes", broken)
    with pytest.raises(GenerationError, match="decoder exploded") as info:
        await LocalVisualGenerator().generate(request("visual", tmp_path, prompt=PROMPT), ProgressLog())
    assert info.value.retryable is True
    assert files(tmp_path) == []


# --- slides -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "slide"),
    [
        (PROMPT, SlideText("The water cycle", ("Evaporation", "Condensation", "Precipitation"))),
        (
            "An illustration of photosynthesis: light energy, water and carbon dioxide become glucose",
            SlideText("Photosynthesis", ("Light energy", "Water and carbon dioxide become glucose")),
        ),
        (
            "Mitochondria are the powerhouse of the cell. They make ATP. Each cell has hundreds of them.",
            SlideText(
                "Mitochondria are the powerhouse of the cell",
                ("They make ATP", "Each cell has hundreds of them"),
            ),
        ),
        (  # a long first sentence: its rest is the first key phrase
            "Mitochondria are the powerhouse of the cell and make ATP through respiration",
            SlideText("Mitochondria are the powerhouse of the cell", ("Make ATP through respiration",)),
        ),
        ("Cells", SlideText("Cells", ())),  # one short clause: a title slide
        (
            "The French Revolution - the storming of the Bastille",
            SlideText("The French Revolution", ("The storming of the Bastille",)),
        ),
    ],
)
def test_a_slide_has_a_short_title_and_key_phrases_from_the_prompt(prompt: str, slide: SlideText) -> None:
    assert slide_text(prompt) == slide


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=400).filter(lambda text: any(c.isalnum() for c in text)))
def test_slide_text_is_taken_from_any_prompt(prompt: str) -> None:
    slide = slide_text(prompt)
    assert slide.title and len(slide.points) <= 3
    assert len(slide.title.rstrip("…").split()) <= 10
    words = prompt.casefold().split()
    for part in (slide.title, *slide.points):
        assert len(part.rstrip("…").split()) <= 12
        assert len(part) <= 100
        for word in part.split():  # every word is the prompt's (a first letter capitalised, long ones cut)
            word = word.rstrip("…")
            assert any(word.casefold().strip("'\"“”‘’") in w for w in words) or not word.strip("'\"“”‘’")


def _ink_in(pixels: np.ndarray, box: tuple[int, int, int, int]) -> int:
    left, top, right, bottom = box
    region = pixels[top:bottom, left:right]
    light = (region == (248, 248, 242)).all(axis=2)
    dark = (region == (18, 20, 28)).all(axis=2)
    return int(light.sum() + dark.sum())


@pytest.mark.parametrize("aspect_ratio", ASPECT_RATIOS)
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_the_title_and_phrases_are_drawn_in_the_layout_s_boxes(
    tmp_path: Path, aspect_ratio: str, seed: int
) -> None:
    file, fields = await _generate(tmp_path, prompt=PROMPT, aspect_ratio=aspect_ratio, seed=seed)
    size = (fields["width"], fields["height"])
    rng = local_visual._rng(PROMPT, seed)
    local_visual._design(rng)
    plan = plan_slide(size, rng)
    if size[1] > size[0]:
        assert plan.layout != "split"  # a block beside the text needs a landscape slide
    for box in (plan.panel, plan.title_box, plan.points_box):
        assert 0 <= box[0] < box[2] <= size[0] and 0 <= box[1] < box[3] <= size[1]
    pixels = _pixels(file)
    assert _ink_in(pixels, plan.title_box) > 100
    assert _ink_in(pixels, plan.points_box) > 100


async def test_only_the_bundled_font_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No system font is looked up: the bytes do not depend on the machine's fonts."""
    usual, _ = await _generate(tmp_path / "a", prompt=PROMPT, seed=3)

    real_truetype = ImageFont.truetype

    def no_system_fonts(font: Any = None, *args: Any, **kwargs: Any) -> ImageFont.FreeTypeFont:
        # Pillow's bundled font is read from memory; a name or a path would be a font of the machine.
        if isinstance(font, str | bytes | Path):
            raise AssertionError(f"a system font was looked up: {font!r}")
        return real_truetype(font, *args, **kwargs)

    monkeypatch.setattr(ImageFont, "truetype", no_system_fonts)
    bare, _ = await _generate(tmp_path / "b", prompt=PROMPT, seed=3)
    assert usual.read_bytes() == bare.read_bytes()


async def test_another_seed_gives_another_layout_and_colours(tmp_path: Path) -> None:
    seven, _ = await _generate(tmp_path / "7", prompt=PROMPT, aspect_ratio="16:9", seed=7)
    seven_again, _ = await _generate(tmp_path / "7b", prompt=PROMPT, aspect_ratio="16:9", seed=7)
    eight, _ = await _generate(tmp_path / "8", prompt=PROMPT, aspect_ratio="16:9", seed=8)
    assert seven.read_bytes() == seven_again.read_bytes()
    assert seven.read_bytes() != eight.read_bytes()

    def plan(seed: int) -> local_visual.SlidePlan:
        rng = local_visual._rng(PROMPT, seed)
        local_visual._design(rng)
        return plan_slide((768, 432), rng)

    assert (plan(7).layout, plan(7).panel) != (plan(8).layout, plan(8).panel)
    a, b = _pixels(seven), _pixels(eight)
    mean_a, mean_b = a.reshape(-1, 3).mean(axis=0), b.reshape(-1, 3).mean(axis=0)
    assert np.abs(mean_a - mean_b).max() > 15  # the dominant colour changed, not a few pixels
    # Every seed of a dozen lays the slide out differently (layout kind or proportions).
    assert len({(plan(seed).layout, plan(seed).panel) for seed in range(12)}) == 12


@settings(max_examples=25, deadline=None)
@given(
    st.text(min_size=1, max_size=3000).filter(lambda text: bool(text.strip())),
    st.sampled_from(ASPECT_RATIOS),
)
async def test_any_prompt_renders_a_slide_quickly(prompt: str, aspect_ratio: str) -> None:
    """Hostile or pasted prompts (control characters, one 3,000-character word, any script) render."""
    import tempfile
    import time

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        file, fields = await _generate(
            Path(folder), prompt=prompt, aspect_ratio=aspect_ratio, width=64, height=64
        )
        assert time.perf_counter() - started < 10
        assert file.stat().st_size > 0 and fields["prompt"] == prompt


async def test_a_huge_word_is_cut_not_wrapped_for_ever(tmp_path: Path) -> None:
    file, _ = await _generate(tmp_path, prompt="a" * 5000 + ": " + "b" * 5000, aspect_ratio="9:16")
    assert slide_text("a" * 5000).title == "A" + "a" * 30 + "…"
    with Image.open(file) as image:
        assert image.size == (432, 768)
