"""The dashboard: the scenario its controls build, the model SolaraViz re-creates,
the command, and the page itself in headless Chromium."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import typer
from conftest import ROOT, small_market
from typer.testing import CliRunner

from sandbox.cli.dashboard import register
from sandbox.config.scenario import load_scenario
from sandbox.dashboard import (
    ALIVE,
    CLIENT_FUNDS_LOST,
    LOSS,
    MMF_ASSETS,
    PLACE_CHARTS,
    SENTIMENT,
    Charts,
    Readout,
    build_scenario,
    controls,
    controls_from_scenario,
    jurisdiction_figure,
    model_class,
    model_params,
    series_figure,
)

CHROMIUM = Path(os.environ.get("SANDBOX_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_COPY = Path("/tmp/dashboard.png")


def rules_of(scenario) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for entry in scenario.to_dict()["regime"]:
        ((name, params),) = entry.items()
        out.setdefault(name, []).append(params)
    return out


# ------------------------------------------------------------ scenario
def test_controls_replace_add_and_remove_rules():
    base = load_scenario(ROOT / "scenarios/licensing_strict.yaml")
    assert controls_from_scenario(base) == {
        "rate_cap": 36,
        "disclosure_level": 0.0,
        "custody": False,
        "screening_accuracy": 0.8,
        "inspection_capacity": 25,
        "education_intensity": 0.0,
    }
    s = build_scenario(
        base, rate_cap=24, custody=True, screening_accuracy=0.5, inspection_capacity=0, education_intensity=0.05
    )
    rules = rules_of(s)
    assert rules["rate_cap"] == [{"from": base.start, "grace_months": 0, "apr": 0.24}]
    assert rules["custody"] == [{"from": base.start, "grace_months": 0}]
    # licensing keeps the scenario's other parameters; only its accuracy and date change
    assert rules["licensing"][0] | {"screening_accuracy": 0.8, "from": "2015-01"} == rules_of(base)["licensing"][0]
    assert rules["licensing"][0]["screening_accuracy"] == 0.5 and rules["licensing"][0]["from"] == base.start
    assert "inspections" not in rules  # 0 switches a rule off
    assert rules["investor_education"][0]["intensity"] == 0.05
    assert rules["blacklist"] == rules_of(base)["blacklist"]  # rules without a control stay
    assert controls_from_scenario(s)["rate_cap"] == 24
    assert build_scenario(base).fingerprint() == base.fingerprint()  # no control: no change


def test_dated_and_relative_rate_caps_become_one_absolute_cap():
    base = load_scenario(ROOT / "scenarios/china_2015_2020.yaml")
    assert len(rules_of(base)["rate_cap"]) > 1  # several dated entries ...
    assert controls_from_scenario(base)["rate_cap"] == 36
    assert rules_of(build_scenario(base, rate_cap=24))["rate_cap"] == [
        {"from": base.start, "grace_months": 0, "apr": 0.24}
    ]
    dated = small_market([{"rate_cap": {"from": "2016-03", "apr": {"values": {"2016-01": 0.36, "2017-01": 0.24}}}}])
    assert controls_from_scenario(dated)["rate_cap"] == 36
    assert rules_of(build_scenario(dated, rate_cap=30))["rate_cap"][0]["apr"] == 0.3
    relative = small_market(
        [{"rate_cap": {"from": "2016-01", "multiple": 4}}],
        environment={"benchmark_rate": 0.05, "macro": {"amplitude": 0.0}},
    )
    assert controls_from_scenario(relative)["rate_cap"] == 20


def test_the_rate_cap_control_shows_the_cap_the_rule_sets(monkeypatch):
    """The dashboard asks the rule for its cap (one place for the rule), in the month the rule starts."""
    from sandbox.rules.rate_cap import RateCap

    dated_benchmark = small_market(
        [{"rate_cap": {"from": "2017-03", "multiple": 4}}],
        environment={"benchmark_rate": {"values": {"2016-01": 0.05, "2017-01": 0.04}}, "macro": {"amplitude": 0.0}},
    )
    assert controls_from_scenario(dated_benchmark)["rate_cap"] == 16  # 4 x the 2017 benchmark, not the 2016 one
    months = []
    monkeypatch.setattr(RateCap, "cap", lambda _self, market: months.append(market.month) or 0.173)
    assert controls_from_scenario(dated_benchmark)["rate_cap"] == 17
    assert months == [14]  # 2017-03, counted from the scenario's start (2016-01)


def test_model_left_at_the_scenario_values_runs_the_scenario():
    base = small_market([{"rate_cap": {"from": "2016-06", "apr": 0.3}}], months=6)
    cls = model_class(base)
    same = cls(**controls_from_scenario(base), seed=5)
    assert same.changed == {} and same.config.fingerprint() == base.fingerprint()
    changed = cls(rate_cap=20, inspection_capacity=4, seed=5)
    assert changed.changed == {"rate_cap": 20, "inspection_capacity": 4}
    assert rules_of(changed.config)["rate_cap"][0]["apr"] == 0.2
    # Reset's keyword arguments are exactly the model's, and each has a control but the seed
    params = model_params(base, seed=5)
    assert set(params) == {*controls_from_scenario(base), "seed"}
    assert set(controls(base)) == set(controls_from_scenario(base))


def test_each_control_reads_its_value_in_its_units():
    base = load_scenario(ROOT / "scenarios/licensing_strict.yaml")
    specs, values = controls(base), controls_from_scenario(base)
    readings = {name: spec.reading(values[name]) for name, spec in specs.items()}
    assert readings == {
        "rate_cap": "36%",
        "disclosure_level": "off",
        "custody": "off",
        "screening_accuracy": "80% of frauds caught",
        "inspection_capacity": "25",
        "education_intensity": "off",
    }
    assert specs["education_intensity"].reading(0.005) == "0.5% of the literacy gap a month"
    assert specs["disclosure_level"].reading(0.1 + 0.2) == "0.3"  # slider float noise does not show


def test_charts_run_over_dates_on_a_readable_scale_from_month_0():
    import matplotlib.dates as mdates

    base = small_market(months=12)  # starts 2016-01
    model = model_class(base)(seed=2)
    fig = series_figure(model, {LOSS: "tab:red"}, "Cumulative investor loss", "million yuan")
    ax = fig.axes[0]
    # month 0: no collapsed -0.045..0.045 band around a flat zero line
    assert ax.get_ylim() == (0.0, 1.0)
    assert ax.get_xlabel() != "Step"
    start, end = (mdates.num2date(x).strftime("%Y-%m") for x in ax.get_xlim())
    assert (start, end) == ("2016-01", "2017-01")  # the whole horizon, in dates
    fig.canvas.draw()
    assert "2016" in " ".join(t.get_text() for t in ax.get_xticklabels() + [ax.xaxis.get_offset_text()])
    for _ in range(12):
        model.step()
    alive = series_figure(model, ALIVE, "Platforms alive by type", "platforms").axes[0]
    most = model.datacollector.get_model_vars_dataframe()[list(ALIVE)].to_numpy().max()
    assert alive.get_ylim()[0] == 0.0 and most < alive.get_ylim()[1] <= 1.1 * most + 1e-9
    assert len(alive.lines[0].get_xdata()) == 13


def test_model_collects_the_charted_series_and_stops_at_the_horizon():
    base = small_market(months=4)
    model = model_class(base)(seed=2)
    for _ in range(6):  # two steps past the horizon do nothing
        model.step()
    df = model.datacollector.get_model_vars_dataframe()
    assert len(df) == 5  # the start and four months
    assert {*ALIVE, SENTIMENT, LOSS} <= set(df.columns)
    assert not model.running and model.month == 4
    assert df[list(ALIVE)].iloc[0].sum() == base.market.platforms.initial
    assert df[LOSS].iloc[-1] == pytest.approx(float(model.investors.lost.sum()) / 1e6)


# ------------------------------------------------------- components
PLACES = {
    "home": {"platforms": 0.5, "investors": 0.4, "borrowers": 0.4},
    "next": {"platforms": 0.3, "investors": 0.3, "borrowers": 0.3},
    "far": {"platforms": 0.2, "investors": 0.3, "borrowers": 0.3},
}


def widgets(root):
    """``root`` and every widget inside it."""
    yield root
    for child in getattr(root, "children", None) or []:
        if not isinstance(child, str):
            yield from widgets(child)


def rendered(component) -> list:
    """``component`` rendered as widgets, without a browser (as a page would get them): all its widgets."""
    import solara

    box, _rc = solara.render(component, handle_error=False)
    return list(widgets(box))


def images(found: list) -> list:
    import ipywidgets

    return [w for w in found if isinstance(w, ipywidgets.Image)]


def jurisdiction_sheets(found: list) -> list:
    return [w for w in found if "sandbox-jurisdictions" in str(getattr(w, "class_", "")).split()]


def test_jurisdictions_show_as_small_multiples_one_panel_each_updated_as_the_model_steps():
    from mesa.visualization.utils import update_counter

    model = model_class(small_market(jurisdictions=PLACES, months=3, market__platforms__initial=30))(seed=1)
    found = rendered(Charts(model))
    (sheet,) = jurisdiction_sheets(found)
    assert len(images(found)) == 5 + len(PLACE_CHARTS)  # the usual charts, then the small multiples
    panels = images(list(widgets(sheet)))
    assert len(panels) == len(PLACE_CHARTS)
    for title, columns, unit, scale in PLACE_CHARTS:  # month 0: one empty panel per jurisdiction
        fig = jurisdiction_figure(model, title, columns, unit, scale)
        assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == list(PLACES)
    before = [bytes(p.value) for p in panels]
    for _ in range(3):
        model.step()
    update_counter.value += 1  # what Mesa's Step button does after stepping
    assert all(bytes(p.value) != b for p, b in zip(panels, before, strict=True))
    table = model.jurisdictions.tables()["monthly_by_jurisdiction"]
    for title, columns, unit, scale in PLACE_CHARTS:  # the report's table, drawn panel by panel
        fig = jurisdiction_figure(model, title, columns, unit, scale)
        visible = [ax for ax in fig.axes if ax.get_visible()]
        assert [ax.get_title() for ax in visible] == list(PLACES)
        for ax, name in zip(visible, PLACES, strict=True):
            first = table.loc[table["jurisdiction"] == name, columns[0]].to_numpy() / scale
            assert len(ax.lines) == len(columns)
            assert ax.lines[0].get_ydata() == pytest.approx(first)


def test_without_jurisdictions_the_page_has_no_panels_by_jurisdiction():
    model = model_class(small_market(months=3))(seed=1)
    found = rendered(Charts(model))
    assert len(images(found)) == 5 and jurisdiction_sheets(found) == []
    assert model.jurisdictions is None


def test_products_add_the_fund_and_client_funds_lost_to_the_charts_and_the_readout():
    households = {"count": 2000, "wealth_median": 50_000, "active_at_start": 1.0, "deposit_rate": 0.015}
    payments = {  # the largest institution loses most of what it holds in the second month
        "institutions": 10,
        "capital_median": 1.0e5,
        "capital_sigma": 0.0,
        "shocks": [{"month": "2016-02", "rank": 0, "loss_share": 0.8}],
    }
    products = {"households": households, "fund": {"market_rate": 0.04}, "payments": payments}
    model = model_class(small_market(products=products, months=3))(seed=1)
    for _ in range(3):
        model.step()
    df = model.datacollector.get_model_vars_dataframe()
    assert df[MMF_ASSETS].iloc[-1] == pytest.approx(model.products.fund.assets / 1e9)
    lost = model.products.lost_households + model.products.lost_platforms
    assert lost > 0 and df[CLIENT_FUNDS_LOST].iloc[-1] == pytest.approx(lost / 1e6)
    assert len(images(rendered(Charts(model)))) == 7
    text = " ".join(str(getattr(w, "unsafe_innerHTML", "")) for w in rendered(Readout(model)))
    assert "money-market fund assets" in text and "client funds lost" in text

    plain = model_class(small_market(months=3))(seed=1)
    assert {MMF_ASSETS, CLIENT_FUNDS_LOST}.isdisjoint(plain.datacollector.get_model_vars_dataframe().columns)


# ------------------------------------------------------------- command
@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.callback()(lambda: None)  # keep `dashboard` a subcommand
    register(app)
    return app


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no/such/file.yaml"], "not found"),
        (["scenarios/baseline.yaml", "--port", "0"], "--port"),
        (["scenarios/baseline.yaml", "--seed", "-1"], "--seed"),
    ],
)
def test_bad_input_gives_one_line(cli, args, message, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, ["dashboard", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_port_in_use_gives_one_line(cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["dashboard", "scenarios/baseline.yaml", "--port", str(port)])
    assert result.exit_code == 2
    assert f"--port {port}" in result.output


@pytest.fixture
def no_serving(monkeypatch):
    """Run ``sandbox dashboard`` in-process up to the server start, which is skipped (and Solara's
    settings restored afterwards)."""
    import solara.settings
    import uvicorn

    for name in (
        "SOLARA_ASSETS_PROXY",
        "SOLARA_ASSETS_CDN",
        "SOLARA_APP",
        "SOLARA_MODE",
        "SERVER_NAME",
        "SERVER_PORT",
        "SANDBOX_DASHBOARD_SCENARIO",
        "SANDBOX_DASHBOARD_SEED",
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE",
    ):
        monkeypatch.setenv(name, os.environ.get(name, ""))
    monkeypatch.setattr(solara.settings.assets, "proxy", solara.settings.assets.proxy)
    monkeypatch.setattr(solara.settings.assets, "cdn", solara.settings.assets.cdn)
    monkeypatch.setattr(uvicorn.Server, "run", lambda _self: None)


@pytest.mark.parametrize(
    ("host", "warned"),
    [("0.0.0.0", True), ("127.0.0.2", True), ("localhost", False), ("127.0.0.1", False), ("::1", False)],
)
def test_a_host_beyond_this_machine_is_warned_of_no_authentication(cli, no_serving, monkeypatch, host, warned):
    if host == "::1" and not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(
        cli, ["dashboard", "scenarios/baseline.yaml", "--host", host, "--port", str(free_port()), "--seed", "1"]
    )
    assert "Traceback" not in result.output
    assert ("no authentication" in result.output) == warned, result.output


def test_dashboard_is_a_sandbox_command():
    proc = subprocess.run(
        [sys.executable, "-m", "sandbox", "dashboard", "--help"], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    assert "--port" in proc.stdout


# ------------------------------------------------------------- browser
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"dashboard exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"dashboard not serving {url} after {timeout:.0f} s:\n{log.read_text()}")


@pytest.fixture
def dashboard(tmp_path):
    """``sandbox dashboard`` on a free localhost port, with a small market; yields its URL."""
    scenario = tmp_path / "small.yaml"
    scenario.write_text(
        f"extends: {ROOT / 'scenarios/baseline.yaml'}\n"
        "name: small\n"
        "market:\n"
        "  platforms: {initial: 40}\n"
        "  investors: {count: 2000}\n"
        "  borrowers: {count: 1000}\n"
    )
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "dashboard", str(scenario), "--port", str(port), "--seed", "3"],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_serving(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, ""


def from_the_dashboard(url: str, dashboard: str) -> bool:
    """Whether the page's request for ``url`` goes to the dashboard (or stays in the page: blob:, data:)."""
    return url.startswith(("blob:", "data:", dashboard, dashboard.replace("http", "ws", 1)))


def test_front_end_files_come_only_from_the_installed_packages(dashboard):
    status, page = fetch(dashboard)
    assert status == 200
    # no CDN proxy route: it fetches a file missing from its cache from the internet
    assert fetch(dashboard + "_solara/cdn/requirejs@2.3.6/require.js")[0] == 404
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css)[^"]*)"', page)
    assert any("solara-vuetify-app" in a for a in assets), assets
    for asset in assets:
        assert not re.match(r"(https?:)?//", asset), f"page loads {asset} from outside this machine"
        assert fetch(dashboard + asset.lstrip("/"))[0] == 200, asset


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no chromium at {CHROMIUM} (scripts/install-browser.sh installs it)")
def test_dashboard_in_a_browser(dashboard, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1500})
            bad: list[str] = []
            page.on("requestfailed", lambda r: bad.append(f"{r.url} ({r.failure})"))
            page.on("response", lambda r: bad.append(f"{r.url} ({r.status})") if r.status >= 400 else None)
            page.on(
                "request",
                lambda r: (
                    None if from_the_dashboard(r.url, dashboard) else bad.append(f"{r.url} (not from the dashboard)")
                ),
            )
            page.goto(dashboard)
            readout = page.locator(".sandbox-readout")
            month = page.get_by_test_id("month")
            expect(month).to_have_text("0", timeout=30_000)
            expect(readout).to_contain_text("inspections 25 a month")

            # every control's value reads without dragging; Mesa's technical controls and tabs are gone
            sidebar = page.locator(".v-navigation-drawer")
            for reading in (
                "Rate cap, APR: 36%",
                "Disclosure level: off",
                "Licensing screening: off",
                "Inspections a month: 2",
                "Investor education: off",
            ):
                expect(sidebar).to_contain_text(reading)
            body = page.locator("body")
            for gone in ("Play Interval", "Render Interval", "Use Threads", "Page 0", "Time:"):
                expect(body).not_to_contain_text(gone, ignore_case=True)

            # change a control: click at 30% of the inspection capacity slider (0 to 50)
            slider = page.get_by_role("slider", name="Inspections a month")
            track = page.locator(".v-input__slider", has_text="Inspections a month").locator(".v-slider")
            box = track.bounding_box()
            page.mouse.click(box["x"] + 0.3 * box["width"], box["y"] + box["height"] / 2)
            expect(slider).not_to_have_attribute("aria-valuenow", "25")
            capacity = slider.get_attribute("aria-valuenow")
            expect(sidebar).to_contain_text(f"Inspections a month: {capacity}")

            # reset: a new model under the control's value
            page.get_by_role("button", name="Reset").click()
            expect(readout).to_contain_text(f"inspections {capacity} a month", timeout=15_000)
            expect(readout).to_contain_text("controls changed from the scenario: inspection_capacity")

            # the charts are images in this order: platforms, alive by type, failures, sentiment, loss
            alive_chart = page.locator("img").nth(1)
            expect(alive_chart).to_be_visible()
            before = alive_chart.screenshot()
            for k in range(1, 4):
                page.get_by_role("button", name="Step").click()
                expect(month).to_have_text(str(k), timeout=15_000)
            expect(readout).to_contain_text("last simulated: 2014-03")
            deadline = time.monotonic() + 10
            while alive_chart.screenshot() == before and time.monotonic() < deadline:
                time.sleep(0.2)
            assert alive_chart.screenshot() != before, "the platforms-alive chart did not change after 3 steps"

            shot = tmp_path / "dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            with contextlib.suppress(OSError):  # a copy for a person to look at
                shutil.copyfile(shot, SCREENSHOT_COPY)
            assert not bad, f"requests that failed (assets must be served offline): {bad}"
        finally:
            browser.close()
