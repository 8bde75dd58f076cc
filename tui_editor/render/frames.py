"""Video frames: a visual clip's picture under its Ken Burns move, at the output size (Pillow).

The picture covers the frame (scaled to fill it, cropped at the long side, centred) at zoom 1; a zoom
above 1 shows a smaller part of it, below 1 leaves black around it. The offset moves the picture by that
many pixels of a `REFERENCE_WIDTH`-wide frame before the zoom (the web original's CSS
`scale(s) translate(x px, y px)`). Sub-pixel crop boxes keep slow moves smooth.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from .schedule import REFERENCE_WIDTH, Motion, RenderError


def load_picture(path: Path, width: int, height: int, motion: Motion) -> Image.Image:
    """`path` as RGB, reduced when it is far larger than the frame needs at the move's largest zoom."""
    try:
        with Image.open(path) as opened:
            opened.draft("RGB", (width, height))  # JPEG: decode at a reduced size when that is enough
            picture = opened.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        detail = "".join(c if c.isprintable() else "?" for c in type(exc).__name__ + ": " + str(exc))
        raise RenderError(f"cannot read it ({detail[:200]})") from None
    cover = max(width / picture.width, height / picture.height)
    needed = cover * max(motion.start_scale, motion.end_scale, 1.0)
    if needed < 0.5:  # more than twice the pixels the frame can show: shrink once, not every frame
        size = (max(1, round(picture.width * needed)), max(1, round(picture.height * needed)))
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    return picture


def paint(picture: Image.Image, width: int, height: int, scale: float, x: float, y: float) -> Image.Image:
    """One frame: `picture` covering a `width`×`height` frame, zoomed by `scale`, moved by (`x`, `y`)."""
    iw, ih = picture.size
    cover = max(width / iw, height / ih)
    unit = width / REFERENCE_WIDTH
    scale = max(scale, 1e-3)
    # The visible rectangle in frame coordinates of the cover-fitted picture, then in picture pixels.
    centre_x, centre_y = width / 2 - x * unit, height / 2 - y * unit
    half_w, half_h = width / (2 * scale), height / (2 * scale)
    origin_x, origin_y = (width - iw * cover) / 2, (height - ih * cover) / 2
    box = (
        (centre_x - half_w - origin_x) / cover,
        (centre_y - half_h - origin_y) / cover,
        (centre_x + half_w - origin_x) / cover,
        (centre_y + half_h - origin_y) / cover,
    )
    tolerance = 1e-6
    if (
        box[0] >= -tolerance
        and box[1] >= -tolerance
        and box[2] <= iw + tolerance
        and box[3] <= ih + tolerance
    ):
        clamped = (max(0.0, box[0]), max(0.0, box[1]), min(float(iw), box[2]), min(float(ih), box[3]))
        return picture.resize((width, height), Image.Resampling.BILINEAR, box=clamped)
    # Part of the frame lies outside the picture: draw the visible part onto black.
    frame = Image.new("RGB", (width, height))
    inner = (max(0.0, box[0]), max(0.0, box[1]), min(float(iw), box[2]), min(float(ih), box[3]))
    if inner[2] <= inner[0] or inner[3] <= inner[1]:
        return frame
    per_x = width / (box[2] - box[0])
    per_y = height / (box[3] - box[1])
    left, top = round((inner[0] - box[0]) * per_x), round((inner[1] - box[1]) * per_y)
    right, bottom = round((inner[2] - box[0]) * per_x), round((inner[3] - box[1]) * per_y)
    if right <= left or bottom <= top:
        return frame
    frame.paste(
        picture.resize((right - left, bottom - top), Image.Resampling.BILINEAR, box=inner), (left, top)
    )
    return frame
