"""The long run of the page and Open311 fuzzer (tests/reliability/test_page_fuzz.py): every URL
pattern of the URL conf with hostile path and query values, Open311 and the pages' POSTs with
hostile forms, eight roles (anonymous among them), many more cases than CI's bounded run; prints
the requests per route, the answers by class and every failure, next to a baseline: the same
cases with the input guard (core.input_guard) taken out of MIDDLEWARE.

Run: `.venv/bin/python bench/page_fuzz.py [--cases 60] [--no-baseline]` (pytest on a test database
of its own, dropped at the end, so the suite may run beside it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from _common import ROOT, record

TEST = "tests/reliability/test_page_fuzz.py"


def run(cases: int, *, guard: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        stats_path = Path(tmp) / "stats.json"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "PAGE_FUZZ_CASES": str(cases),
            "PAGE_FUZZ_SECONDS": "1e9",
            "PAGE_FUZZ_STATS": str(stats_path),
            "TEST_DB_NAME": "test_page_fuzz_bench",
        }
        if not guard:
            env["PAGE_FUZZ_WITHOUT_GUARD"] = "1"
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", TEST, "-q", "-p", "no:cacheprovider", "-p", "no:logging"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if not stats_path.exists():
            sys.exit(f"the fuzz run did not start:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        stats = json.loads(stats_path.read_text())
    classes = Counter()
    for by_status in stats["statuses"].values():
        for code, n in by_status.items():
            classes[code[0] + "xx"] += n
    stats["classes"] = classes
    return stats


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=60, help="cases per URL pattern")
    parser.add_argument("--no-baseline", action="store_true", help="skip the run without the input guard")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()

    guarded = run(args.cases, guard=True)
    baseline = None if args.no_baseline else run(args.cases, guard=False)

    def line(label: str, s: dict) -> str:
        total = sum(s["cases"].values())
        c = s["classes"]
        return (
            f"| {label} | {total:,} | {len(s['cases'])} | {s['seconds']:.0f} s | {c['2xx']:,} | {c['3xx']:,} "
            f"| {c['4xx']:,} | **{c['5xx']:,}** | {len(s['failures']):,} |"
        )

    lines = [
        f"Every URL pattern of the URL conf but admin, the schema views and log-in (pages, Open311, the API too) "
        f"with hostile path and query values (NUL and control characters, huge/negative/non-decimal numbers, "
        f"NaN, malformed dates and periods, unicode, 5,000-character strings, arrays for scalars), Open311's and "
        f"the pages' POSTs with hostile forms; 8 roles in turn (anonymous among them); {args.cases} cases per "
        f"pattern, seeded; in process (WSGI) on the PostGIS test database. A failure is an answer 5xx or a "
        f"request that raised.",
        "",
        "| run | requests | routes | time | 2xx | 3xx | 4xx | 5xx/raised | failures |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        line("with core.input_guard", guarded),
    ]
    if baseline:
        lines.append(line("baseline: guard taken out of MIDDLEWARE", baseline))
        kinds = Counter(f.split(": ", 2)[1].split(" (")[0].split(":")[0] for f in baseline["failures"] if ": " in f)
        lines += ["", "Baseline failures by kind: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common(8))]
    if guarded["failures"]:
        lines += ["", "Failures with the guard:", "```", *guarded["failures"][:30], "```"]
    if args.no_record:
        print("\n".join(lines))
    else:
        record("Page and Open311 fuzzing, long run (bench/page_fuzz.py)", lines)
    sys.exit(1 if guarded["failures"] else 0)


if __name__ == "__main__":
    main()
