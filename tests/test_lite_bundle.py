"""The xlwings Lite bundle: one readable main.py generated from udfs/ (no drift), which run
alone in a fresh interpreter (``python -I``) registers every function and the "Connect
model" script, and answers through xlwings' runtime exactly as the udfs package does."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import xlwings as xw

import udfs
from tests.conftest import udf_meta
from tests.test_connect_model import book_payload, run_script
from tests.test_xlwings_server import BAD_CALLS, good_call, in_process
from workbook import build, lite

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

RUNNER = r'''
import asyncio, importlib.util, json, os, sys
os.environ["XLWINGS_ON_SERVER"] = "true"
os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"
import xlwings as xw
from xlwings.server import (custom_functions_call, custom_functions_meta, custom_scripts_call,
                            custom_scripts_meta)

spec = importlib.util.spec_from_file_location("main", sys.argv[1])
main = importlib.util.module_from_spec(spec)
sys.modules["main"] = main
spec.loader.exec_module(main)

def call(name, args):
    data = {"func_name": name, "args": args, "version": xw.__version__, "client": "Office.js",
            "runtime": "1.4", "culture_info_name": "en-US", "date_format": "yyyy-mm-dd",
            "caller_address": "Sheet1!A1"}
    try:
        return ["ok", asyncio.run(custom_functions_call(data, main))]
    except xw.XlwingsError as err:  # what xlwings Lite shows on the cell
        return ["error", str(err)]

calls = json.loads(open(sys.argv[2]).read())
payload = json.loads(open(sys.argv[3]).read())
book = asyncio.run(custom_scripts_call(main, "connect_model", typehint_to_value={
    xw.Book: xw.Book(json=payload)}, args=["XLWINGS"]))
print(json.dumps({
    "meta": {f["name"]: f for f in custom_functions_meta(main)["functions"]},
    "scripts": custom_scripts_meta(main),
    "modules": sorted(k for k in sys.modules if k == "udfs" or k.startswith("udfs.")),
    "results": [call(name, args) for name, args in calls],
    "actions": book.json()["actions"],
}, default=str))
'''


def _excel_args(args):
    return [None if a is None else a if isinstance(a, list) and a and isinstance(a[0], list)
            else [[v] for v in a] if isinstance(a, list) else [[a]] for a in args]


def test_bundle_is_generated_from_udfs_as_readable_python():
    main_py = lite.main_py()
    assert main_py == lite.main_py()  # deterministic
    tree = ast.parse(main_py)  # ordinary Python
    sources = lite.module_sources()
    banners = re.findall(r"^# udfs/([\w/]+)\.py$", main_py, flags=re.M)
    assert sorted(banners) == sorted(lite.bundled_modules(sources))
    assert len(banners) == len(sources) - len(lite.packages(sources))  # every module once
    assert banners.index("core/_args") == 0
    assert banners.index("core/playbook") < banners.index("scoring/cells")
    # every function and class of every module is in main.py (a clashing private one renamed)
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    for name, source in sources.items():
        for node in ast.parse(source).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                assert node.name in defined or any(
                    d.startswith(node.name + "_") for d in defined), (name, node.name)
    # every UDF keeps its Excel name; nothing of the package is left as a string to exec
    for excel_name in udf_meta():
        assert re.search(rf"^def {excel_name}\(", main_py, flags=re.M), excel_name
    assert "exec(" not in main_py and "_UPCELL_SOURCES" not in main_py
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert not [n for n in imports if getattr(n, "level", 0) or "udfs" in (
        getattr(n, "module", None) or "") or any(a.name.startswith("udfs") for a in n.names)]
    # readable: what main.py adds (header, imports, banners, module namespaces) is short
    # lines; the modules' own lines come through as they are
    lines = main_py.splitlines()
    first = lines.index("# udfs/core/_args.py") - 1
    glue = lines[:first] + [ln for ln in lines if ln.startswith("# ===") or ln.startswith("# udfs/")]
    glue += re.findall(r"^\w+ = _module\(.*?\), globals\(\)\)$", main_py, flags=re.M | re.S)
    glue = [ln for block in glue for ln in block.splitlines()]
    assert all(len(ln) <= 100 for ln in glue), max(glue, key=len)
    own = {ln for source in sources.values() for ln in source.splitlines()}
    assert sum(ln in own for ln in lines) > 0.9 * sum(len(s.splitlines()) for s in sources.values())
    assert len(main_py.splitlines()) > 0.8 * sum(len(s.splitlines()) for s in sources.values())


def test_flattening_keeps_each_modules_names_and_refuses_unsafe_renames():
    sources = {
        "udfs": "from .a import *\n",
        "udfs.a": "_RATE = 1\n\n\ndef rate():\n    return _RATE\n",
        "udfs.b": ("from . import a\nfrom .a import rate as a_rate\n\n_RATE = 2\n\n\n"
                   "def rates():\n    return a_rate(), _RATE, a.rate(), a._RATE\n"),
    }
    scope: dict = {}
    exec(compile(lite.main_py(sources), "main.py", "exec"), scope)
    assert scope["rate"]() == 1 and scope["rates"]() == (1, 2, 1, 1)
    assert "_RATE_b = 2" in lite.main_py(sources)
    unsafe = {**sources, "udfs.b": sources["udfs.b"] + "\n\nX = dict(_RATE=3)\n"}
    with pytest.raises(ValueError, match="keyword argument"):
        lite.main_py(unsafe)


def test_requirements_follow_lites_dependency_docs():
    req = [ln for ln in lite.requirements_txt().splitlines() if ln and not ln.startswith("#")]
    assert req == [f"xlwings>={xw.__version__},<1.0.0", "numpy", "pandas"]  # Pyodide's unpinned


def test_write_bundle_refuses_to_overwrite(tmp_path):
    paths = lite.write_bundle(tmp_path)
    assert [os.path.basename(p) for p in paths] == ["main.py", "requirements.txt"]
    assert Path(paths[0]).read_text(encoding="utf-8") == lite.main_py()
    with pytest.raises(FileExistsError, match="--force"):
        lite.write_bundle(tmp_path)
    lite.write_bundle(tmp_path, force=True)


def test_generated_main_py_runs_alone_and_matches_udfs(tmp_path):
    cli = subprocess.run([sys.executable, "-m", "workbook", "lite", "--out", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stderr
    meta = udf_meta()
    calls = [(name, good_call(name, f)) for name, f in sorted(meta.items())]
    calls += [(name, args) for name, args, _ in BAD_CALLS]
    (tmp_path / "calls.json").write_text(json.dumps(
        [(name, _excel_args(args)) for name, args in calls], default=str))
    model = build(None, tmp_path / "model.xlsx").path
    payload = book_payload(model)
    (tmp_path / "payload.json").write_text(json.dumps(payload, default=str))
    (tmp_path / "runner.py").write_text(RUNNER)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "XLWINGS_ON_SERVER")}
    run = subprocess.run(
        [sys.executable, "-I", str(tmp_path / "runner.py"), str(tmp_path / "main.py"),
         str(tmp_path / "calls.json"), str(tmp_path / "payload.json")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout)
    assert out["modules"] == []  # nothing imported from the repository
    assert sorted(out["meta"]) == sorted(meta)
    for name, f in meta.items():
        assert out["meta"][name] == json.loads(json.dumps(f)), name
    for (name, args), got in zip(calls, out["results"], strict=True):
        assert got == list(in_process(name, args)), name
    assert [s["name"] for s in out["scripts"]] == ["Connect model"]
    assert out["actions"] == json.loads(json.dumps(run_script(udfs, payload, ["XLWINGS"]),
                                                   default=str))
