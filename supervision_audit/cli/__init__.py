"""The command line: a thin Typer layer over the library (parse -> call -> render -> exit code).

app.py is the root app and registers every command one way; common.py holds what commands share;
each other module is one command group and imports only common.
"""

from .app import app, main

__all__ = ["app", "main"]
