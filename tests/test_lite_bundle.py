"""The xlwings Lite bundle: generated from udfs/ (no drift), and the generated main.py runs
on its own in a fresh interpreter, registering and answering every UDF through xlwings'
runtime exactly as the udfs package does."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import xlwings

from tests.conftest import call_udf, udf_meta
from workbook import lite

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

RUNNER = r'''
import asyncio, importlib.util, json, os, sys
os.environ["XLWINGS_ON_SERVER"] = "true"
os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"
import xlwings as xw
from xlwings.server import custom_functions_call, custom_functions_meta

spec = importlib.util.spec_from_file_location("main", sys.argv[1])
main = importlib.util.module_from_spec(spec)
sys.modules["main"] = main
spec.loader.exec_module(main)

def call(name, args):
    data = {"func_name": name, "args": args, "version": xw.__version__, "client": "Office.js",
            "runtime": "1.4", "culture_info_name": "en-US", "date_format": "yyyy-mm-dd",
            "caller_address": "Sheet1!A1"}
    try:
        return asyncio.run(custom_functions_call(data, main))
    except ValueError as err:
        return "ValueError: " + str(err)

calls = json.loads(sys.argv[2])
print(json.dumps({
    "meta": {f["name"]: f for f in custom_functions_meta(main)["functions"]},
    "origins": {k: m.__spec__.origin for k, m in sys.modules.items()
                if k == "udfs" or k.startswith("udfs.")},
    "results": [call(name, args) for name, args in calls],
}, default=str))
'''

CALLS = [
    ("SCORE_ACCOUNTS", [[["account_id", "arr", "usage_vs_cap", "pricing_page_visits_30d",
                          "health_score", "tenure_months"],
                         ["a1", 50000, 0.95, 2, 80, 12], ["a2", 80000, 0.5, 0, 30, 12]]]),
    ("PIPELINE_COVERAGE", [[[1500000]], [[500000]]]),
    ("COVERAGE_STATUS", [[[1.2]]]),
    ("NRR", [[[10000000]], [[2500000]], [[300000]], [[200000]]]),
    ("NRR_PROJECTION", [[[10000000]], [[1.2]], [[3]]]),
    ("PIPELINE_COVERAGE", [[["n/a"]], [[500000]]]),  # bad input: the same one-line error
]


def _expected(name, args):
    try:
        return call_udf(name, *args)
    except ValueError as err:
        return "ValueError: " + str(err)


def test_bundle_is_generated_from_udfs_without_drift(tmp_path):
    main_py = lite.main_py()
    assert main_py == lite.main_py()  # deterministic
    tree = ast.parse(main_py)
    sources = next(
        ast.literal_eval(node.value) for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "_UPCELL_SOURCES"
    )
    udfs_dir = os.path.join(ROOT, "udfs")
    on_disk = {
        ("udfs" if f == "__init__.py" else "udfs." + f[:-3]):
            Path(udfs_dir, f).read_text(encoding="utf-8")
        for f in os.listdir(udfs_dir) if f.endswith(".py")
    }
    assert sources == on_disk
    assert "open(" not in main_py.split("_UPCELL_SOURCES = {")[0]
    req = lite.requirements_txt().splitlines()
    assert f"xlwings=={xlwings.__version__}" in req and "numpy" in req and "pandas" in req

    paths = lite.write_bundle(tmp_path)
    assert [os.path.basename(p) for p in paths] == ["main.py", "requirements.txt"]
    assert Path(paths[0]).read_text(encoding="utf-8") == main_py
    try:
        lite.write_bundle(tmp_path)
        raise AssertionError("expected FileExistsError")
    except FileExistsError as err:
        assert "--force" in str(err)
    lite.write_bundle(tmp_path, force=True)


def test_generated_main_py_runs_alone_and_matches_udfs(tmp_path):
    cli = subprocess.run([sys.executable, "-m", "workbook", "lite", "--out", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stderr
    runner = tmp_path / "runner.py"
    runner.write_text(RUNNER)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "XLWINGS_ON_SERVER")}
    run = subprocess.run(
        [sys.executable, "-I", str(runner), str(tmp_path / "main.py"), json.dumps(CALLS)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    # every udfs module came from the embedded sources, none from the repository
    assert out["origins"] and all(o == "upcell-lite:" + k for k, o in out["origins"].items())
    meta = udf_meta()
    assert sorted(out["meta"]) == sorted(meta)
    for name, f in meta.items():
        assert out["meta"][name]["description"] == f["description"]
        assert [p["name"] for p in out["meta"][name]["parameters"]] == [
            p["name"] for p in f["parameters"]]
    for (name, args), got in zip(CALLS, out["results"], strict=True):
        assert got == json.loads(json.dumps(_expected(name, args), default=str)), name
