"""``python -m sandbox``: the command line."""

from sandbox.cli import app

app(prog_name="sandbox")
