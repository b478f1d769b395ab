"""The default model never looks broken without Python: every sheet rendered by LibreOffice
(which recomputes array formulas on load and cannot call Python, like Excel before the
add-in registered the functions) shows values, never ``#NAME?``."""

from __future__ import annotations

import re
import subprocess

import openpyxl
import pytest

from tests.conftest import need_tool
from udfs.connect import FORMULAS_SHEET
from workbook import build

pytestmark = pytest.mark.e2e

BROKEN = re.compile(r"#NAME\?|#VALUE!|#REF!|#N/A|Err:\d+")


def render(soffice: str, xlsx, outdir) -> str:
    """Every visible sheet of ``xlsx`` as LibreOffice prints it to PDF, as text."""
    run = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{outdir}/lo-profile", "--headless",
         "--convert-to", "pdf", "--outdir", str(outdir), str(xlsx)],
        capture_output=True, text=True, timeout=300,
    )
    pdf = outdir / (xlsx.stem + ".pdf")
    assert run.returncode == 0 and pdf.exists(), run.stderr
    pdftotext = need_tool("pdftotext")
    return subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True,
                          text=True, timeout=120, check=True).stdout


def test_default_model_renders_without_name_errors_on_every_sheet(soffice, tmp_path):
    model = build(None, tmp_path / "upcell_model.xlsx")  # what `make demo` builds
    text = render(soffice, tmp_path / "upcell_model.xlsx", tmp_path)
    assert not BROKEN.findall(text), sorted(set(BROKEN.findall(text)))
    wb = openpyxl.load_workbook(model.path)
    visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    assert FORMULAS_SHEET not in [ws.title for ws in visible]
    for ws in visible:  # every sheet was rendered: its first line of text is in the PDF
        first = next(c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str))
        assert first in text, ws.title
    # the queue's header row and values, the pipeline and retention labels and figures
    queue = model.queue
    assert " ".join(["account_id", queue.columns[1]]) in re.sub(r"\s+", " ", text)
    assert queue["account_id"].iloc[0] in text and queue["account_id"].iloc[-1] in text
    assert re.search(r"Healthy|Thin|Undercovered", text) and re.search(r"\d+\.\d%", text)
    assert "Year" in text and re.search(r"\$\d{1,3}(,\d{3})+", text)


def test_a_live_build_is_what_the_render_test_catches(soffice, tmp_path):
    """The check can fail: dynamic-array formulas (build --live) are #NAME? in LibreOffice."""
    build(None, tmp_path / "live.xlsx", live=True)
    text = render(soffice, tmp_path / "live.xlsx", tmp_path)
    assert text.count("#NAME?") > 300
