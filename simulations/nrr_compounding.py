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

    ROOT = Path(__file__).resolve().parent.parent
    try:
        import udfs
    except ImportError:  # run from simulations/ or elsewhere: the repo root holds udfs/
        sys.path.insert(0, str(ROOT))
        import udfs
    from udfs import (
        MOTIONS,
        bootstrap_nrr,
        default_plays,
        expansion_share,
        expansion_share_benchmark,
        goal_seek_expansion,
        grr,
        measured_plan,
        monte_carlo_nrr,
        nrr,
        nrr_benchmark,
        nrr_stage,
        plan_nrr,
        playbook_expansion_rates,
        resample_rates,
        simulate_nrr,
        win_rates,
    )
    from workbook.formats import money, pct
    return (
        MOTIONS, Path, ROOT, alt, bootstrap_nrr, default_plays, expansion_share,
        expansion_share_benchmark, goal_seek_expansion, grr, measured_plan, mo, money, monte_carlo_nrr,
        np, nrr, nrr_benchmark, nrr_stage, pct, pd, plan_nrr, playbook_expansion_rates, resample_rates,
        simulate_nrr, udfs, win_rates,
    )


@app.cell
def _():
    def dollars(text):
        """A literal dollar in markdown, not LaTeX."""
        return text.replace("$", r"\$")

    return (dollars,)


@app.cell(hide_code=True)
def _(mo):
    mo.md("""
    # NRR compounding

    What net revenue retention does to ARR over the years. Start from your **ARR history**
    (the sample one, an upload, or `-- --history FILE`): churn, contraction and expansion of
    the last 12 months, starting ARR and customers of the last month. Every number that was
    not measured says **assumed**. Change any input and everything below recomputes, with the
    same Python that Excel calls (`=NRR_SIMULATE`, `=NRR_GOAL_SEEK`, `=NRR_MONTE_CARLO`).
    """)
    return


@app.cell
def _(ROOT, mo):
    # Where the measured figures come from: the command line, else the bundled sample.
    _cli = mo.cli_args()
    _sample = ROOT / "workbook" / "sample_arr_history.csv"
    history_path = _cli.get("history") or (str(_sample) if _sample.exists() else None)
    _sample_opps = ROOT / "workbook" / "sample_opportunities.csv"
    opportunities_path = _cli.get("opportunities") or (
        str(_sample_opps) if history_path == str(_sample) and _sample_opps.exists() else None
    )
    upload_history = mo.ui.file(filetypes=[".csv", ".xlsx"], label="Upload an ARR history (account_id, month, arr)")
    upload_opps = mo.ui.file(filetypes=[".csv", ".xlsx"], label="Upload opportunities (motion, amount, close_date, status)")
    return history_path, opportunities_path, upload_history, upload_opps


@app.cell
def _(Path, history_path, opportunities_path, upload_history, upload_opps):
    # The files to read: an upload wins over the command line and the sample.
    def _source(upload, path):
        if upload.value:
            return upload.value[0].contents, upload.value[0].name
        return (path, Path(path).name) if path else (None, None)

    history_source, history_name = _source(upload_history, history_path)
    opps_source, opps_name = _source(upload_opps, opportunities_path)
    return history_name, history_source, opps_name, opps_source


@app.cell
def _(dollars, history_name, history_source, measured_plan, mo, money, opps_name, opps_source, win_rates):
    # Measure the last 12 months (or say why not: the app then starts from assumptions).
    # Files go through the project's reader (encodings, CSV dialects, decimal commas, XLSX).
    from workbook.records import read_table

    _numbers = ("arr", "mrr", "amount", "probability")
    measured, won_rates, _problem = None, None, None
    if history_source is not None:
        try:
            _history = read_table(history_source, label=history_name, numbers=_numbers)
            _opps = None if opps_source is None else read_table(opps_source, label=opps_name, numbers=_numbers)
            measured = measured_plan(_history, _opps)
            if _opps is not None:  # close rates for the playbook mode: win rates of the 4 quarters before
                won_rates = win_rates(_opps, as_of=f"{measured.month}-01").set_index("motion")
        except ValueError as _err:
            _problem = str(_err)
    if measured is not None:
        _split = (
            f"expansion split by motion from the won opportunities of {opps_name}"
            if measured.mix_source == "opportunities"
            else "expansion split by motion by the playbook (**assumed**: no won opportunities say which)"
        )
        history_note = mo.callout(
            mo.md(
                f"**Measured** from {history_name}: the 12 months to {measured.month} over the "
                f"{measured.accounts:,} accounts paying 12 months earlier; {_split}."
                + dollars(
                    f" Company ARR now, {money(measured.starting_arr)} = {money(measured.ending_arr)} from those "
                    f"accounts + {money(measured.new_logo_arr)} new-logo ARR at the first bill + "
                    f"{money(measured.new_logo_change)} the new logos' change since + "
                    f"{money(measured.reactivation)} reactivated (the Retention sheet's bridge)."
                )
                + "".join(f" {_n[0].upper()}{_n[1:]}." for _n in measured.notes)
            ),
            kind="success",
        )
    elif _problem:
        history_note = mo.callout(mo.md(f"Could not measure the history ({history_name}): {_problem}. Every number below is **assumed**."), kind="warn")
    else:
        history_note = mo.callout(mo.md("No ARR history given: every number below is **assumed**. Upload one to start from measured rates."), kind="neutral")
    return history_note, measured, won_rates


@app.cell
def _(MOTIONS, default_plays, measured, mo, simulate_nrr, won_rates):
    # The inputs, starting from the measured figures when there are some.
    plays = default_plays()
    _m = measured

    def _tag(ok):
        return " · measured" if _m is not None and ok else " · assumed"

    defaults = {
        "start": round(_m.starting_arr, -3) if _m else 10_000_000,
        "customers": _m.customers if _m else 250,
        "new_logo": round(_m.new_logo_arr, -3) if _m else 2_000_000,
        "churn": round(100 * _m.churn, 1) if _m else 8.0,
        "contraction": round(100 * _m.contraction, 1) if _m else 4.0,
        "rates": dict(zip(MOTIONS, ([round(100 * r, 1) for r in _m.expansion] if _m else (8.0, 6.0, 5.0, 3.0, 2.0)), strict=True)),
    }
    _by_motion = _m is not None and _m.measured["expansion_by_motion"]
    start_arr = mo.ui.number(start=0, stop=10_000_000_000, step=1_000, value=defaults["start"], label="Starting ARR ($)" + _tag(True))
    customers = mo.ui.number(start=1, stop=1_000_000, step=1, value=max(defaults["customers"], 1), label="Customers" + _tag(True))
    new_logo = mo.ui.number(start=0, stop=1_000_000_000, step=1_000, value=defaults["new_logo"], label="New-logo ARR per year ($)" + _tag(True))
    churn = mo.ui.slider(0, 40, step=0.1, value=defaults["churn"], label="Annual gross churn (%)" + _tag(True), show_value=True)
    contraction = mo.ui.slider(0, 30, step=0.1, value=defaults["contraction"], label="Annual contraction (%)" + _tag(True), show_value=True)
    mode = mo.ui.radio(
        options=["Rate per motion", "From playbook"], value="Rate per motion",
        label="Expansion", inline=True,
    )
    rates_label = "Annual expansion rate per motion (% of ARR)" + _tag(_by_motion)
    if _m is not None and not _by_motion:
        rates_label += " split (the total is measured)"
    rates = mo.ui.dictionary(
        {m: mo.ui.slider(0, 40, step=0.1, value=defaults["rates"][m], show_value=True, label=m) for m in MOTIONS},
        label=rates_label,
    )
    default_triggers = dict(zip(MOTIONS, (12, 6, 10, 3, 2), strict=True))
    triggers = mo.ui.dictionary(
        {m: mo.ui.number(start=0, stop=100_000, step=1, value=default_triggers[m]) for m in MOTIONS},
        label="Triggers per quarter",
    )
    _won = won_rates  # win rates per motion from the opportunities, or None
    _close = {m: float(_won.loc[m, "win_rate"]) if _won is not None else float(plays.loc[m, "close_rate"]) for m in MOTIONS}
    _assumed = [m for m in MOTIONS if _won is None or _won.loc[m, "basis"] != "measured"]
    if len(_assumed) == len(MOTIONS):
        close_label = "Close rate (%) · assumed"
    elif _assumed:
        close_label = f"Close rate (%) · win rates measured {_won['window'].iloc[0]}; assumed for {', '.join(_assumed)}"
    else:
        close_label = f"Close rate (%) · win rates measured {_won['window'].iloc[0]}"
    close = mo.ui.dictionary(
        {m: mo.ui.number(start=0, stop=100, step=0.1, value=round(100 * _close[m], 1)) for m in MOTIONS},
        label=close_label,
    )
    deal = mo.ui.dictionary(
        {m: mo.ui.number(start=0, stop=500, step=5, value=round(100 * plays.loc[m, "arr_increase_share"])) for m in MOTIONS},
        label="Deal size (% of account ARR)",
    )
    horizon = mo.ui.slider(1, 10, step=1, value=5, label="Horizon (years)", show_value=True)
    steps = mo.ui.radio(options=["monthly", "annual"], value="monthly", label="Steps", inline=True)
    target_nrr = mo.ui.number(start=50, stop=200, step=1, value=120, label="Target NRR for the goal-seek (%)")
    spread = mo.ui.slider(0, 100, step=5, value=25, label="Rate spread (% of each rate) · assumed", show_value=True)
    correlation = mo.ui.slider(-1, 1, step=0.1, value=-0.3, label="Churn–expansion correlation · assumed", show_value=True)
    redraw = mo.ui.radio(
        options=["once per path", "every year"], value="once per path",
        label="Rates drawn", inline=True,
    )
    paths = mo.ui.dropdown(options=["1000", "10000", "50000"], value="10000", label="Paths")
    seed = mo.ui.number(start=0, stop=2**31 - 1, step=1, value=42, label="Seed")
    # default target: where the measured plan lands in 5 years, so the fans say how sure that is
    _goal = simulate_nrr(_m.starting_arr, 5, _m.churn, _m.contraction, _m.expansion, _m.new_logo_arr).final_arr if _m else 25_000_000
    target = mo.ui.number(start=0, stop=100_000_000_000, step=500_000, value=float(f"{_goal:.2g}"), label="Target ARR ($)")
    return (
        churn, close, contraction, correlation, customers, deal, defaults, horizon, mode, new_logo,
        close_label, paths, rates, rates_label, redraw, seed, spread, start_arr, steps, target,
        target_nrr, triggers,
    )


@app.cell
def _(
    MOTIONS, churn, close, close_label, contraction, correlation, customers, deal, history_note, horizon, mo,
    mode, new_logo, paths, rates, rates_label, redraw, seed, spread, start_arr, steps, target,
    target_nrr, triggers, upload_history, upload_opps,
):
    if mode.value == "Rate per motion":
        _expansion = mo.vstack(
            [mo.md(rates_label),
             mo.hstack([rates[m] for m in MOTIONS[:3]], justify="start", gap=2),
             mo.hstack([rates[m] for m in MOTIONS[3:]], justify="start", gap=2)],
            gap=0.25,
        )
    else:
        _head = ["Motion", "Triggers per quarter · assumed", "Close rate (%)", "Deal size (% of account ARR) · assumed"]
        _expansion = mo.vstack(
            [mo.md(close_label), mo.hstack([mo.md(f"**{h}**") for h in _head], widths="equal")]
            + [mo.hstack([mo.md(m), triggers[m], close[m], deal[m]], widths="equal") for m in MOTIONS],
            gap=0.25,
        )
    mo.vstack(
        [
            history_note,
            mo.hstack([upload_history, upload_opps], justify="start", gap=1),
            mo.hstack([start_arr, customers, new_logo], justify="start", gap=1),
            mo.hstack([churn, contraction], justify="start", gap=2),
            mode,
            _expansion,
            mo.hstack([horizon, steps, target_nrr], justify="start", gap=2),
            mo.md("**Uncertainty**"),
            mo.hstack([spread, correlation, redraw], justify="start", gap=2),
            mo.hstack([paths, seed, target], justify="start", gap=1),
        ],
        gap=0.75,
    )
    return


@app.cell
def _(
    churn, close, contraction, customers, deal, defaults, measured, mode, np, plan_nrr,
    playbook_expansion_rates, rates, start_arr, triggers,
):
    # The plan: churn, contraction and five annual expansion rates: the measured ones while
    # the inputs show them, else as typed (or built from the playbook).
    _unchanged = (
        measured is not None and mode.value == "Rate per motion"
        and churn.value == defaults["churn"] and contraction.value == defaults["contraction"]
        and all(rates.value[m] == v for m, v in defaults["rates"].items())
    )
    if _unchanged:  # the sliders show rounded figures: use the measured ones themselves
        c, d, plan_rates = measured.churn, measured.contraction, measured.expansion
    elif mode.value == "Rate per motion":
        c, d = churn.value / 100, contraction.value / 100
        plan_rates = np.array([rates.value[m] for m in rates.value]) / 100
    else:
        c, d = churn.value / 100, contraction.value / 100
        _avg_arr = (start_arr.value or 0) / max(customers.value or 1, 1)
        plan_rates = playbook_expansion_rates(
            max(start_arr.value or 0, 1),
            max(customers.value or 1, 1),
            triggers_per_quarter=[triggers.value[m] or 0 for m in triggers.value],
            close_rates=[(close.value[m] or 0) / 100 for m in close.value],
            deal_sizes=[(deal.value[m] or 0) / 100 * _avg_arr for m in deal.value],
        )
    # The one NRR of the app: 1 + expansion − contraction − churn a year, as a share of the
    # ARR held a year earlier (the trailing-12-month NRR when it is measured).
    planned_nrr = plan_nrr(c, d, plan_rates)
    if _unchanged:
        nrr_source = f"measured: the 12 months to {measured.month}"
    else:
        nrr_source = "your inputs" if measured is not None else "assumed"
    return c, d, nrr_source, plan_rates, planned_nrr


@app.cell
def _(c, d, horizon, new_logo, simulate_nrr, start_arr, steps, plan_rates):
    sim = simulate_nrr(start_arr.value or 0, horizon.value, c, d, plan_rates, new_logo.value or 0, steps.value)
    return (sim,)


@app.cell
def _(dollars, horizon, measured, mo, money, nrr_benchmark, nrr_source, nrr_stage, pct, planned_nrr, sim, start_arr):
    _stage = nrr_stage(start_arr.value or 0)
    _band = nrr_benchmark(start_arr.value or 0, planned_nrr)
    _measured = (
        f" The history's logo churn over the same 12 months: {pct(measured.logo_churn, 1)}."
        if measured is not None else ""
    )
    mo.vstack(
        [
            mo.md(
                f"## ARR in {horizon.value} years: {dollars(money(sim.final_arr))}\n"
                f"at **NRR {pct(planned_nrr, 1)}** ({nrr_source}) and GRR {pct(sim.grr, 1)}, from "
                f"{dollars(money(start_arr.value or 0))} today · NRR band for the {dollars(_stage['stage'])} "
                f"ARR stage ({pct(_stage['low'])}–{pct(_stage['high'])}): **{_band}**"
            ),
            mo.md(
                "NRR = (ARR a year ago + expansion − contraction − churn) / ARR a year ago, over the "
                f"customers of a year ago: one definition for every NRR on this page.{_measured}"
            ),
        ]
    )
    return


@app.cell
def _(MOTIONS, alt, money, sim):
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
def _(expansion_share, expansion_share_benchmark, grr, mo, money, nrr, pct, sim, udfs):
    # NRR and GRR per year from the year's flows, by the same functions Excel calls.
    _t = sim.years.loc[sim.years["starting_arr"] > 0].copy()
    _t["NRR"] = nrr(_t["starting_arr"], _t["expansion"], _t["contraction"], _t["churn"])
    _t["GRR"] = grr(_t["starting_arr"], _t["contraction"], _t["churn"])
    _new = _t["expansion"] + _t["new_logo_arr"]
    _ok = bool((_new > 0).all())
    _t["share"] = expansion_share(_t["expansion"], _t["new_logo_arr"]) if _ok else float("nan")
    _t["benchmark"] = expansion_share_benchmark(_t["share"], _t["starting_arr"]) if _ok else "–"
    year_table = mo.ui.table(
        [
            {
                "Year": int(r.year), "Start ARR": money(r.starting_arr), "Expansion": money(r.expansion),
                "Contraction": money(r.contraction), "Churn": money(r.churn),
                "New logos landed": money(r.new_logo_arr), "End ARR": money(r.ending_arr),
                "NRR": pct(r.NRR), "GRR": pct(r.GRR), "Expansion share": pct(r.share),
                "Share benchmark": r.benchmark,
            }
            for r in _t.itertuples()
        ],
        selection=None, pagination=False, label="NRR, GRR and expansion share of new ARR per year",
    )
    _pb = udfs.core.playbook  # the benchmark's numbers, as the functions above apply them

    def _pcts(*xs):
        return "–".join(f"{x * 100:g}" for x in xs) + " %"

    mo.vstack(
        [
            year_table,
            mo.md(
                f"Share benchmark: {_pb.SHARE_BELOW_MEDIAN} / {_pb.SHARE_MEDIAN} / {_pb.SHARE_TOP_QUARTILE} "
                f"from the {_pb.SOURCE_STAGE_TABLE} (none under \\$1M ARR). "
                + " ".join(udfs.expansion_share_notes())
                + f" Above {_pcts(_pb.EXPANSION_SHARE_CHECK_ABOVE)}: check new-logo acquisition."
            ),
        ]
    )
    return


@app.cell
def _(MOTIONS, c, d, goal_seek_expansion, plan_rates, target_nrr):
    # Goal-seek: the plan's motion mix, scaled uniformly to reach each target NRR.
    _targets = [1.0, 1.1, 1.2, 1.3]
    _mine = (target_nrr.value or 100) / 100
    goal = goal_seek_expansion(_targets + ([] if round(_mine, 6) in _targets else [_mine]), c, d, plan_rates)
    scenario_rates = {f"{r['reachable_nrr'] * 100:.0f}%": [r[m] for m in MOTIONS] for r in goal.to_dict("records")}
    return goal, scenario_rates


@app.cell
def _(alt, c, d, horizon, mo, money, new_logo, pct, pd, planned_nrr, plan_rates, scenario_rates, simulate_nrr, start_arr, steps):
    # Scenarios side by side: the same engine at 100 / 110 / 120 / 130 % NRR and at yours.
    _scen = {**{k: v for k, v in scenario_rates.items() if k in ("100%", "110%", "120%", "130%")}, f"Yours ({pct(planned_nrr, 1)})": plan_rates}
    _frames, _finals = [], {}
    for _name, _r in _scen.items():
        _s = simulate_nrr(start_arr.value or 0, horizon.value, c, d, _r, new_logo.value or 0, steps.value)
        _p = _s.path[["year", "arr"]].copy()
        _p["scenario"] = _name
        _frames.append(_p)
        _finals[_name] = _s.final_arr
    _long = pd.concat(_frames, ignore_index=True)
    _long["label"] = _long["arr"].map(money)
    _chart = (
        alt.Chart(_long, title="Scenarios")
        .mark_line()
        .encode(
            x=alt.X("year:Q", title="Year"),
            y=alt.Y("arr:Q", title="ARR", axis=alt.Axis(format="$.2s")),
            color=alt.Color("scenario:N", sort=list(_scen), title=None),
            strokeDash=alt.condition(alt.datum.scenario == list(_scen)[-1], alt.value([6, 3]), alt.value([1, 0])),
            tooltip=["scenario:N", "year:Q", "label:N"],
        )
        .properties(width=420, height=260)
    )
    _cards = mo.hstack(
        [mo.stat(value=money(v), label=f"NRR {k}", caption=f"in {horizon.value} years", bordered=True)
         for k, v in _finals.items()],
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
    _rows = [{"Target": "Your plan", "Scale": "1.00×", **{m: pct(r, 1) for m, r in zip(MOTIONS, plan_rates, strict=True)}, "NRR": pct(planned_nrr, 1)}]
    for _d in goal.to_dict("records"):
        _rows.append(
            {
                "Target": pct(_d["target_nrr"]),
                "Scale": "–" if _d["scale"] != _d["scale"] else f"{_d['scale']:.2f}×",
                **{m: pct(_d[m], 1) for m in MOTIONS},
                "NRR": pct(_d["reachable_nrr"]),
            }
        )
    mo.vstack(
        [
            mo.md(f"### Goal-seek\nGRR is {pct(1 - c - d, 1)}: NRR needs expansion of (target − GRR) a year; your plan gives {pct(planned_nrr, 1)}."),
            mo.ui.table(_rows, selection=None, pagination=False, label="Annual expansion per motion (% of ARR)"),
        ]
    )
    return


@app.cell
def _(mo):
    def progress_for(work, title):
        """marimo's progress bar when the work is long (paths × steps or resampled accounts)."""
        if work <= 1_500_000:
            return None
        return lambda it: mo.status.progress_bar(it, title=title, remove_on_exit=True)

    return (progress_for,)


@app.cell
def _(c, correlation, d, horizon, monte_carlo_nrr, new_logo, paths, plan_rates, progress_for, redraw, seed, spread, start_arr, steps, target):
    # Monte Carlo over the rates (assumed spread and correlation; seeded, reproducible).
    _n = int(paths.value)
    mc = monte_carlo_nrr(
        start_arr.value or 0, horizon.value, c, d, plan_rates, new_logo.value or 0, steps.value,
        paths=_n, spread=spread.value / 100, correlation=correlation.value, seed=int(seed.value or 0),
        redraw="path" if redraw.value == "once per path" else "year",
        target_arr=target.value or 0,
        progress=progress_for(_n * horizon.value * (12 if steps.value == "monthly" else 1), "Monte Carlo"),
    )
    return (mc,)


@app.cell
def _(horizon, measured, paths, progress_for, redraw, resample_rates, seed):
    # Account bootstrap, step 1: resample the accounts of the measured history. It does not
    # depend on the plan's rates, so moving a rate slider reuses it.
    _draws = 1 if redraw.value == "once per path" else horizon.value
    resampled = None if measured is None else resample_rates(
        measured, int(paths.value), int(seed.value or 0), _draws,
        progress=progress_for(int(paths.value) * _draws * measured.accounts, "Resampling accounts"),
    )
    return (resampled,)


@app.cell
def _(bootstrap_nrr, c, d, horizon, measured, new_logo, paths, plan_rates, redraw, resampled, seed, start_arr, steps, target):
    # Account bootstrap, step 2: the plan's rates scaled by each resample's (centred on the plan).
    boot = None if measured is None else bootstrap_nrr(
        measured, start_arr.value or 0, horizon.value, c, d, plan_rates, new_logo.value or 0, steps.value,
        paths=int(paths.value), seed=int(seed.value or 0),
        redraw="path" if redraw.value == "once per path" else "year",
        target_arr=target.value or 0, resampled=resampled,
    )
    return (boot,)


@app.cell
def _(alt, boot, correlation, horizon, mc, measured, mo, money, paths, pd, pct, redraw, spread):
    _fans = {f"Rate spread {spread.value}% · assumed": ("spread", mc)}
    if boot is not None:
        _fans[f"Account bootstrap · {measured.accounts:,} accounts measured"] = ("bootstrap", boot)
    _long = pd.concat([f.fan.assign(fan=name) for name, (_, f) in _fans.items()], ignore_index=True)
    _base = alt.Chart(_long).encode(x=alt.X("year:Q", title="Year"), color=alt.Color(
        "fan:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=400),
        scale=alt.Scale(domain=list(_fans), range=["#f58518", "#4c78a8"][: len(_fans)]),
    ))
    _band = _base.mark_area(opacity=0.2).encode(y=alt.Y("p10:Q", title="ARR", axis=alt.Axis(format="$.2s")), y2="p90:Q")
    _mid = _base.mark_line().encode(y="p50:Q")
    _det = alt.Chart(mc.fan).mark_line(strokeDash=[4, 3], color="gray").encode(x="year:Q", y="deterministic:Q")
    _chart = (_band + _mid + _det).properties(
        width=620, height=280, title=f"P10–P50–P90 of ARR ({int(paths.value):,} paths each; dashed: the plan)"
    )

    def _stats(name, _short, f):
        _last = f.fan.iloc[-1]
        return mo.hstack(
            [mo.md(f"**{name}**")]
            + [mo.stat(value=money(_last[q]), label=q.upper(), caption=f"year {horizon.value} · {_short}", bordered=True) for q in ("p10", "p50", "p90")]
            + [mo.stat(value=pct(f.p_target), label=f"P(ARR ≥ {money(f.target_arr)})", caption=f"by year {horizon.value} · {_short}", bordered=True)],
            widths=[1.6, 1, 1, 1, 1.3], gap=0.5, align="center",
        )

    _how = "once per path (a rate that is off stays off)" if redraw.value == "once per path" else "again every year"
    _boot_text = (
        " The **account bootstrap** resamples the accounts of the measured history: its width is the"
        " uncertainty the history itself carries, with no assumed spread."
        if boot is not None else " Give an ARR history for an account bootstrap fan as well."
    )
    mo.vstack(
        [
            mo.md(
                f"### Uncertainty\nThe **rate spread** fan draws churn, contraction and each motion's expansion around "
                f"the plan ({spread.value}% of each rate, churn–expansion correlation {correlation.value:+.1f}; both assumed), "
                f"{_how}.{_boot_text}"
            ),
            *[_stats(name, *v) for name, v in _fans.items()],
            _chart,
        ]
    )
    return


if __name__ == "__main__":
    app.run()
