"""The queue snapshot store (workbook/snapshots.py): append, replace, two writers, a damaged
file, a writer killed in the middle; and the --snapshots option of queue and build."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import udfs
from workbook.snapshots import SnapshotStore, StoreError

ROOT = Path(__file__).resolve().parents[1]


def _queue(as_of: str = "2026-12-01") -> pd.DataFrame:
    return udfs.score_accounts(udfs.sample_accounts(), as_of=as_of)


def test_append_reads_back_the_queue_with_the_accounts_and_the_rules_version(tmp_path):
    store = SnapshotStore(tmp_path / "s.duckdb")
    book, queue = udfs.sample_accounts(), _queue()
    done = store.append(queue, "2026-12-01", book, udfs.rules_version())
    assert done.rows == 300 and not done.replaced
    assert done.lines() == ["Snapshot of 2026-12-01: 300 rows appended to s.duckdb."]
    back = store.snapshot("2026-12-01")
    assert list(back.columns) == list(udfs.SNAPSHOT_COLUMNS)
    assert back["account_id"].tolist() == queue["account_id"].tolist()  # queue order
    assert back["rank"].tolist() == list(range(1, 301))
    assert back["ready"].tolist() == queue["ready"].tolist()
    assert np.allclose(back["expected_value"], queue["expected_value"], equal_nan=True)
    arr = dict(zip(book["account_id"], book["arr"], strict=True))
    assert back["arr"].tolist() == [arr[a] for a in back["account_id"]]
    assert set(back["rules_version"]) == {udfs.rules_version()}
    assert store.as_ofs() == [pd.Timestamp("2026-12-01").date()]
    # the rows that flags are made of: the ready plays (each its own first snapshot here)
    ready = store.flag_rows(("owner",))
    assert sorted(ready["account_id"]) == sorted(queue.loc[queue["ready"], "account_id"])


def test_the_flags_read_from_the_store_are_those_of_every_row(tmp_path):
    """The store reads only the first row of each run of ready snapshots (and the run's last
    day): the flags are exactly those of the whole snapshots."""
    snaps = pd.read_csv(ROOT / "workbook" / "sample_snapshots.csv", keep_default_na=False, na_values=[""])
    store = SnapshotStore(tmp_path / "s.duckdb")
    store.append(snaps)
    from workbook.sheets.outcomes import FLAG_SOURCE

    rows = store.flag_rows(FLAG_SOURCE)
    assert len(rows) < len(snaps) / 10
    from_store = udfs.play_flags(rows, store.as_ofs())
    pd.testing.assert_frame_equal(from_store, udfs.play_flags(snaps), check_dtype=False)
    assert (from_store["ready_until"] > from_store["flagged_on"]).any()


def test_the_ready_runs_kept_on_append_are_those_of_every_row(tmp_path):
    """Appended a day at a time, the runs are extended in place; a day replaced or written
    out of order rebuilds them: the flags stay those of the rows the store holds."""
    from workbook.sheets.outcomes import FLAG_SOURCE

    snaps = pd.read_csv(ROOT / "workbook" / "sample_snapshots.csv", keep_default_na=False, na_values=[""])
    days = sorted(snaps["as_of"].unique())
    store = SnapshotStore(tmp_path / "s.duckdb")

    def flags_agree(rows: pd.DataFrame) -> None:
        from_store = udfs.play_flags(store.flag_rows(FLAG_SOURCE), store.as_ofs())
        pd.testing.assert_frame_equal(from_store, udfs.play_flags(rows), check_dtype=False)

    for day in days[:1] + days[2:]:  # the second week comes last, out of order
        store.append(snaps[snaps["as_of"] == day])
    flags_agree(snaps[snaps["as_of"] != days[1]])
    store.append(snaps[snaps["as_of"] == days[1]])
    flags_agree(snaps)
    # a middle week replaced by one where nobody is ready splits every run through it
    quiet = snaps[snaps["as_of"] == days[5]].assign(ready=False)
    store.append(quiet)
    changed = pd.concat([snaps[snaps["as_of"] != days[5]], quiet])
    flags_agree(changed)
    assert len(udfs.play_flags(changed)) > len(udfs.play_flags(snaps))


def test_the_same_as_of_twice_replaces_it_and_says_so(tmp_path):
    store = SnapshotStore(tmp_path / "s.duckdb")
    store.append(_queue("2026-11-24"), "2026-11-24")
    store.append(_queue(), "2026-12-01")
    again = store.append(_queue().head(10), "2026-12-01")
    assert again.replaced == {pd.Timestamp("2026-12-01").date(): 300}
    assert again.lines()[1] == ("note: s.duckdb already had a snapshot of 2026-12-01 (300 rows); "
                                "it was replaced by this one.")
    runs = store.runs()
    assert runs["rows"].tolist() == [300, 10]
    assert len(store.snapshot("2026-12-01")) == 10 and len(store.snapshot("2026-11-24")) == 300
    assert store.previous("2026-12-01") == pd.Timestamp("2026-11-24").date()
    assert store.previous("2026-11-24") is None


_WRITER = textwrap.dedent("""
    import sys, time
    import udfs
    from workbook.snapshots import SnapshotStore
    path, day, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
    queue = udfs.score_accounts(udfs.sample_accounts(), as_of=day)
    while time.time() < start:
        time.sleep(0.005)
    print(SnapshotStore(path).append(queue, day).lines()[0], flush=True)
""")


def test_two_writers_at_once_are_serialised_and_both_kept(tmp_path):
    path = tmp_path / "s.duckdb"
    start = time.time() + 8  # both wait for the same moment, then append
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), day, str(start)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for day in ("2026-11-24", "2026-12-01")]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    store = SnapshotStore(path)
    assert [str(d) for d in store.as_ofs()] == ["2026-11-24", "2026-12-01"]
    assert store.runs()["rows"].tolist() == [300, 300]
    assert len(store.read()) == 600


@pytest.mark.parametrize("damage", ["garbage", "truncated", "foreign"])
def test_a_damaged_store_gives_one_line_and_is_left_as_it_is(tmp_path, damage):
    path = tmp_path / "s.duckdb"
    if damage == "garbage":
        path.write_bytes(b"this is not a database\n" * 500)
    elif damage == "truncated":
        SnapshotStore(path).append(_queue(), "2026-12-01")
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    else:  # a DuckDB database of something else
        import duckdb

        con = duckdb.connect(str(path))
        con.execute("CREATE TABLE invoices (id INTEGER)")
        con.close()
    before = path.read_bytes()
    store = SnapshotStore(path)
    for action in (lambda: store.append(_queue(), "2026-12-08"), store.runs, lambda: store.snapshot("2026-12-01")):
        with pytest.raises(StoreError) as err:
            action()
        message = str(err.value)
        assert "\n" not in message and message.startswith("s.duckdb: ")
        assert "left as it is" in message or "damaged" in message
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".s.duckdb.lock")) == ["s.duckdb"]
    # the command line says the same in one line, and writes nothing
    proc = subprocess.run([sys.executable, "-m", "workbook", "changes", "--snapshots", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: s.duckdb")
    assert path.read_bytes() == before


_KILLED = textwrap.dedent("""
    import sys
    import numpy as np, pandas as pd
    import udfs
    from workbook.snapshots import SnapshotStore
    n = 1_500_000
    ids = pd.Series([f"K{i:07d}" for i in range(n)], dtype=object)
    frame = udfs.snapshot_frame(pd.DataFrame({"account_id": ids, "ready": np.zeros(n, bool), "play": "Nurture",
                                              "expansion_score": np.zeros(n), "reasons": "no signal"}),
                                as_of="2026-12-08")
    print("writing", flush=True)
    SnapshotStore(sys.argv[1]).append(frame)
    print("done", flush=True)
""")


def test_a_writer_killed_in_the_middle_loses_nothing(tmp_path):
    """Killed (SIGKILL) while its transaction writes: the store holds the earlier snapshot
    as it was and the new one whole or not at all, and takes the next snapshot."""
    path = tmp_path / "s.duckdb"
    store = SnapshotStore(path)
    store.append(_queue(), "2026-12-01")
    kept = store.snapshot("2026-12-01")
    size = path.stat().st_size
    proc = subprocess.Popen([sys.executable, "-c", _KILLED, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    wal = Path(f"{path}.wal")
    deadline = time.time() + 120
    while proc.poll() is None and time.time() < deadline:  # the insert writes the file's blocks first
        if path.stat().st_size > size or wal.exists():
            break
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    again = SnapshotStore(path)
    days = [str(d) for d in again.as_ofs()]
    assert days in (["2026-12-01"], ["2026-12-01", "2026-12-08"])
    pd.testing.assert_frame_equal(again.snapshot("2026-12-01"), kept)
    assert len(again.read()) == 300 + (1_500_000 if len(days) == 2 else 0)  # whole or nothing
    assert again.append(_queue("2026-12-15"), "2026-12-15").rows == 300  # the store still takes snapshots
    assert str(again.as_ofs()[-1]) == "2026-12-15"


def test_a_new_store_in_a_missing_folder_and_a_read_before_any(tmp_path):
    store = SnapshotStore(tmp_path / "deep" / "er" / "s.duckdb")
    with pytest.raises(StoreError, match="no snapshot store there yet"):
        store.runs()
    assert not store.exists()
    store.append(_queue().head(3), "2026-12-01")
    assert store.exists() and len(store.read()) == 3


def test_queue_and_build_append_and_changes_lists_what_changed(tmp_path):
    path = tmp_path / "s.duckdb"
    run = lambda *a: subprocess.run([sys.executable, "-m", "workbook", *a], cwd=ROOT, capture_output=True,  # noqa: E731
                                    text=True, timeout=300)
    first = run("queue", "--top", "3", "--as-of", "2026-11-24", "--snapshots", str(path))
    assert first.returncode == 0, first.stderr
    assert "Snapshot of 2026-11-24: 300 rows appended to s.duckdb." in first.stdout
    only = run("changes", "--snapshots", str(path))
    assert only.returncode == 0 and "is the first; nothing to compare it with" in only.stdout
    out = tmp_path / "m.xlsx"
    built = run("build", "--out", str(out), "--as-of", "2026-12-01", "--snapshots", str(path))
    assert built.returncode == 0, built.stderr
    assert "Snapshot of 2026-12-01: 300 rows appended to s.duckdb." in built.stdout
    changes = run("changes", "--snapshots", str(path))
    assert changes.returncode == 0, changes.stderr
    # the queue of both days is the same book scored with the same rules: only dates move
    expected = udfs.what_changed(SnapshotStore(path).snapshot("2026-11-24"), SnapshotStore(path).snapshot("2026-12-01"))
    head = changes.stdout.splitlines()[0]
    assert head.startswith("What changed: 2026-12-01 against 2026-11-24 (s.duckdb): ")
    assert f"{(expected['change'] == 'New ready').sum()} new ready" in head
    bad = run("changes", "--snapshots", str(path), "--as-of", "2026-10-01")
    assert bad.returncode == 2 and "has no snapshot of 2026-10-01" in bad.stderr
