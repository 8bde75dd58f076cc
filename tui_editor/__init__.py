"""tui-editor: a keyboard-driven terminal editor for narrated video lectures.

Importing the package is cheap on purpose (no Textual, no SQLAlchemy): the command line and the App
import what they need when they need it.
"""

__version__ = "0.1.0"
