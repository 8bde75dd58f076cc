"""Data files shipped with tui-editor (installed as the `tui_editor.assets` package).

- `demo_lecture.json`: the demo lecture "Photosynthesis" — its texts, prompts and timing. Its media
  are not stored here: `tui_editor.core.demo` renders them with the offline generators when the demo
  is created, so the repository carries no binaries.
"""
