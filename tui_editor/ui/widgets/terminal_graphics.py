"""Which widget draws images in this terminal, for `[ui] image_protocol`.

- `auto`  — textual-image picks sixel or kitty graphics where the terminal has them, else half-blocks;
- `sixel` / `kitty` — force that protocol (through textual-image);
- `halfblock` — coloured half-block cells (our own renderer: deterministic, works over any SSH);
- `none` — no picture, just the facts (size, file).

textual-image asks the terminal what it supports *when it is imported*, which only works before Textual
takes over the terminal: call `prepare_terminal_graphics(protocol)` before `App.run()`. If it was not
called and stdout is a terminal, `auto`/`sixel`/`kitty` fall back to half-blocks rather than disturb the
running app with terminal queries.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import cast

from textual.widget import Widget

from .halfblock import HalfBlockImage

IMAGE_PROTOCOLS = ("auto", "sixel", "kitty", "halfblock", "none")

# Terminals known to draw sixel or kitty graphics announce themselves in the environment.
_GRAPHIC_TERMS = ("kitty", "wezterm", "ghostty", "foot", "mlterm", "contour", "konsole", "iterm")


def _stdout_is_tty() -> bool:
    stream = sys.__stdout__
    try:
        return bool(stream and stream.isatty())
    except ValueError:  # closed
        return False


def prepare_terminal_graphics(protocol: str) -> None:
    """Let textual-image ask the terminal about sixel/kitty support. Call before `App.run()`.

    Costs one import (Pillow + textual-image) and up to ~0.2 s of terminal round trips, so only the
    protocols that need detection pay it.
    """
    if protocol == "auto" and not terminal_may_draw_images():
        return  # plain terminals, tmux, most SSH sessions: half-blocks, and no startup cost
    if protocol in ("auto", "sixel", "kitty") and _stdout_is_tty():
        import textual_image.widget  # noqa: F401 - deferred: queries the terminal on import


def terminal_may_draw_images(environ: Mapping[str, str] | None = None) -> bool:
    """Whether `auto` should ask the terminal about graphics (only worth it where it may say yes)."""
    env = os.environ if environ is None else environ
    if env.get("TMUX") or env.get("TERM", "").startswith(("screen", "tmux")):
        return False  # tmux passes neither protocol through by default
    if env.get("KITTY_WINDOW_ID") or env.get("WEZTERM_PANE") or env.get("GHOSTTY_RESOURCES_DIR"):
        return True
    names = (env.get("TERM", "") + " " + env.get("TERM_PROGRAM", "")).lower()
    return any(term in names for term in _GRAPHIC_TERMS)


def textual_image_usable() -> bool:
    """True when importing textual-image now cannot disturb a running app's terminal."""
    return "textual_image.widget" in sys.modules or not _stdout_is_tty()


def image_widget_class(protocol: str) -> Callable[..., Widget] | None:
    """The widget class that draws images for `protocol` (None: images are off).

    Every class returned takes the PIL image as its first argument, and `classes=`.
    """
    if protocol == "none":
        return None
    if protocol == "halfblock" or not textual_image_usable():
        return HalfBlockImage
    import textual_image.widget as ti  # deferred: Pillow + textual-image

    if protocol == "sixel":
        return cast("Callable[..., Widget]", ti.SixelImage)
    if protocol == "kitty":
        return cast("Callable[..., Widget]", ti.TGPImage)
    return cast("Callable[..., Widget]", ti.Image)
