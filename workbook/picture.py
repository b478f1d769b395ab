"""Render the Scores sheet with LibreOffice to a PNG (docs/img/scores_sheet.png).

LibreOffice recalculates array formulas when it opens a file and cannot run Python, so a
spilled UDF shows #NAME? there (Excel keeps the cached values). The picture is therefore
rendered from a values-only build (``build(values_only=True)``): the same cells, formats
and cached values as the model, with the spills written as plain values.

    python -m workbook picture [--out docs/img/scores_sheet.png]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from ._files import atomic_write
from .builder import build

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PNG = os.path.join(os.path.dirname(HERE), "docs", "img", "scores_sheet.png")


def render_scores(out: str = DEFAULT_PNG, *, accounts=None, dpi: int = 200,
                  height_in: float = 2.7, width_in: float = 8.8, timeout: float = 240) -> str:
    """Build a values-only model, convert it to PDF with LibreOffice, crop the Scores page."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice or not shutil.which("pdftoppm") or not shutil.which("pdftotext"):
        raise RuntimeError("needs LibreOffice (soffice), pdftoppm and pdftotext")
    with tempfile.TemporaryDirectory() as d:
        xlsx = os.path.join(d, "scores.xlsx")
        team = os.path.join(HERE, "sample_owners.csv") if accounts is None else None  # the sample book's team
        build(accounts, xlsx, force=True, values_only=True, owners=team)
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{d}/profile", "--headless",
             "--convert-to", "pdf", "--outdir", d, xlsx],
            check=True, capture_output=True, timeout=timeout,
        )
        pdf = os.path.join(d, "scores.pdf")
        page = _find_page(pdf, "Expansion queue")
        width_px = int(width_in * dpi)  # of the 11 in of a landscape letter page
        prefix = os.path.join(d, "page")
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),
             "-x", "0", "-y", str(int(0.25 * dpi)), "-W", str(width_px),
             "-H", str(int(height_in * dpi)), "-singlefile", pdf, prefix],
            check=True, capture_output=True, timeout=timeout,
        )
        with open(prefix + ".png", "rb") as png:
            atomic_write(out, png.read(), force=True)  # the picture is regenerated in place
    return out


def _find_page(pdf: str, title: str) -> int:
    for page in range(1, 200):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), pdf, "-"],
                              capture_output=True, text=True).stdout
        if not text and page > 1:
            break
        if text.lstrip().startswith(title):
            return page
    raise RuntimeError(f"no page starting with {title!r} in {pdf}")
