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
import datetime as dt
import json
import os
import re
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

from _common import ROOT, free_port, record, setup_django

ACCESS = re.compile(r'"(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|WSCONNECT|WSDISCONNECT) [^"]*" (\d{3})')
# Who the simulated people are (bench/soak_locustfile.py takes them round-robin in this order).
CALLTAKERS = ["city_calltaker", "city_calltaker2"]
GRID_WORKERS = ["changqing_grid", "guangminglu_grid2", "xiatang_grid", "wenquan_grid", "changqing_head"]
WALL_USERS = ["wall_viewer", "wall_viewer", "xinhua_dispatcher", "guangminglu_handler", "xiatang_handler"]


def accounts(calltakers: int, grid_workers: int, walls: int) -> dict[str, int]:
    """How many people use each account: one session each."""
    counts: dict[str, int] = {}
    for names, n in ((CALLTAKERS, calltakers), (GRID_WORKERS, grid_workers), (WALL_USERS, walls)):
        for i in range(n):
            counts[names[i % len(names)]] = counts.get(names[i % len(names)], 0) + 1
    return counts


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(pids: list[int], limit: float = 180) -> None:
    """Wait until the web processes are done starting (imports, the warm-up's index builds): their CPU
    still for 3 s. Else the first minute's figures and the CPU per ticket carry the start-up."""
    end, last = time.time() + limit, sum(map(cpu_seconds, pids))
    while time.time() < end:
        time.sleep(3)
        now = sum(map(cpu_seconds, pids))
        if now - last < 0.3:
            return
        last = now


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


def sessions(counts: dict[str, int]) -> dict[str, list[str]]:
    """`counts[username]` stored sessions per account, one per simulated person: no password is hashed
    during the soak, and no two people update one session row. Written in one INSERT, as a login
    with the project's backend would store them."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from grid.models import User

    expires = timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    out: dict[str, list[str]] = {}
    rows = []
    for username, n in counts.items():
        user = User.objects.get(username=username)
        data = SessionStore().encode(
            {
                SESSION_KEY: str(user.pk),
                BACKEND_SESSION_KEY: "grid.backends.ModelBackendWithOffice",
                HASH_SESSION_KEY: user.get_session_auth_hash(),
            }
        )
        out[username] = [get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n)]
        rows += [Session(session_key=k, session_data=data, expire_date=expires) for k in out[username]]
    Session.objects.bulk_create(rows, batch_size=1000)
    return out


def payloads(n: int, run: str) -> list[dict]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_dispatch", ROOT / "bench" / "dispatch.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    from dispatch.models import Ticket

    # What callers said in the demo tickets (not the refused ones: their keywords are refused, 422), so the suggestions' classifier and similar-text search work
    # on real variety (bench/dispatch.py's payloads all say the same sentence).
    texts = list(
        Ticket.objects.exclude(description="")
        .exclude(status="refused")
        .order_by("-id")
        .values_list("description", flat=True)[: n * 3]
    )[::3]
    out = []
    for i, p in enumerate(mod.make_requests(n, seed=17, run=run)):
        p = {k: v for k, v in p.items() if k != "external_id"}
        if texts:
            p["description"] = texts[i % len(texts)]
        out.append(p)
    return out


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
    parser.add_argument("--ramp", type=int, default=90, help="seconds over which the users arrive")
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
            subprocess.run([str(ROOT / "bin" / "cluster"), "stop"], env=env, capture_output=True, text=True)
            sys.exit(started.stdout + started.stderr)
    keys: dict[str, list[str]] = {}
    try:
        pids = {}
        for f in cluster_dir.glob("*.pid"):
            pids[f.stem] = int(f.read_text())
        web = [p for n, p in pids.items() if n.startswith("daphne")]
        settle(web)
        keys = sessions(accounts(args.calltakers, args.grid_workers, args.walls))
        sup = [p for n, p in pids.items() if n.startswith("supervisor")]
        locust_env = {
            **os.environ,
            "SOAK_HOSTS": " ".join(hosts),
            "SOAK_SESSIONS": json.dumps(keys),
            "SOAK_PAYLOADS": json.dumps(payloads(400, run), ensure_ascii=False),
            "SOAK_RUN": run,
            "SOAK_WALLS": str(args.walls),
            "SOAK_GRID_WORKERS": str(args.grid_workers),
            "SOAK_CALLTAKERS": str(args.calltakers),
            "SOAK_ACCOUNTS": json.dumps({"calltakers": CALLTAKERS, "grid": GRID_WORKERS, "walls": WALL_USERS}),
        }
        users = args.walls + args.grid_workers + args.calltakers
        cpu0 = {"web": sum(map(cpu_seconds, web)), "sup": sum(map(cpu_seconds, sup)), "pg": postgres_cpu()}
        load0 = os.getloadavg()[0]
        locust0 = resource.getrusage(resource.RUSAGE_CHILDREN)
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
                f"{max(users / max(args.ramp, 1), 0.1):.2f}",
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
        locust1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        locust_cpu = locust1.ru_utime + locust1.ru_stime - locust0.ru_utime - locust0.ru_stime
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
        from django.contrib.sessions.models import Session

        Session.objects.filter(session_key__in=[k for ks in keys.values() for k in ks]).delete()
        print(f"deleted {deleted} soak tickets")

    server_errors = sum(n for s, n in statuses.items() if s.startswith("5"))
    lines = [
        f"`bench/soak.py --duration {args.duration} --calltakers {args.calltakers} --grid-workers {args.grid_workers} "
        f"--walls {args.walls}`: locust {args.calltakers} call-takers (a call: 3 suggestions while typing 1–2.5 s "
        f"apart, the intake, the ticket looked at, 2–8 s wrap-up), {args.grid_workers} grid workers (their queue "
        f"every 15–45 s: API 3 : page 1), {args.walls} walls on WebSockets (summary + clusters on connecting and "
        f"every minute); against `bin/cluster start` (2 daphne processes, 2 supervisors every {args.supervise} s, "
        f"1 Redis), everything incl. locust on the same 2 cores shared with other jobs (load average "
        f"{load0:.1f} before, {os.getloadavg()[0]:.1f} after). {elapsed:.0f} s in all (the users arriving over "
        f"{args.ramp} s).",
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
        f"- Share of the machine: the web processes used {cpu['web'] / elapsed:.2f} of a core on average, "
        f"locust itself {locust_cpu / elapsed:.2f} ({locust_cpu:.0f} s); the rest of the 2 cores went to "
        f"PostgreSQL, the supervisors and the machine's other jobs.",
    ]
    print("\n".join(lines))
    if not args.no_record:
        record(f"Soak (bench/soak.py, {args.duration} s)", lines)
    if server_errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
