"""The import report: what was matched, kept as text, left out or reported, and what to do.

Every input row is counted: rows in = rows imported + rows left out (each named), and
rows in = rows used + rows reported, where a reported row is one left out, one with a
bad cell, or one a :class:`Problem` names (two ARR rows for one account and month, two
targets for one quarter, motion and owner...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .reading import DELIMITER_NAMES


@dataclass
class BadCell:
    row: int  # row number in the source (the header is row 1 of a CSV)
    column: str
    value: Any
    problem: str

    def line(self) -> str:
        return f"row {self.row}, {self.column}: {self.problem}"


@dataclass
class Problem:
    """Rows that are readable cell by cell but wrong together (or by a rule of their kind)."""

    rows: list[int]  # the rows it names, in the source's numbering
    problem: str

    def line(self) -> str:
        where = ("rows " if len(self.rows) > 1 else "row ") + rows_text(self.rows) if self.rows else "the file"
        return f"{where}: {self.problem}"


@dataclass
class ImportReport:
    """What the import did with every header and every row."""

    source: str
    noun: str = "row"
    id_column: str = "account_id"
    rows: int = 0  # rows imported
    rows_in: int = 0  # non-header rows read below the header
    header_row: int = 1
    encoding: str = ""
    delimiter: str = ""
    decimal: str = ""  # '.', ',' or '' (not determined)
    decimal_given: bool = False
    mapped: list[tuple[str, str]] = field(default_factory=list)  # (header, column)
    unmapped: list[str] = field(default_factory=list)  # kept as extra columns
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (header, column)
    missing: list[str] = field(default_factory=list)  # schema columns not in the file
    text_columns: list[str] = field(default_factory=list)  # kept exactly as typed
    blank_rows: list[int] = field(default_factory=list)
    blank_id_rows: list[int] = field(default_factory=list)
    summary_rows: list[tuple[int, str]] = field(default_factory=list)  # (row, id as typed)
    bad_cells: list[BadCell] = field(default_factory=list)
    ambiguous: list[BadCell] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    replaced_rows: list[int] = field(default_factory=list)  # left out by --duplicates last
    merged_rows: int = 0
    dates: dict = field(default_factory=dict, repr=False)  # date column -> datetime64 of each imported row  # rows used by summing into another row (--duplicates sum)

    @property
    def bad_rows(self) -> list[int]:
        return sorted({b.row for b in self.bad_cells})

    @property
    def reported_rows(self) -> list[int]:
        """The imported rows with a bad cell or named by a problem (each counted once)."""
        return sorted({b.row for b in self.bad_cells} | {r for p in self.problems for r in p.rows})

    @property
    def rows_used(self) -> int:
        """Rows whose values reach the model as read: imported, with no bad cell or problem."""
        return self.rows - len(self.reported_rows)

    @property
    def rows_reported(self) -> int:
        """Rows left out or reported (each named): rows_in = rows_used + rows_reported."""
        return self.left_out + len(self.reported_rows)

    def first_problem(self) -> str | None:
        """The first bad cell or problem as one line (None when there is none)."""
        first = self.bad_cells[0].line() if self.bad_cells else self.problems[0].line() if self.problems else None
        if first is None:
            return None
        n = len(self.bad_cells) + len(self.problems)
        return first + (f" (and {n - 1} more)" if n > 1 else "")

    @property
    def left_out(self) -> int:
        return (len(self.blank_rows) + len(self.blank_id_rows) + len(self.summary_rows)
                + len(self.replaced_rows))

    def _plural(self, n: int) -> str:
        return f"{n:,} {self.noun}{'s' * (n != 1)}"

    def lines(self, limit: int | None = None) -> list[str]:
        out = [f"Imported {self._plural(self.rows)} from {self.source}."]
        how = []
        if self.encoding:
            how.append(self.encoding)
        if self.delimiter:
            how.append(f"{DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))}-delimited")
        if self.decimal:
            mark = "decimal comma" if self.decimal == "," else "decimal point"
            how.append(mark + (" (as given)" if self.decimal_given else ""))
        if how:
            out.append("Read as " + ", ".join(how) + f"; header on row {self.header_row}.")
        renamed = [f"{h!r} -> {c}" for h, c in self.mapped if h != c]
        out.append(
            f"Matched {len(self.mapped)} columns"
            + (f" ({', '.join(renamed)})" if renamed else "")
            + "."
        )
        if self.text_columns:
            out.append("Kept as text, exactly as typed: " + ", ".join(self.text_columns) + ".")
        if self.unmapped:
            out.append(
                "Unmapped columns (kept as typed in the table, not used by scoring): "
                + ", ".join(repr(h) for h in self.unmapped)
            )
        for header, column in self.duplicates:
            out.append(
                f"Duplicate column {header!r} also means {column}; the first one is used, "
                f"this one is kept as {header + ' (duplicate)'!r}"
            )
        if self.missing:
            out.append(
                ("Missing columns (their rules see no signal): " if self.noun == "account row"
                 else "Columns not in the file: ") + ", ".join(self.missing)
                + f". If your file has one under another name, add --map \"Your header="
                f"{self.missing[0]}\" (one --map per column)."
            )
        if self.blank_rows:
            out.append(f"Blank rows skipped: {rows_text(self.blank_rows)}")
        if self.blank_id_rows:
            out.append(f"Rows with a blank {self.id_column} left out: {rows_text(self.blank_id_rows)}")
        if self.summary_rows:
            shown = ", ".join(f"{r} ({t!r})" for r, t in self.summary_rows[:20])
            more = f" (+{len(self.summary_rows) - 20} more)" if len(self.summary_rows) > 20 else ""
            out.append(f"Summary rows left out (not {self.noun}s): {shown}{more}")
        out.extend(self.notes)
        if self.ambiguous:
            out.append(f"Ambiguous numbers: {len(self.ambiguous)} (read as shown; check them):")
            shown = self.ambiguous if limit is None else self.ambiguous[:limit]
            out.extend("  " + b.line() for b in shown)
            if len(shown) < len(self.ambiguous):
                out.append(f"  ... and {len(self.ambiguous) - len(shown)} more")
        if self.bad_cells:
            out.append(
                f"Bad cells: {len(self.bad_cells)} in {len(self.bad_rows)} rows "
                f"({rows_text(self.bad_rows)}):"
            )
            shown = self.bad_cells if limit is None else self.bad_cells[:limit]
            out.extend("  " + b.line() for b in shown)
            if len(shown) < len(self.bad_cells):
                out.append(f"  ... and {len(self.bad_cells) - len(shown)} more")
        else:
            out.append("No bad cells.")
        if self.problems:
            rows = {r for p in self.problems for r in p.rows}
            out.append(f"Problems: {len(self.problems)} naming {len(rows)} rows:")
            shown = self.problems if limit is None else self.problems[:limit]
            out.extend("  " + p.line() for p in shown)
            if len(shown) < len(self.problems):
                out.append(f"  ... and {len(self.problems) - len(shown)} more")
        if self.rows_in:
            out.append(
                f"Rows: {self.rows_in:,} below the header = {self.rows:,} imported + "
                f"{self.left_out:,} left out."
            )
            if self.bad_cells or self.problems:
                out.append(f"Rows: {self.rows_in:,} = {self.rows_used:,} used as read + "
                           f"{self.rows_reported:,} reported (left out, with a bad cell or named above).")
        return out

    def what_to_do(self) -> list[str]:
        """Plain advice for the user, one line each (empty when nothing needs doing)."""
        out = list(self.advice)
        if self.bad_cells and self.noun != "account row":
            out.append("Fix the bad cells in your export: a model is not built from records with "
                       "bad cells (each is named above, by row and column).")
        elif self.bad_cells:
            out.append("Fix the bad cells in your export (or leave them: each one is named on "
                       "its account's row and the rest of the row is still used).")
        if self.problems and not self.advice:
            out.append("Fix the rows named under Problems in your export; the model is not built "
                       "from records with problems.")
        if self.ambiguous:
            out.append("Pass --decimal , (decimal comma) or --decimal . (decimal point) to say "
                       "how your file writes numbers.")
        if self.unmapped:
            out.append('A column that means one of the known ones can be mapped: --map "Your header=column".')
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines(limit=50))


def rows_text(rows: list[int], limit: int = 20) -> str:
    text = ", ".join(str(r) for r in rows[:limit])
    return text + (f" (+{len(rows) - limit} more)" if len(rows) > limit else "")
