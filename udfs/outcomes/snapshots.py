"""Queue snapshots as tables: the columns a snapshot keeps and the rules' version.

A snapshot is the scored queue of one ``as_of`` date, one row per account, with the
account's ``segment`` and ``arr`` of that day and the version of the Rules and Plays that
scored it. The store that keeps them is a file (``workbook.snapshots``); here they are
plain DataFrames, so What changed and the outcomes run the same in Excel, a notebook and
the command line.

>>> q = pd.DataFrame({"account_id": ["A1", "A2"], "ready": ["TRUE", False],
...                   "play": ["Seat expansion", "Nurture"], "expansion_score": [60, ""]})
>>> s = snapshot_frame(q, as_of="2026-12-01")
>>> str(s["as_of"][0].date()), s["ready"].tolist(), s["expansion_score"].fillna(-1).tolist(), s["rank"].tolist()
('2026-12-01', [True, False], [60.0, -1.0], [1.0, 2.0])
>>> rules_version(None, None) == rules_version(playbook.default_rules(), None)
True
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

from ..core import _args, _records, playbook

__all__ = ["SNAPSHOT_COLUMNS", "snapshot_frame", "rules_version", "ready_plays", "excel_cells"]

# column -> kind (date, id, text, number, flag); the store keeps exactly these, in this order
SNAPSHOT_COLUMNS: dict[str, str] = {
    "as_of": "date", "rank": "number", "account_id": "id", "account_name": "text",
    "segment": "text", "arr": "number", "expansion_score": "number", "ready": "flag",
    "primary_motion": "text", "play": "text", "pipeline_status": "text", "owner": "text",
    "assignee": "text", "slot": "text", "expected_arr_increase": "number", "close_rate": "number",
    "expected_value": "number", "value_basis": "text", "due_in_days": "number",
    "ready_since": "date", "ready_signal": "text", "opportunity_id": "text", "reasons": "text",
    "rules_version": "text",
}


def _pick(name: str, value: Any, wanted: tuple[str, ...] | None = None) -> pd.DataFrame:
    """``value`` as a DataFrame with normalized column names, only the ``wanted`` ones when
    given (a large DataFrame is not copied whole)."""
    if isinstance(value, pd.DataFrame):
        keys = {_args.normalize_key(c): c for c in value.columns}
        if len(keys) == value.shape[1]:
            cols = [k for k in keys if wanted is None or k in wanted]
            out = value[[keys[k] for k in cols]]
            out.columns = cols
            return out.reset_index(drop=True)
    frame = _args.table(name, value)
    return frame if wanted is None else frame[[c for c in frame.columns if c in wanted]]


def _texts(col: pd.Series, strip: bool = True) -> np.ndarray | pd.Series:
    """Cells as text, blanks as '' (numbers as their text: 1001 -> '1001'); stripped,
    except a column that is all text already when ``strip`` is false (the queue's own).
    A column of pandas' text dtype stays one (a Series); others become an object array."""
    if isinstance(col.dtype, pd.StringDtype):  # pandas' text dtype: kept (no Python string per cell)
        text = col.fillna("") if col.hasnans else col
        return (text.str.strip() if strip else text).reset_index(drop=True)
    if pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty"):  # text already: vectorized
        text = col.astype(object)
        return (text.str.strip() if strip else text).fillna("").to_numpy(object)
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    labels = np.array(["" if _args.is_blank(u) else (str(int(u)) if isinstance(u, float) and u.is_integer()
                                                     else str(u).strip()) for u in uniques] + [""],
                      dtype=object)
    return labels[np.where(codes < 0, len(uniques), codes)]


def _dates(name: str, frame: pd.DataFrame, col: str) -> np.ndarray:
    if frame[col].dtype.kind == "M":
        return frame[col].to_numpy("datetime64[ns]")
    return _records.dates(name, frame, col, allow_blank=True)


def _flags(name: str, col: pd.Series) -> np.ndarray:
    if col.dtype.kind == "b":
        return col.to_numpy(bool)
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    parsed = []
    for u in uniques:
        flag = False if _args.is_blank(u) else _args.parse_flag(u)
        if flag is None:
            raise _args.fail(f"{name} ready", "TRUE or FALSE", u)
        parsed.append(bool(flag))
    return np.append(np.array(parsed, dtype=bool), False)[np.where(codes < 0, len(uniques), codes)]


def snapshot_frame(queue: Any, as_of: Any = None, accounts: Any = None, rules_version: str = "",
                   name: str = "snapshot", columns: tuple[str, ...] | None = None) -> pd.DataFrame:
    """A queue (SCORE_ACCOUNTS' table, typed or as cells) as snapshot rows: SNAPSHOT_COLUMNS
    (or only ``columns`` of them, with as_of and account_id).

    ``as_of`` (a date) is the day it was scored, unless the table has an ``as_of`` column;
    ``accounts`` (the Accounts table) gives ``segment`` and ``arr`` when the queue has none;
    ``rank`` is the queue position (1 = top) when not given. Missing columns are blank.
    """
    wanted = tuple(SNAPSHOT_COLUMNS) if columns is None else ("as_of", "account_id", *columns)
    frame = _pick(name, queue, wanted)
    if "account_id" not in frame:
        raise _args.InputError(f"{name}: expected a column 'account_id' in the header row")
    n = len(frame)
    out: dict[str, Any] = {}
    if "as_of" in frame and as_of is None:
        day = _dates(name, frame, "as_of")
        if np.isnat(day).any():
            raise _records.row_error(name, frame, int(np.argmax(np.isnat(day))), "as_of", "a date", None)
    else:
        day = np.full(n, _records.as_of_date("as_of", as_of), dtype="datetime64[ns]")
    out["as_of"] = day
    ids = _texts(frame["account_id"], strip=False)
    if (ids == "").any():
        raise _records.row_error(name, frame, int(np.argmax(ids == "")), "account_id", "an account id", None)
    extra = _pick("accounts", accounts, ("account_id", "segment", "arr")) if accounts is not None else None
    extra_ids = _texts(extra["account_id"], strip=False) if extra is not None and "account_id" in extra else None
    for col, kind in SNAPSHOT_COLUMNS.items():
        if col == "as_of" or col not in wanted:
            continue
        if col == "account_id":
            out[col] = ids
            continue
        source = frame[col] if col in frame else None
        if source is None and extra_ids is not None and col in extra:
            lookup = pd.Series(extra[col].to_numpy(), index=extra_ids)
            lookup = lookup[~lookup.index.duplicated()]
            source = pd.Series(lookup.reindex(ids).to_numpy())
        if col == "rank" and source is None:
            out[col] = np.arange(1, n + 1, dtype=float)
        elif col == "rules_version":
            out[col] = np.full(n, str(rules_version or ""), dtype=object) if source is None else _texts(source)
        elif source is None:
            out[col] = (np.zeros(n, bool) if kind == "flag" else np.full(n, np.nan) if kind == "number"
                        else np.full(n, np.datetime64("NaT"), "datetime64[ns]") if kind == "date"
                        else np.full(n, "", dtype=object))
        elif kind == "number":
            values, bad = _args.coerce_numeric(source)
            if bad.any():
                i = int(np.argmax(bad))
                raise _records.row_error(name, frame, i, col, "a number", source.iloc[i])
            out[col] = values
        elif kind == "flag":
            out[col] = _flags(name, source)
        elif kind == "date":
            out[col] = _dates(name, pd.DataFrame({col: source}), col)
        else:
            out[col] = _texts(source, strip=False)
    return pd.DataFrame(out)


def ready_plays(snapshots: pd.DataFrame) -> np.ndarray:
    """Rows that are a play to start: ready, and no opportunity already on it (a blank
    ``pipeline_status``; In pipeline, Past due, Recently expanded and Cooling down are not)."""
    ready = snapshots["ready"].to_numpy(bool)
    if "pipeline_status" in snapshots:
        status = snapshots["pipeline_status"]
        text = status if isinstance(status.dtype, pd.StringDtype) else status.astype(object)  # no object per cell
        ready = ready & (status.isna() | (text == "").fillna(False)).to_numpy(bool)
    return ready


def rules_version(rules: Any = None, plays: Any = None) -> str:
    """A stable short hash of the Rules and Plays tables as validated (None: the defaults):
    the same tables give the same version, whatever their cell formats or row spacing."""
    parts = []
    for table in (playbook.rules_table(rules), playbook.plays_table(plays).reset_index(drop=True)):
        cells = table.astype(object).where(table.notna(), None).to_numpy().tolist()
        parts.append(repr([list(table.columns), [[_canonical(v) for v in row] for row in cells]]))
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:12]


def _canonical(v: Any) -> Any:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        x = float(v)
        return None if x != x else round(x, 12)
    return v


def excel_cells(frame: pd.DataFrame) -> Any:
    """A result table as its cells for Excel: dates as ISO text (``2026-12-01``, blank when
    none), readable and sortable in every runtime; NaN as blank."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype.kind == "M":
            text = np.datetime_as_string(out[col].to_numpy("datetime64[D]"), unit="D")
            out[col] = np.where(out[col].isna().to_numpy(), None, text).astype(object)
    return _args.to_excel(out)
