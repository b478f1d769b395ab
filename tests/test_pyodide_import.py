"""udfs imports as xlwings Lite loads it: no file or network access, no extra packages.

In a fresh interpreter: import numpy, pandas and xlwings (whatever they pull in is what
Pyodide gives us too), then block open()/os file access/sockets and import udfs. The
top-level modules udfs adds must be stdlib or udfs itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = textwrap.dedent(
    r"""
    import builtins, io, json, os, socket, sys

    import numpy, pandas, xlwings  # what xlwings Lite loads anyway
    allowed = {m.split(".")[0] for m in sys.modules}

    def blocked(*args, **kwargs):
        raise RuntimeError(f"I/O during import of udfs: {args[:1]!r}")

    builtins.open = io.open = blocked
    for name in ("open", "listdir", "scandir", "stat", "remove", "mkdir", "makedirs", "walk"):
        setattr(os, name, blocked)
    socket.socket = socket.create_connection = socket.getaddrinfo = blocked

    import udfs  # noqa: F401

    added = sorted({m.split(".")[0] for m in sys.modules} - allowed)
    print(json.dumps({"added": added, "stdlib": sorted(sys.stdlib_module_names)}))
    """
)


def test_udfs_imports_without_io_and_without_extra_packages():
    env = dict(os.environ, XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial",
               PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    stdlib = set(report["stdlib"]) | {"_distutils_hack"}
    extra = [m for m in report["added"] if m != "udfs" and m not in stdlib and not m.startswith("_")]
    assert not extra, f"udfs imports packages xlwings Lite may not have: {extra}"
