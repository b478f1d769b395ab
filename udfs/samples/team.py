"""The sample team: the people who run the sample book's plays (an Owners table of people).

Every owner role of the default Plays (CSM, Expansion AE, Self-serve) has a person for each
motion it owns, so no play of the sample is left without a name. The bundled copy is
``workbook/sample_owners.csv``.

>>> t = sample_owners(); t["role"].value_counts().to_dict()
{'CSM': 3, 'Expansion AE': 2, 'Self-serve': 1}
"""

from __future__ import annotations

import pandas as pd

__all__ = ["sample_owners"]

_TEAM = [
    ("Maya Chen", "CSM", "", 2),
    ("Jonas Weber", "CSM", "Seat expansion; Usage expansion", 1),
    ("Aisha Bello", "CSM", "Seat expansion; Tier upgrade; Usage expansion", 2),
    ("Dana Whitfield", "Expansion AE", "Tier upgrade; Cross-department; Cross-sell", 2),
    ("Marco Silva", "Expansion AE", "", 2),
    ("Priya Nair", "Self-serve", "Usage expansion", 5),
]


def sample_owners() -> pd.DataFrame:
    """The sample team: name, role, motions (blank: every motion of the role), weekly_capacity."""
    return pd.DataFrame(_TEAM, columns=["name", "role", "motions", "weekly_capacity"])
