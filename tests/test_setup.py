"""Set-up: ./tasks, `sandbox --version`, and every command the README shows parses as written."""

from __future__ import annotations

import glob
import re
import shlex
import subprocess
import sys
from importlib.metadata import version

import click
import pytest
import typer
from conftest import ROOT

from sandbox.cli import app

TASKS = ROOT / "tasks"
README = (ROOT / "README.md").read_text()


def tasks(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(TASKS), *args], capture_output=True, text=True, cwd=ROOT, timeout=180)


def task_commands() -> set[str]:
    """The commands ./tasks lists in its help."""
    return set(re.findall(r"^  (\w+)", tasks("help").stdout, flags=re.M))


def readme_commands() -> list[str]:
    """Command lines in the README: lines of its code blocks (continuations joined, comments cut)
    and inline code that starts with ./tasks."""
    lines: list[str] = []
    for block in re.findall(r"```(?:bash|sh)\n(.*?)```", README, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip().rstrip("&").strip()
            if line:
                lines.append(line)
    inline = re.findall(r"`(\./tasks [^`]+)`", README)
    return lines + inline


COMMANDS = readme_commands()


# ------------------------------------------------------------------ ./tasks
def test_an_unknown_task_exits_2_with_the_help():
    result = tasks("nonsense")
    assert result.returncode == 2
    assert "unknown command 'nonsense'" in result.stderr
    assert "usage: ./tasks COMMAND" in result.stderr
    assert "set -euo" not in result.stderr + result.stdout  # its help, not its own source
    assert {"run", "test", "sandbox", "python", "shell"} <= task_commands()


def test_help_is_not_an_error():
    for args in ((), ("help",), ("--help",)):
        result = tasks(*args)
        assert result.returncode == 0 and "usage: ./tasks COMMAND" in result.stdout, args


def test_tests_run_on_every_core_and_take_arguments():
    script = TASKS.read_text()
    test_branch = script[script.index("    test)") : script.index(";;", script.index("    test)"))]
    assert re.search(r'pytest -n auto\b.*"\$@"', test_branch), test_branch


def test_the_readme_run_command_can_be_run_twice(tmp_path):
    """The first set-up command runs into its own demo folder; a second call replaces that run."""
    out = tmp_path / "baseline"
    for _ in range(2):
        result = tasks("run", "scenarios/baseline.yaml", str(out))
        assert result.returncode == 0, result.stderr
        assert (out / "summary.json").is_file() and "results written to" in result.stdout


def test_sandbox_version():
    result = subprocess.run([sys.executable, "-m", "sandbox", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"sandbox {version('sandbox')}"


# ------------------------------------------------------------------ README
def test_the_readme_shows_commands():
    assert sum(c.startswith("./tasks sandbox ") for c in COMMANDS) >= 8


@pytest.mark.parametrize("line", COMMANDS)
def test_every_readme_command_works_as_written(line, monkeypatch):
    """Runs as written from the project folder after the two set-up commands: no bare `sandbox`,
    `python` or `pip` (not on the PATH), each sandbox command line parses, each file exists."""
    monkeypatch.chdir(ROOT)
    words = shlex.split(line)
    if words[0] == ".venv/bin/dask":
        assert (ROOT / words[0]).exists()
        return
    assert words[0] == "./tasks", f"{line!r}: run it through ./tasks (sandbox, python, pip are not on the PATH)"
    assert words[1] in task_commands(), f"{line!r}: ./tasks has no command {words[1]!r}"
    if words[1] == "sandbox" and not words[2].isupper():  # ARGS: a placeholder, not a command
        parse_sandbox(words[2:], line)
    elif words[1] == "run" and len(words) > 2 or words[1] == "python" and len(words) > 2 and words[2].endswith(".py"):
        assert (ROOT / words[2]).is_file(), line


def parse_sandbox(args: list[str], line: str) -> None:
    """Parse ``args`` as the sandbox command line does, without running the command."""
    args = [a for arg in args for a in (sorted(glob.glob(arg)) if "*" in arg else [arg])]
    group = typer.main.get_command(app)
    if args[0] in ("--help", "--version"):
        assert any(p.opts == [args[0]] for p in group.get_params(click.Context(group))), line
        return
    with group.make_context("sandbox", list(args)) as ctx:
        name, command, rest = group.resolve_command(ctx, list(args))
        assert command is not None, f"{line!r}: no command {name!r}"
        try:
            command.make_context(name, rest, parent=ctx)
        except click.UsageError as err:
            pytest.fail(f"{line!r}: {err.format_message()}")
