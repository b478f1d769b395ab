import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Trigger backtests")


@app.cell
def _():
    import datetime as dt
    import os
    import sys
    from pathlib import Path

    import marimo as mo
    import pandas as pd

    try:
        import udfs
        from workbook import backtest_app as bt
        from workbook import writeback
    except ImportError:  # run from simulations/ or elsewhere: the repo root holds udfs/
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        import udfs
        from workbook import backtest_app as bt
        from workbook import writeback
    from udfs.core import playbook

    ROOT = Path(__file__).resolve().parent.parent
    TABLE = bt.TABLE  # tables of results: no selection, column summaries, types or search
    money, num, pct = bt.money, bt.num, bt.pct
    return (Path, ROOT, TABLE, bt, dt, mo, money, num, os, pct, pd, playbook, udfs,
            writeback)


@app.cell(hide_code=True)
def _(mo, pct, playbook):
    mo.md(f"""
    # Trigger backtest

    Replay account history to choose a signal threshold **without lookahead**:
    a trigger fires when its signal crosses the threshold, is *true* when the account
    expands within the window, *pending* when that window runs past the last period (left
    out of the rates), and an expansion is *preceded* when the signal held before it.
    Automate a trigger only when it passes the gate:
    **preceded ≥ {pct(playbook.GATE_MIN_PRECEDED)}**, **false positive rate
    < {pct(playbook.GATE_MAX_FALSE_POSITIVE_RATE)}** (tune toward
    < {pct(playbook.TUNED_FALSE_POSITIVE_RATE)}) and **lift ≥ {playbook.GATE_MIN_LIFT:g}** (its precision over
    the base rate of expansion). Each rule uses its own window (its play's longest
    cycle, in periods, + 1) unless you pick one. Then export the threshold into the
    `Rules` table of the Excel model. The same functions run in Excel (`=TRIGGER_BACKTEST`).
    """)
    return


@app.cell
def _(bt, mo, os):
    # the history: the sample, an upload, or a file given on the command line
    # (marimo run simulations/trigger_backtest.py -- --panel panel.parquet)
    panel_path = str(mo.cli_args().get("panel") or "")
    SAMPLE, UPLOAD = "Sample panel", "Upload CSV/XLSX/Parquet"
    _options = [SAMPLE, UPLOAD]
    if panel_path:
        _options.insert(0, f"{os.path.basename(panel_path.rstrip('/'))} (--panel)")
    source = mo.ui.radio(_options, value=_options[0], label="History", inline=True)
    upload = mo.ui.file(
        filetypes=bt.HISTORY_FILETYPES,
        label="Upload history: account_id, period or date, signal columns, expansion",
    )
    sample_size = mo.ui.dropdown({"300": 300, "1,000": 1_000, "5,000": 5_000}, value="300",
                                 label="Sample accounts")
    sample_periods = mo.ui.dropdown({"24": 24, "36": 36}, value="24", label="months")
    return SAMPLE, UPLOAD, panel_path, sample_periods, sample_size, source, upload


@app.cell
def _(bt, udfs):
    rules = udfs.rules_table()
    first_rows, conditions = bt.rule_conditions(rules)
    available = list(first_rows.index)  # every rule; a history without its signal says so
    return available, conditions, first_rows, rules


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
def _(mo, sample_periods, sample_size, source, upload):
    mo.hstack([source, sample_size, sample_periods, upload], justify="start", gap=2,
              align="center", wrap=True)
    return


@app.cell
def _(SAMPLE, UPLOAD, bt, mo, os, panel_path, pd, sample_periods, sample_size, source, udfs,
      upload):
    problems = pd.DataFrame(columns=["row", "column", "value", "problem"])
    if source.value == SAMPLE:
        panel = udfs.sample_history(n_accounts=sample_size.value, n_periods=sample_periods.value)
        data_name = "the sample panel (planted triggers)"
    else:
        mo.stop(source.value == UPLOAD and not upload.value, mo.callout(
            mo.md("Upload a CSV, XLSX or Parquet history to backtest it."), kind="info"))
        try:
            if source.value == UPLOAD:
                panel, problems = bt.read_history(upload.value[0].contents, upload.value[0].name)
            else:
                panel, problems = bt.read_history_path(panel_path)
        except bt.HistoryFileError as _err:  # one line naming the file, never a traceback
            mo.stop(True, mo.callout(mo.md(f"**{_err.file}**: {_err.why}"), kind="danger"))
        data_name = (upload.value[0].name if source.value == UPLOAD
                     else os.path.basename(panel_path.rstrip("/")))
    return data_name, panel, problems


@app.cell
def _(bt, data_name, mo, num, panel, problems):
    _s = bt.panel_summary(panel)
    _note = (f" {len(problems)} cell(s) were not used as given (see the list below)."
             if len(problems) else "")
    mo.vstack([
        mo.md(f"Backtesting **{data_name}**: {num(_s['rows'])} account-periods, "
              f"{num(_s['accounts'])} accounts, periods {_s['first']}–{_s['last']}, "
              f"{num(_s['expansions'])} expansions.{_note}"),
        mo.accordion({"Problems in the upload": mo.ui.table(problems, selection=None)})
        if len(problems) else mo.md(""),
    ])
    return


@app.cell
def _(window):
    # None = each rule's own window (its play's longest cycle in periods, + 1)
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
def _(bt, cost, mo, panel, persistence, rule, rules, udfs, w_arg):
    _missing = bt.missing_signals(panel, rules, rule.value)
    mo.stop(bool(_missing), mo.callout(mo.md(
        f"This history has no `{_missing[0] if _missing else ''}` column, so rule "
        f"`{rule.value}` cannot be backtested on it: pick another rule."), kind="warn"))
    curve = udfs.backtest_curve(panel, rule.value, persistence=persistence.value, window=w_arg)
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
def _(panel, persistence, rule, tau, udfs, w_arg):
    at_chosen = udfs.backtest_single(panel, rule.value, tau,
                                     persistence=persistence.value, window=w_arg)
    leads = udfs.lead_times(panel, rule.value, tau, persistence=persistence.value, window=w_arg)
    return at_chosen, leads


@app.cell
def _(bt, curve, first_rows, rec, rule, tau):
    curve_chart = bt.curve_chart(curve, first_rows.loc[rule.value, "signal"], export=tau,
                                 recommended=rec["threshold"],
                                 current=float(first_rows.loc[rule.value, "threshold"]))
    return (curve_chart,)


@app.cell
def _(at_chosen, chosen, curve_chart, mo, money, num, pct, persistence, playbook, rec, rule, tau,
      w_eff):
    if rec["threshold"] is None:
        _rec = mo.callout(
            mo.md(f"**Recommended threshold: none.** No threshold of `{rule.value}` passes "
                  f"the gate with persistence {persistence.value} and window {w_eff}: "
                  "this trigger fails the gate; try a longer window or another rule."),
            kind="warn",
        )
    else:
        _tuned = (f" and is tuned (< {pct(playbook.TUNED_FALSE_POSITIVE_RATE)})"
                  if rec["false_positive_rate"] < playbook.TUNED_FALSE_POSITIVE_RATE else "")
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
        mo.stat(num(tau), label="threshold to export", caption=_gate, bordered=True),
        mo.stat(pct(at_chosen["preceded"]), label="preceded",
                caption=f"≥ {pct(playbook.GATE_MIN_PRECEDED)} to pass", bordered=True),
        mo.stat(num(at_chosen["lift"]), label="lift",
                caption=f"≥ {playbook.GATE_MIN_LIFT:g} to pass · base rate "
                        f"{pct(at_chosen['base_rate'], 1)}",
                bordered=True),
        mo.stat(pct(at_chosen["coverage"]), label="coverage",
                caption=f"{num(at_chosen['unobservable'])} expansions before the history",
                bordered=True),
        mo.stat(pct(at_chosen["false_positive_rate"]), label="false positive rate",
                caption=f"< {pct(playbook.GATE_MAX_FALSE_POSITIVE_RATE)} to pass, "
                        f"< {pct(playbook.TUNED_FALSE_POSITIVE_RATE)} tuned", bordered=True),
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
def _(bt, leads, mo, w_eff):
    lead_view = mo.vstack([
        mo.md("Every expansion of the rule's motion at the threshold to export: how many "
              "periods ahead the first fire came, or *not covered*."),
        bt.lead_chart(leads, w_eff),
    ])
    return (lead_view,)


@app.cell
def _(cost, mo, panel, pd, persistence, rules, udfs, w_arg):
    _names = list(dict.fromkeys(rules.loc[rules["motion"].notna(), "rule"]))  # not risk rules
    _rows = []
    for _name in mo.status.progress_bar(_names, title="Sweeping every rule", remove_on_exit=True):
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
def _(TABLE, bt, current, mo, recommendations):
    per_rule = bt.rule_table(recommendations, current)
    rules_view = mo.vstack([
        mo.md("Each playbook rule at its current threshold and at its recommended one, "
              "against the expansions of its motion (same persistence and window). "
              f"Rules with a threshold that passes the gate, by motion: "
              f"{bt.passing_by_motion(per_rule)}."),
        mo.ui.table(
            per_rule, page_size=15, **TABLE,
            hidden_columns=["current", "coverage", "false_positive_rate", "window"],
            format_mapping={"recommended": lambda v: "none passes" if v != v else f"{v:g}"},
        ),
    ])
    return per_rule, rules_view


@app.cell
def _(TABLE, bt, cost, mo, panel, pd, persistence, rule, udfs, w_arg, w_eff):
    _splits = bt.walk_splits(int(panel["period"].min()), int(panel["period"].max()), w_eff)
    _rows = []
    for _split in mo.status.progress_bar(_splits, title="Walk-forward", remove_on_exit=True):
        _rows.append(udfs.walk_forward(panel, rule.value, splits=[_split],
                                       persistence=persistence.value, window=w_arg,
                                       false_play_cost=cost.value))
    if not _rows:
        walk_view = mo.md("Too few periods for a walk-forward split.")
    else:
        _walk = pd.concat(_rows, ignore_index=True)
        walk_view = mo.vstack([
            mo.md("At each split the threshold is chosen on earlier periods only (fires whose "
                  "outcome window reaches the split are pending, not false) and scored on the "
                  "periods from the split on."),
            mo.ui.table(bt.walk_table(_walk), show_download=False, **TABLE),
            mo.md(f"The threshold chosen on the past passes the gate on the future in "
                  f"**{int(_walk['test_passes_gate'].sum())} of {len(_walk)}** splits."),
        ])
    return (walk_view,)


@app.cell
def _(mo, panel, persistence, rule, tau, udfs, w_arg):
    with mo.status.spinner(title="Bootstrapping 200 resamples over accounts"):
        boot = udfs.bootstrap_curve(panel, rule.value, persistence=persistence.value,
                                    window=w_arg, resamples=200, seed=0)
        boot_at = udfs.bootstrap_curve(panel, rule.value, thresholds=[tau],
                                       persistence=persistence.value, window=w_arg,
                                       resamples=200, seed=0).iloc[0]
    return boot, boot_at


@app.cell
def _(boot, boot_at, bt, first_rows, mo, num, pct, rule, tau):
    boot_view = mo.vstack([
        mo.md("Accounts resampled with replacement (200 resamples, 90 % intervals): how much "
              "the curve could move with another book of the same kind."),
        bt.bootstrap_chart(boot, first_rows.loc[rule.value, "signal"], tau),
        mo.md(
            f"At **{num(tau)}**: preceded {pct(boot_at['preceded'])} "
            f"({pct(boot_at['preceded_low'])}–{pct(boot_at['preceded_high'])}), lift "
            f"{num(boot_at['lift'])} ({num(boot_at['lift_low'])}–{num(boot_at['lift_high'])}), "
            f"false positive rate {pct(boot_at['false_positive_rate'])} "
            f"({pct(boot_at['false_positive_rate_low'])}–"
            f"{pct(boot_at['false_positive_rate_high'])}); it passes the gate in "
            f"**{pct(boot_at['gate_probability'])}** of resamples."),
    ])
    return (boot_view,)


@app.cell
def _(TABLE, mo, panel, pct, pd, recommendations, rules, udfs, w_arg):
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
            mo.ui.table(_table, page_size=15, **TABLE),
        ])
    return calibrated, points_view


@app.cell
def _(TABLE, bt, mo, panel, udfs):
    with mo.status.spinner(title="Replaying the whole queue, period by period"):
        queues = udfs.compare_queues(panel)
    queue_view = mo.vstack([
        mo.md("The decision, not one rule: every account scored at every period on what was "
              "known then (all rules, gates, sufficient triggers, persistence); a flag is the "
              "first period an account is ready, judged like a fire with its play's window. "
              f"Tuned thresholds and calibrated points are fitted on the periods before "
              f"{queues.attrs['split']} and every queue is judged from period "
              f"{queues.attrs['split']} on."),
        mo.ui.table(bt.queue_table(queues), show_download=False, **TABLE),
        mo.md(f"Whole queue: the most precise queue is **{bt.most_precise_queue(queues)}**."),
        bt.queue_chart(queues),
    ])
    return queue_view, queues


@app.cell
def _(TABLE, bt, mo):
    # What the flagged plays earned: the snapshot store (--snapshots FILE) or the sample's
    # twelve weekly snapshots, matched to the opportunities (--opportunities FILE or the sample's)
    _args = mo.cli_args()
    try:
        _res = bt.playbook_results(_args.get("snapshots"), _args.get("opportunities"))
    except (ValueError, OSError) as _err:
        results_view = mo.callout(mo.md(f"**Playbook results:** {_err}"), kind="danger")
    else:
        _per_play = _res["per_play"]
        _measured = _per_play[_per_play["basis"].str.startswith("measured")]
        results_view = mo.vstack([
            mo.md(f"What the flagged plays earned, from {_res['source']}: {len(_res['flags']):,} "
                  "flags, each matched to the opportunity created after it within its play's "
                  "window. A close rate is measured from 20 closed plays on (*too few* below); "
                  "`python -m workbook plays --from-outcomes MODEL` writes the measured ones into "
                  f"the Plays table. Measured: **{', '.join(_measured['play']) or 'none yet'}**."),
            mo.ui.table(bt.results_table(_per_play), show_download=False, **TABLE),
            bt.results_chart(_per_play),
            mo.md("Per play, owner and quarter of the flag:"),
            mo.ui.table(bt.results_table(_res["per_owner"]), page_size=12, **TABLE),
        ])
    return (results_view,)


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
def _(ROOT, mo, os):
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
def _(at_chosen, bt, calibrated, first_rows, include_others, include_points, per_rule,
      persistence, rule, rules, tau, w_eff):
    to_export, left_out = bt.thresholds_to_export(
        rules, first_rows, rule=rule.value, threshold=tau, at_chosen=at_chosen,
        persistence=persistence.value, window=w_eff,
        per_rule=per_rule if include_others.value else None,
        points=calibrated if include_points.value else None)
    return left_out, to_export


@app.cell
def _(Path, TABLE, bt, csv_path, dt, export, left_out, mo, model_path, replace_csv, to_export,
      writeback):
    _left = (f" Left out, as it would leave its band below or above empty: "
             f"{', '.join(left_out)}." if left_out else "")
    mo.stop(not export.value,
            mo.md(f"{int(to_export['threshold'].notna().sum())} threshold(s) ready"
                  f"{' and calibrated points' if 'points' in to_export else ''}: click "
                  f"**Export thresholds** to write them.{_left}"))
    _model = Path(model_path.value.strip()).expanduser()
    _csv = bt.export_csv_path(_model, csv_path.value, dt.datetime.now().strftime("%Y%m%d-%H%M%S"))
    try:
        _done = bt.export_thresholds(_model, _csv, to_export, replace=replace_csv.value)
    except (ValueError, OSError) as _err:  # one-line messages: not found, exists, locked
        mo.stop(True, mo.callout(mo.md(f"**Export failed:** {_err}"), kind="danger"))
    _report = _done["report"]
    rules_after, rules_before = _done["rules_after"], _done["rules_before"]
    _changes = _report.changes.rename(columns={"old": "before", "new": "after"})
    _changes["changed"] = _changes["changed"].map({True: "yes", False: "no (same value)"})
    _backup = f" Backup: `{_report.backup.name}`." if _report.backup else ""
    _recalc = "" if _report.full_calc_on_load else f"\n\nNote: {writeback.RECALC_NOTE}."
    mo.vstack([
        mo.callout(mo.md(
            f"**Wrote {int(_report.changes['changed'].sum())} threshold(s)** into the `Rules` "
            f"table of `{_model.name}` (sheet {_report.sheet}) and {len(to_export)} to "
            f"`{_done['csv'].name}`.{_backup}{_recalc}"), kind="success"),
        mo.ui.table(_changes, show_download=False, **TABLE),
    ])
    return rules_after, rules_before


@app.cell
def _(TABLE, bt, mo, rules_after, rules_before, udfs):
    _show, _moved, _ready = bt.rescored_top(udfs.sample_accounts(), rules_before, rules_after)
    mo.vstack([
        mo.md(f"### Top of the queue with the new rules (sample book)\n"
              f"`udfs.score_accounts` with the Rules read back from the workbook: "
              f"{_moved} account score(s) changed, {_ready:+d} ready account(s)."),
        mo.ui.table(_show, show_download=False, **TABLE,
                    format_mapping={"expected value": lambda v: f"${v:,.0f}",
                                    "score": "{:.0f}".format, "score before": "{:.0f}".format}),
    ])
    return


if __name__ == "__main__":
    app.run()
