"""The ``sandbox`` command line: :mod:`~sandbox.cli.main` builds the Typer app, one module per command group."""

from sandbox.cli.main import app

__all__ = ["app"]
