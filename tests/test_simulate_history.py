"""The NRR simulation from a measured ARR history: rates of the last 12 months (checked
by hand), the motion split from opportunities, and the account bootstrap fan."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from udfs import (
    MOTIONS,
    bootstrap_nrr,
    measured_plan,
    playbook_mix,
    resample_rates,
    retention_from_history,
    simulate_nrr,
)
from udfs.simulation import from_history as simulate_history


def udfs_retention(history) -> pd.Series:
    """The last month's row of the history functions' trailing-12-month table."""
    return retention_from_history(history).iloc[-1]


def hand_history() -> pd.DataFrame:
    """Seven accounts, 2025-01 to 2026-01; the last month's figures are worked by hand below."""
    rows = [
        ("A", "2025-01", 1000), ("A", "2025-07", 1100), ("A", "2026-01", 1200),  # expansion 200
        ("B", "2025-01", 2000), ("B", "2026-01", 1000), ("B", "2026-01", 500, "Add-on"),  # two lines: 1500, contraction 500
        ("C", "2025-01", 500), ("C", "2025-06", 500),  # absent in 2026-01: churn 500
        ("D", "2025-01", 300), ("D", "2026-01", 300),  # flat
        ("E", "2025-06", 400), ("E", "2026-01", 450),  # new logo, 400 landed
        ("F", "2025-01", 0), ("F", "2025-03", 100), ("F", "2026-01", 100),  # new logo, 100 landed
        ("G", "2025-01", 0), ("G", "2025-12", 0),  # never paid
    ]
    rows = [(*r, "Core") if len(r) == 3 else r for r in rows]  # B's two lines of 2026-01 are two plans
    return pd.DataFrame(rows, columns=["Account ID", "Month", "ARR", "Plan"])


def test_rates_of_the_last_12_months_by_hand():
    m = measured_plan(hand_history())
    base = 1000 + 2000 + 500 + 300  # C: arr in 2025-01 > 0
    assert (m.month, m.months, m.accounts, m.base_arr) == ("2026-01", 13, 4, base)
    assert m.expansion_total == pytest.approx(200 / base)
    assert m.contraction == pytest.approx(500 / base)
    assert m.churn == pytest.approx(500 / base)
    assert m.nrr == pytest.approx((1200 + 1500 + 0 + 300) / base)  # Σ arr(m) / Σ arr(m−12) over C
    assert m.grr == pytest.approx((base - 1000) / base)
    assert m.logo_churn == pytest.approx(1 / 4)
    assert (m.starting_arr, m.customers) == (1200 + 1500 + 300 + 450 + 100, 5)
    assert m.new_logo_arr == 500  # E and F, at their first month's ARR
    # the rest of the bridge, as the Retention sheet shows it: E grew 50 since its first bill
    assert (m.ending_arr, m.new_logo_change, m.reactivation) == (1200 + 1500 + 300, 50, 0)
    assert m.ending_arr + m.new_logo_arr + m.new_logo_change + m.reactivation == m.starting_arr
    # no opportunities: the playbook splits expansion, and the split is not measured
    assert m.mix_source == "playbook" and not m.measured["expansion_by_motion"] and m.measured["churn"]
    assert m.expansion == pytest.approx(200 / base * playbook_mix())
    assert sorted(m.pairs["account_id"]) == ["A", "B", "C", "D"]
    assert m.notes == ["1 row is a further line item of an account and month (plan column); their ARR is summed"]
    # the measured plan compounds at the measured NRR
    sim = simulate_nrr(m.starting_arr, 1, m.churn, m.contraction, m.expansion, 0, "annual")
    assert sim.nrr == pytest.approx(m.nrr) and sim.final_arr == pytest.approx(m.starting_arr * m.nrr)


def test_expansion_split_by_won_opportunities_of_the_window():
    opps = pd.DataFrame(
        [
            ("o1", "Seat expansion", 300, "2025-06-15", "Won"),
            ("o2", "tier upgrade", 100, "2025-12-31", "won"),
            ("o3", "Cross-sell", 1000, "2024-11-30", "Won"),  # before the window
            ("o4", "Usage expansion", 500, "2025-09-01", "Lost"),
            ("o5", "Usage expansion", 700, "2026-01-10", "Open"),
            ("o6", "New business", 999, "2025-05-01", "Won"),  # no motion: left out
        ],
        columns=["opportunity_id", "motion", "amount", "close_date", "status"],
    )
    m = measured_plan(hand_history(), opps)
    assert m.mix_source == "opportunities" and m.measured["expansion_by_motion"]
    assert m.expansion == pytest.approx(m.expansion_total * np.array([0.75, 0.25, 0, 0, 0]))
    none_won = measured_plan(hand_history(), opps[opps["status"] != "Won"].iloc[1:])
    assert none_won.mix_source == "playbook"
    # a CRM export with types instead of motions reads through the same opportunity reader
    typed = opps.rename(columns={"motion": "Type"}).assign(Type=["Add seats", "Upsell", "Add-on", "Usage", "Usage", "New business"])
    assert measured_plan(hand_history(), typed).expansion == pytest.approx(m.expansion)


def test_dates_and_excel_serials_read_as_months():
    h = hand_history()
    h["Month"] = pd.to_datetime(h["Month"]) + pd.Timedelta(days=14)
    assert measured_plan(h).nrr == pytest.approx(measured_plan(hand_history()).nrr)
    serial = (pd.to_datetime(hand_history()["Month"]) - pd.Timestamp("1899-12-30")).dt.days
    rows = [["account_id", "month", "arr", "plan"],
            *zip(h["Account ID"], serial.astype(float), h["ARR"], h["Plan"], strict=True)]
    assert measured_plan(rows).month == "2026-01"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h: h.drop(columns="ARR"), r"^history: expected a column 'arr' \(or 'mrr'\) in the header row$"),
        (lambda h: h.assign(Month=h["Month"].where(h.index != 2, "soon")), r"^history row 4 month: expected a date \(e\.g\. 2025-03-01\), got 'soon'$"),
        (lambda h: h.assign(ARR=h["ARR"].where(h.index != 4, -5)), r"^history row 6 arr: expected a non-negative number, got -5$"),
        (lambda h: h.assign(ARR=h["ARR"].astype(object).where(h.index != 0, "n/a")), r"^history row 2 arr: expected a number, got 'n/a'$"),
        (lambda h: h[h["Month"] >= "2025-03"], r"^history: expected at least 13 months for trailing-12-month retention, got 11 \(2025-03 to 2026-01\)$"),
        (lambda h: h.iloc[:0], r"^history: expected at least one row of account_id, month and arr, got none$"),
    ],
)
def test_bad_history_is_one_named_line(change, message):
    with pytest.raises(ValueError, match=message):
        measured_plan(change(hand_history()))


# --------------------------------------------------------------------------- bootstrap


def book(accounts: int, seed: int = 0, months: int = 25) -> pd.DataFrame:
    """A synthetic ARR history: a fifth of the accounts land after the first month, then
    monthly churn, contraction and expansion events per account (churned rows left out)."""
    rng = np.random.default_rng(seed)
    arr = np.zeros((accounts, months))
    first = np.where(rng.random(accounts) < 0.2, rng.integers(1, months, accounts), 0)
    size = rng.lognormal(10, 1, accounts)
    for t in range(months):
        u = rng.random(accounts)
        step = np.where(u < 0.008, 0.0, np.where(u < 0.03, 0.8, np.where(u < 0.08, 1.25, 1.0)))
        arr[:, t] = np.where(first == t, size, arr[:, t - 1] * step if t else 0.0)
    ids = np.repeat([f"acc{i}" for i in range(accounts)], months)
    month = np.tile(pd.period_range("2024-01", periods=months, freq="M").astype(str), accounts)
    frame = pd.DataFrame({"account_id": ids, "month": month, "arr": arr.ravel().round(2)})
    return frame[frame["arr"] > 0].reset_index(drop=True)


def test_bootstrap_is_seeded_and_centred_on_the_measured_plan():
    m = measured_plan(book(400))
    a = bootstrap_nrr(m, years=3, paths=4_000, seed=4, target_arr=m.starting_arr)
    b = bootstrap_nrr(m, years=3, paths=4_000, seed=4, target_arr=m.starting_arr)
    c = bootstrap_nrr(m, years=3, paths=4_000, seed=5, target_arr=m.starting_arr)
    assert a.fan.equals(b.fan) and a.p_target == b.p_target
    assert not np.allclose(a.fan["p50"], c.fan["p50"], rtol=1e-9)
    det = simulate_nrr(m.starting_arr, 3, m.churn, m.contraction, m.expansion, m.new_logo_arr).path["arr"]
    assert a.fan["deterministic"].to_numpy() == pytest.approx(det.to_numpy(), rel=1e-12)
    # each draw is the rates of a resample of C: their mean is the measured rate
    draws = a.draws
    assert draws["churn"].shape == (1, 4_000)
    assert draws["churn"].mean() == pytest.approx(m.churn, rel=0.03)
    assert draws["expansion"].sum(axis=2).mean() == pytest.approx(m.expansion_total, rel=0.03)
    f = a.fan
    assert (f["p10"] <= f["p50"]).all() and (f["p50"] <= f["p90"]).all() and f["p90"].iloc[-1] > f["p10"].iloc[-1]


def test_bootstrap_of_identical_accounts_is_the_deterministic_path():
    clones = pd.DataFrame(
        {"account_id": np.repeat([f"c{i}" for i in range(30)], 2), "month": ["2025-01", "2026-01"] * 30, "arr": [100.0, 110.0] * 30}
    )
    mc = bootstrap_nrr(clones, years=2, paths=200, seed=1, keep_paths=True, redraw="year")
    assert np.allclose(mc.arr, mc.fan["deterministic"].to_numpy()[:, None], rtol=1e-12, atol=0)
    assert mc.fan["p50"].iloc[12] == pytest.approx(3000 * 1.1 * 1.1, rel=1e-12)  # 30 × 110, a year at 110 %


def test_a_larger_book_gives_a_narrower_fan():
    small, large = measured_plan(book(200, seed=3)), measured_plan(book(3_200, seed=3))
    width = {}
    for name, m in (("small", small), ("large", large)):
        f = bootstrap_nrr(m, years=3, paths=3_000, seed=0).fan.iloc[-1]
        width[name] = (f["p90"] - f["p10"]) / f["p50"]
    assert width["large"] < 0.4 * width["small"]  # 16× the accounts: about a quarter the width


def test_bootstrap_persists_per_path_and_follows_your_rates():
    m = measured_plan(book(300, seed=2))
    yearly = bootstrap_nrr(m, years=4, paths=500, seed=0, redraw="year", keep_paths=True)
    assert yearly.draws["churn"].shape == (4, 500)
    persistent = bootstrap_nrr(m, years=4, paths=500, seed=0, keep_paths=True, new_logo_arr_per_year=0)
    g = persistent.arr[12::12] / persistent.arr[:-12:12]
    assert np.allclose(g, g[0], rtol=1e-12)
    # your plan's rates move the centre; the resampled spread comes along
    mine = bootstrap_nrr(m, years=1, paths=2_000, seed=0, churn=0.3, new_logo_arr_per_year=0)
    assert mine.fan["deterministic"].iloc[-1] == pytest.approx(
        m.starting_arr * (1 + m.expansion_total - m.contraction - 0.3), rel=1e-12
    )
    assert mine.fan["p50"].iloc[-1] == pytest.approx(mine.fan["deterministic"].iloc[-1], rel=0.02)


def test_bootstrap_size_is_bounded_by_a_named_error(monkeypatch):
    m = measured_plan(book(50))
    monkeypatch.setattr(simulate_history, "RESAMPLE_MAX", 10_000)
    most = 10_000 // m.accounts
    with pytest.raises(ValueError, match=rf"^paths: expected at most {most} paths to resample {m.accounts} accounts 1 time\(s\) each .*got {most + 1}$"):
        bootstrap_nrr(m, paths=most + 1)
    assert len(bootstrap_nrr(m, paths=most).final_arr) == most
    with pytest.raises(ValueError, match=r"^paths: expected at most [\d,]+ paths for 50 years of monthly steps"):
        bootstrap_nrr(m, years=50, paths=1_000_000)


def test_motions_in_spec_order():
    assert len(playbook_mix()) == len(MOTIONS) and playbook_mix().sum() == pytest.approx(1)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_measured_rates_are_the_trailing_bridge_of_any_history(data):
    """For any history, the measured plan compounds at the T12M NRR the history functions report."""
    n = data.draw(st.integers(1, 12))
    months = data.draw(st.integers(13, 18))
    cells = data.draw(st.lists(st.sampled_from([0.0, 0.0, 50.0, 100.0, 120.0, 300.0]), min_size=n * months, max_size=n * months))
    arr = np.array(cells).reshape(n, months)
    frame = pd.DataFrame({
        "account_id": np.repeat([f"a{i}" for i in range(n)], months),
        "month": np.tile(pd.period_range("2024-01", periods=months, freq="M").astype(str), n),
        "arr": arr.ravel(),
    })
    frame = frame[frame["arr"] > 0]
    if frame.empty or frame["month"].nunique() < 2 or frame["month"].min() > "2024-01" or frame["month"].max() < f"2025-{months - 12:02d}":
        return  # the span is what the rows cover: keep histories that still span every month
    m = measured_plan(frame)
    last = udfs_retention(frame)
    then, now = arr[:, -13], arr[:, -1]
    assert m.accounts == int((then > 0).sum()) and m.starting_arr == pytest.approx(now.sum())
    if m.accounts:
        assert m.nrr == pytest.approx(last["nrr"], rel=1e-12)
        assert m.grr == pytest.approx(last["grr"], rel=1e-12)
        assert m.nrr == pytest.approx(now[then > 0].sum() / then[then > 0].sum(), rel=1e-12)
        draws = resample_rates(m, paths=50, seed=0)
        assert (draws >= 0).all() and (draws[..., :2].sum(axis=-1) <= 1 + 1e-12).all()
    else:
        with pytest.raises(ValueError, match=r"^history: expected accounts with ARR 12 months before the last month, got none$"):
            bootstrap_nrr(m)
