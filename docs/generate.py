"""Regenerate the tables of the docs that come from the code, so they cannot drift.

    python docs/generate.py          # rewrite the generated blocks in place
    python docs/generate.py --check  # exit 1 and name the stale files (what the tests run)

Two tables are generated:

- ``account-columns``: every account column of ``udfs.core.playbook.ACCOUNT_COLUMNS`` with its
  meaning, its unit and every header alias of ``udfs.core.playbook.ACCOUNT_ALIASES`` (in
  docs/accounts.md and README.md);
- ``function-catalog``: every Excel function registered with xlwings, its arguments and
  their help text, exactly as Excel's function wizard shows them (docs/functions.md), and
  ``function-summary``, the same functions by area with links to it (README.md).

A generated block sits between ``<!-- BEGIN GENERATED: NAME ... -->`` and
``<!-- END GENERATED: NAME -->``; everything outside the markers is written by hand.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

# xlwings registers its UDFs (and their metadata) only in server mode: set before importing.
os.environ.setdefault("XLWINGS_ON_SERVER", "true")
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python docs/generate.py` from a checkout
    sys.path.insert(0, str(ROOT))

COMMAND = "python docs/generate.py"

# --------------------------------------------------------------------------- account columns

# What each account column means, for a RevOps reader. Units come from the column's kind
# in udfs/core/playbook.py; every column there needs a line here (tests/test_docs.py checks).
COLUMN_MEANINGS: dict[str, str] = {
    "account_id": "Your CRM's account identifier; the only required column, one row per account",
    "account_name": "Company name, shown next to the id in the queue",
    "segment": "`SMB`, `Mid-market` or `Enterprise`; sets the target cycle of some plays",
    "plan_tier": "The plan the account is on today",
    "arr": "Current annual recurring revenue of the account",
    "seats_licensed": "Seats the account pays for",
    "seats_active": "Seats in use; with seats_licensed it gives seat_utilization when that column is absent",
    "seat_utilization": "Seats in use ÷ seats paid for (can pass 1 when over-deployed)",
    "usage_vs_cap": "Consumption of the metered resource (API calls, storage, …) ÷ the plan's cap",
    "usage_trend_90d": "Change in consumption over the last 90 days (0.25 = up 25 %)",
    "next_tier_feature_adoption": "Share of the next tier's gated features the account has already tried",
    "gated_feature_requests_90d": "Requests or tickets for features of a higher tier, last 90 days",
    "pricing_page_visits_30d": "Visits to your pricing page by the account's users, last 30 days",
    "active_user_growth_60d": "Change in active users over the last 60 days",
    "headcount_growth_90d": "Change in the customer's own employee count over the last 90 days",
    "funding_event_days_ago": "Days since the customer raised a funding round; blank when none",
    "new_department_users_30d": "Users from departments or email domains outside the licensed footprint, last 30 days",
    "cross_sell_intent_7d": "Intent events (content, research) about products the account does not own, last 7 days",
    "champion_promoted_90d": "Your champion was promoted or moved to a broader role in the last 90 days",
    "health_score": "Your customer health score",
    "tenure_months": "Months since the first contract",
    "customer_since": "Date of the first contract (gives tenure_months when that column is absent)",
    "renewal_date": "Next renewal date",
    "champion_left_90d": "Your champion left the account in the last 90 days (a risk signal)",
}

# Unit of each kind of column (udfs/core/playbook.py ACCOUNT_COLUMNS values).
KIND_UNITS: dict[str, str] = {
    "id": "text",
    "text": "text",
    "money": "$ a year",
    "count": "count",
    "fraction": "fraction (0.92 = 92 %)",
    "growth": "fraction, may be negative",
    "days": "days",
    "months": "months",
    "score": "0–100",
    "flag": "TRUE / FALSE",
    "date": "date",
}


def _alias_text(key: str) -> str:
    return "`" + str(key).replace("_", " ") + "`"


def account_columns_table() -> str:
    """The account columns as a Markdown table: column, meaning, unit, accepted aliases."""
    from udfs.core import playbook

    aliases = _grouped(playbook.ACCOUNT_ALIASES)
    lines = [
        "| column | what it holds | unit | also accepted as |",
        "|---|---|---|---|",
    ]
    for column, kind in playbook.ACCOUNT_COLUMNS.items():
        meaning = COLUMN_MEANINGS.get(column)
        if meaning is None:
            raise SystemExit(f"docs/generate.py: add a meaning for the account column {column!r} to COLUMN_MEANINGS")
        unit = KIND_UNITS.get(kind)
        if unit is None:
            raise SystemExit(f"docs/generate.py: add a unit for the column kind {kind!r} to KIND_UNITS")
        names = ", ".join(_alias_text(a) for a in aliases.get(column, [])) or "—"
        lines.append(f"| `{column}` | {meaning} | {unit} | {names} |")
    return "\n".join(lines)


def _grouped(mapping: dict[str, str]) -> dict[str, list[str]]:
    """target -> its aliases, sorted (some alias maps are built from sets: no stable order)."""
    out: dict[str, list[str]] = {}
    for alias, target in mapping.items():
        out.setdefault(target, []).append(alias)
    return {target: sorted(aliases) for target, aliases in out.items()}


def opportunity_words_table() -> str:
    """Opportunity types and statuses of CRM exports, and the motion or status each means."""
    from udfs.core import playbook, record_columns

    lines = ["| means | accepted in the `type` / `motion` column |", "|---|---|"]
    types = _grouped(record_columns.OPPORTUNITY_TYPES)
    for motion in playbook.MOTIONS:
        names = [motion] + [a for a in types.get(motion, [])]
        lines.append(f"| {motion} | " + ", ".join(_alias_text(n) for n in names) + " |")
    lines += ["", "| status | accepted in the `status` (or `stage`) column |", "|---|---|"]
    for status, words in _grouped(record_columns.OPPORTUNITY_STATUSES).items():
        lines.append(f"| `{status}` | " + ", ".join(_alias_text(w) for w in words) + " |")
    return "\n".join(lines)


def record_headers_table() -> str:
    """Header spellings accepted for the columns of opportunities, ARR history and targets."""
    from udfs.core import record_columns

    lines = ["| record | column | also accepted as |", "|---|---|---|"]
    for record, mapping in (("opportunities", record_columns.OPPORTUNITY_ALIASES),
                            ("ARR history", record_columns.HISTORY_ALIASES),
                            ("targets", record_columns.TARGET_ALIASES)):
        for column, aliases in _grouped(mapping).items():
            lines.append(f"| {record} | `{column}` | " + ", ".join(_alias_text(a) for a in aliases) + " |")
    return "\n".join(lines)


def _pct_range(pair) -> str:
    return f"{pair[0] * 100:g}–{pair[1] * 100:g} %"


def _dollars(value: float) -> str:
    return f"${value / 1e6:g}M"


def benchmark_stages_table() -> str:
    """The ARR-stage benchmarks (udfs.core.playbook.BENCHMARK_STAGES) as a table."""
    from udfs.core import playbook

    stages = playbook.BENCHMARK_STAGES
    lines = ["| company ARR | expansion share of new ARR, median | top quartile | typical NRR |",
             "|---|---|---|---|"]
    for i, (floor, median, top, nrr) in enumerate(stages):
        span = (f"{_dollars(floor)}+" if i == len(stages) - 1
                else f"${floor / 1e6:g}–{stages[i + 1][0] / 1e6:g}M")
        lines.append(f"| {span} | {_pct_range(median)} | {_pct_range(top)} | {_pct_range(nrr)} |")
    return "\n".join(lines)


def nrr_by_segment_table() -> str:
    """Typical and best-in-class NRR by the segment a company sells to."""
    from udfs.core import playbook

    lines = ["| segment | typical NRR | best in class |", "|---|---|---|"]
    for segment, (typical, best) in playbook.NRR_BY_SEGMENT.items():
        lines.append(f"| {segment} | {_pct_range(typical)} | {_pct_range(best)} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- rules and plays

_OP_TEXT = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "="}


def _number(value: float, kind: str = "") -> str:
    text = f"{value:.2f}" if kind in ("fraction", "growth") and value != int(value) else f"{value:,.10g}"
    return text.replace("-", "−")


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, float) and value != value) or (isinstance(value, str) and not value.strip())


def _conditions(rows: list[dict]) -> str:
    """A rule's conditions in words: 'usage_vs_cap ≥ 0.90', '0.80 ≤ usage_vs_cap < 0.90'."""
    from udfs.core import playbook

    parts, done = [], set()
    for i, row in enumerate(rows):
        if i in done:
            continue
        signal, op, value = row["signal"], row["op"], float(row["threshold"])
        kind = playbook.ACCOUNT_COLUMNS.get(signal, "")
        upper = next((j for j, r in enumerate(rows) if j > i and j not in done and r["signal"] == signal
                      and op in (">=", ">") and r["op"] in ("<", "<=")), None)
        if upper is not None:
            done.add(upper)
            hi = rows[upper]
            low_op = "≤" if op == ">=" else "<"
            parts.append(f"{_number(value, kind)} {low_op} {signal} {_OP_TEXT[hi['op']]} "
                         f"{_number(float(hi['threshold']), kind)}")
        elif kind == "flag" and op == "=":
            parts.append(f"{signal} is {'TRUE' if value else 'FALSE'}")
        else:
            parts.append(f"{signal} {_OP_TEXT.get(op, op)} {_number(value, kind)}")
    return " and ".join(parts)


def default_rules_table() -> str:
    """The default Rules table in words: rule, when it fires, points, motion, alone (and
    persistence / window when any default sets them)."""
    from udfs.core import playbook

    frame = playbook.default_rules()
    rules: dict[str, list[dict]] = {}
    for row in frame.to_dict("records"):
        rules.setdefault(row["rule"], []).append(row)
    def sets(column: str) -> bool:  # does any default rule set this optional column?
        default = 1.0 if column == "persistence" else None
        return column in frame and any(not _is_blank(v) and float(v) != default for v in frame[column])

    extra = [c for c in ("persistence", "window") if sets(c)]
    head = ["rule", "fires when", "points", "motion"] + (["alone"] if "alone" in frame else []) + extra
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, rows in rules.items():
        first = rows[0]
        points = float(first["points"])
        cells = [
            name, _conditions(rows), ("+" if points > 0 else "") + _number(points),
            "(risk: no motion)" if _is_blank(first["motion"]) else str(first["motion"]),
        ]
        if "alone" in frame:
            cells.append("yes" if first.get("alone") is True or first.get("alone") == 1 else "")
        cells += ["" if _is_blank(first.get(c)) else _number(float(first[c])) for c in extra]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _money(value: float) -> str:
    return f"{value:,.0f}"


def default_plays_table() -> str:
    """The default Plays table in words: motion, increase share, close rate, owner, cycle."""
    from udfs.core import playbook

    segments = {"SMB": "cycle_days_smb", "Mid-market": "cycle_days_mid_market",
                "Enterprise": "cycle_days_enterprise"}
    lines = [
        "| motion | expected ARR increase (share of the account's ARR) | close rate | owner | target cycle (days) |",
        "|---|---|---|---|---|",
    ]
    for row in playbook.default_plays().to_dict("records"):
        owner = f"`{row['owner']}`"
        if not _is_blank(row.get("owner_threshold")) and not _is_blank(row.get("owner_above")):
            basis = "the account's ARR" if row.get("owner_basis") == "arr" else "the expected increase"
            owner = (f"`{row['owner']}` when {basis} is under {_money(float(row['owner_threshold']))}, "
                     f"else `{row['owner_above']}`")
        cycles = {seg: row.get(col) for seg, col in segments.items()}
        if all(_is_blank(v) for v in cycles.values()):
            cycle = _number(float(row["cycle_days"]))
        else:
            cycle = ", ".join(f"{seg} {_number(float(row['cycle_days'] if _is_blank(v) else v))}"
                              for seg, v in cycles.items())
        lines.append(f"| {row['motion']} | {_number(float(row['arr_increase_share']))} | "
                     f"{_number(float(row['close_rate']))} | {owner} | {cycle} |")
    return "\n".join(lines)


# What each column of the SCORE_ACCOUNTS queue holds (udfs/scoring/queue.py SCORE_COLUMNS); every
# column there needs a line here (tests/test_docs.py checks).
QUEUE_MEANINGS: dict[str, str] = {
    "account_id": "The account, as in your table",
    "account_name": "Its name, when the table has one",
    "expansion_score": "0–100: the points of the fired rules ([score](rules.md#score)); blank on a `Not scored` row",
    "ready": "TRUE when the account is [ready](rules.md#ready) for an expansion conversation",
    "primary_motion": "The motion with the strongest evidence; blank when no motion rule fired",
    "motions": "Every motion with a fired rule, the primary first, then in the order of the motions: the context that travels with the play",
    "play": "The primary motion (or, with `routing=value`, the best-value motion); else a gate, `Nurture` or `Not scored`",
    "pipeline_status": "Blank for a new play; `Past due`, `In pipeline`, `Recently expanded` or `Cooling down` when the account's opportunities of the play's motion say the play is already in flight, just won or just lost ([below](#opportunities-in-the-queue))",
    "owner": "Who runs the play: the role (CSM, Expansion AE, …); blank when the account is not ready",
    "assignee": "The named person who runs it, from an Owners table of people ([below](#owners-people-and-slots)); blank without one",
    "slot": "`this week` or `queued` under the owners' weekly capacity, for a new play; blank without an Owners table",
    "expected_arr_increase": "The account's ARR × the play's increase share, $",
    "close_rate": "The play's close rate: measured from the opportunities when given, else the Plays table's",
    "expected_value": "Expected increase × close rate, $; 0 when not ready",
    "value_basis": "Whether the close rate and the increase share are measured or assumed, in words",
    "due_in_days": "Days from `as_of` to the play's due date (earlier when a renewal is near); for a play in flight, to the opportunity's close date (negative when past due)",
    "ready_since": "The date the play first became ready, from the history or the previous queue snapshot; blank when neither is given",
    "ready_signal": "The rule that made it ready: its `alone` rule when it is ready on its own, else its motion's strongest fired rule",
    "opportunity_id": "The opportunity behind `pipeline_status` (open, won or lost)",
    "opportunity_stage": "Its stage in the CRM",
    "opportunity_close_date": "Its close date (expected, for an open one)",
    "reasons": "What fired and what it was worth, gates, risk rules, renewals and bad cells, in words",
}


def queue_columns_table() -> str:
    """The columns SCORE_ACCOUNTS returns, in order, with what each holds."""
    from udfs.scoring.queue import SCORE_COLUMNS

    lines = ["| queue column | what it holds |", "|---|---|"]
    for column in SCORE_COLUMNS:
        meaning = QUEUE_MEANINGS.get(column)
        if meaning is None:
            raise SystemExit(f"docs/generate.py: add a meaning for the queue column {column!r} to QUEUE_MEANINGS")
        lines.append(f"| `{column}` | {meaning} |")
    return "\n".join(lines)


def _help_table(help_texts: dict[str, str], what: str) -> str:
    lines = [f"| {what} column | what it means |", "|---|---|"]
    lines += [f"| `{column}` | {_plain(text)} |" for column, text in help_texts.items()]
    return "\n".join(lines)


def rule_columns_table() -> str:
    """Every column of the Rules table with the help text the model shows (RULE_HELP)."""
    from udfs.core import playbook

    return _help_table(playbook.RULE_HELP, "Rules")


def play_columns_table() -> str:
    """Every column of the Plays table with the help text the model shows (PLAY_HELP)."""
    from udfs.core import playbook

    return _help_table(playbook.PLAY_HELP, "Plays")


# --------------------------------------------------------------------------- function catalog

# Group title of the udfs module that holds a function; a module not listed gets its name.
MODULE_TITLES: dict[str, str] = {  # module under udfs -> the area its functions make up
    "scoring.cells": "Scoring, plays and owners",
    "backtest.trigger": "Trigger backtests",
    "revenue.pipeline": "Pipeline coverage",
    "revenue.opportunities": "Pipeline from opportunities",
    "revenue.coverage": "Pipeline from opportunities",
    "revenue.retention": "Retention and benchmarks",
    "revenue.arr_history": "Retention from ARR history",
    "simulation.compounding": "NRR simulation",
    "simulation.monte_carlo": "NRR simulation",
    "outcomes.changes": "Snapshots and outcomes",
    "outcomes.matching": "Snapshots and outcomes",
    "outcomes.results": "Snapshots and outcomes",
}
AREA_ORDER = tuple(dict.fromkeys(MODULE_TITLES.values()))  # areas, each once

# The help texts speak of "the SPEC", a document that does not ship with the project.
_HELP_WORDING = (
    (re.compile(r"the SPEC (rules|plays)"), r"the playbook \1"),
    (re.compile(r"(?:the )?SPEC §\d+ (rules|plays)"), r"the playbook \1"),
    (re.compile(r"in SPEC order"), "in the standard order"),
    (re.compile(r"\bthe SPEC columns?\b"), "the known account columns"),
    (re.compile(r"\ba SPEC column\b"), "a known account column"),
    (re.compile(r"\bSPEC order"), "the standard order"),
    (re.compile(r"\s*\(?(?:SPEC )?§\d+(?:[–-]§?\d+)?\)?"), ""),
)


def _plain(text: str) -> str:
    for pattern, repl in _HELP_WORDING:
        text = pattern.sub(repl, text)
    return " ".join(text.replace("|", "\\|").split())


def _functions() -> list[dict]:
    from xlwings.server import custom_functions_meta

    import udfs

    return custom_functions_meta(udfs)["functions"]


def _area_of(name: str) -> str:
    """The area of a function: the title of the module under udfs that defines it."""
    import udfs

    module = getattr(getattr(udfs, name), "__module__", "udfs").partition(".")[2]
    return MODULE_TITLES.get(module, module.rpartition(".")[2].replace("_", " ").capitalize())


def _areas(groups: dict) -> list[str]:
    return [a for a in AREA_ORDER if a in groups] + sorted(a for a in groups if a not in AREA_ORDER)


def _signature(meta: dict) -> str:
    args = [f"[{p['name']}]" if p.get("optional") else p["name"] for p in meta["parameters"]]
    return f"{meta['name']}({', '.join(args)})"


def _split_example(description: str) -> tuple[str, str]:
    what, _, example = description.partition("Example:")
    return what.strip(), example.strip()


def function_catalog() -> str:
    """Every registered Excel function: summary table, then its arguments, grouped by area."""
    groups: dict[str, list[dict]] = {}
    for meta in _functions():
        groups.setdefault(_area_of(meta["name"]), []).append(meta)
    order = _areas(groups)
    out = [
        f"{sum(len(v) for v in groups.values())} functions. Arguments in [brackets] are optional.",
        "",
        "| function | what it returns | area |",
        "|---|---|---|",
    ]
    for area in order:
        for meta in sorted(groups[area], key=lambda m: m["name"]):
            what, _ = _split_example(meta["description"])
            out.append(f"| [`{meta['name']}`](#{meta['name'].lower()}) | {_plain(what)} | {area} |")
    for area in order:
        out += ["", f"## {area}"]
        for meta in sorted(groups[area], key=lambda m: m["name"]):
            what, example = _split_example(meta["description"])
            out += ["", f"### {meta['name']}", "", f"`{_signature(meta)}`", "", _plain(what)]
            if example:
                formula, gives, result = example.partition(" gives ")
                out += ["", f"Example: `{formula.strip()}`" + (f" gives `{result.strip()}`" if gives else "")]
            out += ["", "| argument | help |", "|---|---|"]
            for p in meta["parameters"]:
                name = f"[{p['name']}]" if p.get("optional") else p["name"]
                out.append(f"| `{name}` | {_plain(p['description'])} |")
    return "\n".join(out)


def function_summary() -> str:
    """The functions by area, each linked to its entry in docs/functions.md (for the README)."""
    groups: dict[str, list[str]] = {}
    for meta in _functions():
        groups.setdefault(_area_of(meta["name"]), []).append(meta["name"])
    order = _areas(groups)
    lines = ["| area | functions |", "|---|---|"]
    for area in order:
        links = ", ".join(f"[`{n}`](docs/functions.md#{n.lower()})" for n in sorted(groups[area]))
        lines.append(f"| {area} | {links} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- blocks

def signal_sources_table() -> str:
    """The product records the signals are computed from: columns and header spellings."""
    from workbook.signals.specs import SOURCES

    lines = ["| option | one row per | columns (required in bold) | other header spellings |",
             "|---|---|---|---|"]
    for name, spec in SOURCES.items():
        cols = ", ".join(f"**{c}**" if c in spec.required else c for c in spec.columns)
        by = _grouped({a: c for a, c in spec.aliases.items()})
        spellings = "; ".join(f"{c}: {', '.join(f'`{a}`' for a in by[c])}"
                              for c in spec.columns if c in by and c != "date")
        lines.append(f"| `--{name.replace('_', '-')}` | {_plain(spec.meaning)} | {cols} | {spellings} |")
    dates = sorted(a for a, c in SOURCES["usage"].aliases.items() if c == "date")
    lines += ["", "A `date` column may also be headed " + ", ".join(f"`{a}`" for a in dates)
              + "; it may hold dates or timestamps. `account_id` and `plan_tier` take the "
              "spellings of the [account columns](accounts.md)."]
    return "\n".join(lines)


def signal_definitions_table() -> str:
    """Each signal's definition, from the docstring of the code that computes it."""
    from workbook.signals.definitions import SIGNALS

    lines = ["| signal | computed from | definition at A | blank until the records cover |",
             "|---|---|---|---|"]
    for sig in SIGNALS.values():
        sources = " + ".join(f"`--{n.replace('_', '-')}`" for n in sig.needs)
        for alt in sig.alternatives:
            sources += " (or " + " + ".join(f"`--{n.replace('_', '-')}`" for n in alt) + ")"
        also = f" (also {', '.join(sig.outputs[1:])})" if len(sig.outputs) > 1 else ""
        history = (f"{sig.lookback} days (A−{sig.lookback}, A] of "
                   + " and ".join(f"`--{n.replace('_', '-')}`" for n in sig.history)
                   if sig.lookback else "— (never blank for this reason)")
        lines.append(f"| [{sig.name}](accounts.md){also} | {sources} | {_plain(sig.definition)} "
                     f"| {history} |")
    return "\n".join(lines)


BLOCKS = {
    "account-columns": account_columns_table,
    "function-catalog": function_catalog,
    "function-summary": function_summary,
    "opportunity-words": opportunity_words_table,
    "record-headers": record_headers_table,
    "default-rules": default_rules_table,
    "default-plays": default_plays_table,
    "rule-columns": rule_columns_table,
    "play-columns": play_columns_table,
    "queue-columns": queue_columns_table,
    "benchmark-stages": benchmark_stages_table,
    "nrr-by-segment": nrr_by_segment_table,
    "signal-sources": signal_sources_table,
    "signal-definitions": signal_definitions_table,
}
FILES = {
    "account-columns": ("docs/accounts.md", "README.md"),
    "function-catalog": ("docs/functions.md",),
    "function-summary": ("README.md",),
    "opportunity-words": ("docs/records.md",),
    "record-headers": ("docs/records.md",),
    "default-rules": ("docs/rules.md",),
    "default-plays": ("docs/plays.md",),
    "rule-columns": ("docs/rules.md",),
    "play-columns": ("docs/plays.md",),
    "queue-columns": ("docs/plays.md",),
    "benchmark-stages": ("docs/retention.md",),
    "nrr-by-segment": ("docs/retention.md",),
    "signal-sources": ("docs/signals.md",),
    "signal-definitions": ("docs/signals.md",),
}
_BLOCK = re.compile(
    r"(<!-- BEGIN GENERATED: (?P<name>[\w-]+)[^>]*-->\n)(?P<body>.*?)(<!-- END GENERATED: (?P=name) -->)",
    re.DOTALL,
)


def render(text: str, cache: dict[str, str] | None = None) -> str:
    """``text`` with every generated block replaced by what the code says today."""
    cache = {} if cache is None else cache

    def fill(m: re.Match) -> str:
        name = m.group("name")
        if name not in BLOCKS:
            raise SystemExit(f"docs/generate.py: unknown generated block {name!r}")
        if name not in cache:
            cache[name] = BLOCKS[name]()
        return m.group(1) + cache[name] + "\n" + m.group(4)

    return _BLOCK.sub(fill, text)


def blocks_in(text: str) -> list[str]:
    return [m.group("name") for m in _BLOCK.finditer(text)]


def stale_files() -> list[str]:
    """The files whose generated blocks differ from the code (relative paths)."""
    cache: dict[str, str] = {}
    stale = []
    for path in sorted({p for paths in FILES.values() for p in paths}):
        text = (ROOT / path).read_text(encoding="utf-8")
        if render(text, cache) != text:
            stale.append(path)
    return stale


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv not in ([], ["--check"]):
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: python docs/generate.py [--check]", file=sys.stderr)
        return 2
    stale = stale_files()
    if argv == ["--check"]:
        for path in stale:
            print(f"{path} is out of date with the code: run `{COMMAND}`")
        return 1 if stale else 0
    from workbook._files import atomic_write

    cache: dict[str, str] = {}
    for path in stale:
        target = ROOT / path
        atomic_write(target, render(target.read_text(encoding="utf-8"), cache), force=True)
        print(f"updated {path}")
    if not stale:
        print("docs are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
