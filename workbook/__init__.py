"""The upcell Excel model: build it, import a user's export into it, generate the Lite bundle.

    python -m workbook build [--accounts FILE] [--out PATH] [--force]
    python -m workbook lite [--out DIR] [--force]
    python -m workbook queue [--accounts FILE] [--top N]

In Python::

    from workbook import build, load_accounts
    result = build("export.csv", "model.xlsx", force=True)
    print(result.report)
"""

from .builder import DEFAULT_OUT, SAMPLE_CSV, BuildResult, OutputExists, build
from .importer import AccountBook, ImportReport, load_accounts
from .lite import write_bundle

__all__ = [
    "build", "BuildResult", "OutputExists", "DEFAULT_OUT", "SAMPLE_CSV",
    "load_accounts", "AccountBook", "ImportReport", "write_bundle",
]
