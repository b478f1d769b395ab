"""upcell's script for xlwings Server: "Connect model", in the server's namespace.

The functions of this server are registered as ``=XLWINGS.NAME(...)`` (``XLWINGS_DEV``
etc. outside production, as the add-in manifest says), so the script enters the model's
formulas with that namespace. It reads only the model's ``upcell formulas`` sheet.
"""

import xlwings as xw
from xlwings import script
from xlwings_server.config import settings

from udfs.connect import FORMULAS_SHEET, connect

__all__ = ["connect_model"]


def server_namespace() -> str:
    """The namespace of this server's functions, as its manifest declares it."""
    name = settings.functions_namespace.upper()
    return name + ("" if settings.environment == "prod" else "_" + settings.environment.upper())


@script(name="Connect model", include=FORMULAS_SHEET)
def connect_model(book: xw.Book):
    """# Connect model
    Enters every upcell formula of this model (=XLWINGS.SCORE_ACCOUNTS(...)), so Excel
    binds it to this server's functions. Run it once per workbook."""
    connect(book, server_namespace())
