"""Soak: locust against the scale-out cluster for a bounded time (issue 17, item 8).

    make soak                                            # 10 minutes, figures to bench/RESULTS.md
    .venv/bin/python bench/soak.py --duration 60         # the smoke version

Starts `bin/cluster start` (two daphne processes, two supervisors passing every SOAK_SUPERVISE
seconds, one private Redis; its own directory and free loopback ports, so a `make cluster` already
running is left alone; `--hosts` uses running servers instead), makes the users' sessions, and runs
locust headless with bench/soak_locustfile.py: 50 call-takers taking calls in, 500 grid workers
polling their queues, 200 walls on WebSockets. Then it records throughput and p50/p95 per route
(locust's figures), the server errors (every 5xx in the daphne access logs, and locust's failures),
the tickets taken in, and the CPU of the web processes, the supervisors and PostgreSQL per ticket
taken in (/proc, same machine). Every ticket it made is deleted at the end.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

from _common import ROOT, free_port, record, setup_django

ACCESS = re.compile(r'"(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|WSCONNECT|WSDISCONNECT) [^"]*" (\d{3})')
ACCOUNTS = [
    "city_dispatcher",
    "wall_viewer",
    "xinhua_dispatcher",
    "guangminglu_handler",
    "xiatang_handler",
    "changqing_grid",
    "guangminglu_grid2",
    "xiatang_grid",
    "wenquan_grid",
    "changqing_head",
]


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float:
    """CPU of the private PostgreSQL cluster: its postmaster and every child, live ones only
    (backends that ended during the run are missed: a floor)."""
    pidfile = ROOT / ".local" / "pgdata" / "postmaster.pid"
    if not pidfile.exists():
        return 0.0
    master = int(pidfile.read_text().split()[0])
    total = cpu_seconds(master)
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == master:
                total += (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    return total


def sessions() -> dict[str, str]:
    """A stored session per account (no password hashing during the soak)."""
    from django.test import Client

    from grid.models import User

    out = {}
    for username in ACCOUNTS:
        client = Client()
        client.force_login(User.objects.get(username=username))
        out[username] = client.cookies["sessionid"].value
    return out


def payloads(n: int, run: str) -> list[dict]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_dispatch", ROOT / "bench" / "dispatch.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return [{k: v for k, v in p.items() if k != "external_id"} for p in mod.make_requests(n, seed=17, run=run)]


def read_stats(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv", newline="") as f:
        return list(csv.DictReader(f))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=600, help="seconds of load (bounded)")
    parser.add_argument("--walls", type=int, default=200)
    parser.add_argument("--grid-workers", type=int, default=500)
    parser.add_argument("--calltakers", type=int, default=50)
    parser.add_argument("--supervise", default="10", help="the supervisors' interval (s)")
    parser.add_argument("--hosts", default="", help="use these running servers (space-separated) instead")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    if not 10 <= args.duration <= 3600:
        parser.error("--duration is between 10 and 3600 seconds")
    setup_django()
    from core.bulk import delete_tickets

    run = uuid.uuid4().hex[:8]
    out_dir = ROOT / ".local" / "soak" / run
    out_dir.mkdir(parents=True, exist_ok=True)
    cluster_dir = out_dir / "cluster"
    ports = [free_port(), free_port()]
    env = {
        **os.environ,
        "CLUSTER_DIR": str(cluster_dir),
        "CLUSTER_PORTS": " ".join(map(str, ports)),
        "CLUSTER_REDIS_PORT": str(free_port()),
        "SUPERVISE_INTERVAL": args.supervise,
        "CHANNELS_PREFIX": f"soak-{run}",
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("REDIS_URL", None)
    hosts = args.hosts.split() or [f"http://127.0.0.1:{p}" for p in ports]
    if not args.hosts:
        started = subprocess.run([str(ROOT / "bin" / "cluster"), "start"], env=env, capture_output=True, text=True)
        if started.returncode:
            sys.exit(started.stdout + started.stderr)
    try:
        pids = {}
        for f in cluster_dir.glob("*.pid"):
            pids[f.stem] = int(f.read_text())
        web = [p for n, p in pids.items() if n.startswith("daphne")]
        sup = [p for n, p in pids.items() if n.startswith("supervisor")]
        locust_env = {
            **os.environ,
            "SOAK_HOSTS": " ".join(hosts),
            "SOAK_SESSIONS": json.dumps(sessions()),
            "SOAK_PAYLOADS": json.dumps(payloads(400, run), ensure_ascii=False),
            "SOAK_RUN": run,
            "SOAK_WALLS": str(args.walls),
            "SOAK_GRID_WORKERS": str(args.grid_workers),
            "SOAK_CALLTAKERS": str(args.calltakers),
        }
        users = args.walls + args.grid_workers + args.calltakers
        cpu0 = {"web": sum(map(cpu_seconds, web)), "sup": sum(map(cpu_seconds, sup)), "pg": postgres_cpu()}
        load0 = os.getloadavg()[0]
        t0 = time.time()
        prefix = out_dir / "locust"
        subprocess.run(
            [
                str(ROOT / ".venv" / "bin" / "locust"),
                "-f",
                str(ROOT / "bench" / "soak_locustfile.py"),
                "--headless",
                "-u",
                str(users),
                "-r",
                "50",
                "-t",
                f"{args.duration}s",
                "--csv",
                str(prefix),
                "--only-summary",
                "--stop-timeout",
                "10",
                "--host",
                hosts[0],
            ],
            env=locust_env,
            cwd=ROOT,
            timeout=args.duration + 300,
            check=False,
        )
        elapsed = time.time() - t0
        cpu = {
            "web": sum(map(cpu_seconds, web)) - cpu0["web"],
            "sup": sum(map(cpu_seconds, sup)) - cpu0["sup"],
            "pg": postgres_cpu() - cpu0["pg"],
        }
        from dispatch.models import Ticket

        tickets = Ticket.objects.filter(external_id__startswith=f"soak:{run}:").count()
        statuses: dict[str, int] = {}
        for log in cluster_dir.glob("daphne-*.log"):
            for m in ACCESS.finditer(log.read_text(errors="replace")):
                statuses[m.group(1)] = statuses.get(m.group(1), 0) + 1
        stats = read_stats(prefix)
    finally:
        if not args.hosts:
            subprocess.run([str(ROOT / "bin" / "cluster"), "stop"], env=env, capture_output=True, text=True)
        deleted = delete_tickets(external_prefix=f"soak:{run}:")
        print(f"deleted {deleted} soak tickets")

    server_errors = sum(n for s, n in statuses.items() if s.startswith("5"))
    lines = [
        f"`bench/soak.py --duration {args.duration}`: locust {args.calltakers} call-takers (a call every 6–14 s, "
        f"then the ticket looked at), {args.grid_workers} grid workers (their queue every 15–45 s: API 3 : page 1), "
        f"{args.walls} walls on WebSockets; against `bin/cluster start` (2 daphne processes, 2 supervisors every "
        f"{args.supervise} s, 1 Redis), everything incl. locust on the same 2 cores (load average "
        f"{load0:.1f} before, {os.getloadavg()[0]:.1f} after). {elapsed:.0f} s in all (ramp-up 50 users/s).",
        "",
        "| route | requests | failures | req/s | p50 | p95 | max |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in stats:
        name = row["Name"] if row["Type"] in ("", "WS") or row["Name"] == "Aggregated" else f"{row['Name']}"
        lines.append(
            f"| {name} | {int(row['Request Count']):,} | {int(row['Failure Count']):,} | "
            f"{float(row['Requests/s']):.1f} | {row['50%']} ms | **{row['95%']} ms** | {float(row['Max Response Time']):.0f} ms |"
        )
    codes = ", ".join(f"{s}: {n:,}" for s, n in sorted(statuses.items()))
    lines += [
        "",
        f"- Server answers by status (daphne access logs): {codes}; **server errors (5xx): {server_errors}**.",
        f"- Tickets taken in: {tickets:,} ({tickets / elapsed:.1f}/s).",
        f"- CPU during the soak: web processes {cpu['web']:.0f} s, supervisors {cpu['sup']:.0f} s, "
        f"PostgreSQL ≥ {cpu['pg']:.0f} s; per ticket taken in (everything the web processes did, polling and "
        f"sockets included): {cpu['web'] / max(tickets, 1) * 1000:.0f} ms web"
        + (f", {cpu['pg'] / max(tickets, 1) * 1000:.0f} ms PostgreSQL." if cpu["pg"] else "."),
    ]
    print("\n".join(lines))
    if not args.no_record:
        record(f"Soak (bench/soak.py, {args.duration} s)", lines)
    if server_errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
