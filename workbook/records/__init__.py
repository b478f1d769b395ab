"""Reading users' records: CSV/XLSX exports into typed tables with a full report.

``load_records(source, kind)`` reads any registered record type; ``load_accounts`` is the
account table of SPEC §2. A record type is a :class:`Schema` given to
:func:`register_schema` (column -> kind, header -> column); see :mod:`.schema`.
"""

from .load import ImportError_, RecordBook, load_records, parse_map, read_table
from .parquet import read_any_table, read_parquet
from .raw import ReadError
from .reading import EXCEL_MAX_CHARS, EXCEL_MAX_ROWS, read_source
from .report import BadCell, ImportReport
from .schema import SCHEMAS, Schema, get_schema, register_schema

AccountBook = RecordBook


def _install_history_reader() -> None:
    """udfs.load_history reads a file path through this reader (udfs never imports workbook):
    Parquet as it is, CSV/XLSX through the records reader."""
    import udfs.backtest.history

    udfs.backtest.history.FILE_READER = read_any_table


_install_history_reader()


def load_accounts(source, *, label=None, mapping=None, decimal=None, as_of=None) -> RecordBook:
    """Import an account export (CSV/XLSX path, DataFrame or rows, header first).

    >>> load_accounts([["Account ID", "ARR"], ["a1", "$12,000"]]).frame["arr"].tolist()
    [12000.0]
    """
    return load_records(source, "accounts", label=label, mapping=mapping, decimal=decimal, as_of=as_of)


__all__ = [
    "AccountBook", "BadCell", "EXCEL_MAX_CHARS", "EXCEL_MAX_ROWS", "ImportError_", "ImportReport",
    "ReadError", "RecordBook", "SCHEMAS", "Schema", "get_schema", "load_accounts", "load_records",
    "parse_map", "read_any_table", "read_parquet", "read_source", "read_table", "register_schema",
]
