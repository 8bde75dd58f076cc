"""The UI-free domain: models, store, provider, draft, flow, asset kinds, URLs and events.

Nothing under `tui_editor.core` may import textual or rich (checked by import-linter and a test).
"""
