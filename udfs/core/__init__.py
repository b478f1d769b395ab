"""The shared layer: argument coercion, the playbook's labels and defaults, record tables.

Every other package imports from here; this package imports nothing above it.

- ``_args``: what Excel and Python hand a function (scalars, rows, ranges, error values,
  arrays, Series, DataFrames) turned into numpy and pandas, column by column. Every bad
  input ends as one ``InputError`` line naming the argument and what was expected (also
  an ``xlwings.XlwingsError``, so Excel shows the text on the cell's ``#VALUE!``); an
  optional argument left blank is omitted, while NaN or an Excel error is bad input.
- ``playbook``: the one definition of every motion, segment, label, threshold, account
  column and header alias, default rule and default play. Rules and plays are tables,
  so RevOps edits them in Excel and analysts write tuned values back into them.
- ``owners``: the Owners table, of roles (owner, weekly_capacity) or of named people
  (name, role, motions, weekly_capacity); a role's capacity is the sum of its people's.
- ``_records``: record tables (opportunities, ARR history) handed to a function as a
  range or a DataFrame: headers matched as the import matches them, cells coerced column
  by column, the first bad cell named by its table, row (header = row 1) and column.
- ``_threads``: ``beside`` runs a long stretch of a big call on a second core; small
  calls, Pyodide and calls already on a worker run it inline, with the same result.
"""

from . import owners, playbook
from .owners import *  # noqa: F403
from .playbook import *  # noqa: F403

__all__ = list(playbook.__all__) + list(owners.__all__)
