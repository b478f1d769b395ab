"""What the trigger backtest app (``simulations/trigger_backtest.py``) computes outside its
cells: reading a history file, the tables and charts it shows, the thresholds it exports
and the queue they re-score.

The app's cells hold the controls and the text; everything here is a plain function of
its arguments (no state), so it can be imported, tested and reused on its own.

>>> pct(0.4), num(1234.0), num(1.5), money(-12_500), money(float("nan"))
('40%', '1,234', '1.5', '-$12K', '–')
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import udfs
from udfs.backtest import families
from udfs.core import playbook

from . import writeback
from .formats import money, num, pct  # noqa: F401 - the app shows its figures with these
from .records import read_any_table

ROOT = Path(__file__).resolve().parent.parent
HISTORY_FILETYPES = [".csv", ".xlsx", ".parquet"]
TABLE = {"selection": None, "show_column_summaries": False, "show_data_types": False,
         "show_search": False}  # how the app's plain tables are shown (mo.ui.table keywords)

# --------------------------------------------------------------------------- the history


class HistoryFileError(ValueError):
    """A history file that cannot be backtested: ``file`` names it, ``why`` is one line."""

    def __init__(self, file: str, why: str):
        super().__init__(f"{file}: {why}")
        self.file, self.why = file, why


def read_history(source: Any, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(panel, problems) of a history file: a path, or the bytes of an upload named ``name``.

    Parquet (as ``python -m workbook signals --panel`` writes it) is read with its own
    types; CSV and XLSX through the records reader (encodings, delimiters, decimal commas,
    ids kept as text). Anything that stops the backtest raises :class:`HistoryFileError`:
    not readable, no rows, a missing account or period column, no row placed.

    >>> read_history(b"account_id,month,usage_vs_cap\\na1,2026-01,0.5\\n", "h.csv")[0]["period"].tolist()
    [1]
    >>> read_history(b"", "empty.parquet")
    Traceback (most recent call last):
    ...
    workbook.backtest_app.HistoryFileError: empty.parquet: not a Parquet file (no Parquet footer: a damaged file, or another format under a .parquet name)
    """
    label = os.path.basename(str(name).rstrip("/\\")) or "history.csv"
    try:
        cells = read_any_table(source, label=label)
        if cells.shape[0] == 0:
            raise HistoryFileError(label, "the file has no rows")
        panel, problems = udfs.load_history(cells)
    except HistoryFileError:
        raise
    except ValueError as err:  # one line from the reader or the loader
        why = str(err).removeprefix(f"{label}: ").removeprefix("source: ")
        raise HistoryFileError(label, why) from None
    if panel.empty:
        raise HistoryFileError(label, "no row could be placed (account and period).")
    return panel, problems


def read_history_path(path: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`read_history` of a file given on the command line (``~`` expanded)."""
    return read_history(os.path.expanduser(str(path)), str(path))


def panel_summary(panel: pd.DataFrame) -> dict:
    """Accounts, rows, first and last period and expansions of a panel."""
    return {"rows": len(panel), "accounts": int(panel["account_id"].nunique()),
            "first": int(panel["period"].min()), "last": int(panel["period"].max()),
            "expansions": int(panel["expansion"].sum())}


# --------------------------------------------------------------------------- the rules


def rule_conditions(rules: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Each rule's first row (the one the sweep moves) and its condition as text."""
    first_rows = rules.groupby("rule", sort=False).head(1).set_index("rule")
    ops = {">=": "≥", "<=": "≤"}
    conditions = {
        r: f"{row['signal']} {ops.get(row['op'], row['op'])} {row['threshold']:g} → {row['motion']}"
        for r, row in first_rows.iterrows()
    }
    return first_rows, conditions


def missing_signals(panel: pd.DataFrame, rules: pd.DataFrame, rule: str) -> list[str]:
    """The signals ``rule`` reads that the panel has no column for."""
    return [s for s in rules.loc[rules["rule"] == rule, "signal"] if s not in panel.columns]


# --------------------------------------------------------------------------- charts


def gate_bands(thresholds: Any, passes: Any) -> pd.DataFrame:
    """The runs of consecutive thresholds that pass the gate, as from/to bands.

    >>> gate_bands([0.1, 0.2, 0.3, 0.4, 0.5], [False, True, True, False, True]).values.tolist()
    [[0.2, 0.3], [0.5, 0.5]]
    """
    thr = np.asarray(thresholds, dtype=float)
    edges = np.diff(np.concatenate([[0], np.asarray(passes, dtype=int), [0]]))
    start, end = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return pd.DataFrame({"from": thr[start], "to": thr[end]})


def _gate_lines() -> pd.DataFrame:
    return pd.DataFrame([
        {"y": playbook.GATE_MIN_PRECEDED, "color": "#1f77b4", "dash": 6,
         "label": f"preceded gate ≥ {pct(playbook.GATE_MIN_PRECEDED)}"},
        {"y": playbook.GATE_MAX_FALSE_POSITIVE_RATE, "color": "#d62728", "dash": 6,
         "label": f"false positive gate < {pct(playbook.GATE_MAX_FALSE_POSITIVE_RATE)}"},
        {"y": playbook.TUNED_FALSE_POSITIVE_RATE, "color": "#ff7f0e", "dash": 2,
         "label": f"tuned false positive rate < {pct(playbook.TUNED_FALSE_POSITIVE_RATE)}"},
    ])


def curve_chart(curve: pd.DataFrame, signal: str, *, export: float, recommended: float | None,
                current: float):
    """Preceded, coverage and false positive rate against the threshold, with the gate's
    lines, the passing thresholds shaded and the exported, recommended and current marks."""
    import altair as alt

    long = curve.melt(
        id_vars=["threshold", "fires", "median_lead", "passes_gate"],
        value_vars=["preceded", "coverage", "false_positive_rate"], var_name="metric",
        value_name="rate",
    ).dropna(subset=["rate"])
    long["metric"] = long["metric"].replace({"false_positive_rate": "false positive rate"})
    color = alt.Color("metric:N", title=None, legend=alt.Legend(orient="top"),
                      scale=alt.Scale(domain=["preceded", "coverage", "false positive rate"],
                                      range=["#1f77b4", "#9ecae1", "#d62728"]))
    x = alt.X("threshold:Q", title=f"threshold of {signal}", scale=alt.Scale(zero=False))
    layers = []
    bands = gate_bands(curve["threshold"], curve["passes_gate"])
    if len(bands):
        layers.append(alt.Chart(bands).mark_rect(color="#2ca02c", opacity=0.10)
                      .encode(x="from:Q", x2="to:Q"))
    layers.append(alt.Chart(long).mark_line(interpolate="step-after", strokeWidth=2).encode(
        x=x, y=alt.Y("rate:Q", title="rate", axis=alt.Axis(format="%"),
                     scale=alt.Scale(domain=[0, 1])),
        color=color,
        tooltip=[alt.Tooltip("threshold:Q", format=".3f"), "metric:N",
                 alt.Tooltip("rate:Q", format=".1%"), "fires:Q", "median_lead:Q"],
    ))
    for g in _gate_lines().to_dict("records"):
        one = pd.DataFrame([g])
        layers.append(alt.Chart(one).mark_rule(color=g["color"], strokeDash=[g["dash"], 4])
                      .encode(y="y:Q"))
        layers.append(alt.Chart(one).mark_text(align="left", dx=8, fontSize=11, color=g["color"])
                      .encode(y="y:Q", x=alt.value(640), text="label:N"))
    marks = [{"threshold": export, "what": "to export"}]
    if recommended is not None:
        marks.append({"threshold": float(recommended), "what": "recommended"})
    marks.append({"threshold": float(current), "what": "current"})
    layers.append(alt.Chart(pd.DataFrame(marks)).mark_rule(strokeWidth=1.5).encode(
        x="threshold:Q",
        strokeDash=alt.StrokeDash("what:N", title=None, legend=alt.Legend(orient="top"),
                                  scale=alt.Scale(domain=["recommended", "to export", "current"],
                                                  range=[[1, 0], [4, 2], [1, 3]])),
        tooltip=["what:N", alt.Tooltip("threshold:Q", format=".3f")],
    ))
    return alt.layer(*layers).properties(width=640, height=300)


def lead_chart(leads: pd.DataFrame, window: int):
    """How many periods ahead of each expansion the first fire came (1..window), and how
    many expansions no fire covered."""
    import altair as alt

    covered = leads.loc[leads["covered"], "lead"].astype(int)
    counts = covered.value_counts().reindex(range(1, window + 1), fill_value=0)
    frame = pd.DataFrame({"lead": [str(i) for i in counts.index], "expansions": counts.to_numpy()})
    frame.loc[len(frame)] = ["not covered", int((~leads["covered"]).sum())]
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("lead:N", title="lead (periods from fire to expansion)", sort=None,
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("expansions:Q", title="expansions"),
        color=alt.condition(alt.datum.lead == "not covered", alt.value("#bbbbbb"),
                            alt.value("#1f77b4")),
        tooltip=["lead:N", "expansions:Q"],
    ).properties(width=420, height=200)


def bootstrap_chart(boot: pd.DataFrame, signal: str, export: float):
    """Preceded and false positive rate with their bootstrap intervals, the gate and the
    threshold to export."""
    import altair as alt

    parts = [pd.DataFrame({"threshold": boot["threshold"], "metric": label, "rate": boot[m],
                           "low": boot[f"{m}_low"], "high": boot[f"{m}_high"]})
             for m, label in (("preceded", "preceded"), ("false_positive_rate", "false positive rate"))]
    data = pd.concat(parts, ignore_index=True).dropna(subset=["rate"])
    color = alt.Color("metric:N", title=None, legend=alt.Legend(orient="top"),
                      scale=alt.Scale(domain=["preceded", "false positive rate"],
                                      range=["#1f77b4", "#d62728"]))
    base = alt.Chart(data).encode(
        x=alt.X("threshold:Q", title=f"threshold of {signal}", scale=alt.Scale(zero=False)),
        color=color)
    band = base.mark_area(opacity=0.18, interpolate="step-after").encode(
        y=alt.Y("low:Q", title="rate (90% interval)", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])), y2="high:Q")
    line = base.mark_line(interpolate="step-after").encode(y="rate:Q")
    gates = alt.Chart(pd.DataFrame({"y": [playbook.GATE_MIN_PRECEDED,
                                          playbook.GATE_MAX_FALSE_POSITIVE_RATE]})).mark_rule(
        strokeDash=[6, 4], color="#666666").encode(y="y:Q")
    mark = alt.Chart(pd.DataFrame({"t": [export]})).mark_rule(strokeDash=[4, 2]).encode(x="t:Q")
    return alt.layer(band, line, gates, mark).properties(width=640, height=220)


# --------------------------------------------------------------------------- tables


def rule_table(recommendations: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Every rule by motion: its condition now, preceded · false positive rate and the gate
    at the current threshold and at the recommended one, and the gain in expected value.
    The last four columns (current, coverage, false_positive_rate, window) feed the export."""
    cur = current.set_index("rule")
    order = {m: i for i, m in enumerate(playbook.MOTIONS)}
    t = recommendations.assign(order=recommendations["motion"].map(order)).sort_values(
        ["order", "rule"], kind="stable")
    ops = {">=": "≥", "<=": "≤"}

    def pair(coverage, fpr):
        return f"{pct(coverage)} · {pct(fpr)}"

    return pd.DataFrame({
        "motion": t["motion"],
        "rule": t["rule"],
        "condition now": [f"{s} {ops.get(o, o)} {c:g}" for s, o, c in
                          zip(t["signal"], t["op"], t["current_threshold"], strict=True)],
        "preceded · FP now": [pair(cur.loc[r, "preceded"], cur.loc[r, "false_positive_rate"])
                              for r in t["rule"]],
        "gate now": ["✓ passes" if cur.loc[r, "passes_gate"] else "✗ fails" for r in t["rule"]],
        "recommended": t["threshold"],
        "preceded · FP at recommended": [pair(c, f) if c == c else "–" for c, f in
                                         zip(t["preceded"], t["false_positive_rate"], strict=True)],
        "gain": [money(v) for v in t["expected_value"] - t["current_expected_value"]],
        "current": t["current_threshold"],
        "coverage": t["coverage"],
        "false_positive_rate": t["false_positive_rate"],
        "window": t["window"],
    }).reset_index(drop=True)


def passing_by_motion(per_rule: pd.DataFrame) -> str:
    """'Tier upgrade 2/7, Seat expansion 1/5, …': rules with a passing threshold per motion."""
    ok = per_rule.assign(ok=per_rule["recommended"].notna()).groupby("motion", sort=False)
    return ", ".join(f"{m} {int(g['ok'].sum())}/{len(g)}" for m, g in ok)


def walk_splits(first_period: int, last_period: int, window: int) -> list[int]:
    """Up to four walk-forward splits: from a third of the history (at least window + 2
    periods in), to the last period whose window is still inside the history.

    >>> walk_splits(1, 24, 4)
    [9, 12, 15, 18]
    """
    first = first_period + max(window + 2, (last_period - first_period + 1) // 3)
    last = last_period - window
    step = max(1, (last - first) // 3 or 1)
    return sorted({int(s) for s in range(first, last + 1, step)})


def walk_table(walk: pd.DataFrame) -> pd.DataFrame:
    """The walk-forward results as the app shows them, one split a row."""
    return pd.DataFrame({
        "test from period": walk["split"],
        "chosen on earlier periods": ["none passes" if v != v else f"{v:g}" for v in walk["threshold"]],
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


def queue_table(queues: pd.DataFrame) -> pd.DataFrame:
    """The queue replay's comparison (default, tuned and calibrated queues), as text."""
    return pd.DataFrame({
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


def most_precise_queue(queues: pd.DataFrame) -> str:
    """The name of the queue with the highest precision ('–' when none has one)."""
    if not queues["precision"].notna().any():
        return "–"
    return str(queues.loc[queues["precision"].idxmax(), "queue"])


def queue_chart(queues: pd.DataFrame):
    """The precision of each queue's flags, period by period."""
    import altair as alt

    long = pd.concat([
        r.iloc[:-1].assign(queue=name, period=lambda d: d["period"].astype(int))
        for name, r in queues.attrs["per_period"].items()], ignore_index=True)
    return alt.Chart(long.dropna(subset=["precision"])).mark_line(point=True).encode(
        x=alt.X("period:O", title="period"),
        y=alt.Y("precision:Q", title="precision of the period's flags", axis=alt.Axis(format="%")),
        color=alt.Color("queue:N", title=None, legend=alt.Legend(orient="top")),
        tooltip=["queue:N", "period:O", "flags:Q", alt.Tooltip("precision:Q", format=".0%"),
                 alt.Tooltip("lift:Q", format=".2f")],
    ).properties(width=640, height=220)


# --------------------------------------------------------------------------- playbook results


def playbook_results(snapshots: Any = None, opportunities: Any = None) -> dict:
    """What the flagged plays earned: the snapshot store at ``snapshots`` (else the sample's
    twelve weekly snapshots) matched to the opportunities file (else the sample's).
    Returns flags, per_play, per_owner and source (the snapshots' description);
    a bad file raises a one-line ValueError or OSError."""
    if snapshots:
        from .snapshots import SnapshotStore

        store = SnapshotStore(str(snapshots))
        snaps, source = store.read(), store.path.name
    else:
        snaps = pd.read_csv(ROOT / "workbook" / "sample_snapshots.csv", keep_default_na=False,
                            na_values=[""])
        source = "the sample's 12 weekly snapshots"
    if opportunities:
        from .records import load_records

        opps = load_records(str(opportunities), "opportunities").frame
    else:
        opps = pd.read_csv(ROOT / "workbook" / "sample_opportunities.csv")
    flags = udfs.play_flags(snaps)
    return {"flags": flags, "per_play": udfs.playbook_results(flags, opps, by="play"),
            "per_owner": udfs.playbook_results(flags, opps), "source": source}


def results_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Playbook results as text: counts, money, close rate with its interval, assumptions."""
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


def results_chart(per_play: pd.DataFrame):
    """Each play's measured close rate with its 95 % interval, and the assumed one."""
    import altair as alt

    data = per_play.dropna(subset=["close_rate"])
    bars = alt.Chart(data).mark_rule(strokeWidth=2).encode(
        y=alt.Y("play:N", title=None, sort=list(playbook.MOTIONS)),
        x=alt.X("close_rate_low:Q", title="measured close rate (95% interval) and the assumed one",
                axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        x2="close_rate_high:Q")
    points = bars.mark_point(filled=True, size=70).encode(x="close_rate:Q")
    assumed = alt.Chart(data).mark_tick(color="#C00000", thickness=2, size=18).encode(
        y=alt.Y("play:N", sort=list(playbook.MOTIONS)), x="assumed_close_rate:Q")
    return (bars + points + assumed).properties(width=560, height=170)


# --------------------------------------------------------------------------- the export


def thresholds_to_export(rules: pd.DataFrame, first_rows: pd.DataFrame, *, rule: str,
                         threshold: float, at_chosen: dict, persistence: int, window: int,
                         per_rule: pd.DataFrame | None = None,
                         points: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[str]]:
    """(rows to export, rules left out): the chosen rule's threshold, then (with
    ``per_rule``) the recommended thresholds of the other rules that pass the gate, then
    (with ``points``: rule, points) the calibrated points on each rule's first row.

    A rule family stays ordered: a threshold that would empty a band (its edge follows the
    rule above it) is left out; the chosen threshold comes first and wins.
    """
    rows = [{
        "rule": rule, "signal": first_rows.loc[rule, "signal"], "op": first_rows.loc[rule, "op"],
        "threshold": threshold, "previous_default": float(first_rows.loc[rule, "threshold"]),
        "coverage": at_chosen["coverage"], "false_positive_rate": at_chosen["false_positive_rate"],
        "persistence": persistence, "window": window, "source": "chosen",
    }]
    if per_rule is not None:
        for r in per_rule.dropna(subset=["recommended"]).to_dict("records"):
            if r["rule"] == rule:
                continue
            rows.append({
                "rule": r["rule"], "signal": first_rows.loc[r["rule"], "signal"],
                "op": first_rows.loc[r["rule"], "op"], "threshold": float(r["recommended"]),
                "previous_default": float(r["current"]), "coverage": r["coverage"],
                "false_positive_rate": r["false_positive_rate"], "persistence": persistence,
                "window": int(r["window"]), "source": "recommended",
            })
    first = {r: i for i, r in reversed(list(enumerate(rules["rule"])))}
    kept, _ = families.ordered(rules.to_dict("records"),
                               [(first[r["rule"]], r["threshold"], {}) for r in rows])
    kept_rows = {i for i, _, _ in kept}
    left_out = [r["rule"] for r in rows if first[r["rule"]] not in kept_rows]
    out = pd.DataFrame([r for r in rows if first[r["rule"]] in kept_rows])
    if points is not None:  # points go on each rule's first row
        pts = points.set_index("rule")["points"]
        out["points"] = out["rule"].map(pts)
        more = [{"rule": r, "points": float(p)} for r, p in pts.items() if r not in set(out["rule"])]
        out = pd.concat([out, pd.DataFrame(more)], ignore_index=True)
    return out, left_out


def export_csv_path(model: Path, csv: str, stamp: str) -> Path:
    """The CSV of the thresholds: the given path, else a dated one beside the model.

    >>> export_csv_path(Path("/m/model.xlsx"), "", "20260101-120000").as_posix()
    '/m/model.thresholds-20260101-120000.csv'
    """
    csv = csv.strip()
    return Path(csv).expanduser() if csv else model.with_name(f"{model.stem}.thresholds-{stamp}.csv")


def export_thresholds(model: Path, csv: Path, to_export: pd.DataFrame, *, replace: bool) -> dict:
    """Write ``to_export`` into the model's Rules table and to ``csv``; nothing is written
    when the CSV exists and ``replace`` is false. Returns the writeback report, the CSV
    written and the Rules tables before and after; a one-line ValueError/OSError else."""
    before = udfs.rules_table(writeback.read_rules_table(model))
    if csv.exists() and not replace:  # checked first: nothing written on error
        raise FileExistsError(f"{csv}: already exists (tick 'Replace the CSV if it exists')")
    report = writeback.write_thresholds(model, to_export)
    written = writeback.export_thresholds_csv(to_export, csv, force=replace)
    after = udfs.rules_table(writeback.read_rules_table(model))
    return {"report": report, "csv": written, "rules_before": before, "rules_after": after}


def rescored_top(book: pd.DataFrame, rules_before: pd.DataFrame, rules_after: pd.DataFrame,
                 top: int = 10) -> tuple[pd.DataFrame, int, int]:
    """(the top of the queue scored with the new rules beside its rank and score before,
    accounts whose score changed, change in the number of ready accounts)."""
    before = udfs.score_accounts(book, rules=rules_before).reset_index(drop=True)
    after = udfs.score_accounts(book, rules=rules_after).reset_index(drop=True)
    before["rank before"] = range(1, len(before) + 1)
    after["rank"] = range(1, len(after) + 1)
    top_rows = after.head(top).merge(before[["account_id", "rank before", "expansion_score", "ready"]],
                                     on="account_id", suffixes=("", " before"))
    moved = int((before.set_index("account_id")["expansion_score"]
                 != after.set_index("account_id")["expansion_score"]
                 .reindex(before["account_id"])).sum())
    ready = int(after["ready"].sum()) - int(before["ready"].sum())
    show = pd.DataFrame({
        "rank": top_rows["rank"], "was": top_rows["rank before"], "account": top_rows["account_id"],
        "name": top_rows["account_id"].map(book.set_index("account_id")["account_name"]),
        "score": top_rows["expansion_score"], "score before": top_rows["expansion_score before"],
        "play": top_rows["play"], "owner": top_rows["owner"],
        "expected value": top_rows["expected_value"],
    })
    return show, moved, ready
