"""Picture sizes for an aspect ratio, shared by the local and the remote image generators."""

from __future__ import annotations


def size_for_ratio(aspect_ratio: str, long_side: int = 1024, multiple: int = 16) -> tuple[int, int]:
    """Width and height for an aspect ratio like "16:9" with the longer side `long_side`.

    Both sides are rounded to the nearest multiple of `multiple` (1 rounds to whole pixels) and are at
    least `multiple`. A ratio that cannot be read ("nonsense", "0:1") counts as 1:1.
    """
    try:
        w_text, h_text = aspect_ratio.split(":")
        ratio_w, ratio_h = float(w_text), float(h_text)
        if not (ratio_w > 0 and ratio_h > 0):
            raise ValueError
    except ValueError:
        ratio_w = ratio_h = 1.0
    if ratio_w >= ratio_h:
        width, height = float(long_side), long_side * ratio_h / ratio_w
    else:
        width, height = long_side * ratio_w / ratio_h, float(long_side)
    return (
        max(multiple, int(round(width / multiple)) * multiple),
        max(multiple, int(round(height / multiple)) * multiple),
    )
