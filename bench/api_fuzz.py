"""The long schemathesis run: every operation of /api/schema/ with many more generated cases than
CI's bounded run (tests/reliability/test_api_fuzz.py, the same harness, roles and real objects),
printing the cases run per operation, the answers by class, and every failure.

Run: `.venv/bin/python bench/api_fuzz.py [--examples 150]` (pytest on a test database of its own,
created from the Pingdingshan fixtures and dropped at the end, so the suite may run beside it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from _common import ROOT, record

TEST = "tests/reliability/test_api_fuzz.py"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=150, help="hypothesis max_examples per operation")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        stats_path, junit_path = Path(tmp) / "stats.json", Path(tmp) / "junit.xml"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "API_FUZZ_EXAMPLES": str(args.examples),
            "API_FUZZ_STATS": str(stats_path),
            "TEST_DB_NAME": "test_api_fuzz_bench",  # its own test database: the suite may run beside it
        }
        started = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                TEST,
                "-q",
                "-p",
                "no:cacheprovider",
                "-p",
                "no:logging",
                "--show-capture=no",
                f"--junitxml={junit_path}",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        if not stats_path.exists():
            sys.exit(f"the fuzz run did not start:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        stats = json.loads(stats_path.read_text())
        failures = {}
        for case in ET.parse(junit_path).getroot().iter("testcase"):
            failed = case.find("failure")
            if failed is None:
                failed = case.find("error")
            if failed is not None:
                name = case.get("name", "")
                operation = name[name.find("[") + 1 : -1] if "[" in name else name
                message = (failed.get("message") or failed.text or "").strip().splitlines()
                failures[operation] = " ".join(message[:3])[:300]

    cases: dict[str, int] = stats["cases"]
    statuses: dict[str, dict[str, int]] = stats["statuses"]
    total = sum(cases.values())
    classes = Counter()
    rows = ["| operation | cases | 2xx | 4xx | 5xx | result |", "|---|---:|---:|---:|---:|---|"]
    for operation in sorted(cases, key=lambda op: op.split(" ", 1)[::-1]):
        by_class = Counter()
        for code, n in statuses.get(operation, {}).items():
            by_class[code[0] + "xx"] += n
        classes.update(by_class)
        result = f"FAILED: {failures[operation]}" if operation in failures else "ok"
        rows.append(
            f"| `{operation}` | {cases[operation]:,} | {by_class['2xx']:,} | {by_class['4xx']:,} "
            f"| {by_class['5xx']:,} | {result} |"
        )
    lines = [
        f"schemathesis over every operation of `/api/schema/` ({len(cases)} operations), in process (WSGI) on "
        f"the PostGIS test database, 8 roles in turn (7 logged in + anonymous), real tickets in every state, "
        f"areas and photos for 2 in 3 path parameters; `max_examples={args.examples}` per operation, derandomized; "
        f"checks: no 5xx, documented status code, content type, headers and body.",
        "",
        f"**{total:,} cases in {seconds:.0f} s ({total / seconds:.1f} cases/s); {classes['5xx']} answers 5xx; "
        f"{len(failures)} operations failing.** Answers: {classes['2xx']:,} 2xx, {classes['4xx']:,} 4xx "
        f"(405 probes of undeclared methods included), {classes['5xx']} 5xx.",
        "",
        *rows,
    ]
    if proc.returncode not in (0, 1):
        lines.append(f"\npytest exited {proc.returncode}:\n```\n{proc.stdout[-2000:]}\n```")
    if args.no_record:
        print("\n".join(lines))
    else:
        record("API fuzzing, long run (bench/api_fuzz.py)", lines)
    sys.exit(1 if failures or proc.returncode else 0)


if __name__ == "__main__":
    main()
