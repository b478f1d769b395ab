"""The project documents itself, and its documents stay true.

- every relative link (and #anchor) in README.md, CONTRIBUTING.md and docs/*.md resolves to a
  file (and a heading) of this repository; nothing links or points outside it;
- the account-columns table (docs/accounts.md, README.md) says what ``udfs.playbook`` does:
  each listed alias really maps to its column, and every column is listed;
- the function catalog (docs/functions.md) lists every function xlwings registers, with its
  arguments in order and the optional ones bracketed;
- the generated blocks equal what ``docs/generate.py`` produces from the code today.
"""

from __future__ import annotations

import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

import udfs
from tests.conftest import ROOT, udf_meta
from udfs.core import playbook, record_columns
from udfs.core._args import normalize_key

DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *DOCS]
GENERATE = ROOT / "docs" / "generate.py"

_LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)


def _generator():
    return runpy.run_path(str(GENERATE), run_name="docs_generate")


def _links(text: str) -> list[str]:
    return _LINK.findall(_CODE.sub("", text))


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"`|\*\*|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for line in _CODE.sub("", path.read_text(encoding="utf-8")).splitlines():
        m = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        slug = _slug(m.group(1))
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def test_the_pages_exist():
    names = {p.name for p in DOCS}
    for page in ("index.md", "accounts.md", "rules.md", "plays.md", "backtests.md",
                 "pipeline.md", "retention.md", "records.md", "functions.md"):
        assert page in names, f"docs/{page} is missing"
    assert (ROOT / "CONTRIBUTING.md").is_file()
    assert not (ROOT / "docs" / "TEAM.md").exists(), "working notes belong in CONTRIBUTING.md"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves_inside_the_repository(page):
    text = page.read_text(encoding="utf-8")
    links = _links(text)
    assert page.name != "README.md" or len(links) > 10, "the link parser found too few links"
    broken = []
    for target in links:
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if ROOT.resolve() not in (dest, *dest.parents):
            broken.append(f"{target} (outside the repository)")
        elif not dest.is_file():
            broken.append(f"{target} (no such file)")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{target} (no heading #{anchor} in {dest.name})")
    assert not broken, f"{page.name}: broken links: {broken}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_points_outside_the_project(page):
    text = page.read_text(encoding="utf-8")
    for needle in ("../shared", "shared/SPEC", "/work/"):
        assert needle not in text, f"{page.name} mentions {needle!r}"


def test_the_link_checker_catches_a_broken_link(tmp_path):
    assert _links("see [a](docs/nope.md) and ![b](img/x.png) and `[c](not/a/link.md)`") == [
        "docs/nope.md", "img/x.png"]
    assert _slug("Evidence and the primary motion") == "evidence-and-the-primary-motion"
    assert _slug("`SCORE_ACCOUNTS` (queue), T12M") == "score_accounts-queue-t12m"


# --------------------------------------------------------------------------- account columns


def _block_rows(text: str, name: str) -> list[list[str]]:
    """The cells of each body row of the generated table ``name`` in ``text``."""
    block = re.search(rf"<!-- BEGIN GENERATED: {name}\b.*?-->\n(.*?)<!-- END GENERATED", text, re.DOTALL)
    assert block, f"no generated {name} block"
    return [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in block.group(1).splitlines()[2:]]


def _column_rows(text: str) -> dict[str, list[str]]:
    """column -> the aliases written in its row, from the generated account-columns table."""
    rows = {}
    for cells in _block_rows(text, "account-columns"):
        column = cells[0].strip("`")
        rows[column] = re.findall(r"`([^`]+)`", cells[-1])
    return rows


@pytest.mark.parametrize("page", ["docs/accounts.md", "README.md"])
def test_account_columns_table_says_what_the_code_does(page):
    rows = _column_rows((ROOT / page).read_text(encoding="utf-8"))
    assert list(rows) == list(playbook.ACCOUNT_COLUMNS), "columns listed differ from udfs/core/playbook.py"
    wrong = [(alias, column, playbook.account_column(alias))
             for column, aliases in rows.items() for alias in aliases
             if playbook.account_column(alias) != column]
    assert not wrong, f"{page}: aliases that do not map to their row's column: {wrong}"
    listed = sum(len(a) for a in rows.values())
    assert listed == len(playbook.ACCOUNT_ALIASES), f"{page}: {listed} aliases listed, code has {len(playbook.ACCOUNT_ALIASES)}"


def test_every_account_column_has_a_meaning_and_a_unit():
    gen = _generator()
    for column, kind in playbook.ACCOUNT_COLUMNS.items():
        assert column in gen["COLUMN_MEANINGS"], f"add a meaning for {column!r} to docs/generate.py"
        assert kind in gen["KIND_UNITS"], f"add a unit for kind {kind!r} to docs/generate.py"


def test_opportunity_types_and_statuses_listed_mean_what_the_code_reads():
    rows = _block_rows((ROOT / "docs" / "records.md").read_text(encoding="utf-8"), "opportunity-words")
    motions = [r for r in rows if r[0] in playbook.MOTIONS]
    assert [r[0] for r in motions] == list(playbook.MOTIONS)
    for motion, words in motions:
        for word in re.findall(r"`([^`]+)`", words):
            assert record_columns.opportunity_motion(word) == playbook.MOTIONS.index(motion), (word, motion)
    statuses = {r[0].strip("`"): re.findall(r"`([^`]+)`", r[1]) for r in rows if r[0].startswith("`")}
    assert set(statuses) == {"open", "won", "lost"}
    for status, words in statuses.items():
        for word in words:
            assert record_columns.OPPORTUNITY_STATUSES[normalize_key(word)] == status, word


# --------------------------------------------------------------------------- rules and plays


def _points(text: str) -> float:
    return float(text.replace("−", "-").replace("+", ""))


def test_default_rules_page_lists_every_default_rule_with_its_points_and_motion():
    rows = _block_rows((ROOT / "docs" / "rules.md").read_text(encoding="utf-8"), "default-rules")
    frame = playbook.default_rules().drop_duplicates("rule")
    assert [r[0] for r in rows] == frame["rule"].tolist()
    for cells, rule in zip(rows, frame.to_dict("records"), strict=True):
        assert _points(cells[2]) == rule["points"], rule["rule"]
        motion = rule["motion"] if isinstance(rule["motion"], str) and rule["motion"] else "(risk: no motion)"
        assert cells[3] == motion, rule["rule"]
        signals = set(playbook.default_rules().query("rule == @rule['rule']")["signal"])
        assert all(sig in cells[1] for sig in signals), rule["rule"]


def test_default_plays_page_gives_each_motion_its_share_close_rate_and_owners():
    rows = _block_rows((ROOT / "docs" / "plays.md").read_text(encoding="utf-8"), "default-plays")
    plays = playbook.default_plays()
    assert [r[0] for r in rows] == list(playbook.MOTIONS)
    for cells in rows:
        play = plays.loc[cells[0]]
        assert float(cells[1]) == play["arr_increase_share"] and float(cells[2]) == play["close_rate"]
        assert f"`{play['owner']}`" in cells[3], cells[0]
        if isinstance(play["owner_above"], str):
            assert f"`{play['owner_above']}`" in cells[3], cells[0]


def test_rules_plays_and_queue_column_tables_list_the_real_columns():
    rules = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    plays = (ROOT / "docs" / "plays.md").read_text(encoding="utf-8")
    assert [r[0].strip("`") for r in _block_rows(rules, "rule-columns")] == list(playbook.RULE_TABLE_COLUMNS)
    assert [r[0].strip("`") for r in _block_rows(plays, "play-columns")] == list(playbook.PLAY_COLUMNS)
    queue = udfs.score_accounts([["account_id", "seat_utilization"], ["a1", 0.95]])
    assert [r[0].strip("`") for r in _block_rows(plays, "queue-columns")] == list(queue.columns)
    assert all(len(r) == 2 and r[1] for r in _block_rows(plays, "queue-columns"))


# --------------------------------------------------------------------------- function catalog


def test_function_catalog_lists_every_registered_function_with_its_arguments():
    text = (ROOT / "docs" / "functions.md").read_text(encoding="utf-8")
    documented = dict(re.findall(r"^### (\w+)\n\n`\w+\(([^)]*)\)`", text, re.MULTILINE))
    meta = udf_meta()
    assert sorted(documented) == sorted(meta), "docs/functions.md and the registered UDFs differ"
    for name, signature in documented.items():
        expected = [f"[{p['name']}]" if p.get("optional") else p["name"] for p in meta[name]["parameters"]]
        assert [a.strip() for a in signature.split(",") if a.strip()] == expected, name
        section = text.split(f"### {name}\n", 1)[1].split("\n### ", 1)[0]
        for p in meta[name]["parameters"]:
            assert f"| `{'[' + p['name'] + ']' if p.get('optional') else p['name']}` |" in section, (name, p["name"])


# --------------------------------------------------------------------------- generated blocks


def test_generated_blocks_match_the_code():
    stale = _generator()["stale_files"]()
    assert not stale, f"out of date with the code: {stale}; run `python docs/generate.py`"


def test_generate_check_fails_on_a_stale_block_and_render_repairs_it():
    gen = _generator()
    stale = "x\n<!-- BEGIN GENERATED: account-columns (python docs/generate.py) -->\nSTALE ROW\n<!-- END GENERATED: account-columns -->\ny\n"
    fixed = gen["render"](stale)
    assert fixed != stale and fixed.startswith("x\n") and fixed.endswith("-->\ny\n")
    assert "| `account_id` |" in fixed and "STALE ROW" not in fixed
    assert gen["render"](fixed) == fixed
    assert "SPEC" not in gen["function_catalog"]()


def test_generate_check_runs_from_a_checkout():
    done = subprocess.run([sys.executable, str(GENERATE), "--check"], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_readme_names_every_function_once():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- BEGIN GENERATED: function-summary.*?-->\n(.*?)<!-- END GENERATED",
                      text, re.DOTALL)
    assert block, "README.md has no function-summary block"
    names = re.findall(r"\[`(\w+)`\]\(docs/functions\.md#(\w+)\)", block.group(1))
    assert sorted(n for n, _ in names) == sorted(udf_meta()), "README's function list differs from the UDFs"
    assert all(anchor == name.lower() for name, anchor in names)
