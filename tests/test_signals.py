"""Signals from product records (workbook.signals): each definition checked by hand, on
DuckDB and on PySpark alike; the engines agree on random event sets; bad input is
reported, never a wrong number.

The PySpark half shares one local session (module fixture ``spark``); without Java it
skips, and under UPCELL_REQUIRE_E2E=1 it fails.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, _missing
from workbook.signals import SIGNALS, compute_signals, connect, java_available
from workbook.signals.engine import EngineError

AS_OF = "2026-11-30"

# ---------------------------------------------------------------- hand-made events
# Accounts A (Growth), B (Business, the top tier of the catalog), D (Starter: no cap).
ACCOUNTS = pd.DataFrame({"Account ID": ["A", "B", "D"], "Plan": ["Growth", "Business", "Starter"],
                         "Account Name": ["Alpha", "Beta", "Delta"], "Health Score": [80, 70, 60]})
USAGE = pd.DataFrame({
    "Customer ID": ["A", "A", "A", "A", "A", "A", "B", "B", "C", "D"],
    "Event Time": ["2026-11-20", "2026-11-20", "2026-10-01", "2026-10-31", "2026-08-15",
                   "2026-11-25", "2026-11-30T23:30:00-05:00", "2026-11-10", "2026-11-01", "2026-11-15"],
    "Metric": ["API calls", "api_calls ", "api_calls", "api_calls", "api_calls", "gpu_minutes",
               "api_calls", "Storage", "api_calls", "api_calls"],
    "Qty": [500, 500, 300, 100, 100, 9999, 200, 50, 10, 40],
})
CAPS = pd.DataFrame({"Plan": ["Growth", "Growth", "Business"], "Metric": ["api_calls", "storage", "api_calls"],
                     "Limit": [1000, 100, 5000]})
SEATS = pd.DataFrame({"account_id": ["A", "A", "B"], "date": ["2026-10-01", "2026-11-15", "2026-11-01"],
                      "seats_licensed": [10, 20, 5], "seats_active": [5, 15, None]})
USERS = pd.DataFrame({
    "account_id": ["B"] * 5, "user_id": ["u1", "u2", "u4", "u3", "u1"],
    "date": ["2026-11-20", "2026-11-21", "2026-11-25", "2026-09-10", "2026-09-05"],
    "department": ["Eng", "Sales", "Legal", "Eng", "Eng"]})
WEB = pd.DataFrame({"account_id": ["A", "A", "A", "B"],
                    "date": ["2026-11-20", "2026-10-31T22:00:00-05:00", "2026-11-21", "2026-10-01"],
                    "url": ["/Pricing", "/pricing/teams", "/docs", "/pricing/x"]})
TICKETS = pd.DataFrame({"account_id": ["A", "A", "A"], "date": ["2026-11-20", "2026-10-01", "2026-11-02"],
                        "tag": ["Gated", "other", "upgrade request"]})
FEATURES = pd.DataFrame({"feature": ["sso", "audit", "api_calls"], "tier": ["Business", "Business", "Growth"]})
FEATURE_EVENTS = pd.DataFrame({"account_id": ["A", "A"], "date": ["2026-11-01", "2026-07-01"],
                               "feature": ["SSO", "audit"]})
# Each event source but seats (no look-back) starts in January: a row of D that counts for
# nothing at A, so every window at A is covered (the short-history test goes without them).
OPENING = {"usage": {"Customer ID": "D", "Event Time": "2026-01-02", "Metric": "api_calls", "Qty": 1},
           "users": {"account_id": "D", "user_id": "d1", "date": "2026-01-02", "department": "Ops"},
           "web": {"account_id": "D", "date": "2026-01-02", "url": "/docs"},
           "tickets": {"account_id": "D", "date": "2026-01-02", "tag": "bug"},
           "feature_events": {"account_id": "D", "date": "2026-01-02", "feature": "not_in_catalog"}}
SHORT_SOURCES = {"usage": USAGE, "caps": CAPS, "seats": SEATS, "users": USERS, "web": WEB,
                 "tickets": TICKETS, "features": FEATURES, "feature_events": FEATURE_EVENTS}
HAND_SOURCES = {k: pd.concat([pd.DataFrame([OPENING[k]]), v], ignore_index=True) if k in OPENING else v
                for k, v in SHORT_SOURCES.items()}

# Each value worked out by hand from the definitions (as of 2026-11-30; windows end on it).
EXPECTED = {
    # A: api_calls in (Oct 31, Nov 30] = 500 (the repeat of row 1 and the Oct 31 row are
    # not in it) / Growth cap 1000; storage 0 / 100. B: 0 / 5000 (its Dec 1 UTC row is
    # after as_of). D: Starter has no cap -> blank, never 0.
    "usage_vs_cap": {"A": 0.5, "B": 0.0, "D": None},
    # A: (Sep 1, Nov 30] = 500 + 300 + 100 = 900 over (Jun 3, Sep 1] = 100 -> 8.0 (gpu_minutes
    # has no cap: left out). B: 50 over 0 -> blank. D: 40 over 0 -> blank.
    "usage_trend_90d": {"A": 8.0, "B": None, "D": None},
    # A: latest row Nov 15: 15 / 20. B: no seats_active -> 3 users active in (Oct 31, Nov 30] / 5.
    "seat_utilization": {"A": 0.75, "B": 0.6, "D": None},
    "seats_licensed": {"A": 20.0, "B": 5.0, "D": None},
    # B: 3 users now over 2 in (Sep 1, Oct 1] -> 0.5; A, D: no earlier users -> blank.
    "active_user_growth_60d": {"A": None, "B": 0.5, "D": None},
    # B: Sales (u2) and Legal (u4) had no user in (May 4, Oct 31]; Eng had.
    "new_department_users_30d": {"A": 0, "B": 2, "D": 0},
    # A: /Pricing Nov 20 and /pricing/teams at Nov 1 03:00 UTC; B's visit is Oct 1.
    "pricing_page_visits_30d": {"A": 2, "B": 0, "D": 0},
    # A: 'Gated' Nov 20 and 'upgrade request' Nov 2; 'other' is no gated tag.
    "gated_feature_requests_90d": {"A": 2, "B": 0, "D": 0},
    # A (Growth -> Business: sso, audit): sso used Nov 1, audit only in July -> 1/2.
    # B: Business is the top tier of the catalog -> blank. D: Starter -> Growth, whose one
    # feature, api_calls, D used on Nov 15 (a usage metric that names a feature) -> 1/1.
    "next_tier_feature_adoption": {"A": 0.5, "B": None, "D": 1.0},
}


@pytest.fixture(scope="module")
def spark():
    """One local Spark session for the module (skips without Java, fails under E2E)."""
    if not java_available():
        _missing("needs Java 17 for PySpark (apt-get install openjdk-17-jre-headless)")
    try:
        from pyspark.sql import SparkSession
    except ImportError as err:
        _missing(f"needs pyspark ({err})")
    session = (
        SparkSession.builder.master("local[2]").appName("upcell-tests")
        .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1").config("spark.default.parallelism", "1")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _value(frame: pd.DataFrame, account: str, column: str):
    v = frame.loc[frame["account_id"] == account, column].iloc[0]
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def _check_by_hand(accounts: pd.DataFrame, panel: pd.DataFrame, report) -> None:
    for column, values in EXPECTED.items():
        for account, want in values.items():
            got = _value(accounts, account, column)
            if want is None:
                assert got is None, f"{column} of {account}: expected blank, got {got}"
            else:
                assert got == pytest.approx(want), f"{column} of {account}"
    # the month ends before as_of, then as_of; each account from its first month with data
    a = panel[panel["account_id"] == "A"].set_index("month")
    assert list(a.index) == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    assert a["period"].tolist() == [7, 8, 9, 10, 11]  # period 1: January, when the exports start
    # Aug 31: (Aug 1, Aug 31] holds the Aug 15 row; Oct 31: (Oct 1, Oct 31] holds Oct 31, not Oct 1
    assert a.loc["2026-08", "usage_vs_cap"] == pytest.approx(0.1)
    assert a.loc["2026-10", "usage_vs_cap"] == pytest.approx(0.1)
    assert a.loc["2026-10", "seat_utilization"] == pytest.approx(0.5)
    assert math.isnan(a.loc["2026-09", "seat_utilization"])  # no seats row on or before Sep 30
    assert a.loc["2026-07", "next_tier_feature_adoption"] == pytest.approx(0.5)  # audit, Jul 1
    assert panel.loc[panel["account_id"] == "B", "month"].min() == "2026-09"
    assert set(panel.columns) >= {"account_id", "period", "month", "expansion", "expansion_motion",
                                  "expansion_amount", "account_name", "plan_tier"}
    # the accounts table keeps the CRM's other columns and computes the rest
    assert accounts["health_score"].tolist() == [80, 70, 60]
    assert accounts["account_name"].tolist() == ["Alpha", "Beta", "Delta"]
    usage = report.source("usage")
    assert usage.rows_in == 11
    assert usage.rows_used + sum(usage.problems.values()) == usage.rows_in
    assert usage.problems["after_as_of"] == 1 and usage.problems["unknown_account"] == 1
    assert usage.problems["duplicate"] == 1  # 'API calls' and 'api_calls ' are one metric, one day
    assert usage.examples["unknown_account"] == ["C"]
    text = str(report)
    assert "'starter' (1 account)" in text and "blank, not 0" in text
    assert "'gpu_minutes' (1 rows)" in text
    assert "timestamp" in text and "UTC" in text


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_each_signal_by_hand(engine, request):
    """Every signal, the panel and the report, by hand, on each engine. The Spark item is
    the only one that starts Spark, so it also checks that the engines agree on random
    event sets (one JVM per test run)."""
    session = request.getfixturevalue("spark") if engine == "spark" else None
    result = compute_signals(HAND_SOURCES, AS_OF, accounts=ACCOUNTS, engine=engine, spark=session)
    _check_by_hand(*result)
    if engine == "spark":
        _engines_agree(session)


# Without the January rows each source starts later (usage Aug 15, users Sep 5, web and
# tickets Oct 1, feature_events Jul 1); the grid is Jul 31, Aug 31, Sep 30, Oct 31, Nov 30.
# A signal is blank at a date whose window's first day, d − lookback + 1, is before that:
SHORT = {  # signal: (month ends blank, first day of its records)
    "usage_vs_cap": (2, "2026-08-15"),  # 30 days: Jul 31, Aug 31 (Aug 2 – Aug 31 is partial)
    "usage_trend_90d": (5, "2026-08-15"),  # 180 days: even Nov 30's reaches Jun 4
    "active_user_growth_60d": (5, "2026-09-05"),  # 90 days: Nov 30's starts Sep 2
    "new_department_users_30d": (5, "2026-09-05"),  # 210 days
    "pricing_page_visits_30d": (3, "2026-10-01"),  # Jul 31, Aug 31, Sep 30
    "gated_feature_requests_90d": (5, "2026-10-01"),  # Nov 30's starts Sep 2
    "next_tier_feature_adoption": (4, "2026-08-15"),  # the later of usage and feature_events
}


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_short_history_is_blank_not_a_number(engine, request):
    """A window reaching before its source's first record is blank on both engines (counts
    too, never 0), and the report counts the month ends; seats (no look-back) are kept."""
    session = request.getfixturevalue("spark") if engine == "spark" else None
    accounts, panel, report = compute_signals(SHORT_SOURCES, AS_OF, accounts=ACCOUNTS, engine=engine,
                                              spark=session)
    assert sorted(panel["month"].unique()) == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    for name, (n, first) in SHORT.items():
        assert report.short_history[name] == (n, pd.Timestamp(first).date()), name
        blank = sorted(panel["month"].unique())[:n]
        shown = panel[panel["month"].isin(blank)]
        assert len(shown) and shown[name].isna().all(), name  # 0 for a count would be a claim
        kept = panel[~panel["month"].isin(blank)]
        assert kept[name].notna().any() or n == 5, name
    assert "seat_utilization" not in report.short_history
    text = str(report)
    assert "new_department_users_30d at 5 of 5 month ends (its records start 2026-09-05" in text
    assert "usage_vs_cap at 2 of 5 month ends" in text
    # at as_of: what the covered windows give (as in the hand test), blanks where they are short
    a = accounts.set_index("account_id")
    assert a.loc["A", "usage_vs_cap"] == pytest.approx(0.5) and a.loc["A", "pricing_page_visits_30d"] == 2
    assert a.loc["A", "next_tier_feature_adoption"] == pytest.approx(0.5)
    assert a.loc["A", "seat_utilization"] == pytest.approx(0.75)
    for name in ("usage_trend_90d", "active_user_growth_60d", "new_department_users_30d",
                 "gated_feature_requests_90d"):
        assert a[name].isna().all(), name  # B's 2 new departments, A's trend 8.0: partial windows
    # Oct 31: (Oct 1, Oct 31] is covered by usage from Aug 15; Aug 31 was not
    pa = panel[panel["account_id"] == "A"].set_index("month")
    assert pa.loc["2026-10", "usage_vs_cap"] == pytest.approx(0.1)
    assert math.isnan(pa.loc["2026-08", "usage_vs_cap"])


def test_duplicates_and_bad_cells_are_counted_not_used():
    usage = pd.DataFrame({"account_id": ["A", "A", "A", "", "A", "A"],
                          "date": ["2026-11-20", "2026-11-20", "not a date", "2026-11-20", "2026-11-21", "2026-11-22"],
                          "quantity": ["5", "5", "5", "5", "-3", "lots"]})
    accounts, _, report = compute_signals({"usage": usage}, AS_OF, months=0)
    rep = report.source("usage")
    assert rep.problems == {"no_account": 1, "bad_date": 1, "bad_number": 1, "negative": 1,
                            "after_as_of": 0, "unknown_account": 0, "duplicate": 1}
    assert rep.rows_used == 1 and rep.examples["bad_date"] == ["not a date"]
    assert accounts["account_id"].tolist() == ["A"]
    # one metric, no caps: the trend is computed, usage_vs_cap needs caps and plans
    assert "usage_vs_cap" not in accounts.columns


def test_files_and_duckdb_tables_read_like_dataframes(tmp_path):
    import duckdb

    USAGE.to_parquet(tmp_path / "usage.parquet")
    CAPS.to_csv(tmp_path / "caps.csv", index=False)
    db = tmp_path / "events.duckdb"
    with duckdb.connect(str(db)) as con:
        con.register("seats_df", SEATS)
        con.execute("CREATE TABLE seats AS SELECT * FROM seats_df")
    ACCOUNTS.to_csv(tmp_path / "crm.csv", index=False)
    accounts, _, _ = compute_signals(
        {"usage": tmp_path / "usage.parquet", "caps": str(tmp_path / "caps.csv"),
         "seats": f"{db}:seats"}, AS_OF, accounts=tmp_path / "crm.csv")
    assert _value(accounts, "A", "usage_vs_cap") == pytest.approx(0.5)
    assert _value(accounts, "D", "usage_vs_cap") is None
    assert _value(accounts, "A", "seat_utilization") == pytest.approx(0.75)
    with pytest.raises(ValueError, match=r"^seats: .* has no table 'nope'"):
        compute_signals({"seats": f"{db}:nope"}, AS_OF)


def test_bad_input_is_one_line_naming_the_argument(tmp_path):
    with pytest.raises(ValueError, match=r"^sources: unknown source 'clicks'"):
        compute_signals({"clicks": USAGE}, AS_OF)
    with pytest.raises(ValueError, match=r"^as_of: expected a date"):
        compute_signals({"usage": USAGE}, "someday")
    with pytest.raises(ValueError, match=r"^usage: expected a column 'quantity'"):
        compute_signals({"usage": USAGE.drop(columns="Qty")}, AS_OF)
    with pytest.raises(ValueError, match=r"^engine: expected one of duckdb, spark"):
        compute_signals({"usage": USAGE}, AS_OF, engine="polars")
    empty = tmp_path / "tickets.csv"
    empty.write_text("")
    accounts, _, report = compute_signals({"usage": USAGE, "tickets": empty}, AS_OF)
    assert "gated_feature_requests_90d" not in accounts.columns
    assert "no rows" in str(report)


def test_spark_without_java_says_what_to_install(tmp_path):
    env = {**os.environ, "JAVA_HOME": str(tmp_path / "nojava"), "PATH": str(tmp_path)}
    code = ("from workbook.signals import connect\n"
            "try:\n    connect('spark')\nexcept ValueError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.strip() == ("--engine spark needs Java 17 (on Debian/Ubuntu: apt-get install "
                                  "openjdk-17-jre-headless), or use --engine duckdb")
    assert issubclass(EngineError, ValueError)  # the command prints it as one line


# ---------------------------------------------------------------- random event sets


def _random_sources(seed: int, n_accounts: int = 6, days: int = 400,
                    as_of: str = AS_OF) -> tuple[dict, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = [f"R{i:02d}" for i in range(n_accounts)]
    tiers = ["Starter", "Growth", "Business", "Enterprise"]
    acc = pd.DataFrame({"account_id": ids, "plan_tier": rng.choice(tiers, n_accounts)})
    end = pd.Timestamp(as_of)

    def days_back(n):
        return (end - pd.to_timedelta(rng.integers(-3, days, n), unit="D")).strftime("%Y-%m-%d")

    n = 300
    usage = pd.DataFrame({"account_id": rng.choice(ids + ["ZZ"], n), "date": days_back(n),
                          "metric": rng.choice(["api", "storage", "sso", "audit"], n),
                          "quantity": rng.integers(0, 50, n).astype(float)})
    caps = pd.DataFrame({"plan_tier": np.repeat(tiers[:3], 2), "metric": ["api", "storage"] * 3,
                         "cap": [100.0, 50.0, 400.0, 0.0, 900.0, 300.0]})
    seats = pd.DataFrame({"account_id": rng.choice(ids, 40), "date": days_back(40),
                          "seats_licensed": rng.integers(0, 30, 40).astype(float),
                          "seats_active": np.where(rng.random(40) < 0.3, np.nan, rng.integers(0, 30, 40))})
    users = pd.DataFrame({"account_id": rng.choice(ids, 200), "user_id": rng.choice([f"u{i}" for i in range(12)], 200),
                          "date": days_back(200), "department": rng.choice(["Eng", "Ops", "HR", None], 200)})
    web = pd.DataFrame({"account_id": rng.choice(ids, 80), "date": days_back(80),
                        "page": rng.choice(["/pricing", "/docs", "/Pricing/plans", "/blog"], 80)})
    tickets = pd.DataFrame({"account_id": rng.choice(ids, 60), "date": days_back(60),
                            "tag": rng.choice(["gated", "bug", "Upgrade Request"], 60)})
    features = pd.DataFrame({"feature": ["sso", "audit", "api"], "tier": ["Business", "Enterprise", "Growth"]})
    return ({"usage": usage, "caps": caps, "seats": seats, "users": users, "web": web,
             "tickets": tickets, "features": features}, acc)


def _same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    assert list(left.columns) == list(right.columns)
    pd.testing.assert_frame_equal(left.reset_index(drop=True), right.reset_index(drop=True),
                                  check_dtype=False, rtol=1e-12, atol=1e-12)


def _engines_agree(spark) -> None:
    """DuckDB and Spark give the same tables and report on random event sets (several
    sets in one run each way: account ids keep them apart)."""
    srcs, accs = {}, []
    for seed in range(3):
        s, acc = _random_sources(seed)
        for k, v in s.items():
            if "account_id" in v:
                v = v.assign(account_id=f"{seed}-" + v["account_id"])
            srcs.setdefault(k, []).append(v)
        accs.append(acc.assign(account_id=f"{seed}-" + acc["account_id"]))
    srcs = {k: pd.concat(v, ignore_index=True) if k != "caps" and k != "features" else v[0]
            for k, v in srcs.items()}
    acc = pd.concat(accs, ignore_index=True)
    duck = compute_signals(srcs, AS_OF, accounts=acc)
    spk = compute_signals(srcs, AS_OF, accounts=acc, engine="spark", spark=spark)
    _same(duck[0], spk[0])
    _same(duck[1], spk[1])
    assert duck[2].lines()[1:] == spk[2].lines()[1:]
    assert duck[1]["usage_vs_cap"].notna().any() and duck[1]["next_tier_feature_adoption"].notna().any()


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), as_of=st.dates(pd.Timestamp("2026-01-01").date(),
                                                   pd.Timestamp("2026-12-31").date()))
def test_accounts_table_is_the_panels_last_month(seed, as_of):
    srcs, acc = _random_sources(seed, n_accounts=4, days=300, as_of=str(as_of))
    accounts, panel, report = compute_signals(srcs, as_of, accounts=acc)
    last = panel[panel["period"] == panel["period"].max()].set_index("account_id")
    for column in [s for s in SIGNALS if s in accounts.columns]:
        mine = accounts.set_index("account_id")[column].reindex(last.index)
        np.testing.assert_allclose(mine.to_numpy(float), last[column].to_numpy(float), equal_nan=True)
    for rep in report.sources:
        assert rep.rows_used + sum(rep.problems.values()) == rep.rows_in
    ratio = accounts[["usage_vs_cap", "seat_utilization", "next_tier_feature_adoption"]]
    assert (ratio.fillna(0) >= 0).all().all()
    assert (accounts["next_tier_feature_adoption"].fillna(0) <= 1).all()


def test_connect_duckdb_counts_days_in_utc():
    eng = connect("duckdb")
    assert eng.raw.execute("SELECT current_setting('TimeZone')").fetchone()[0] == "UTC"


@pytest.mark.parametrize(("seed", "small"), [(0, False), (1, True)])
def test_usage_summary_equals_the_rows(seed, small, monkeypatch):
    """Usage summed once per account, metric and window months (the fast path) gives the
    same tables and report as the window sums over its checked rows, on random events
    with exact repeats, hourly rows of one day (not repeats) and rows after as_of; also
    (``small``) when the older days' buckets are computed rather than looked up and the
    metrics are grouped by their text (more of them than a number is given to)."""
    from workbook.signals import definitions, sources, summary

    if small:
        monkeypatch.setattr(summary, "DAYS_LOOKED_UP", 200)
        monkeypatch.setattr(sources, "FEW_VALUES", 2)

    srcs, acc = _random_sources(seed, days=500)
    usage = srcs["usage"]
    rng = np.random.default_rng(seed)
    repeats = usage.sample(60, random_state=seed)
    hourly = usage.sample(40, random_state=seed + 1).assign(
        date=lambda f: f["date"] + "T" + pd.Series(rng.integers(10, 23, 40), index=f.index).astype(str) + ":00:00")
    later = usage.head(3).assign(date="2026-12-02")
    srcs["usage"] = pd.concat([usage, repeats, hourly, repeats.head(5), later], ignore_index=True)
    # a capped metric no usage row has (the summary numbers usage's metrics only), the one
    # cap of a plan that had none: its accounts' usage_vs_cap is 0 (not blank), as on the rows
    tier = "Enterprise"
    assert tier not in set(srcs["caps"]["plan_tier"])
    srcs["caps"] = pd.concat([srcs["caps"], pd.DataFrame({"plan_tier": [tier], "metric": ["exports"],
                                                          "cap": [10.0]})], ignore_index=True)
    fast = compute_signals(srcs, AS_OF, accounts=acc)
    monkeypatch.setattr(definitions, "SUMMARY_SHIFTS", {})
    rows = compute_signals(srcs, AS_OF, accounts=acc)
    _same(fast[0], rows[0])
    _same(fast[1], rows[1])
    assert fast[2].lines()[1:] == rows[2].lines()[1:]
    rep = fast[2].source("usage")
    assert rep.rows_in == len(srcs["usage"]) and rep.problems["after_as_of"] > 0
    assert rep.problems["duplicate"] >= 30  # the repeats of usable rows (hourly rows are not)
    assert fast[1]["usage_vs_cap"].notna().any() and fast[1]["next_tier_feature_adoption"].notna().any()
    on_tier = fast[0]["plan_tier"].astype(str).str.strip().str.lower() == tier.strip().lower()
    assert on_tier.any() and (fast[0].loc[on_tier, "usage_vs_cap"] == 0).all()


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_padded_ids_are_the_export_accounts(engine, request):
    """An event row's id is read trimmed, whether or not it matches the export as read
    (ids matching as read are not trimmed again): padded ids give the same tables and
    report as clean ones, and an unknown padded id is named trimmed."""
    session = request.getfixturevalue("spark") if engine == "spark" else None
    srcs, acc = _random_sources(7)
    pads = [" {}", "{} ", "\t{}", "{}", "{}"]
    padded = {}
    for k, v in srcs.items():
        if "account_id" in v:
            pad = np.resize(pads, len(v))
            v = v.assign(account_id=[p.format(a) for p, a in zip(pad, v["account_id"], strict=True)])
        padded[k] = v
    clean = compute_signals(srcs, AS_OF, accounts=acc, engine=engine, spark=session)
    got = compute_signals(padded, AS_OF, accounts=acc, engine=engine, spark=session)
    _same(clean[0], got[0])
    _same(clean[1], got[1])
    assert clean[2].lines()[1:] == got[2].lines()[1:]
    usage = got[2].source("usage")
    assert usage.problems["unknown_account"] > 0 and usage.examples["unknown_account"] == ["ZZ"]
