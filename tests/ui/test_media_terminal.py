"""Which widget draws images: per `[ui] image_protocol` and what the terminal may support."""

from __future__ import annotations

from tui_editor.ui.widgets.halfblock import HalfBlockImage
from tui_editor.ui.widgets.terminal_graphics import (
    image_widget_class,
    terminal_may_draw_images,
    textual_image_usable,
)


def test_image_widget_class_follows_the_setting() -> None:
    assert image_widget_class("none") is None
    assert image_widget_class("halfblock") is HalfBlockImage
    if textual_image_usable():  # under pytest stdout is not a terminal: textual-image is safe
        import textual_image.widget as ti

        assert image_widget_class("auto") is ti.Image
        assert image_widget_class("sixel") is ti.SixelImage
        assert image_widget_class("kitty") is ti.TGPImage


def test_auto_only_asks_terminals_that_may_draw_images() -> None:
    assert terminal_may_draw_images({"TERM": "xterm-kitty"})
    assert terminal_may_draw_images({"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"})
    assert terminal_may_draw_images({"TERM": "xterm-256color", "KITTY_WINDOW_ID": "1"})
    assert not terminal_may_draw_images({"TERM": "xterm-256color"})
    assert not terminal_may_draw_images({"TERM": "tmux-256color", "TERM_PROGRAM": "tmux"})
    assert not terminal_may_draw_images({"TERM": "xterm-kitty", "TMUX": "/tmp/tmux-0/default,1,0"})
