import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Trigger backtests")


@app.cell
def _():
    import datetime as dt
    import os
    import sys
    import tempfile
    from pathlib import Path

    import altair as alt
    import marimo as mo
    import pandas as pd

    try:
        import udfs
        from workbook import writeback
    except ImportError:  # run from simulations/ or elsewhere: the repo root holds udfs/
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        import udfs
        from workbook import writeback
    from udfs.core import playbook

    ROOT = Path(__file__).resolve().parent.parent
    return Path, ROOT, alt, dt, mo, os, pd, playbook, tempfile, udfs, writeback


@app.cell
def _(playbook):
    GATE_PRECEDED = playbook.GATE_MIN_PRECEDED  # 0.40
    GATE_LIFT = playbook.GATE_MIN_LIFT  # 1.5
    GATE_FPR = playbook.GATE_MAX_FALSE_POSITIVE_RATE  # 0.50
    TUNED_FPR = playbook.TUNED_FALSE_POSITIVE_RATE  # 0.30

    def pct(x, digits=0):
        return "–" if x is None or x != x else f"{x * 100:.{digits}f}%"

    def num(x):
        if x is None or x != x:
            return "–"
        return f"{x:,.0f}" if float(x).is_integer() else f"{x:.3g}"

    def money(x):
        if x is None or x != x:
            return "–"
        sign, x = ("-" if x < 0 else ""), abs(x)
        if x >= 1e6:
            return f"{sign}${x / 1e6:.1f}M"
        if x >= 1e3:
            return f"{sign}${x / 1e3:.0f}K"
        return f"{sign}${x:.0f}"

    return GATE_FPR, GATE_LIFT, GATE_PRECEDED, TUNED_FPR, money, num, pct


@app.cell(hide_code=True)
def _(mo):
    mo.md("""
    # Trigger backtest

    Replay account history to choose a signal threshold **without lookahead**:
    a trigger fires when its signal crosses the threshold, is *true* when the account
    expands within the window, *pending* when that window runs past the last period (left
    out of the rates), and an expansion is *preceded* when the signal held before it.
    Automate a trigger only when it passes the gate: **preceded ≥ 40 %**, **false
    positive rate < 50 %** (tune toward < 30 %) and **lift ≥ 1.5** (its precision over
    the base rate of expansion). Each rule uses its own window (its play's longest
    cycle, in periods, + 1) unless you pick one. Then export the threshold into the
    `Rules` table of the Excel model. The same functions run in Excel (`=TRIGGER_BACKTEST`).
    """)
    return


@app.cell
def _(mo):
    source = mo.ui.radio(
        ["Sample panel", "Upload CSV/XLSX"], value="Sample panel", label="History", inline=True
    )
    upload = mo.ui.file(
        filetypes=[".csv", ".xlsx"],
        label="Upload history: account_id, period or date, signal columns, expansion",
    )
    sample_size = mo.ui.dropdown({"300": 300, "1,000": 1_000, "5,000": 5_000}, value="300",
                                 label="Sample accounts")
    sample_periods = mo.ui.dropdown({"24": 24, "36": 36}, value="24", label="months")
    return sample_periods, sample_size, source, upload


@app.cell
def _(mo, sample_periods, sample_size, source, upload):
    mo.hstack([source, sample_size, sample_periods, upload], justify="start", gap=2,
              align="center", wrap=True)
    return


@app.cell
def _(mo, os, pd, sample_periods, sample_size, source, udfs, upload):
    problems = pd.DataFrame(columns=["row", "column", "value", "problem"])
    if source.value == "Upload CSV/XLSX":
        mo.stop(
            not upload.value,
            mo.callout(mo.md("Upload a CSV or XLSX history to backtest it."), kind="info"),
        )
        _file = upload.value[0]
        from workbook.records import read_table

        try:
            # the records reader: encodings, delimiters, decimal commas; ids stay text
            _cells = read_table(_file.contents, label=os.path.basename(_file.name) or "history.csv",
                                numbers="*")
            panel, problems = udfs.load_history(_cells)
        except ValueError as _err:
            mo.stop(True, mo.callout(mo.md(f"**{_file.name}**: {_err}"), kind="danger"))
        mo.stop(panel.empty, mo.callout(
            mo.md(f"**{_file.name}**: no row could be placed (account and period)."),
            kind="danger"))
        data_name = _file.name
    else:
        panel = udfs.sample_history(n_accounts=sample_size.value, n_periods=sample_periods.value)
        data_name = "the sample panel (planted triggers)"
    return data_name, panel, problems


@app.cell
def _(data_name, mo, num, panel, problems):
    _n_acc = panel["account_id"].nunique()
    _periods = f"{int(panel['period'].min())}–{int(panel['period'].max())}"
    _exp = int(panel["expansion"].sum())
    _note = (
        f" {len(problems)} cell(s) were not used as given (see the list below)."
        if len(problems) else ""
    )
    mo.vstack([
        mo.md(
            f"Backtesting **{data_name}**: {num(len(panel))} account-periods, "
            f"{num(_n_acc)} accounts, periods {_periods}, {num(_exp)} expansions.{_note}"
        ),
        mo.accordion({"Problems in the upload": mo.ui.table(problems, selection=None)})
        if len(problems) else mo.md(""),
    ])
    return


@app.cell
def _(playbook, udfs):
    rules = udfs.rules_table()
    first_rows = rules.groupby("rule", sort=False).head(1).set_index("rule")
    available = list(first_rows.index)  # every rule; a history without its signal says so
    _ops = {">=": "≥", "<=": "≤"}
    conditions = {
        r: f"{first_rows.loc[r, 'signal']} {_ops.get(first_rows.loc[r, 'op'], first_rows.loc[r, 'op'])} "
        f"{first_rows.loc[r, 'threshold']:g} → {first_rows.loc[r, 'motion']}"
        for r in available
    }
    motions = list(playbook.MOTIONS)
    return available, conditions, first_rows, motions, rules


@app.cell
def _(available, mo, udfs):
    # optional deep link: marimo run simulations/trigger_backtest.py -- --rule seats_full
    _args = mo.cli_args()
    _rule = _args.get("rule") or ("usage_at_cap" if "usage_at_cap" in available else available[0])

    def _int(name, default, lo, hi):
        try:
            return min(hi, max(lo, int(_args.get(name, default))))
        except (TypeError, ValueError):
            return default

    rule = mo.ui.dropdown(available, value=_rule if _rule in available else available[0],
                          label="Rule")
    persistence = mo.ui.slider(1, 4, value=_int("persistence", udfs.DEFAULT_PERSISTENCE, 1, 4),
                               label="Persistence (periods)", show_value=True)
    _windows = ["the rule's own"] + [str(_w) for _w in range(1, 9)]
    _w = str(_args.get("window", "the rule's own"))
    window = mo.ui.dropdown(_windows, value=_w if _w in _windows else _windows[0],
                            label="Window (periods)")
    cost = mo.ui.number(0, 100_000, step=100, value=udfs.DEFAULT_FALSE_PLAY_COST,
                        label="Cost of a false play ($)")
    return cost, persistence, rule, window


@app.cell
def _(window):
    # None = each rule's own window (SPEC §7: its play's longest cycle in periods, + 1)
    w_arg = None if window.value == "the rule's own" else int(window.value)
    return (w_arg,)


@app.cell
def _(conditions, cost, mo, persistence, rule, window):
    mo.vstack([
        mo.hstack([rule, persistence, window, cost], justify="start", gap=2, wrap=True),
        mo.md(f"Rule condition: `{conditions[rule.value]}` · the sweep moves the threshold "
              "of its first condition (other conditions of the rule held as they are)."),
    ])
    return


@app.cell
def _(cost, mo, panel, persistence, rule, rules, udfs, w_arg, window):
    _missing = [s for s in rules.loc[rules["rule"] == rule.value, "signal"]
                if s not in panel.columns]
    mo.stop(bool(_missing), mo.callout(mo.md(
        f"This history has no `{_missing[0] if _missing else ''}` column, so rule "
        f"`{rule.value}` cannot be backtested on it: pick another rule."), kind="warn"))
    curve = udfs.backtest_curve(panel, rule.value, persistence=persistence.value,
                                window=w_arg)
    rec = udfs.recommend_threshold(panel, rule.value, persistence=persistence.value,
                                   window=w_arg, false_play_cost=cost.value)
    w_eff = int(rec["window"])  # the window used: the picked one, else the rule's own
    return curve, rec, w_eff


@app.cell
def _(first_rows, mo, rec, rule):
    _current = float(first_rows.loc[rule.value, "threshold"])
    _default = rec["threshold"] if rec["threshold"] is not None else _current
    chosen = mo.ui.number(value=float(_default), label="Threshold to export", step=0.001)
    return (chosen,)


@app.cell
def _(chosen, first_rows, rec, rule):
    # the threshold to export; a cleared input falls back to the recommendation
    if chosen.value is not None:
        tau = float(chosen.value)
    elif rec["threshold"] is not None:
        tau = float(rec["threshold"])
    else:
        tau = float(first_rows.loc[rule.value, "threshold"])
    return (tau,)


@app.cell
def _(alt, curve, first_rows, GATE_FPR, GATE_PRECEDED, pd, rec, rule, tau, TUNED_FPR):
    _long = curve.melt(
        id_vars=["threshold", "fires", "median_lead", "passes_gate"],
        value_vars=["preceded", "coverage", "false_positive_rate"], var_name="metric",
        value_name="rate",
    ).dropna(subset=["rate"])
    _long["metric"] = _long["metric"].map(
        {"preceded": "preceded", "coverage": "coverage", "false_positive_rate": "false positive rate"})
    _color = alt.Color(
        "metric:N", title=None,
        scale=alt.Scale(domain=["preceded", "coverage", "false positive rate"],
                        range=["#1f77b4", "#9ecae1", "#d62728"]),
        legend=alt.Legend(orient="top"),
    )
    _x = alt.X("threshold:Q", title=f"threshold of {first_rows.loc[rule.value, 'signal']}",
               scale=alt.Scale(zero=False))
    # thresholds that pass the gate, as shaded bands
    _pass = curve["passes_gate"].to_numpy()
    _thr = curve["threshold"].to_numpy()
    _bands, _start = [], None
    for _i, _ok in enumerate(_pass):
        if _ok and _start is None:
            _start = _i
        if _start is not None and (not _ok or _i == len(_pass) - 1):
            _end = _i if _ok else _i - 1
            _bands.append({"from": _thr[_start], "to": _thr[_end]})
            _start = None
    _layers = []
    if _bands:
        _layers.append(
            alt.Chart(pd.DataFrame(_bands)).mark_rect(color="#2ca02c", opacity=0.10)
            .encode(x="from:Q", x2="to:Q")
        )
    _layers.append(
        alt.Chart(_long).mark_line(interpolate="step-after", strokeWidth=2).encode(
            x=_x, y=alt.Y("rate:Q", title="rate", axis=alt.Axis(format="%"),
                          scale=alt.Scale(domain=[0, 1])),
            color=_color,
            tooltip=[alt.Tooltip("threshold:Q", format=".3f"), "metric:N",
                     alt.Tooltip("rate:Q", format=".1%"), "fires:Q", "median_lead:Q"],
        )
    )
    _gates = pd.DataFrame([
        {"y": GATE_PRECEDED, "label": "preceded gate ≥ 40%", "color": "#1f77b4", "dash": 6},
        {"y": GATE_FPR, "label": "false positive gate < 50%", "color": "#d62728", "dash": 6},
        {"y": TUNED_FPR, "label": "tuned false positive rate < 30%", "color": "#ff7f0e", "dash": 2},
    ])
    for _g in _gates.to_dict("records"):
        _one = pd.DataFrame([_g])
        _layers.append(alt.Chart(_one).mark_rule(color=_g["color"], strokeDash=[_g["dash"], 4])
                       .encode(y="y:Q"))
        _layers.append(alt.Chart(_one).mark_text(align="left", dx=8, fontSize=11,
                                                 color=_g["color"])
                       .encode(y="y:Q", x=alt.value(640), text="label:N"))
    _marks = [{"threshold": tau, "what": "to export"}]
    if rec["threshold"] is not None:
        _marks.append({"threshold": float(rec["threshold"]), "what": "recommended"})
    _marks.append({"threshold": float(first_rows.loc[rule.value, "threshold"]), "what": "current"})
    _m = pd.DataFrame(_marks)
    _layers.append(
        alt.Chart(_m).mark_rule(strokeWidth=1.5).encode(
            x="threshold:Q",
            strokeDash=alt.StrokeDash("what:N", title=None, legend=alt.Legend(orient="top"),
                                      scale=alt.Scale(domain=["recommended", "to export", "current"],
                                                      range=[[1, 0], [4, 2], [1, 3]])),
            tooltip=["what:N", alt.Tooltip("threshold:Q", format=".3f")],
        )
    )
    curve_chart = alt.layer(*_layers).properties(width=640, height=300)
    return (curve_chart,)


@app.cell
def _(panel, persistence, rule, tau, udfs, w_arg, window):
    at_chosen = udfs.backtest_single(panel, rule.value, tau,
                                     persistence=persistence.value, window=w_arg)
    leads = udfs.lead_times(panel, rule.value, tau,
                            persistence=persistence.value, window=w_arg)
    return at_chosen, leads


@app.cell
def _(at_chosen, chosen, curve_chart, GATE_LIFT, mo, money, num, pct, persistence, rec, rule, tau, w_eff, window):
    if rec["threshold"] is None:
        _rec = mo.callout(
            mo.md(f"**Recommended threshold: none.** No threshold of `{rule.value}` passes "
                  f"the gate with persistence {persistence.value} and window {w_eff}: "
                  "this trigger fails the gate; try a longer window or another rule."),
            kind="warn",
        )
    else:
        _tuned = " and is tuned (< 30 %)" if rec["false_positive_rate"] < 0.30 else ""
        _rec = mo.callout(
            mo.md(f"**Recommended threshold: {num(rec['threshold'])}** — it passes the gate"
                  f"{_tuned}, with the highest expected value of the passing thresholds "
                  f"({money(rec['expected_value'])}: true fires × close rate "
                  f"{pct(rec['close_rate'], 1)} × deal {money(rec['deal_size'])} − false fires "
                  f"× {money(rec['false_play_cost'])})."),
            kind="success",
        )
    _gate = "passes the gate" if at_chosen["passes_gate"] else "fails the gate"
    _stats = mo.hstack([
        mo.stat(num(tau), label="threshold to export", caption=_gate,
                bordered=True),
        mo.stat(pct(at_chosen["preceded"]), label="preceded", caption="≥ 40 % to pass",
                bordered=True),
        mo.stat(num(at_chosen["lift"]), label="lift",
                caption=f"≥ {GATE_LIFT:g} to pass · base rate {pct(at_chosen['base_rate'], 1)}",
                bordered=True),
        mo.stat(pct(at_chosen["coverage"]), label="coverage",
                caption=f"{num(at_chosen['unobservable'])} expansions before the history",
                bordered=True),
        mo.stat(pct(at_chosen["false_positive_rate"]), label="false positive rate",
                caption="< 50 % to pass, < 30 % tuned", bordered=True),
        mo.stat(num(at_chosen["fires"]), label="fires",
                caption=f"{num(at_chosen['true_fires'])} true · {num(at_chosen['pending'])} pending",
                bordered=True),
        mo.stat(num(at_chosen["median_lead"]), label="median lead (periods)", bordered=True),
    ], justify="start", gap=1, wrap=True)
    mo.vstack([
        mo.md(f"### {rule.value}: preceded, coverage and false positive rate against threshold\n"
              "Green bands: thresholds that pass the gate."),
        curve_chart,
        _rec,
        mo.hstack([chosen, mo.md("(defaults to the recommendation; type any value)")],
                  justify="start", align="center"),
        _stats,
    ])
    return


@app.cell
def _(alt, leads, mo, pd, w_eff):
    _covered = leads[leads["covered"]]
    _counts = (
        _covered["lead"].astype(int).value_counts().reindex(range(1, w_eff + 1),
                                                              fill_value=0)
    )
    _frame = pd.DataFrame({"lead": [f"{i}" for i in _counts.index], "expansions": _counts.values})
    _frame.loc[len(_frame)] = ["not covered", int((~leads["covered"]).sum())]
    _chart = alt.Chart(_frame).mark_bar().encode(
        x=alt.X("lead:N", title="lead (periods from fire to expansion)", sort=None,
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("expansions:Q", title="expansions"),
        color=alt.condition(alt.datum.lead == "not covered", alt.value("#bbbbbb"),
                            alt.value("#1f77b4")),
        tooltip=["lead:N", "expansions:Q"],
    ).properties(width=420, height=200)
    lead_view = mo.vstack([
        mo.md("Every expansion of the rule's motion at the threshold to export: how many "
              "periods ahead the first fire came, or *not covered*."),
        _chart,
    ])
    return (lead_view,)


@app.cell
def _(cost, mo, panel, pd, persistence, rules, udfs, w_arg, window):
    _names = list(dict.fromkeys(rules.loc[rules["motion"].notna(), "rule"]))  # not risk rules
    _rows = []
    for _name in mo.status.progress_bar(_names, title="Sweeping every rule",
                                        remove_on_exit=True):
        _subset = rules[rules["rule"] == _name]
        if not _subset["signal"].isin(panel.columns).all():
            continue
        _rows.append(udfs.recommend_thresholds(panel, rules=_subset,
                                               persistence=persistence.value,
                                               window=w_arg, false_play_cost=cost.value))
    recommendations = pd.concat(_rows, ignore_index=True)
    current = udfs.motion_backtests(panel, rules=rules[rules["rule"].isin(recommendations["rule"])],
                                    persistence=persistence.value, window=w_arg)
    return current, recommendations


@app.cell
def _(current, mo, money, motions, pct, pd, recommendations):
    _cur = current.set_index("rule")
    _t = recommendations.assign(order=recommendations["motion"].map(
        {m: i for i, m in enumerate(motions)})).sort_values(["order", "rule"], kind="stable")
    _ops = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "="}

    def _pair(coverage, fpr):
        return f"{pct(coverage)} · {pct(fpr)}"

    per_rule = pd.DataFrame({
        "motion": _t["motion"],
        "rule": _t["rule"],
        "condition now": [f"{s} {_ops.get(o, o)} {c:g}" for s, o, c in
                          zip(_t["signal"], _t["op"], _t["current_threshold"], strict=True)],
        "preceded · FP now": [_pair(_cur.loc[r, "preceded"],
                                            _cur.loc[r, "false_positive_rate"]) for r in _t["rule"]],
        "gate now": ["✓ passes" if _cur.loc[r, "passes_gate"] else "✗ fails" for r in _t["rule"]],
        "recommended": _t["threshold"],
        "preceded · FP at recommended": [_pair(c, f) if c == c else "–" for c, f in
                                       zip(_t["preceded"], _t["false_positive_rate"], strict=True)],
        "gain": [money(v) for v in _t["expected_value"] - _t["current_expected_value"]],
        "current": _t["current_threshold"],
        "coverage": _t["coverage"],
        "false_positive_rate": _t["false_positive_rate"],
        "window": _t["window"],
    }).reset_index(drop=True)
    _passing = per_rule.assign(ok=per_rule["recommended"].notna()).groupby("motion", sort=False)
    _summary = ", ".join(f"{m} {int(g['ok'].sum())}/{len(g)}" for m, g in _passing)
    rules_view = mo.vstack([
        mo.md("Each playbook rule at its current threshold and at its recommended one, "
              "against the expansions of its motion (same persistence and window). "
              f"Rules with a threshold that passes the gate, by motion: {_summary}."),
        mo.ui.table(
            per_rule, selection=None, page_size=15, show_column_summaries=False,
            show_data_types=False, show_search=False,
            hidden_columns=["current", "coverage", "false_positive_rate", "window"],
            format_mapping={"recommended": lambda v: "none passes" if v != v else f"{v:g}"},
        ),
    ])
    return per_rule, rules_view


@app.cell
def _(cost, mo, panel, pct, pd, persistence, rule, udfs, w_arg, w_eff, window):
    _lo, _hi = int(panel["period"].min()), int(panel["period"].max())
    _first = _lo + max(w_eff + 2, (_hi - _lo + 1) // 3)
    _last = _hi - w_eff
    _splits = sorted({int(s) for s in range(_first, _last + 1, max(1, (_last - _first) // 3 or 1))})
    _rows = []
    for _split in mo.status.progress_bar(_splits, title="Walk-forward", remove_on_exit=True):
        _rows.append(udfs.walk_forward(panel, rule.value, splits=[_split],
                                       persistence=persistence.value, window=w_arg,
                                       false_play_cost=cost.value))
    walk = pd.concat(_rows, ignore_index=True) if _rows else None
    if walk is None:
        walk_view = mo.md("Too few periods for a walk-forward split.")
    else:
        _show = pd.DataFrame({
            "test from period": walk["split"],
            "chosen on earlier periods": ["none passes" if v != v else f"{v:g}"
                                          for v in walk["threshold"]],
            "train: coverage · false pos.": [
                f"{pct(c)} · {pct(f)}" for c, f in
                zip(walk["train_coverage"], walk["train_false_positive_rate"], strict=True)],
            "test: coverage · false pos.": [
                f"{pct(c)} · {pct(f)}" for c, f in
                zip(walk["test_coverage"], walk["test_false_positive_rate"], strict=True)],
            "test fires / expansions": [
                "–" if f != f else f"{int(f)} / {int(e)}" for f, e in
                zip(walk["test_fires"], walk["test_expansions"], strict=True)],
            "gate on test": ["✓ passes" if v else "✗ fails" for v in walk["test_passes_gate"]],
        })
        _held = int(walk["test_passes_gate"].sum())
        walk_view = mo.vstack([
            mo.md("At each split the threshold is chosen on earlier periods only (fires whose "
                  "outcome window reaches the split are pending, not false) and scored on the periods "
                  "from the split on."),
            mo.ui.table(_show, selection=None, show_column_summaries=False,
                        show_data_types=False, show_search=False, show_download=False),
            mo.md(f"The threshold chosen on the past passes the gate on the future in "
                  f"**{_held} of {len(walk)}** splits."),
        ])
    return (walk_view,)


@app.cell
def _(mo, panel, persistence, rule, tau, udfs, w_arg, window):
    with mo.status.spinner(title="Bootstrapping 200 resamples over accounts"):
        boot = udfs.bootstrap_curve(panel, rule.value, persistence=persistence.value,
                                    window=w_arg, resamples=200, seed=0)
        boot_at = udfs.bootstrap_curve(panel, rule.value, thresholds=[tau],
                                       persistence=persistence.value, window=w_arg,
                                       resamples=200, seed=0).iloc[0]
    return boot, boot_at


@app.cell
def _(alt, boot, boot_at, first_rows, GATE_FPR, GATE_PRECEDED, mo, num, pct, pd, rule, tau):
    _parts = []
    for _metric, _label in (("preceded", "preceded"),
                            ("false_positive_rate", "false positive rate")):
        _parts.append(pd.DataFrame({
            "threshold": boot["threshold"], "metric": _label, "rate": boot[_metric],
            "low": boot[f"{_metric}_low"], "high": boot[f"{_metric}_high"],
        }))
    _b = pd.concat(_parts, ignore_index=True).dropna(subset=["rate"])
    _color = alt.Color("metric:N", title=None,
                       scale=alt.Scale(domain=["preceded", "false positive rate"],
                                       range=["#1f77b4", "#d62728"]),
                       legend=alt.Legend(orient="top"))
    _base = alt.Chart(_b).encode(
        x=alt.X("threshold:Q", title=f"threshold of {first_rows.loc[rule.value, 'signal']}",
                scale=alt.Scale(zero=False)),
        color=_color)
    _band = _base.mark_area(opacity=0.18, interpolate="step-after").encode(
        y=alt.Y("low:Q", title="rate (90% interval)", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])), y2="high:Q")
    _line = _base.mark_line(interpolate="step-after").encode(y="rate:Q")
    _rules = alt.Chart(pd.DataFrame({"y": [GATE_PRECEDED, GATE_FPR]})).mark_rule(
        strokeDash=[6, 4], color="#666666").encode(y="y:Q")
    _x = alt.Chart(pd.DataFrame({"t": [tau]})).mark_rule(
        strokeDash=[4, 2]).encode(x="t:Q")
    _chart = alt.layer(_band, _line, _rules, _x).properties(width=640, height=220)
    boot_view = mo.vstack([
        mo.md("Accounts resampled with replacement (200 resamples, 90 % intervals): how much "
              "the curve could move with another book of the same kind."),
        _chart,
        mo.md(
            f"At **{num(tau)}**: preceded {pct(boot_at['preceded'])} "
            f"({pct(boot_at['preceded_low'])}–{pct(boot_at['preceded_high'])}), lift "
            f"{num(boot_at['lift'])} ({num(boot_at['lift_low'])}–{num(boot_at['lift_high'])}), "
            f"false positive "
            f"rate {pct(boot_at['false_positive_rate'])} "
            f"({pct(boot_at['false_positive_rate_low'])}–"
            f"{pct(boot_at['false_positive_rate_high'])}); it passes the gate in "
            f"**{pct(boot_at['gate_probability'])}** of resamples."),
    ])
    return (boot_view,)


@app.cell
def _(mo, panel, pct, pd, recommendations, rules, udfs, w_arg, window):
    _usable = rules[rules["rule"].isin(recommendations["rule"])]
    try:
        _cmp = udfs.compare_points(panel, rules=_usable, k=50, window=w_arg)
    except ValueError as _err:
        calibrated = None
        points_view = mo.md(f"Calibration not available on this history: {_err}")
    else:
        _pts = _cmp["points"]
        calibrated = _pts[["rule", "points"]]
        _table = pd.DataFrame({
            "rule": _pts["rule"], "motion": _pts["motion"],
            "default points": _pts["default_points"], "calibrated points": _pts["points"],
        })
        points_view = mo.vstack([
            mo.md(
                "Rule points learned from history (a logistic model of *expansion within the "
                f"window* on the rules that hold, fitted on periods before {_cmp['split']}), "
                f"then both scores ranked on the later periods: precision at the top "
                f"{_cmp['k']} is **{pct(_cmp['precision_default'])}** with the default points "
                f"and **{pct(_cmp['precision_calibrated'])}** with the calibrated ones "
                f"(base rate {pct(_cmp['base_rate'])}). Points stay editable in the `Rules` "
                "table; tick *Also the calibrated points* below to write them there."),
            mo.ui.table(_table, selection=None, show_column_summaries=False,
                        show_data_types=False, show_search=False, page_size=15),
        ])
    return calibrated, points_view


@app.cell
def _(alt, mo, money, num, panel, pct, pd, udfs):
    with mo.status.spinner(title="Replaying the whole queue, period by period"):
        queues = udfs.compare_queues(panel)
    _split = queues.attrs["split"]
    _show = pd.DataFrame({
        "queue": queues["queue"],
        "flags": [num(v) for v in queues["flags"]],
        "true · pending · false": [f"{t:,} · {p:,} · {f:,}" for t, p, f in zip(
            queues["true_flags"], queues["pending"], queues["false_flags"], strict=True)],
        "precision": [pct(v) for v in queues["precision"]],
        "coverage": [pct(v) for v in queues["coverage"]],
        "lift": [num(v) for v in queues["lift"]],
        "expected value of flags": [money(v) for v in queues["expected_value"]],
        "realised by true flags": [money(v) for v in queues["realised_value"]],
    })
    _long = pd.concat([
        r.iloc[:-1].assign(queue=name, period=lambda d: d["period"].astype(int))
        for name, r in queues.attrs["per_period"].items()], ignore_index=True)
    _chart = alt.Chart(_long.dropna(subset=["precision"])).mark_line(point=True).encode(
        x=alt.X("period:O", title="period"),
        y=alt.Y("precision:Q", title="precision of the period's flags", axis=alt.Axis(format="%")),
        color=alt.Color("queue:N", title=None, legend=alt.Legend(orient="top")),
        tooltip=["queue:N", "period:O", "flags:Q", alt.Tooltip("precision:Q", format=".0%"),
                 alt.Tooltip("lift:Q", format=".2f")],
    ).properties(width=640, height=220)
    _best = queues.loc[queues["precision"].idxmax(), "queue"] if queues["precision"].notna().any() else "–"
    queue_view = mo.vstack([
        mo.md("The decision, not one rule: every account scored at every period on what was "
              "known then (all rules, gates, sufficient triggers, persistence); a flag is the "
              "first period an account is ready, judged like a fire with its play's window. "
              f"Tuned thresholds and calibrated points are fitted on the periods before "
              f"{_split} and every queue is judged from period {_split} on."),
        mo.ui.table(_show, selection=None, show_column_summaries=False, show_data_types=False,
                    show_search=False, show_download=False),
        mo.md(f"Whole queue: the most precise queue is **{_best}**."),
        _chart,
    ])
    return queue_view, queues


@app.cell
def _(ROOT, alt, mo, money, num, pct, pd, udfs):
    # What the flagged plays earned: the snapshot store (--snapshots FILE) or the sample's
    # twelve weekly snapshots, matched to the opportunities (--opportunities FILE or the sample's)
    _args = mo.cli_args()
    try:
        if _args.get("snapshots"):
            from workbook.snapshots import SnapshotStore

            _store = SnapshotStore(str(_args.get("snapshots")))
            _snaps, _from = _store.read(), _store.path.name
        else:
            _snaps = pd.read_csv(ROOT / "workbook" / "sample_snapshots.csv", keep_default_na=False,
                                 na_values=[""])
            _from = "the sample's 12 weekly snapshots"
        if _args.get("opportunities"):
            from workbook.records import load_records

            _opps = load_records(str(_args.get("opportunities")), "opportunities").frame
        else:
            _opps = pd.read_csv(ROOT / "workbook" / "sample_opportunities.csv")
        play_flags = udfs.play_flags(_snaps)
        per_play = udfs.playbook_results(play_flags, _opps, by="play")
        per_owner = udfs.playbook_results(play_flags, _opps)
        _problem = None
    except (ValueError, OSError) as _err:
        per_play = per_owner = None
        _problem = str(_err)

    def _table(frame):
        return pd.DataFrame({
            "play": frame["play"], "owner": frame["owner"], "quarter": frame["quarter"],
            "flagged": [num(v) for v in frame["flagged"]], "worked": [num(v) for v in frame["worked"]],
            "won": [num(v) for v in frame["won"]], "closed": [num(v) for v in frame["closed"]],
            "won $": [money(v) for v in frame["won_amount"]],
            "close rate": [f"{pct(r)} ({pct(lo)}–{pct(hi)})" if r == r else "–" for r, lo, hi in zip(
                frame["close_rate"], frame["close_rate_low"], frame["close_rate_high"], strict=True)],
            "assumed": [pct(v, 1) for v in frame["assumed_close_rate"]],
            "basis": frame["basis"],
            "median deal vs assumed": [f"{money(a)} vs {money(b)}" for a, b in zip(
                frame["median_deal"], frame["assumed_deal"], strict=True)],
            "days to close vs cycle": [f"{num(a)} vs {num(b)}" for a, b in zip(
                frame["median_days_to_close"], frame["cycle_days"], strict=True)],
        })

    if _problem is not None:
        results_view = mo.callout(mo.md(f"**Playbook results:** {_problem}"), kind="danger")
    else:
        _measured = per_play[per_play["basis"].str.startswith("measured")]
        _chart_data = per_play.dropna(subset=["close_rate"])
        _bars = alt.Chart(_chart_data).mark_rule(strokeWidth=2).encode(
            y=alt.Y("play:N", title=None, sort=list(udfs.MOTIONS)),
            x=alt.X("close_rate_low:Q", title="measured close rate (95% interval) and the assumed one",
                    axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            x2="close_rate_high:Q")
        _points = _bars.mark_point(filled=True, size=70).encode(x="close_rate:Q")
        _assumed = alt.Chart(_chart_data).mark_tick(color="#C00000", thickness=2, size=18).encode(
            y=alt.Y("play:N", sort=list(udfs.MOTIONS)), x="assumed_close_rate:Q")
        results_view = mo.vstack([
            mo.md(f"What the flagged plays earned, from {_from}: {len(play_flags):,} flags, each "
                  "matched to the opportunity created after it within its play's window. A close "
                  "rate is measured from 20 closed plays on (*too few* below); "
                  "`python -m workbook plays --from-outcomes MODEL` writes the measured ones into "
                  f"the Plays table. Measured: **{', '.join(_measured['play']) or 'none yet'}**."),
            mo.ui.table(_table(per_play), selection=None, show_column_summaries=False,
                        show_data_types=False, show_search=False, show_download=False),
            (_bars + _points + _assumed).properties(width=560, height=170),
            mo.md("Per play, owner and quarter of the flag:"),
            mo.ui.table(_table(per_owner), selection=None, show_column_summaries=False,
                        show_data_types=False, show_search=False, page_size=12),
        ])
    return per_play, results_view


@app.cell
def _(boot_view, lead_view, mo, points_view, queue_view, results_view, rules_view, walk_view):
    mo.ui.tabs({
        "Whole queue": queue_view,
        "Playbook results": results_view,
        "Lead time": lead_view,
        "Every rule, by motion": rules_view,
        "Walk-forward": walk_view,
        "Bootstrap intervals": boot_view,
        "Calibrated points": points_view,
    })
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md("""
    ## Export into the Excel model

    Writes the threshold to export (and, if ticked, the recommended thresholds of the
    other rules that pass the gate) to a CSV and into the `Rules` table of an existing
    model workbook. Only those cells change; the rest of the file is kept byte for byte,
    and the original is kept as a backup beside it.
    """)
    return


@app.cell
def _(mo, os, ROOT):
    _default = (mo.cli_args().get("model") or os.environ.get("UPCELL_MODEL")
                or str(ROOT / "workbook" / "upcell_model.xlsx"))
    model_path = mo.ui.text(value=str(_default), label="Model workbook (.xlsx)", full_width=True)
    csv_path = mo.ui.text(value=str(mo.cli_args().get("csv") or ""),
                          placeholder="blank: a dated CSV beside the model",
                          label="CSV of the thresholds", full_width=True)
    replace_csv = mo.ui.checkbox(label="Replace the CSV if it exists")
    include_others = mo.ui.checkbox(
        label="Also the recommended thresholds of the other rules that pass the gate")
    include_points = mo.ui.checkbox(label="Also the calibrated points")
    export = mo.ui.run_button(label="Export thresholds", kind="success")
    mo.vstack([model_path, csv_path,
               mo.hstack([replace_csv, include_others, include_points], justify="start"),
               export])
    return csv_path, export, include_others, include_points, model_path, replace_csv


@app.cell
def _(at_chosen, calibrated, first_rows, include_others, include_points, pd, per_rule, persistence,
      rule, rules, tau, udfs, w_eff):
    _rows = [{
        "rule": rule.value, "signal": first_rows.loc[rule.value, "signal"],
        "op": first_rows.loc[rule.value, "op"], "threshold": tau,
        "previous_default": float(first_rows.loc[rule.value, "threshold"]),
        "coverage": at_chosen["coverage"], "false_positive_rate": at_chosen["false_positive_rate"],
        "persistence": persistence.value, "window": w_eff, "source": "chosen",
    }]
    if include_others.value:
        for _r in per_rule.dropna(subset=["recommended"]).to_dict("records"):
            if _r["rule"] == rule.value:
                continue
            _rows.append({
                "rule": _r["rule"], "signal": first_rows.loc[_r["rule"], "signal"],
                "op": first_rows.loc[_r["rule"], "op"], "threshold": float(_r["recommended"]),
                "previous_default": float(_r["current"]), "coverage": _r["coverage"],
                "false_positive_rate": _r["false_positive_rate"],
                "persistence": persistence.value, "window": int(_r["window"]),
                "source": "recommended",
            })
    # a rule family stays ordered: a recommendation that would empty a band (its edge
    # follows the rule above it) is left out; the chosen threshold comes first and wins
    _table = rules.to_dict("records")
    _first = {r: i for i, r in reversed(list(enumerate(rules["rule"])))}
    _kept, _out = udfs.backtest.families.ordered(
        _table, [(_first[r["rule"]], r["threshold"], {}) for r in _rows])
    _kept_rows = {i for i, _, _ in _kept}
    left_out = [r["rule"] for r in _rows if _first[r["rule"]] not in _kept_rows]
    to_export = pd.DataFrame([r for r in _rows if _first[r["rule"]] in _kept_rows])
    if include_points.value and calibrated is not None:  # points go on each rule's first row
        _pts = calibrated.set_index("rule")["points"]
        to_export["points"] = to_export["rule"].map(_pts)
        _more = [{"rule": _r, "points": float(_p)} for _r, _p in _pts.items()
                 if _r not in set(to_export["rule"])]
        to_export = pd.concat([to_export, pd.DataFrame(_more)], ignore_index=True)
    return left_out, to_export


@app.cell
def _(csv_path, dt, export, left_out, mo, model_path, Path, replace_csv, to_export, udfs, writeback):
    _left = (f" Left out, as it would leave its band below or above empty: "
             f"{', '.join(left_out)}." if left_out else "")
    mo.stop(not export.value,
            mo.md(f"{int(to_export['threshold'].notna().sum())} threshold(s) ready"
                  f"{' and calibrated points' if 'points' in to_export else ''}: click "
                  "**Export thresholds** to write them."
                  f"{_left}"))
    _model = Path(model_path.value.strip()).expanduser()
    _csv = csv_path.value.strip()
    _stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    _csv = Path(_csv).expanduser() if _csv else _model.with_name(
        f"{_model.stem}.thresholds-{_stamp}.csv")
    try:
        rules_before = udfs.rules_table(writeback.read_rules_table(_model))
        if _csv.exists() and not replace_csv.value:  # checked first: nothing written on error
            raise FileExistsError(f"{_csv}: already exists (tick 'Replace the CSV if it exists')")
        report = writeback.write_thresholds(_model, to_export)
        _written_csv = writeback.export_thresholds_csv(to_export, _csv, force=replace_csv.value)
        rules_after = udfs.rules_table(writeback.read_rules_table(_model))
    except (ValueError, OSError) as _err:  # one-line messages: not found, exists, locked
        mo.stop(True, mo.callout(mo.md(f"**Export failed:** {_err}"), kind="danger"))
    _n = int(report.changes["changed"].sum())
    _changes = report.changes.rename(columns={"old": "before", "new": "after"})
    _changes["changed"] = _changes["changed"].map({True: "yes", False: "no (same value)"})
    _backup = f" Backup: `{report.backup.name}`." if report.backup else ""
    _recalc = "" if report.full_calc_on_load else f"\n\nNote: {writeback.RECALC_NOTE}."
    mo.vstack([
        mo.callout(mo.md(
            f"**Wrote {_n} threshold(s)** into the `Rules` table of `{_model.name}` "
            f"(sheet {report.sheet}) and {len(to_export)} to `{_written_csv.name}`.{_backup}"
            f"{_recalc}"), kind="success"),
        mo.ui.table(_changes, selection=None, show_download=False, show_search=False,
                    show_column_summaries=False, show_data_types=False),
    ])
    return rules_after, rules_before


@app.cell
def _(mo, pd, rules_after, rules_before, udfs):
    _book = udfs.sample_accounts()
    _before = udfs.score_accounts(_book, rules=rules_before).reset_index(drop=True)
    _after = udfs.score_accounts(_book, rules=rules_after).reset_index(drop=True)
    _before["rank before"] = range(1, len(_before) + 1)
    _after["rank"] = range(1, len(_after) + 1)
    _top = _after.head(10).merge(
        _before[["account_id", "rank before", "expansion_score", "ready"]],
        on="account_id", suffixes=("", " before"))
    _moved = int((_before.set_index("account_id")["expansion_score"]
                  != _after.set_index("account_id")["expansion_score"]
                  .reindex(_before["account_id"])).sum())
    _ready = int(_after["ready"].sum()) - int(_before["ready"].sum())
    _show = pd.DataFrame({
        "rank": _top["rank"], "was": _top["rank before"], "account": _top["account_id"],
        "name": _top["account_id"].map(_book.set_index("account_id")["account_name"]),
        "score": _top["expansion_score"], "score before": _top["expansion_score before"],
        "play": _top["play"], "owner": _top["owner"], "expected value": _top["expected_value"],
    })
    mo.vstack([
        mo.md(f"### Top of the queue with the new rules (sample book)\n"
              f"`udfs.score_accounts` with the Rules read back from the workbook: "
              f"{_moved} account score(s) changed, {_ready:+d} ready account(s)."),
        mo.ui.table(_show, selection=None, show_download=False, show_search=False,
                    show_column_summaries=False, show_data_types=False,
                    format_mapping={"expected value": lambda v: f"${v:,.0f}",
                                    "score": "{:.0f}".format, "score before": "{:.0f}".format}),
    ])
    return


if __name__ == "__main__":
    app.run()
