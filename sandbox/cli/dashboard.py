"""``sandbox dashboard``: serve the interactive Solara dashboard (see :mod:`sandbox.dashboard`).

Registered on the main app by ``sandbox.cli`` with :func:`register`. Solara,
uvicorn and the model are imported inside the command, so ``sandbox --help``
stays fast.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Annotated

import typer

DEFAULT_SCENARIO = Path("scenarios/baseline.yaml")
OFFLINE_CDN = "/static/assets"  # Solara's own static route (see serve_assets_offline)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
NO_AUTH_WARNING = (
    "warning: --host {host}: the dashboard has no authentication; anyone who can reach "
    "{host}:{port} can use it and run simulations on this machine"
)


def register(app: typer.Typer) -> None:
    """Add the ``dashboard`` command to ``app``."""
    app.command()(dashboard)


def dashboard(
    scenario: Annotated[
        Path | None,
        typer.Argument(help="Scenario file (YAML); default: scenarios/baseline.yaml if present, else the defaults."),
    ] = None,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    host: Annotated[str, typer.Option(help="Address to listen on (default: this machine only).")] = "127.0.0.1",
    seed: Annotated[
        int | None, typer.Option(help="Seed of every run (Reset keeps it); default: drawn, and printed.")
    ] = None,
) -> None:
    """Open an interactive dashboard: set the main rules, then reset, step or play and watch the market."""
    from sandbox.cli.common import check_options, fail, load

    check_options(seed=seed)
    if not 1 <= port <= 65535:
        fail(f"--port: found {port}; allowed: 1 to 65535")
    if scenario is None and DEFAULT_SCENARIO.is_file():
        scenario = DEFAULT_SCENARIO
    if scenario is not None:
        spec = load(scenario)  # validate now: one clean line on a bad file, not an error page
        name = spec.name
    else:
        name = "default"
    if seed is None:
        import numpy as np

        seed = int(np.random.SeedSequence().entropy % (2**31))
    _check_port(host, port)
    if host.lower() not in LOCAL_HOSTS:
        typer.secho(NO_AUTH_WARNING.format(host=host, port=port), fg=typer.colors.YELLOW, err=True)

    serve_assets_offline()
    from sandbox.dashboard import SCENARIO_ENV, SEED_ENV

    os.environ[SCENARIO_ENV] = str(scenario.resolve()) if scenario is not None else ""
    os.environ[SEED_ENV] = str(seed)
    os.environ["SOLARA_APP"] = "sandbox.dashboard"
    os.environ.setdefault("SOLARA_MODE", "production")
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")  # no calls home
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)
    import uvicorn

    url = page_url(host, port)
    typer.echo(f"dashboard for {name} (seed {seed}) at {url}  (Ctrl+C to stop)")
    config = uvicorn.Config("solara.server.starlette:app", host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    server.run()
    if not server.started:
        fail(f"--port {port}: could not serve on {host}:{port}", code=1)


def serve_assets_offline() -> None:
    """Make Solara serve its front-end files only from the installed packages.

    By default Solara proxies a CDN: a file missing from its cache is fetched
    from the internet at request time. Switching the proxy off makes the page
    point at ``SOLARA_ASSETS_CDN`` instead, so that is set to Solara's own
    static-assets route, with the files ``solara-assets`` installs
    (``<prefix>/share/solara/cdn``) added to the folders that route serves.
    Solara reads its settings at import, so the environment variables are set
    for a fresh process and the settings objects for this one.

    Raises:
        typer.Exit: (exit 1, one line) if the installed front-end files are missing.
    """
    os.environ["SOLARA_ASSETS_PROXY"] = "False"
    os.environ["SOLARA_ASSETS_CDN"] = OFFLINE_CDN
    import solara.server.settings as server_settings
    import solara.settings

    # solara may already be imported (its settings read): set the objects too
    solara.settings.assets.proxy = False
    solara.settings.assets.cdn = OFFLINE_CDN
    installed = Path(server_settings.assets.proxy_cache_dir)
    if not (installed / "requirejs@2.3.6").is_dir():
        from sandbox.cli.common import fail

        fail(
            f"the dashboard's front-end files are missing from {installed}; "
            "reinstall the project (pip install -e .) to bring in solara-assets",
            code=1,
        )
    server_settings.assets.extra_locations = [str(installed)]


def page_url(host: str, port: int) -> str:
    """The address to print for ``host:port`` (IPv6 literals in brackets)."""
    if host in ("127.0.0.1", "localhost"):
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _check_port(host: str, port: int) -> None:
    """Fail with one line if ``host:port`` cannot be bound (in use, or not an address here)."""
    from sandbox.cli.common import fail

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        fail(f"--host {host}: {err.strerror or err}")
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as err:
            fail(f"--port {port}: cannot listen on {host}:{port}: {err.strerror or err}")
