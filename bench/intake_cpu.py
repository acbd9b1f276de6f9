"""CPU per ticket of intake through the API (issue 17, item 8): where a ticket's CPU goes.

    .venv/bin/python bench/intake_cpu.py                  # baseline revision and this tree, then record
    .venv/bin/python bench/intake_cpu.py --profile        # + cProfile of this tree's run (top functions)

Each side runs in a child process of its own (the baseline's code taken with `git archive`, same
virtualenv, same database): it warms up, then posts N tickets one after another through
`POST /api/tickets/` with Django's test client and a logged-in session (the whole request: the
middleware, DRF, the serializer, dispatch.services.intake_ticket, routing, the audit, and the
on-commit live push through the in-memory channel layer), the payloads of bench/dispatch.py (70%
with a point, 30% with an address the offline geocoder must place). It measures the Python
process's CPU time (time.process_time) and the CPU time of its PostgreSQL backend
(/proc/<pg_backend_pid()>/stat, same machine) per ticket. Every ticket it makes is deleted.
One client, no concurrency: CPU, not latency, is the figure.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(n: int, warm: int, profile: str) -> dict:
    root = Path(os.environ["INTAKE_CPU_ROOT"])
    sys.path.insert(0, str(root))
    sys.path.insert(1, str(HERE))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DB_POOL"] = "0"
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from core.bulk import delete_tickets
    from grid.models import User

    spec = importlib.util.spec_from_file_location("bench_dispatch", HERE / "dispatch.py")
    bench_dispatch = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_dispatch)
    run = f"cpu-{uuid.uuid4().hex[:8]}"
    payloads = bench_dispatch.make_requests(warm + n, seed=7, run=run)
    client = Client()
    client.force_login(User.objects.get(username="city_dispatcher"))

    def post(body: dict) -> int:
        r = client.post(
            "/api/tickets/",
            data=json.dumps(body, ensure_ascii=False),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=body["external_id"],
        )
        return r.status_code

    def backend_cpu() -> float:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    try:
        statuses = [post(b) for b in payloads[:warm]]
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile(time.process_time)  # CPU, not time spent waiting for the database
        pg0, cpu0, wall0 = backend_cpu(), time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        statuses += [post(b) for b in payloads[warm:]]
        if profiler:
            profiler.disable()
        cpu, wall, pg = time.process_time() - cpu0, time.perf_counter() - wall0, backend_cpu() - pg0
        if profiler:
            profiler.dump_stats(profile)
    finally:
        delete_tickets(external_prefix=f"bench:{run}")
    return {
        "n": n,
        "created": sum(1 for s in statuses[warm:] if s == 201),
        "bad": sorted({s for s in statuses if s != 201}),
        "cpu_ms": cpu / n * 1000,
        "pg_ms": pg / n * 1000,
        "wall_ms": wall / n * 1000,
    }


def side(tree: Path, n: int, warm: int, profile: str = "") -> dict:
    env = {**os.environ, "INTAKE_CPU_ROOT": str(tree), "PYTHONPATH": str(tree)}
    args = [sys.executable, str(HERE / "intake_cpu.py"), "--child", "-n", str(n), "--warm", str(warm)]
    if profile:
        args += ["--profile-to", profile]
    out = subprocess.run(args, cwd=tree, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def top(profile: str, limit: int = 25) -> list[str]:
    import pstats

    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative")
    rows = []
    for (file, line, name), (_cc, nc, tt, ct, _callers) in sorted(
        stats.stats.items(), key=lambda kv: kv[1][3], reverse=True
    )[:200]:
        if ".venv" in file or file.startswith("<") or "bench/" in file:
            continue
        rows.append(
            f"| `{Path(file).parent.name}/{Path(file).name}:{line} {name}` | {nc:,} | {ct:.2f} s | {tt:.2f} s |"
        )
        if len(rows) >= limit:
            break
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--warm", type=int, default=30)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--profile-to", default="")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--baseline", default="a6e2884")
    parser.add_argument("--only", choices=["baseline", "this"])
    parser.add_argument("--rounds", type=int, default=2, help="baseline/this alternations")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.n, args.warm, args.profile_to)))
        return
    from _common import ROOT, record

    rev = subprocess.run(["git", "rev-parse", "--short", args.baseline], cwd=ROOT, capture_output=True, text=True)
    rev = rev.stdout.strip()
    tmp = Path(tempfile.mkdtemp(prefix="intake-cpu-base-"))
    results: dict[str, list[dict]] = {"baseline": [], "this": []}
    try:
        archive = subprocess.run(["git", "archive", args.baseline], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
        (tmp / ".local").symlink_to(ROOT / ".local")
        for _ in range(args.rounds):
            for name, tree in (("baseline", tmp), ("this", ROOT)):
                if args.only and name != args.only:
                    continue
                r = side(tree, args.n, args.warm)
                results[name].append(r)
                print(name, r, flush=True)
        prof_rows = []
        if args.profile:
            path = str(ROOT / ".local" / "bench" / "intake.prof")
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            side(ROOT if args.only != "baseline" else tmp, args.n, args.warm, profile=path)
            prof_rows = top(path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def best(rs: list[dict], key: str) -> str:
        return f"{min(r[key] for r in rs):.1f}" if rs else "–"

    lines = [
        f"{args.n} tickets one after another through `POST /api/tickets/` (Django test client, session login, "
        f"payloads of bench/dispatch.py), after {args.warm} to warm up; each side in a child process, "
        f"{args.rounds} alternating rounds, the lower figure of each kept (other jobs share the 2 cores; "
        f"load average at the end {os.getloadavg()[0]:.1f}). Baseline: the code of `{rev}`.",
        "",
        "| code | Python CPU / ticket | PostgreSQL backend CPU / ticket | wall time / ticket | non-201 answers |",
        "|---|---:|---:|---:|---|",
    ]
    for name, rs in results.items():
        if rs:
            bad = sorted({b for r in rs for b in r["bad"]}) or "none"
            lines.append(
                f"| {name} | **{best(rs, 'cpu_ms')} ms** | {best(rs, 'pg_ms')} ms | {best(rs, 'wall_ms')} ms | {bad} |"
            )
    if prof_rows:
        lines += [
            "",
            "cProfile of one run of this tree, CPU time (project functions by cumulative CPU):",
            "",
            "| function | calls | cumulative | own |",
            "|---|---:|---:|---:|",
            *prof_rows,
        ]
    print("\n".join(lines))
    if not args.no_record:
        record("Intake CPU per ticket (bench/intake_cpu.py)", lines)


if __name__ == "__main__":
    main()
