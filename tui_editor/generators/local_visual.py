"""Offline visuals: a lecture slide rendered with Pillow from the prompt (`visual.png`).

Not an image model: a slide. Its title is the prompt's first clause (without "an illustration of…"),
its two or three key phrases the next clauses (a prompt of one short clause is a title slide), laid out for
the aspect ratio: flush left, centred, under a coloured band, or (landscape) beside a coloured block.
A hash of the prompt and the seed picks the layout, its proportions, a colour harmony, a gradient and a
scatter of soft shapes: the same fields and seed give byte-identical files, another seed another layout
and colours. Text is set in Pillow's bundled scalable font (`ImageFont.load_default(size=…)`, never a
system font), so the bytes are the same on every machine with the same Pillow.

Fields: prompt (required), aspect_ratio (1:1 4:3 3:4 16:9 9:16 21:9 3:2 2:3, default 16:9), width and
height (used when they already have that ratio, else the long side is 768 px), model (default
"local/pillow").
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import math
import random
import re
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


def _font(size: int) -> Font:
    """Pillow's bundled scalable font (Aileron) at `size` px: the same glyphs on every machine, so the
    same fields and seed give the same bytes everywhere (system fonts differ from one machine to the
    next). A fresh object per call: FreeType faces must not be shared between threads."""
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
                low, high = 1, len(word) - 1  # the longest head that fits (at least one character)
                while low < high:
                    middle = (low + high + 1) // 2
                    if _text_width(font, word[:middle]) <= max_width:
                        low = middle
                    else:
                        high = middle - 1
                lines.append(word[:low])
                word = word[low:]
            current = word
        lines.append(current)
    while lines and not lines[-1]:
        lines.pop()
    return lines


# --- the slide: a title and two or three key phrases taken from the prompt -----------------------

_STOPWORDS = frozenset(
    {
        "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "by", "for", "with", "from",
        "into", "onto", "over", "under", "about", "as", "is", "are", "was", "were", "be", "been", "being",
        "it", "its", "this", "that", "these", "those", "their", "there", "which", "who", "whom", "whose",
        "what", "when", "where", "why", "how", "than", "then", "so", "such", "very", "can", "could",
        "should", "would", "will", "shall", "may", "might", "must", "do", "does", "did", "not", "no",
        "nor", "also", "just", "only", "more", "most", "some", "any", "each", "every", "all", "both",
        "either", "neither", "our", "your", "his", "her", "they", "them", "we", "you", "i", "he", "she",
        "us", "my", "me", "via", "per", "using", "use", "used", "show", "shows", "showing", "depict",
        "depicting",
    }
)  # fmt: skip
_LEADING_FILLER = re.compile(
    r"^(?:(?:an?|the)\s+)?(?:(?:simple|clean|minimal|flat|modern|bold|colou?rful|lecture|title|vivid)\s+)*"
    r"(?:slide|image|illustration|picture|photo(?:graph)?|diagram|visual|drawing|render(?:ing)?|poster|"
    r"infographic|scene|card)s?\s+(?:of|about|showing|with|for|depicting|explaining|on|that shows)\s+",
    re.IGNORECASE,
)
_LEADING_VERB = re.compile(
    r"^(?:show|draw|depict|illustrate|visuali[sz]e|create|make|generate|render)\s+(?:an?\s+|the\s+)?",
    re.IGNORECASE,
)
# Clause boundaries: sentence ends, semicolons, colons, dashes, commas, brackets, newlines.
_CLAUSES = re.compile(r"[.;:!?…]+(?=\s|$)|\n+|\s[-–—]+\s|,\s+|\s*[()\[\]]\s*")
TITLE_WORDS = 8
PHRASE_WORDS = 12
MAX_WORD = 32
MAX_CHARS = 100
_LEADING_JOINERS = frozenset({"and", "but", "or", "so", "then", "which", "that", "while", "whereas", "thus"})
MAX_PHRASES = 3


@dataclass(frozen=True)
class SlideText:
    title: str
    points: tuple[str, ...]


def _shorten(clause: str, limit: int) -> str:
    """At most `limit` words, without dangling little words at the end; the first letter capitalised."""
    # Hostile or pasted text: no word longer than MAX_WORD characters, no part longer than MAX_CHARS.
    words = clause.split()
    start = 0
    while start < len(words) - 1 and words[start].lower() in _LEADING_JOINERS:
        start += 1
    words = [w if len(w) <= MAX_WORD else w[: MAX_WORD - 1] + "…" for w in words[start : start + limit + 1]]
    cut = len(words) > limit
    if cut:
        words = words[:limit]
        while len(words) > 1 and words[-1].lower().strip("'\"") in _STOPWORDS:
            words.pop()
    text = " ".join(words).strip(" '\"“”‘’")
    if len(text) > MAX_CHARS:
        text, cut = text[: MAX_CHARS - 1].rstrip(), True
    text += "…" if cut and not text.endswith("…") else ""
    return text[:1].upper() + text[1:]


def slide_text(prompt: str) -> SlideText:
    """The slide's title (the prompt's first clause, without "an illustration of…") and up to three key
    phrases (its next clauses; the rest of a long first sentence is the first of them)."""
    text = " ".join(prompt.split())
    for pattern in (_LEADING_FILLER, _LEADING_VERB):
        text = pattern.sub("", text, count=1)
    clauses = [c.strip(" '\"“”‘’") for c in _CLAUSES.split(text)]
    clauses = [c for c in clauses if any(ch.isalnum() for ch in c)]
    if not clauses:
        return SlideText(_shorten(prompt.strip(), TITLE_WORDS) or "?", ())
    first = clauses[0].split()
    if len(first) > TITLE_WORDS + 2:  # a long first sentence: its rest is the first key phrase
        cut = TITLE_WORDS
        while cut > 2 and first[cut - 1].lower() in _STOPWORDS:
            cut -= 1
        clauses[0:1] = [" ".join(first[:cut]), " ".join(first[cut:])]
    title = _shorten(clauses[0], TITLE_WORDS + 2)
    seen = {title.lower()}
    points: list[str] = []
    for clause in clauses[1:]:
        phrase = _shorten(_LEADING_VERB.sub("", clause, count=1), PHRASE_WORDS)
        if phrase and phrase.lower() not in seen:
            seen.add(phrase.lower())
            points.append(phrase)
        if len(points) == MAX_PHRASES:
            break
    return SlideText(title, tuple(points))


Box = tuple[int, int, int, int]
LAYOUTS = ("left", "centered", "band", "split")


@dataclass(frozen=True)
class SlidePlan:
    """Where the slide's parts go: chosen from the aspect ratio and the seed."""

    layout: str
    """"left" (title and bullets flush left), "centered", "band" (the title on a coloured band across
    the top) or "split" (the title on a coloured block beside the bullets; landscape only)."""
    block: Box | None
    """The coloured block or band behind the title, if the layout has one."""
    panel: Box
    """The translucent panel behind the text that is not on the block."""
    title_box: Box
    points_box: Box
    align: str
    """"left" or "center"."""


def plan_slide(size: tuple[int, int], rng: random.Random) -> SlidePlan:
    w, h = size
    landscape = w >= 1.2 * h
    choices = LAYOUTS if landscape else LAYOUTS[:3]
    layout = choices[rng.randrange(len(choices))]
    m = round(min(w, h) * rng.uniform(0.06, 0.09))
    if layout == "split":
        split = round(w * rng.uniform(0.36, 0.44))
        block = (0, 0, split, h)
        panel = (split + m // 2, m, w - m, h - m)
        title_box = (m, m, split - m, h - m)
        points_box = (panel[0] + m // 2, panel[1] + m // 2, panel[2] - m // 2, panel[3] - m // 2)
        return SlidePlan(layout, block, panel, title_box, points_box, "left")
    if layout == "band":
        band = round(h * rng.uniform(0.24, 0.32))
        block = (0, 0, w, band)
        panel = (m, band + m // 2, w - m, h - m)
        title_box = (m, m // 2, w - m, band - m // 2)
        points_box = (panel[0] + m // 2, panel[1] + m // 2, panel[2] - m // 2, panel[3] - m // 2)
        return SlidePlan(layout, block, panel, title_box, points_box, "left")
    width = w - 2 * m if not landscape or layout == "centered" else round(w * rng.uniform(0.6, 0.72))
    left = m if layout == "left" else (w - width) // 2
    panel = (left, m, left + width, h - m)
    inner = (panel[0] + m // 2, panel[1] + m // 2, panel[2] - m // 2, panel[3] - m // 2)
    title_bottom = inner[1] + round((inner[3] - inner[1]) * 0.36)
    title_box = (inner[0], inner[1], inner[2], title_bottom)
    points_box = (inner[0], title_bottom + m // 3, inner[2], inner[3])
    return SlidePlan(layout, None, panel, title_box, points_box, "left" if layout == "left" else "center")


def _fit(
    lines_of: list[str], box: Box, start: int, floor: int, max_lines: int
) -> tuple[Font, list[list[str]], int]:
    """The largest font (from `start` down to `floor`) at which every text of `lines_of`, word-wrapped to
    the box's width, fits its height (`max_lines` lines per text at most); (font, lines per text, line
    height). Texts that still do not fit are cut with an ellipsis."""
    width, height = box[2] - box[0], box[3] - box[1]
    size = max(floor, start)
    while True:
        font = _font(size)
        line_height = round(size * 1.28)
        wrapped = [wrap_text(displayable(text, font), font, width) for text in lines_of]
        gaps = round(line_height * 0.45) * max(0, len(lines_of) - 1)
        used = sum(min(len(lines), max_lines) for lines in wrapped) * line_height + gaps
        if (used <= height and all(len(lines) <= max_lines for lines in wrapped)) or size <= floor:
            break
        size = max(floor, round(size * 0.9))
    cut: list[list[str]] = []
    for lines in wrapped:
        if len(lines) > max_lines:
            lines = lines[:max_lines]
            last = lines[-1]
            while last and _text_width(font, last + "…") > width:
                last = last[:-1].rstrip()
            lines[-1] = last + "…"
        cut.append(lines)
    return font, cut, line_height


def _luminance(rgb: RGB) -> float:
    r, g, b = rgb
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


LIGHT_TEXT: RGB = (248, 248, 242)
DARK_TEXT: RGB = (18, 20, 28)


def _text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], line: str, font: Font, fill: RGB,
          anchor: str, bold: bool = False) -> None:  # fmt: skip
    stroke = max(1, round(getattr(font, "size", 12) / 48)) if bold else 0
    if isinstance(font, ImageFont.FreeTypeFont):
        draw.text(xy, line, font=font, fill=fill, anchor=anchor, stroke_width=stroke, stroke_fill=fill)
    else:  # Pillow built without FreeType: a bitmap font, no anchors
        draw.text(xy, line, font=font, fill=fill)


def _draw_slide(image: Image.Image, text: SlideText, plan: SlidePlan, design: _Design) -> Image.Image:
    w, h = image.size
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    panel_fill = (12, 14, 20, 190) if design.dark else (250, 250, 247, 206)
    body_fill = LIGHT_TEXT if design.dark else DARK_TEXT
    radius = max(4, min(w, h) // 40)
    if text.points or plan.block is None:
        draw.rounded_rectangle(plan.panel, radius=radius, fill=panel_fill)
    block_colour = design.palette[2]
    title_fill = body_fill
    if plan.block is not None:
        draw.rectangle(plan.block, fill=(*block_colour, 238))
        title_fill = DARK_TEXT if _luminance(block_colour) > 150 else LIGHT_TEXT
    # Bullets and the rule: the palette colour that stands out most from the panel.
    panel_luminance = _luminance(panel_fill[:3])
    accent = max(design.palette, key=lambda colour: abs(_luminance(colour) - panel_luminance))
    image = Image.alpha_composite(image.convert("RGBA"), overlay)
    draw = ImageDraw.Draw(image)

    short = min(w, h)
    box = plan.title_box
    centred = plan.block is not None or not text.points
    if not text.points and plan.block is None:  # a title slide: the title has the whole panel
        box = (box[0], box[1], plan.points_box[2], plan.points_box[3])
    title_font, (title_lines,), title_step = _fit(
        [text.title], box, round(short / 7.5), max(12, round(short / 22)), 3
    )
    block_h = title_step * len(title_lines)
    top = box[1] + max(0, (box[3] - box[1] - block_h) // 2) if centred else box[1]
    x = box[0] if plan.align == "left" else (box[0] + box[2]) / 2
    anchor = "la" if plan.align == "left" else "ma"
    for index, line in enumerate(title_lines):
        _text(draw, (x, top + index * title_step), line, title_font, title_fill, anchor, bold=True)
    if plan.block is None:  # an accent rule under the title
        rule_y = top + block_h + title_step // 4
        rule_w = max(16, round((box[2] - box[0]) * 0.22))
        start = box[0] if plan.align == "left" else round((box[0] + box[2] - rule_w) / 2)
        draw.rectangle((start, rule_y, start + rule_w, rule_y + max(2, short // 120)), fill=accent)

    if not text.points:
        return image.convert("RGB")
    box = plan.points_box
    bullet = max(4, round(short / 70))
    indent = bullet * 3 if plan.align == "left" else 0
    text_box = (box[0] + indent, box[1], box[2], box[3])
    title_size = title_step / 1.28
    point_font, point_lines, step = _fit(
        list(text.points), text_box, round(min(short / 12, title_size * 0.8)), max(10, round(short / 32)), 3
    )
    gap = round(step * 0.45)
    used = sum(len(lines) for lines in point_lines) * step + gap * (len(point_lines) - 1)
    y = box[1] + max(0, (box[3] - box[1] - used) // 2)
    x = text_box[0] if plan.align == "left" else (box[0] + box[2]) / 2
    for lines in point_lines:
        if plan.align == "left":
            centre = y + step // 2
            draw.ellipse((box[0], centre - bullet, box[0] + 2 * bullet, centre + bullet), fill=accent)
        for line in lines:
            _text(draw, (x, y), line, point_font, body_fill, anchor)
            y += step
        y += gap
    return image.convert("RGB")


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
    """A lecture slide for the prompt (a title and key phrases), rendered with Pillow: deterministic in
    (fields, seed)."""

    failure = "Local image rendering failed"

    async def _generate(self, request: GenerationRequest, progress: ProgressFn) -> GenerationResult:
        settings = _settings(request.fields)
        size = (settings.width, settings.height)
        total = 4
        progress(0, total, f"Rendering {settings.width}×{settings.height} image")

        rng = _rng(settings.prompt, request.seed)
        design = _design(rng)
        plan = plan_slide(size, rng)
        text = slide_text(settings.prompt)
        image = await run_blocking(_background, size, design)
        progress(1, total, "Painted background")

        image = await run_blocking(_shapes, image, design, rng)
        progress(2, total, "Drew shapes")

        image = await run_blocking(_draw_slide, image, text, plan, design)
        progress(3, total, "Wrote the slide")

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
