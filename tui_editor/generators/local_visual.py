"""Offline visuals: a PNG rendered with Pillow from the prompt (`visual.png`).

Not an image model: a title card. A hash of the prompt and seed picks a colour harmony, a gradient and a
scatter of soft shapes, so different prompts look different and the same prompt + seed gives the same
bytes; the prompt itself is written on a translucent panel, word-wrapped in Pillow's bundled font.

Fields: prompt (required), aspect_ratio (1:1 4:3 3:4 16:9 9:16 21:9 3:2 2:3, default 16:9), width and
height (used when they already have that ratio, else the long side is 768 px), model (default
"local/pillow").
"""

from __future__ import annotations

import colorsys
import contextlib
import functools
import hashlib
import io
import math
import random
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tui_editor.core.kinds import ASPECT_RATIOS, VISUAL
from tui_editor.generators.base import (
    GenerationError,
    GenerationRequest,
    GenerationResult,
    GuardedGenerator,
    ProgressFn,
    run_blocking,
)
from tui_editor.generators.files import atomic_write_bytes
from tui_editor.generators.images import size_for_ratio

DEFAULT_MODEL = VISUAL.default_model
DEFAULT_ASPECT_RATIO: str = VISUAL.field("aspect_ratio").default
LONG_SIDE = 768
MIN_SIDE, MAX_SIDE = (int(bound) for bound in VISUAL.field("width").bounds)
RATIO_TOLERANCE = 0.01  # relative difference under which width/height "match" the aspect ratio
OUTPUT_NAME = "visual.png"

RGB = tuple[int, int, int]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def image_size(aspect_ratio: str, width: Any = None, height: Any = None) -> tuple[int, int]:
    """Pixel size for an aspect ratio: `width`×`height` when they match it, else long side 768 px."""
    if aspect_ratio not in ASPECT_RATIOS:
        raise ValueError(aspect_ratio)
    a, b = (int(part) for part in aspect_ratio.split(":"))
    if (
        isinstance(width, int)
        and isinstance(height, int)
        and not isinstance(width, bool)
        and not isinstance(height, bool)
        and MIN_SIDE <= width <= MAX_SIDE
        and MIN_SIDE <= height <= MAX_SIDE
        and abs((width / height) / (a / b) - 1.0) <= RATIO_TOLERANCE
    ):
        return width, height
    # Whole pixels; every ratio in ASPECT_RATIOS keeps the short side well above MIN_SIDE.
    return size_for_ratio(aspect_ratio, LONG_SIDE, multiple=1)


@dataclass(frozen=True)
class _Design:
    palette: tuple[RGB, ...]
    angle: float
    dark: bool


def _hsv(h: float, s: float, v: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, min(1.0, max(0.0, s)), min(1.0, max(0.0, v)))
    return round(r * 255), round(g * 255), round(b * 255)


def _rng(prompt: str, seed: int) -> random.Random:
    digest = hashlib.sha256(f"visual\0{prompt}\0{seed}".encode()).digest()
    return random.Random(int.from_bytes(digest, "big"))


def _design(rng: random.Random) -> _Design:
    hue = rng.random()
    harmony = rng.choice(((0.0, 0.08, -0.08), (0.0, 0.5, 0.08), (0.0, 1 / 3, 2 / 3), (0.0, 0.42, 0.58)))
    dark = rng.random() < 0.6
    base_v = (0.22, 0.42) if dark else (0.78, 0.95)
    palette = tuple(
        _hsv(hue + shift + rng.uniform(-0.02, 0.02), rng.uniform(0.45, 0.85), rng.uniform(*base_v))
        for shift in harmony
    ) + tuple(
        _hsv(hue + rng.choice(harmony), rng.uniform(0.35, 0.9), rng.uniform(0.55, 1.0)) for _ in range(3)
    )
    return _Design(palette=palette, angle=rng.uniform(0, 2 * math.pi), dark=dark)


def _background(size: tuple[int, int], design: _Design) -> Image.Image:
    """A linear gradient between the first two palette colours along the design's angle."""
    import numpy as np

    w, h = size
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    proj = xs * math.cos(design.angle) + ys * math.sin(design.angle)
    t = (proj - proj.min()) / max(1e-9, float(proj.max() - proj.min()))
    t = t * t * (3 - 2 * t)  # smoothstep
    c0 = np.array(design.palette[0], dtype=np.float64)
    c1 = np.array(design.palette[1], dtype=np.float64)
    pixels = c0 + (c1 - c0) * t[..., None]
    return Image.fromarray(np.round(pixels).astype(np.uint8), "RGB")


def _shapes(image: Image.Image, design: _Design, rng: random.Random) -> Image.Image:
    """Translucent circles, rings, rounded boxes and triangles, softly blurred, over the background."""
    w, h = image.size
    scale = min(w, h)
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for _ in range(rng.randint(7, 14)):
        r, g, b = rng.choice(design.palette[1:])
        alpha = rng.randint(50, 140)
        cx, cy = rng.uniform(-0.1, 1.1) * w, rng.uniform(-0.1, 1.1) * h
        radius = rng.uniform(0.06, 0.38) * scale
        box = (cx - radius, cy - radius, cx + radius, cy + radius)
        kind = rng.choice(("circle", "ring", "box", "triangle", "circle"))
        if kind == "circle":
            draw.ellipse(box, fill=(r, g, b, alpha))
        elif kind == "ring":
            draw.ellipse(
                box, outline=(r, g, b, alpha + 40), width=max(2, round(radius * rng.uniform(0.06, 0.2)))
            )
        elif kind == "box":
            draw.rounded_rectangle(box, radius=round(radius * 0.25), fill=(r, g, b, alpha))
        else:
            turn = rng.uniform(0, 2 * math.pi)
            points = [
                (
                    cx + radius * math.cos(turn + k * 2 * math.pi / 3),
                    cy + radius * math.sin(turn + k * 2 * math.pi / 3),
                )
                for k in range(3)
            ]
            draw.polygon(points, fill=(r, g, b, alpha))
    layer = layer.filter(ImageFilter.GaussianBlur(radius=max(1, scale // 160)))
    return Image.alpha_composite(image.convert("RGBA"), layer)


# Broad-coverage system fonts (accents, dashes, Greek…) tried before Pillow's bundled ASCII-only font.
_FONT_CANDIDATES = (
    "DejaVuSans.ttf",
    "NotoSans-Regular.ttf",
    "LiberationSans-Regular.ttf",
    "Arial.ttf",
    "arial.ttf",
    "Helvetica.ttc",
    "segoeui.ttf",
)
_ASCII_FALLBACKS = {
    "–": "-",
    "—": "-",
    "−": "-",
    "‐": "-",
    "→": "->",
    "←": "<-",
    "×": "x",
    "÷": "/",
    "€": "EUR",
}


@functools.lru_cache(maxsize=1)
def _font_file() -> str | None:
    """Full path of the first `_FONT_CANDIDATES` font Pillow finds, or None for the bundled font."""
    for name in _FONT_CANDIDATES:
        try:
            font = ImageFont.truetype(name, 12)  # searches the system font folders
        except OSError:
            continue
        return str(font.path)
    return None


def _font(size: int) -> Font:
    """A fresh font object per call: FreeType faces must not be shared between threads."""
    path = _font_file()
    if path is not None:
        with contextlib.suppress(OSError):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def _glyph_signature(font: Font, char: str) -> tuple[tuple[int, int], bytes]:
    mask = font.getmask(char)
    return mask.size, bytes(mask)


def displayable(text: str, font: Font) -> str:
    """`text` with characters the font has no glyph for replaced by look-alikes (é → e, – → -) or '?'."""
    missing = _glyph_signature(font, "\uffff")
    cache: dict[str, str] = {}

    def fix(char: str) -> str:
        if char.isspace() or ord(char) < 128:
            return char
        if char not in cache:
            if _glyph_signature(font, char) != missing:
                cache[char] = char
            else:
                folded = _ASCII_FALLBACKS.get(char) or "".join(
                    c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
                )
                cache[char] = folded if folded and all(ord(c) < 128 for c in folded) else "?"
        return cache[char]

    return "".join(fix(char) for char in text)


def _text_width(font: Font, text: str) -> float:
    return float(font.getlength(text))


def wrap_text(text: str, font: Font, max_width: float) -> list[str]:
    """Greedy word wrap to `max_width` pixels; explicit newlines are kept, over-long words are split."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        words = paragraph.split()
        if not words:
            if lines and lines[-1]:
                lines.append("")
            continue
        current = ""
        for word in words:
            candidate = f"{current} {word}" if current else word
            if _text_width(font, candidate) <= max_width:
                current = candidate
                continue
            if current:
                lines.append(current)
            while _text_width(font, word) > max_width and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and _text_width(font, word[:cut]) > max_width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            current = word
        lines.append(current)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _layout(prompt: str, size: tuple[int, int]) -> tuple[Font, list[str], int]:
    """The largest readable font (down to a floor) at which the prompt fits the text panel."""
    w, h = size
    max_width = w * 0.8
    max_height = h * 0.62
    start = max(12, round(min(w, h) / 11))
    floor = max(10, round(min(w, h) / 30))
    size_px = start
    while True:
        font = _font(size_px)
        line_height = round(size_px * 1.3)
        lines = wrap_text(displayable(prompt, font), font, max_width)
        if len(lines) * line_height <= max_height or size_px <= floor:
            break
        size_px = max(floor, round(size_px * 0.88))
    max_lines = max(1, int(max_height // line_height))
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _text_width(font, last + "…") > max_width:
            last = last[:-1].rstrip()
        lines[-1] = last + "…"
    return font, lines, line_height


def _draw_text(image: Image.Image, prompt: str, design: _Design) -> Image.Image:
    w, h = image.size
    font, lines, line_height = _layout(prompt, image.size)
    widths = [_text_width(font, line) for line in lines]
    text_w = max(widths, default=0.0)
    text_h = line_height * len(lines)
    pad_x, pad_y = max(8, round(line_height * 0.7)), max(6, round(line_height * 0.5))
    panel = (
        round((w - text_w) / 2 - pad_x),
        round((h - text_h) / 2 - pad_y),
        round((w + text_w) / 2 + pad_x),
        round((h + text_h) / 2 + pad_y),
    )
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    panel_fill = (12, 14, 20, 178) if design.dark else (250, 250, 247, 196)
    text_fill = (248, 248, 242, 255) if design.dark else (18, 20, 28, 255)
    draw.rounded_rectangle(panel, radius=max(4, line_height // 3), fill=panel_fill)
    top = (h - text_h) / 2
    for index, line in enumerate(lines):
        centre_y = top + (index + 0.5) * line_height
        if isinstance(font, ImageFont.FreeTypeFont):
            draw.text((w / 2, centre_y), line, font=font, fill=text_fill, anchor="mm")
        else:  # Pillow built without FreeType: bitmap font, no anchors
            draw.text(((w - widths[index]) / 2, centre_y - line_height / 2), line, font=font, fill=text_fill)
    return Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")


def _encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass(frozen=True)
class _Settings:
    prompt: str
    model: str
    aspect_ratio: str
    width: int
    height: int


def _settings(fields: Mapping[str, Any]) -> _Settings:
    prompt = fields.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise GenerationError(
            "The visual prompt is empty: describe what the image should show", retryable=False
        )
    aspect_ratio = str(fields.get("aspect_ratio") or "").strip() or DEFAULT_ASPECT_RATIO
    if aspect_ratio not in ASPECT_RATIOS:
        raise GenerationError(
            f"Unknown aspect ratio {aspect_ratio!r}; use one of {', '.join(ASPECT_RATIOS)}", retryable=False
        )
    width, height = image_size(aspect_ratio, fields.get("width"), fields.get("height"))
    return _Settings(
        prompt=prompt,
        model=str(fields.get("model") or "").strip() or DEFAULT_MODEL,
        aspect_ratio=aspect_ratio,
        width=width,
        height=height,
    )


class LocalVisualGenerator(GuardedGenerator):
    """A deterministic title-card PNG for the prompt, rendered with Pillow."""

    failure = "Local image rendering failed"

    async def _generate(self, request: GenerationRequest, progress: ProgressFn) -> GenerationResult:
        settings = _settings(request.fields)
        size = (settings.width, settings.height)
        total = 4
        progress(0, total, f"Rendering {settings.width}×{settings.height} image")

        rng = _rng(settings.prompt, request.seed)
        design = _design(rng)
        image = await run_blocking(_background, size, design)
        progress(1, total, "Painted background")

        image = await run_blocking(_shapes, image, design, rng)
        progress(2, total, "Drew shapes")

        image = await run_blocking(_draw_text, image, settings.prompt, design)
        progress(3, total, "Wrote the prompt")

        data = await run_blocking(_encode_png, image)
        target = Path(request.out_dir) / OUTPUT_NAME
        await run_blocking(atomic_write_bytes, target, data)
        progress(total, total, f"Saved {OUTPUT_NAME}")
        return GenerationResult(
            file=target.resolve(),
            fields={
                "prompt": settings.prompt,
                "model": settings.model,
                "aspect_ratio": settings.aspect_ratio,
                "width": settings.width,
                "height": settings.height,
            },
        )
