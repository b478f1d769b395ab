"""NRR compounding engine (issue 4): compounding, monthly steps, cohorts, goal-seek,
Monte Carlo, the Excel UDFs, and the marimo notebook as a script and as exported HTML."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import udfs
from tests.conftest import assert_no_marimo_errors, call_udf, export_html, udf_meta
from udfs import MOTIONS, goal_seek_expansion, monte_carlo_nrr, simulate_nrr
from udfs.core._args import InputError
from udfs.simulation import monte_carlo

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "simulations" / "nrr_compounding.py"


def rates_for(nrr: float, churn: float = 0.08, contraction: float = 0.04) -> list[float]:
    """Five expansion rates (a fixed mix) that give ``nrr`` with these losses."""
    mix = np.array([0.35, 0.25, 0.2, 0.12, 0.08])
    return list((nrr - 1 + churn + contraction) * mix)


@pytest.mark.parametrize("steps", ["monthly", "annual"])
@pytest.mark.parametrize(("nrr", "after"), [(1.2, 12_000_000), (1.3, 13_000_000)])
def test_spec_figures_one_year(steps, nrr, after):
    sim = simulate_nrr(10_000_000, 1, 0.08, 0.04, rates_for(nrr), 0, steps)
    assert sim.final_arr == pytest.approx(after, rel=1e-12)
    assert sim.nrr == pytest.approx(nrr)
    assert sim.years["nrr"].iloc[0] == pytest.approx(nrr, rel=1e-12)
    assert sim.years["grr"].iloc[0] == pytest.approx(0.88, rel=1e-12)


def test_spec_figures_through_excel():
    out = call_udf("NRR_SIMULATE", 10_000_000, 1, 0.08, 0.04, rates_for(1.2), None, "annual")
    assert out[0] == ["year", "arr", "retained_base", *MOTIONS, "new_logos"]
    assert out[-1][0] == 1 and out[-1][1] == pytest.approx(12_000_000)
    monthly = call_udf("NRR_SIMULATE", 10_000_000, 1, 0.08, 0.04, rates_for(1.3))
    assert len(monthly) == 1 + 13 and monthly[-1][1] == pytest.approx(13_000_000)


def test_monthly_steps_compound_exactly_to_the_annual_figure():
    monthly = simulate_nrr(10_000_000, 5, 0.1, 0.05, rates_for(1.18, 0.1, 0.05), 0, "monthly")
    annual = simulate_nrr(10_000_000, 5, 0.1, 0.05, rates_for(1.18, 0.1, 0.05), 0, "annual")
    arr = monthly.path["arr"].to_numpy()
    assert arr[::12] == pytest.approx(annual.path["arr"].to_numpy(), rel=1e-12)
    # every month grows by the same m, and m ** 12 is the annual NRR
    assert arr[1:] / arr[:-1] == pytest.approx(np.full(60, 1.18 ** (1 / 12)), rel=1e-12)
    # a year's flows are exactly the annual rates × start-of-year ARR
    y = monthly.years
    assert y["churn"].to_numpy() == pytest.approx(0.1 * y["starting_arr"].to_numpy(), rel=1e-12)
    assert y["nrr"].to_numpy() == pytest.approx(np.full(5, 1.18), rel=1e-12)
    assert y["grr"].to_numpy() == pytest.approx(np.full(5, 0.85), rel=1e-12)


def test_monthly_new_logos_land_every_month_not_at_year_end():
    # flat retention: ARR climbs by a twelfth of the year's new logos every month
    flat = simulate_nrr(10_000_000, 2, 0.0, 0.0, [0.0] * 5, 1_200_000, "monthly")
    assert np.diff(flat.path["arr"].to_numpy()) == pytest.approx(np.full(24, 100_000), rel=1e-12)
    # with churn and expansion: no month's step is more than the year's growth allows
    sim = simulate_nrr(10_000_000, 3, 0.1, 0.05, rates_for(1.1, 0.1, 0.05), 2_400_000, "monthly")
    arr = sim.path["arr"].to_numpy()
    m = 1.1 ** (1 / 12)
    assert arr[1:] == pytest.approx(arr[:-1] * m + 200_000, rel=1e-12)
    y = sim.years
    # the year's NRR and GRR are those of the ARR held at its start (new logos apart)
    assert y["nrr"].to_numpy() == pytest.approx(np.full(3, 1.1), rel=1e-12)
    assert y["grr"].to_numpy() == pytest.approx(np.full(3, 0.85), rel=1e-12)
    landed = 200_000 * sum(m**k for k in range(12))  # each month's logos, grown to year end
    assert y["new_logo_retained"].to_numpy() == pytest.approx(np.full(3, landed), rel=1e-12)
    ends = y["starting_arr"] + y["expansion"] - y["contraction"] - y["churn"] + y["new_logo_retained"]
    assert ends.to_numpy() == pytest.approx(y["ending_arr"].to_numpy(), rel=1e-12)
    # annual steps keep the year-end landing of ARR_AFTER
    annual = simulate_nrr(10_000_000, 3, 0.1, 0.05, rates_for(1.1, 0.1, 0.05), 2_400_000, "annual")
    assert annual.years["new_logo_retained"].tolist() == [2_400_000] * 3


def test_year_ends_match_arr_after_and_projection():
    sim = simulate_nrr(8_000_000, 4, 0.06, 0.03, rates_for(1.12, 0.06, 0.03), 750_000, "annual")
    ends = sim.path["arr"].to_numpy()
    assert ends == pytest.approx(udfs.nrr_projection(8_000_000, 1.12, 4, 750_000)["arr"].to_numpy(), rel=1e-12)
    assert ends[-1] == pytest.approx(udfs.arr_after(8_000_000, 1.12, 4, 750_000), rel=1e-12)
    monthly = simulate_nrr(8_000_000, 4, 0.06, 0.03, rates_for(1.12, 0.06, 0.03), 0)
    assert monthly.path["arr"].to_numpy()[::12] == pytest.approx(
        udfs.nrr_projection(8_000_000, 1.12, 4)["arr"].to_numpy(), rel=1e-12
    )


def test_pools_add_up_and_cohorts_layer_to_arr():
    sim = simulate_nrr(10_000_000, 6, 0.09, 0.03, [0.1, 0.05, 0.04, 0.02, 0.01], 2_000_000)
    p = sim.path
    parts = p[["retained_base", *MOTIONS, "new_logos"]].sum(axis=1).to_numpy()
    assert parts == pytest.approx(p["arr"].to_numpy(), rel=1e-12)
    # losses hit every pool in proportion: with annual steps the base keeps exactly GRR;
    # monthly, part of the year's losses fall on expansion booked earlier in the year
    annual = simulate_nrr(10_000_000, 6, 0.09, 0.03, [0.1, 0.05, 0.04, 0.02, 0.01], 2_000_000, "annual")
    assert annual.path["retained_base"].iloc[1] == pytest.approx(10_000_000 * 0.88, rel=1e-12)
    assert 10_000_000 * 0.88 < p["retained_base"].iloc[12] < 10_000_000
    assert (p[list(MOTIONS)].to_numpy() >= 0).all()
    cake = sim.cohorts.groupby("year")["arr"].sum().to_numpy()
    assert cake == pytest.approx(p["arr"].to_numpy()[::12], rel=1e-12)
    assert sorted(sim.cohorts["cohort"].unique())[0] == "Starting base"
    assert sim.cohorts.query("year == 6")["cohort"].nunique() == 7


def test_expansion_split_follows_the_motion_rates():
    rates = [0.1, 0.05, 0.04, 0.02, 0.01]
    sim = simulate_nrr(10_000_000, 1, 0.05, 0.02, rates, 0, "annual")
    year = sim.years.iloc[0]
    assert [year[m] for m in MOTIONS] == pytest.approx([r * 10_000_000 for r in rates])
    assert year["expansion_share"] == pytest.approx(1.0)


def test_playbook_expansion_rates():
    plays = udfs.default_plays()
    rates = udfs.playbook_expansion_rates(10_000_000, 200, [10, 5, 5, 2, 2])
    avg = 10_000_000 / 200
    expected = np.array([10, 5, 5, 2, 2]) * 4 * plays["close_rate"].to_numpy() * plays["arr_increase_share"].to_numpy() * avg / 10_000_000
    assert rates == pytest.approx(expected)
    custom = udfs.playbook_expansion_rates(1_000_000, 10, 3, close_rates=0.5, deal_sizes=10_000)
    assert custom == pytest.approx(np.full(5, 3 * 4 * 0.5 * 10_000 / 1_000_000))
    by_name = udfs.playbook_expansion_rates(1_000_000, 10, {"Cross-sell": 1})
    assert by_name[:4].tolist() == [0, 0, 0, 0] and by_name[4] > 0
    with pytest.raises(ValueError, match=r"^triggers_per_quarter: expected 1 or 5 values"):
        udfs.playbook_expansion_rates(1_000_000, 10, [1, 2])


@settings(max_examples=60, deadline=None)
@given(
    targets=st.lists(st.floats(0.5, 2.0), min_size=1, max_size=6),
    churn=st.floats(0, 0.3), contraction=st.floats(0, 0.2),
    rates=st.lists(st.floats(0, 0.3), min_size=5, max_size=5),
)
def test_goal_seek_reaches_the_target(targets, churn, contraction, rates):
    out = goal_seek_expansion(targets, churn, contraction, rates)
    assert len(out) == len(targets)
    grr = 1 - churn - contraction
    for row, target in zip(out.itertuples(index=False), targets, strict=True):
        required = np.array(row[3:8])
        assert (required >= 0).all()
        reached = udfs.plan_nrr(churn, contraction, required)
        assert reached == pytest.approx(max(target, grr), abs=1e-9)
        if sum(rates) > 0 and target > grr:  # the mix is kept
            assert required / required.sum() == pytest.approx(np.array(rates) / sum(rates))
    sim = simulate_nrr(1_000_000, 1, churn, contraction, out.iloc[0][list(MOTIONS)].to_numpy(float))
    assert sim.final_arr == pytest.approx(1_000_000 * max(targets[0], grr), rel=1e-9)


def test_goal_seek_udf():
    out = call_udf("NRR_GOAL_SEEK", [1.1, 1.2], 0.08, 0.04, [0.1, 0.05, 0.05, 0, 0])
    head = out[0]
    assert head[:3] == ["target_nrr", "scale", "required_expansion"]
    assert [r[1] for r in out[1:]] == pytest.approx([1.1, 1.6])


def test_zero_spread_monte_carlo_equals_the_deterministic_path():
    args = (10_000_000, 5, 0.08, 0.04, rates_for(1.15), 1_000_000)
    for steps in ("monthly", "annual"):
        det = simulate_nrr(*args, steps).path["arr"].to_numpy()
        mc = monte_carlo_nrr(*args, steps, paths=500, spread=0, seed=7, keep_paths=True)
        for col in ("p10", "p50", "p90", "mean", "deterministic"):
            assert mc.fan[col].to_numpy() == pytest.approx(det, rel=1e-12), (steps, col)
        assert np.allclose(mc.arr, det[:, None], rtol=1e-12, atol=0)


def test_same_seed_same_fan_other_seed_other_fan():
    args = (10_000_000, 5, 0.08, 0.04, rates_for(1.15), 1_000_000)
    a = monte_carlo_nrr(*args, paths=2_000, spread=0.3, seed=11, target_arr=20_000_000)
    b = monte_carlo_nrr(*args, paths=2_000, spread=0.3, seed=11, target_arr=20_000_000)
    c = monte_carlo_nrr(*args, paths=2_000, spread=0.3, seed=12, target_arr=20_000_000)
    assert a.fan.equals(b.fan) and a.p_target == b.p_target
    assert not np.allclose(a.fan["p50"], c.fan["p50"], rtol=1e-9)
    f = a.fan
    assert (f["p10"] <= f["p50"]).all() and (f["p50"] <= f["p90"]).all()
    assert f["p90"].iloc[-1] > f["p10"].iloc[-1]
    assert 0 <= a.p_target <= 1
    assert a.p_target == pytest.approx(np.mean(a.final_arr >= 20_000_000))


def test_monte_carlo_is_centred_on_the_plan():
    args = (10_000_000, 3, 0.08, 0.04, rates_for(1.15), 0)
    mc = monte_carlo_nrr(*args, paths=20_000, spread=0.2, seed=3, redraw="year")
    # mean-one factors: expected ARR after one year is the deterministic one
    det = mc.fan["deterministic"].to_numpy()
    assert mc.fan["mean"].iloc[12] == pytest.approx(det[12], rel=0.005)
    persistent = monte_carlo_nrr(*args, paths=20_000, spread=0.2, seed=3, redraw="path")
    spread_year = mc.fan["p90"].iloc[-1] - mc.fan["p10"].iloc[-1]
    spread_path = persistent.fan["p90"].iloc[-1] - persistent.fan["p10"].iloc[-1]
    assert spread_path > spread_year  # a rate that stays off compounds its miss


def test_draws_persist_per_path_by_default_and_per_year_on_request():
    args = (10_000_000, 4, 0.08, 0.04, rates_for(1.15), 0)
    persistent = monte_carlo_nrr(*args, paths=400, spread=0.3, seed=5, keep_paths=True)
    assert persistent.draws["churn"].shape == (1, 400)
    growth = persistent.arr[12::12] / persistent.arr[:-12:12]  # each path's NRR, year by year
    assert np.allclose(growth, growth[0], rtol=1e-12)  # the same every year of a path
    assert growth[0].std() > 0.01  # and different between paths
    yearly = monte_carlo_nrr(*args, paths=400, spread=0.3, seed=5, keep_paths=True, redraw="year")
    assert yearly.draws["churn"].shape == (4, 400) and yearly.draws["expansion"].shape == (4, 400, 5)
    g = yearly.arr[12::12] / yearly.arr[:-12:12]
    assert not np.allclose(g, g[0], rtol=1e-3)
    # a rate that stays off compounds its miss: the persistent fan is the wider one
    width = {mc.draws["churn"].shape[0]: mc.fan["p90"].iloc[-1] - mc.fan["p10"].iloc[-1] for mc in (persistent, yearly)}
    assert width[1] > width[4]


@pytest.mark.parametrize("rho", [-0.7, 0.0, 0.7])
def test_churn_expansion_correlation_shows_in_the_draws(rho):
    mc = monte_carlo_nrr(10_000_000, 3, 0.1, 0.04, rates_for(1.1, 0.1, 0.04), paths=20_000, spread=0.3, seed=2, correlation=rho)
    churn = np.log(mc.draws["churn"][0])
    for m in range(5):
        r = np.corrcoef(churn, np.log(mc.draws["expansion"][0, :, m]))[0, 1]
        assert r == pytest.approx(rho, abs=0.03)


def test_negative_correlation_widens_the_fan():
    args = (10_000_000, 5, 0.1, 0.04, rates_for(1.1, 0.1, 0.04), 0)
    width = {}
    for rho in (-0.8, 0.8):
        f = monte_carlo_nrr(*args, paths=5_000, spread=0.3, seed=9, correlation=rho).fan.iloc[-1]
        width[rho] = f["p90"] - f["p10"]
    assert width[-0.8] > 1.2 * width[0.8]  # bad churn and weak expansion arrive together


def test_zero_spread_is_the_deterministic_path_whatever_the_draw_options():
    args = (10_000_000, 3, 0.08, 0.04, rates_for(1.15), 1_000_000)
    det = simulate_nrr(*args).path["arr"].to_numpy()
    for redraw in ("path", "year"):
        mc = monte_carlo_nrr(*args, paths=50, spread=0, correlation=-0.5, redraw=redraw, keep_paths=True)
        assert np.allclose(mc.arr, det[:, None], rtol=1e-12, atol=0)


def test_paths_times_steps_is_bounded_by_a_named_error():
    big = monte_carlo.CELLS_MAX  # more paths than the bound allows for any horizon
    with pytest.raises(ValueError, match=r"^paths: expected at most [\d,]+ paths for 50 years of monthly steps .*got 1000000$"):
        monte_carlo_nrr(10_000_000, 50, 0.08, 0.04, rates_for(1.1), paths=1_000_000)
    with pytest.raises(ValueError, match=r"^paths: expected a whole number from 1 to"):
        monte_carlo_nrr(10_000_000, 1, 0.08, 0.04, rates_for(1.1), paths=big)
    # the bound is on paths × steps: the same paths fit in annual steps
    mc = monte_carlo_nrr(10_000_000, 50, 0.08, 0.04, rates_for(1.1), 0, "annual", paths=100_000, spread=0)
    assert len(mc.final_arr) == 100_000
    with pytest.raises(ValueError, match=r"^redraw: expected one of path, year"):
        monte_carlo_nrr(10_000_000, 1, 0.08, 0.04, rates_for(1.1), redraw="month")
    with pytest.raises(ValueError, match=r"^correlation: expected a correlation from -1 to 1, got 1.5$"):
        monte_carlo_nrr(10_000_000, 1, 0.08, 0.04, rates_for(1.1), correlation=1.5)


def test_monte_carlo_udf_bound_and_options():
    with pytest.raises(ValueError, match=r"^paths: expected at most"):
        call_udf("NRR_MONTE_CARLO", 10_000_000, 50, 0.08, 0.04, rates_for(1.2), None, 0.2, 1_000_000)
    a = call_udf("NRR_MONTE_CARLO", 10_000_000, 2, 0.08, 0.04, rates_for(1.2), None, 0.3, 500, 1, "annual", -0.5, "year")
    b = call_udf("NRR_MONTE_CARLO", 10_000_000, 2, 0.08, 0.04, rates_for(1.2), None, 0.3, 500, 1, "annual", 0.5, "year")
    assert a[0] == ["year", "p10", "p50", "p90"] and a != b


def test_monte_carlo_progress_hook_sees_every_year():
    seen = []

    def progress(years):
        for y in years:
            seen.append(y)
            yield y

    monte_carlo_nrr(1_000_000, 4, 0.05, 0.02, rates_for(1.1, 0.05, 0.02), paths=10, progress=progress)
    assert seen == [0, 1, 2, 3]


def test_monte_carlo_udf():
    out = call_udf("NRR_MONTE_CARLO", 10_000_000, 2, 0.08, 0.04, rates_for(1.2), None, 0, 100, 1, "annual")
    assert out[0] == ["year", "p10", "p50", "p90"]
    assert [r[2] for r in out[1:]] == pytest.approx([10e6, 12e6, 14.4e6])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (("NRR_SIMULATE", 10_000_000, 0, 0.08, 0.04, [0.1] * 5), r"^years: expected a number ≥ 1"),
        (("NRR_SIMULATE", 10_000_000, 5, "#N/A", 0.04, [0.1] * 5), r"^churn: expected a fraction"),
        (("NRR_SIMULATE", 10_000_000, 5, 0.7, 0.4, [0.1] * 5), r"^contraction: expected churn \+ contraction at most 1"),
        (("NRR_SIMULATE", 10_000_000, 5, 0.08, 0.04, [0.1] * 4), r"^expansion: expected 5 rates"),
        (("NRR_SIMULATE", 10_000_000, 5, 0.08, 0.04, [0.1, 0.1, None, 0.1, 0.1]), r"^expansion: expected an annual expansion rate.*\(item 3\)$"),
        (("NRR_SIMULATE", None, 5, 0.08, 0.04, [0.1] * 5), r"^starting_arr: expected a number"),
        (("NRR_SIMULATE", 10_000_000, 5, 0.08, 0.04, [0.1] * 5, None, "weekly"), r"^steps: expected one of monthly, annual"),
        (("NRR_GOAL_SEEK", "abc", 0.08, 0.04, [0.1] * 5), r"^target_nrr: expected"),
        (("NRR_MONTE_CARLO", 10_000_000, 5, 0.08, 0.04, [0.1] * 5, None, -1), r"^spread: expected a non-negative"),
    ],
)
def test_bad_input_is_one_named_line(call, message):
    with pytest.raises(Exception) as info:
        call_udf(*call)
    assert type(info.value) is InputError
    assert "\n" not in str(info.value)
    assert re.search(message, str(info.value)), str(info.value)


def test_udfs_have_help_text():
    meta = udf_meta()
    for name in ("NRR_SIMULATE", "NRR_GOAL_SEEK", "NRR_MONTE_CARLO"):
        assert "Example: =" + name in meta[name]["description"]
        assert all(p["description"] for p in meta[name]["parameters"])


# --------------------------------------------------------------------------- the notebook


@pytest.mark.parametrize("cwd", [ROOT, ROOT / "simulations"])
def test_notebook_runs_as_a_script(cwd):
    done = subprocess.run(
        [sys.executable, str(NOTEBOOK)], cwd=cwd, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_notebook_finds_udfs_without_an_installed_package(tmp_path):
    """The first cell puts the repo root on sys.path only when `import udfs` fails."""
    runner = tmp_path / "run_without_udfs.py"
    runner.write_text(
        "import runpy, sys\n"
        "sys.meta_path[:] = [f for f in sys.meta_path if getattr(f, '__name__', '') != '_EditableFinder']\n"
        f"sys.path[:] = [p for p in sys.path if p not in ('', {str(ROOT)!r}, {str(NOTEBOOK.parent)!r})]\n"
        "try:\n"
        "    import udfs\n"
        "    sys.exit('udfs is still importable')\n"
        "except ImportError:\n"
        "    pass\n"
        "runpy.run_path(sys.argv[1], run_name='__main__')\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(runner), str(NOTEBOOK)], cwd=tmp_path, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stdout[-1000:] + done.stderr[-2000:]


def session_of(html: str) -> dict:
    """The cell outputs marimo embeds in an exported HTML page."""
    at = html.index('"session"')
    return json.JSONDecoder().raw_decode(html[html.index("{", at):])[0]


def exported(tmp_path: Path, *args: str) -> tuple[dict, str]:
    """Export the notebook (with the notebook's own ``args``); no cell may show an error."""
    html = export_html(NOTEBOOK, tmp_path / "nrr.html", *(("--", *args) if args else ()))
    assert_no_marimo_errors(html)
    session = session_of(html)
    cells = session["cells"]
    assert len(cells) == NOTEBOOK.read_text(encoding="utf-8").count("@app.cell")
    for cell in cells:
        for output in cell["outputs"]:
            assert output["type"] != "error", (cell["id"], output)
        for line in cell["console"]:
            assert line.get("mimetype") != "application/vnd.marimo+traceback", (cell["id"], line)
            assert line.get("name") != "stderr", (cell["id"], line)
    text = json.dumps(session)
    assert "ARR in 5 years:" in text
    assert "Traceback" not in text and "MarimoExceptionRaisedError" not in text
    return session, text


def test_notebook_exports_to_html_without_errors(tmp_path):
    exported(tmp_path)  # the bundled sample history when there is one, else assumptions


def test_notebook_exports_from_a_measured_history(tmp_path):
    from tests.test_simulate_history import book

    history = tmp_path / "history.csv"
    book(200, seed=3).to_csv(history, index=False)
    m = udfs.measured_plan(book(200, seed=3))
    _, text = exported(tmp_path, "--history", str(history))
    assert f"from history.csv: the 12 months to {m.month}" in text
    assert f"NRR {m.nrr * 100:.1f}%" in text and f"(measured: the 12 months to {m.month})" in text
    assert "Account bootstrap" in text and f"{m.accounts:,} accounts measured" in text


def test_notebook_says_why_a_history_cannot_be_measured(tmp_path):
    history = tmp_path / "short.csv"
    history.write_text("account_id,month,arr\na1,2026-01,100\na1,2026-02,120\n", encoding="utf-8")
    _, text = exported(tmp_path, "--history", str(history))
    assert "Could not measure the history" in text and "expected at least 13 months" in text


@settings(max_examples=25, deadline=None)
@given(
    churn=st.floats(0, 0.4), contraction=st.floats(0, 0.2),
    rates=st.lists(st.floats(0, 0.2), min_size=5, max_size=5),
    rho=st.floats(-1, 1), redraw=st.sampled_from(["path", "year"]), steps=st.sampled_from(["monthly", "annual"]),
    years=st.integers(1, 4), new_logo=st.floats(0, 5e6),
)
def test_zero_spread_is_deterministic_and_correlation_keeps_its_sign(churn, contraction, rates, rho, redraw, steps, years, new_logo):
    args = (10_000_000, years, churn, contraction, rates, new_logo, steps)
    det = simulate_nrr(*args).path["arr"].to_numpy()
    flat = monte_carlo_nrr(*args, paths=20, spread=0, correlation=rho, redraw=redraw, keep_paths=True)
    assert np.allclose(flat.arr, det[:, None], rtol=1e-12, atol=1e-6)
    mc = monte_carlo_nrr(*args, paths=4_000, spread=0.2, correlation=rho, redraw=redraw, seed=1)
    motion = int(np.argmax(rates))
    if churn > 0.01 and rates[motion] > 0.01 and abs(rho) >= 0.3:  # log of a drawn rate: log(rate) + σz − σ²/2
        z_churn = np.log(mc.draws["churn"].ravel())
        r = np.corrcoef(z_churn, np.log(mc.draws["expansion"][..., motion].ravel()))[0, 1]
        assert np.sign(r) == np.sign(rho) and abs(r - rho) < 0.1
