"""Package discovery: every `tui_editor*` package is found automatically; the top-level `assets/` folder
(demo lecture texts) is installed as `tui_editor.assets`. Metadata lives in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["tui_editor*"]), "tui_editor.assets"],
    package_dir={"tui_editor.assets": "assets"},
)
