"""Widgets of the tui-editor App."""
