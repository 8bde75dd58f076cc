"""Screens of the tui-editor App (each module is imported when its screen is first shown)."""
