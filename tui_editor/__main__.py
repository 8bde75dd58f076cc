from tui_editor.cli import run

run()
