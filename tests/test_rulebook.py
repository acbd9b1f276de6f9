"""The rule book lives in the repository: docs/domain.md covers every rule tag, honestly.

Plain pytest, no database: the checks read files only.

- The table's tags are exactly the rule book's 46 (hard-coded below: the rule book
  itself is not part of a user's clone).
- A tag marked built or partial is cited (literally, ``[TAG]``) by a test under tests/;
  a tag marked planned is cited by none (once a test cites it, the row must say so).
- Each test file a row lists exists and cites the row's tag.
- Each module a built or partial row lists under "enforced in" exists.
- Nothing that runs, and not the README, points at the rule book's folder outside
  the repository.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "domain.md"

EXPECTED_TAGS = (
    [f"ORG-{i}" for i in range(1, 8)]
    + [f"IN-{i}" for i in range(1, 6)]
    + [f"AS-{i}" for i in range(1, 4)]
    + [f"SLA-{i}" for i in range(1, 6)]
    + [f"HD-{i}" for i in range(1, 4)]
    + [f"CB-{i}" for i in range(1, 4)]
    + [f"SV-{i}" for i in range(1, 4)]
    + [f"AR-{i}" for i in range(1, 6)]
    + [f"AN-{i}" for i in range(1, 4)]
    + [f"CT-{i}" for i in range(1, 6)]
    + [f"PUB-{i}" for i in range(1, 5)]
)
COLUMNS = ["tag", "meaning", "enforced in", "tests", "status"]
STATUSES = ("built", "partial", "planned")

# Where a module of the renovated layout (issue 12) lived before it. A path of the
# table passes if it exists, or if its old home still exists; once the renovation
# has moved a file the old home is gone and only the new path counts. The lead
# deletes this mapping when the renovation is merged.

# Folders that may read the rule book's folder at build or test time, or that are not ours.
NOT_RUN_TIME = {"tests", "docs", "bench", "fixtures", "node_modules", "__pycache__"}
OUTSIDE_PATHS = (b"../shared", b"/work/shared")


def rows() -> list[dict[str, str]]:
    """The rows of every table of docs/domain.md whose header is COLUMNS."""
    out, header = [], None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            assert header == COLUMNS, f"a table of {DOC.name} has the columns {header}, expected {COLUMNS}"
            continue
        if set("".join(cells)) <= set("-: "):
            continue  # the separator line
        assert len(cells) == len(COLUMNS), f"row with {len(cells)} cells: {line}"
        out.append(dict(zip(COLUMNS, cells, strict=True)))
    return out


def status(row: dict[str, str]) -> str:
    word = row["status"].split()[0] if row["status"] else ""
    assert word in STATUSES, f"{row['tag']}: status {row['status']!r} is not one of {STATUSES}"
    return word


def paths(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def cited(tag: str) -> list[Path]:
    """Test sources under tests/ that cite the tag literally."""
    needle = f"[{tag}]"
    return [p for p in (ROOT / "tests").rglob("*.py") if needle in p.read_text(encoding="utf-8")]


def test_the_table_lists_each_rule_tag_once():
    tags = [r["tag"] for r in rows()]
    duplicates = sorted({t for t in tags if tags.count(t) > 1})
    assert not duplicates, f"listed more than once in {DOC.name}: {duplicates}"
    assert set(tags) == set(EXPECTED_TAGS), (
        f"missing: {sorted(set(EXPECTED_TAGS) - set(tags))}; not in the rule book: {sorted(set(tags) - set(EXPECTED_TAGS))}"
    )
    assert len(EXPECTED_TAGS) == 46


def test_every_row_says_what_the_rule_means_and_has_a_status():
    for row in rows():
        assert len(row["meaning"]) >= 30, f"{row['tag']}: say what the rule means here"
        if status(row) == "planned":
            assert re.search(r"issues? \d+", row["status"]), f"{row['tag']}: name the issue that will build it"
        else:
            assert paths(row["enforced in"]), f"{row['tag']}: name the module that enforces it"
            assert paths(row["tests"]), f"{row['tag']}: name a test that cites it"


def test_built_and_partial_tags_are_cited_by_a_test():
    uncited = [r["tag"] for r in rows() if status(r) != "planned" and not cited(r["tag"])]
    assert not uncited, f"no test under tests/ cites these tags marked built or partial: {uncited}"


def test_planned_tags_are_cited_by_no_test():
    early = {r["tag"]: [str(p.relative_to(ROOT)) for p in cited(r["tag"])] for r in rows() if status(r) == "planned"}
    early = {tag: files for tag, files in early.items() if files}
    assert not early, f"tests cite tags that docs/domain.md marks planned (update their rows): {early}"


def test_listed_tests_exist_and_cite_their_tag():
    wrong = []
    for row in rows():
        for path in paths(row["tests"]):
            file = ROOT / path
            if not file.is_file() or f"[{row['tag']}]" not in file.read_text(encoding="utf-8"):
                wrong.append(f"{row['tag']}: {path}")
    assert not wrong, f"listed tests that do not exist or do not cite the tag: {wrong}"


def test_enforcing_modules_exist():
    """Every module named under 'enforced in' exists."""
    missing = []
    for row in rows():
        if status(row) == "planned":
            continue
        for path in paths(row["enforced in"]):
            if not (ROOT / path).exists():
                missing.append(f"{row['tag']}: {path}")
    assert not missing, f"modules listed under 'enforced in' that do not exist: {missing}"


def run_time_files():
    for folder, dirs, files in os.walk(ROOT):
        here = Path(folder)
        dirs[:] = [d for d in dirs if not d.startswith(".") and not (here == ROOT and d in NOT_RUN_TIME)]
        dirs[:] = [d for d in dirs if d not in ("node_modules", "__pycache__")]
        for name in files:
            path = here / name
            if path.is_file() and not path.is_symlink():
                yield path


def test_nothing_at_run_time_points_outside_the_repository():
    """A user's clone has no rule-book folder beside it: only build scripts (fixtures/) and docs may name it."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in run_time_files()
        if path.stat().st_size < 5_000_000 and any(s in path.read_bytes() for s in OUTSIDE_PATHS)
    ]
    assert not offenders, f"files outside tests/, docs/, bench/ and fixtures/ that point at ../shared: {offenders}"


@pytest.mark.parametrize("name", ["README.md"])
def test_the_readme_points_to_the_rule_book_in_the_repository(name):
    text = (ROOT / name).read_text(encoding="utf-8")
    assert not any(s.decode() in text for s in OUTSIDE_PATHS), f"{name} points at ../shared"
    assert "docs/domain.md" in text
