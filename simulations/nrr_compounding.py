import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="NRR compounding")


@app.cell
def _():
    import sys
    from pathlib import Path

    import altair as alt
    import marimo as mo
    import numpy as np
    import pandas as pd

    try:
        import udfs
    except ImportError:  # run from simulations/ or elsewhere: the repo root holds udfs/
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        import udfs
    from udfs import (
        MOTIONS,
        arr_after,
        default_plays,
        expansion_share,
        expansion_share_benchmark,
        goal_seek_expansion,
        grr,
        monte_carlo_nrr,
        nrr,
        nrr_benchmark,
        nrr_projection,
        nrr_stage,
        plan_nrr,
        playbook_expansion_rates,
        simulate_nrr,
    )
    return (
        MOTIONS, alt, arr_after, default_plays, expansion_share, expansion_share_benchmark,
        goal_seek_expansion, grr, mo, monte_carlo_nrr, np, nrr, nrr_benchmark, nrr_projection,
        nrr_stage, pd, plan_nrr, playbook_expansion_rates, simulate_nrr, udfs,
    )


@app.cell
def _():
    def money(x):
        """$12.0M, $850K, $1.2B: as a finance reader expects."""
        if x is None or x != x:
            return "–"
        sign, x = ("-" if x < 0 else ""), abs(x)
        if x >= 1e9:
            return f"{sign}${x / 1e9:.1f}B"
        if x >= 1e6:
            return f"{sign}${x / 1e6:.1f}M"
        if x >= 1e3:
            return f"{sign}${x / 1e3:.0f}K"
        return f"{sign}${x:.0f}"

    def pct(x, digits=0):
        return "–" if x is None or x != x else f"{x * 100:.{digits}f}%"

    return money, pct


@app.cell(hide_code=True)
def _(mo):
    mo.md("""
    # NRR compounding

    What net revenue retention does to ARR over the years: move the **NRR** slider or the
    expansion inputs and every number below recomputes. The engine is the same Python that
    Excel calls (`=NRR_SIMULATE`, `=NRR_GOAL_SEEK`, `=ARR_AFTER`, `=NRR_BENCHMARK`).
    """)
    return


@app.cell
def _(MOTIONS, default_plays, mo):
    plays = default_plays()
    start_arr = mo.ui.number(start=0, stop=10_000_000_000, step=250_000, value=10_000_000, label="Starting ARR ($)")
    customers = mo.ui.number(start=1, stop=1_000_000, step=10, value=250, label="Customers")
    new_logo = mo.ui.number(start=0, stop=1_000_000_000, step=250_000, value=2_000_000, label="New-logo ARR per year ($)")
    churn = mo.ui.slider(0, 40, step=0.5, value=8, label="Annual gross churn (%)", show_value=True)
    contraction = mo.ui.slider(0, 30, step=0.5, value=4, label="Annual contraction (%)", show_value=True)
    nrr_slider = mo.ui.slider(70, 160, step=1, value=118, label="NRR (%)", show_value=True, full_width=True)
    drive = mo.ui.radio(
        options=["NRR slider", "Expansion inputs"], value="NRR slider",
        label="Headline NRR from", inline=True,
    )
    mode = mo.ui.radio(
        options=["Rate per motion", "From playbook"], value="Rate per motion",
        label="Expansion", inline=True,
    )
    default_rates = dict(zip(MOTIONS, (8.0, 6.0, 5.0, 3.0, 2.0), strict=True))
    rates = mo.ui.dictionary(
        {m: mo.ui.slider(0, 40, step=0.5, value=default_rates[m], show_value=True, label=m) for m in MOTIONS},
        label="Annual expansion rate per motion (% of ARR)",
    )
    default_triggers = dict(zip(MOTIONS, (12, 6, 10, 3, 2), strict=True))
    triggers = mo.ui.dictionary(
        {m: mo.ui.number(start=0, stop=100_000, step=1, value=default_triggers[m]) for m in MOTIONS},
        label="Triggers per quarter",
    )
    close = mo.ui.dictionary(
        {m: mo.ui.number(start=0, stop=100, step=0.5, value=round(100 * plays.loc[m, "close_rate"], 1)) for m in MOTIONS},
        label="Close rate (%)",
    )
    deal = mo.ui.dictionary(
        {m: mo.ui.number(start=0, stop=500, step=5, value=round(100 * plays.loc[m, "arr_increase_share"])) for m in MOTIONS},
        label="Deal size (% of account ARR)",
    )
    horizon = mo.ui.slider(1, 10, step=1, value=5, label="Horizon (years)", show_value=True)
    steps = mo.ui.radio(options=["monthly", "annual"], value="monthly", label="Steps", inline=True)
    spread = mo.ui.slider(0, 100, step=5, value=25, label="Monte Carlo spread (% of each rate)", show_value=True)
    paths = mo.ui.dropdown(options=["1000", "10000", "50000"], value="10000", label="Paths")
    seed = mo.ui.number(start=0, stop=2**31 - 1, step=1, value=42, label="Seed")
    target = mo.ui.number(start=0, stop=100_000_000_000, step=500_000, value=25_000_000, label="Target ARR ($)")
    return (
        churn, close, contraction, customers, deal, drive, horizon, mode, new_logo, nrr_slider,
        paths, rates, seed, spread, start_arr, steps, target, triggers,
    )


@app.cell
def _(
    MOTIONS, churn, close, contraction, customers, deal, drive, horizon, mo, mode, new_logo,
    nrr_slider, paths, rates, seed, spread, start_arr, steps, target, triggers,
):
    if mode.value == "Rate per motion":
        _expansion = mo.vstack(
            [mo.md("Annual expansion rate per motion (% of ARR)"),
             mo.hstack([rates[m] for m in MOTIONS[:3]], justify="start", gap=2),
             mo.hstack([rates[m] for m in MOTIONS[3:]], justify="start", gap=2)],
            gap=0.25,
        )
    else:
        _head = ["Motion", "Triggers per quarter", "Close rate (%)", "Deal size (% of account ARR)"]
        _expansion = mo.vstack(
            [mo.hstack([mo.md(f"**{h}**") for h in _head], widths="equal")]
            + [mo.hstack([mo.md(m), triggers[m], close[m], deal[m]], widths="equal") for m in MOTIONS],
            gap=0.25,
        )
    mo.vstack(
        [
            nrr_slider,
            mo.hstack([drive, horizon, steps], justify="start", gap=2),
            mo.hstack([start_arr, customers, new_logo], justify="start", gap=1),
            mo.hstack([churn, contraction], justify="start", gap=2),
            mode,
            _expansion,
            mo.hstack([spread, paths, seed, target], justify="start", gap=1),
        ],
        gap=0.75,
    )
    return


@app.cell
def _(close, customers, deal, mode, np, playbook_expansion_rates, rates, start_arr, triggers):
    # The plan: five annual expansion rates, typed or built from the playbook (SPEC §4).
    if mode.value == "Rate per motion":
        plan_rates = np.array([rates.value[m] for m in rates.value]) / 100
    else:
        _avg_arr = (start_arr.value or 0) / max(customers.value or 1, 1)
        plan_rates = playbook_expansion_rates(
            max(start_arr.value or 0, 1),
            max(customers.value or 1, 1),
            triggers_per_quarter=[triggers.value[m] or 0 for m in triggers.value],
            close_rates=[(close.value[m] or 0) / 100 for m in close.value],
            deal_sizes=[(deal.value[m] or 0) / 100 * _avg_arr for m in deal.value],
        )
    return (plan_rates,)


@app.cell
def _(churn, contraction, drive, goal_seek_expansion, MOTIONS, nrr_slider, plan_nrr, plan_rates):
    # Goal-seek: the plan's motion mix, scaled uniformly to reach the NRR slider.
    c, d = churn.value / 100, contraction.value / 100
    planned_nrr = plan_nrr(c, d, plan_rates)
    goal = goal_seek_expansion([1.0, 1.1, 1.2, 1.3, nrr_slider.value / 100], c, d, plan_rates)
    seek = goal.iloc[-1]
    if drive.value == "NRR slider":
        used_rates = seek[list(MOTIONS)].to_numpy(dtype=float)
    else:
        used_rates = plan_rates
    used_nrr = plan_nrr(c, d, used_rates)
    return c, d, goal, planned_nrr, seek, used_nrr, used_rates


@app.cell
def _(c, d, drive, mo, nrr_slider, pct, plan_rates, planned_nrr, seek, used_nrr):
    if drive.value == "NRR slider":
        _how = (
            f"The headline follows the **NRR slider ({nrr_slider.value}%)**: your plan's motion mix "
            f"is scaled ×{seek['scale']:.2f} to reach it"
            if seek["scale"] == seek["scale"] else
            f"The headline follows the **NRR slider ({nrr_slider.value}%)**, expansion shared equally by the motions"
        )
        if used_nrr > nrr_slider.value / 100 + 1e-9:
            _how += f" (NRR cannot fall below GRR {pct(1 - c - d)} here)"
    else:
        _how = "The headline follows **your expansion inputs**"
    mo.callout(
        mo.md(
            f"Your plan: expansion {pct(float(plan_rates.sum()), 1)} of ARR a year, churn {pct(c, 1)}, "
            f"contraction {pct(d, 1)} → **NRR {pct(planned_nrr)}**, GRR {pct(1 - c - d)}. {_how}."
        ),
        kind="info",
    )
    return


@app.cell
def _(c, d, horizon, new_logo, simulate_nrr, start_arr, steps, used_rates):
    sim = simulate_nrr(start_arr.value or 0, horizon.value, c, d, used_rates, new_logo.value or 0, steps.value)
    return (sim,)


@app.cell
def _(horizon, mo, money, nrr_benchmark, nrr_stage, pct, sim, start_arr, used_nrr):
    _stage = nrr_stage(start_arr.value or 0)
    _band = nrr_benchmark(start_arr.value or 0, used_nrr)
    def _d(text):  # a literal dollar in markdown, not LaTeX
        return text.replace("$", r"\$")

    headline = mo.md(
        f"## ARR in {horizon.value} years: {_d(money(sim.final_arr))}\n"
        f"at **{pct(used_nrr)} NRR** and {pct(sim.grr)} GRR, from {_d(money(start_arr.value or 0))} today "
        f"· NRR band for the {_d(_stage['stage'])} ARR stage ({pct(_stage['low'])}–{pct(_stage['high'])}): **{_band}**"
    )
    headline
    return


@app.cell
def _(MOTIONS, alt, money, pd, sim):
    # ARR over time, stacked: retained base, expansion by motion, new logos.
    _layers = ["retained_base", *MOTIONS, "new_logos"]
    _names = {"retained_base": "Retained base", "new_logos": "New logos"}
    _long = sim.path[["year", *_layers]].melt(id_vars=["year"], var_name="layer", value_name="arr")
    _long["layer"] = _long["layer"].map(lambda x: _names.get(x, x))
    _order = [_names.get(x, x) for x in _layers]
    _long["order"] = _long["layer"].map({n: i for i, n in enumerate(_order)})
    _long["label"] = _long["arr"].map(money)
    stack_chart = (
        alt.Chart(_long, title="ARR over time")
        .mark_area()
        .encode(
            x=alt.X("year:Q", title="Year"),
            y=alt.Y("arr:Q", stack="zero", title="ARR", axis=alt.Axis(format="$.2s")),
            color=alt.Color("layer:N", sort=_order, title=None, scale=alt.Scale(scheme="tableau10")),
            order=alt.Order("order:Q"),
            tooltip=["year:Q", "layer:N", "label:N"],
        )
        .properties(width=620, height=300)
    )
    stack_chart
    return


@app.cell
def _(expansion_share, expansion_share_benchmark, grr, mo, money, new_logo, nrr, pct, sim, udfs):
    # NRR and GRR per year from the year's flows, by the same functions Excel calls.
    _y = sim.years
    _ok = _y["starting_arr"] > 0
    _t = _y.loc[_ok].copy()
    _t["NRR"] = nrr(_t["starting_arr"], _t["expansion"], _t["contraction"], _t["churn"])
    _t["GRR"] = grr(_t["starting_arr"], _t["contraction"], _t["churn"])
    _new = _t["expansion"] + (new_logo.value or 0)
    _t["share"] = expansion_share(_t["expansion"], new_logo.value or 0) if (_new > 0).all() else float("nan")
    _t["benchmark"] = (
        expansion_share_benchmark(_t["share"], _t["starting_arr"]) if (_new > 0).all() else "–"
    )
    year_table = mo.ui.table(
        [
            {
                "Year": int(r.year), "Start ARR": money(r.starting_arr), "Expansion": money(r.expansion),
                "Contraction": money(r.contraction), "Churn": money(r.churn),
                "New logos": money(r.new_logo_arr), "End ARR": money(r.ending_arr),
                "NRR": pct(r.NRR), "GRR": pct(r.GRR), "Expansion share": pct(r.share),
                "Share benchmark": r.benchmark,
            }
            for r in _t.itertuples()
        ],
        selection=None, pagination=False, label="NRR, GRR and expansion share of new ARR per year",
    )
    _pb = udfs.playbook  # the benchmark's numbers, as the functions above apply them

    def _pcts(*xs):
        return "–".join(f"{x * 100:g}" for x in xs) + " %"

    mo.vstack(
        [
            year_table,
            mo.md(
                f"Expansion share benchmark: {_pcts(*_pb.EXPANSION_SHARE_BEST_IN_CLASS)} best in class, "
                f"{_pcts(*_pb.EXPANSION_SHARE_MATURE)} above \\${_pb.EXPANSION_SHARE_MATURE_ARR / 1e6:g}M ARR; "
                f"below {_pcts(_pb.EXPANSION_SHARE_MISSED_BELOW)} with a real base is missed expansion, "
                f"above {_pcts(_pb.EXPANSION_SHARE_CHECK_ABOVE)} check new-logo acquisition."
            ),
        ]
    )
    return


@app.cell
def _(alt, arr_after, horizon, mo, money, new_logo, nrr_projection, pct, pd, start_arr, used_nrr):
    # Scenarios side by side: 100 / 110 / 120 / 130 % and yours (ARR_AFTER, NRR_PROJECTION).
    _scen = {"100%": 1.0, "110%": 1.1, "120%": 1.2, "130%": 1.3, f"Yours ({pct(used_nrr)})": used_nrr}
    _frames = []
    for _name, _r in _scen.items():
        _p = nrr_projection(start_arr.value or 0, _r, horizon.value, new_logo.value or 0)
        _p["scenario"] = _name
        _frames.append(_p)
    _long = pd.concat(_frames, ignore_index=True)
    _long["label"] = _long["arr"].map(money)
    _chart = (
        alt.Chart(_long, title="Scenarios")
        .mark_line(point=True)
        .encode(
            x=alt.X("year:O", title="Year", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("arr:Q", title="ARR", axis=alt.Axis(format="$.2s")),
            color=alt.Color("scenario:N", sort=list(_scen), title=None),
            strokeDash=alt.condition(alt.datum.scenario == list(_scen)[-1], alt.value([6, 3]), alt.value([1, 0])),
            tooltip=["scenario:N", "year:O", "label:N"],
        )
        .properties(width=420, height=260)
    )
    _finals = arr_after(start_arr.value or 0, list(_scen.values()), horizon.value, new_logo.value or 0)
    _cards = mo.hstack(
        [mo.stat(value=money(v), label=f"NRR {k}", caption=f"in {horizon.value} years", bordered=True)
         for k, v in zip(_scen, _finals, strict=True)],
        justify="start", gap=0.5, wrap=True,
    )
    mo.vstack([mo.md("### Scenarios: the gap between 100 % and 130 % widens every year"), _cards, _chart])
    return


@app.cell
def _(alt, money, sim):
    # Cohort layer cake: ARR by acquisition year.
    _c = sim.cohorts.copy()
    _c["label"] = _c["arr"].map(money)
    cohort_chart = (
        alt.Chart(_c, title="Cohort layer cake: ARR by acquisition year")
        .mark_area()
        .encode(
            x=alt.X("year:Q", title="Year"),
            y=alt.Y("arr:Q", stack="zero", title="ARR", axis=alt.Axis(format="$.2s")),
            color=alt.Color("cohort:N", sort=alt.SortField("acquired"), title=None, scale=alt.Scale(scheme="blues", reverse=True)),
            order=alt.Order("acquired:Q"),
            tooltip=["cohort:N", "year:Q", "label:N"],
        )
        .properties(width=620, height=260)
    )
    cohort_chart
    return


@app.cell
def _(MOTIONS, c, d, goal, mo, pct, plan_rates, planned_nrr):
    # Goal-seek: expansion per motion (the plan's mix, scaled) to reach each target NRR.
    _rows = [{"Target": "Your plan", "Scale": "1.00×", **{m: pct(r, 1) for m, r in zip(MOTIONS, plan_rates, strict=True)}, "NRR": pct(planned_nrr)}]
    for _r in goal.itertuples(index=False):
        _d = _r._asdict()
        _rows.append(
            {
                "Target": pct(_d["target_nrr"]),
                "Scale": "–" if _d["scale"] != _d["scale"] else f"{_d['scale']:.2f}×",
                **{m: pct(v, 1) for m, v in zip(MOTIONS, list(_d.values())[3:8], strict=True)},
                "NRR": pct(_d["reachable_nrr"]),
            }
        )
    mo.vstack(
        [
            mo.md(f"### Goal-seek\nGRR is {pct(1 - c - d)}: NRR needs expansion of (target − GRR) a year; your plan gives {pct(planned_nrr)}."),
            mo.ui.table(_rows, selection=None, pagination=False, label="Annual expansion per motion (% of ARR)"),
        ]
    )
    return


@app.cell
def _(c, d, horizon, mo, monte_carlo_nrr, new_logo, paths, seed, spread, start_arr, steps, target, used_rates):
    # Monte Carlo over churn, contraction and expansion rates (seeded, reproducible).
    _n = int(paths.value)
    _long_run = _n * horizon.value * (12 if steps.value == "monthly" else 1) > 1_500_000
    _progress = (
        (lambda it: mo.status.progress_bar(it, title="Monte Carlo", subtitle=f"{_n:,} paths", remove_on_exit=True))
        if _long_run else None
    )
    mc = monte_carlo_nrr(
        start_arr.value or 0, horizon.value, c, d, used_rates, new_logo.value or 0, steps.value,
        paths=_n, spread=spread.value / 100, seed=int(seed.value or 0),
        target_arr=target.value or 0, progress=_progress,
    )
    return (mc,)


@app.cell
def _(alt, horizon, mc, mo, money, paths, pct, spread):
    _f = mc.fan.copy()
    _base = alt.Chart(_f).encode(x=alt.X("year:Q", title="Year"))
    _band = _base.mark_area(opacity=0.25).encode(
        y=alt.Y("p10:Q", title="ARR", axis=alt.Axis(format="$.2s")), y2="p90:Q"
    )
    _mid = _base.mark_line().encode(y="p50:Q")
    _det = _base.mark_line(strokeDash=[4, 3], color="gray").encode(y="deterministic:Q")
    _fan = (_band + _mid + _det).properties(
        width=620, height=260, title=f"Monte Carlo: P10–P50–P90 ({int(paths.value):,} paths, spread {spread.value}%)"
    )
    _last = _f.iloc[-1]
    mo.vstack(
        [
            mo.md(f"### Uncertainty\nChurn, contraction and each motion's expansion drawn per path and year around the plan (spread {spread.value}% of each rate, seeded)."),
            mo.hstack(
                [
                    mo.stat(value=money(_last["p10"]), label="P10", caption=f"year {horizon.value}", bordered=True),
                    mo.stat(value=money(_last["p50"]), label="P50", caption=f"year {horizon.value}", bordered=True),
                    mo.stat(value=money(_last["p90"]), label="P90", caption=f"year {horizon.value}", bordered=True),
                    mo.stat(value=pct(mc.p_target), label=f"P(ARR ≥ {money(mc.target_arr)})", caption=f"by year {horizon.value}", bordered=True),
                ],
                justify="start", gap=0.5,
            ),
            _fan,
        ]
    )
    return


if __name__ == "__main__":
    app.run()
