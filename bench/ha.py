"""Redis Sentinel fail-over under load (issue 17, item 2), at full length.

`bin/cluster ha` (two daphne processes, two supervisors, a Redis primary and its replica, three
sentinels) against the worktree's database. Wall sockets on both processes (--walls each), one
ticket taken in every --every s through the API (alternating processes) and one Open311 request
beside it. First a baseline of --baseline s without faults; then --rounds times: SIGKILL the
current Redis master, wait until the sentinels have promoted its replica and every wall has had
pushes again, let it run --settle s, restart the killed Redis (the sentinels make it the new
master's replica), and go again. Per round it prints and records:

- promoted: kill → the sentinels name the new master;
- pushes again: kill → the first push on each wall (p50 and max over the walls);
- intake: attempts, 503s retried with the same Idempotency-Key, failures (must be 0),
  duplicates (must be 0), the slowest attempt including its retries;
- pushes lost: tickets taken in while Redis had no master (the wall refetches on reconnect)
  and those lost after the walls had pushes again (must be 0);
- Open311: a fresh key's limit checked across both processes on the new master.

    .venv/bin/python bench/ha.py                 # 3 rounds, 20 walls per process, record
    .venv/bin/python bench/ha.py --rounds 1 --walls 2 --no-record

tests/reliability/test_sentinel.py runs one round with one wall per process. Tickets and keys the
run made are deleted at the end; the cluster is stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, free_port, percentile, record, setup_django  # noqa: E402

from tests.servers import PHONE_TICKET, new_session  # noqa: E402

OPEN311_FORM = {
    "service_code": "0701",
    "lat": "33.754900",
    "long": "113.295200",
    "first_name": "芳",
    "last_name": "王",
    "phone": "13812341234",
}
MASTER = "grid"


def ports(n: int, taken: set[int] | None = None) -> list[int]:
    taken = set(taken or ()) | {6379, 26379}
    out: list[int] = []
    while len(out) < n:
        p = free_port()
        if p not in taken and p not in out:
            out.append(p)
    return out


def master_port(sentinel_port: int) -> int | None:
    out = subprocess.run(
        ["redis-cli", "-p", str(sentinel_port), "sentinel", "get-master-addr-by-name", MASTER],
        capture_output=True,
        text=True,
        timeout=5,
    ).stdout.split()
    return int(out[1]) if len(out) == 2 else None


class Wall:
    """A wall socket on one process that records each ticket.created push, and reconnects after a
    second when the server closes it or refuses it (as maps/static/maps/live.js does)."""

    def __init__(self, port: int, session: str):
        self.port, self.session = port, session
        self.pushes: list[tuple[str, float]] = []
        self.reconnects = 0

    async def run(self, stop: asyncio.Event):
        import websockets

        while not stop.is_set():
            try:
                async with websockets.connect(
                    f"ws://127.0.0.1:{self.port}/ws/maps/live/",
                    additional_headers={"Cookie": f"sessionid={self.session}"},
                    origin=f"http://127.0.0.1:{self.port}",
                    open_timeout=5,
                ) as ws:
                    while not stop.is_set():
                        try:
                            message = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                        except TimeoutError:
                            continue
                        if message.get("type") == "ticket.created":
                            self.pushes.append((message["number"], time.monotonic()))
            except Exception:  # any close or refusal: reconnect, as the wall does
                if stop.is_set():
                    return
                self.reconnects += 1
                await asyncio.sleep(1)

    def first_push_after(self, t: float) -> float | None:
        return min((at for _n, at in self.pushes if at > t), default=None)


def take_in(base: str, session: str, text: str, log: list) -> dict:
    """One ticket, retried on 503 with the same Idempotency-Key (as a client told Retry-After)."""
    key, csrf = uuid.uuid4().hex, uuid.uuid4().hex
    started, attempts = time.monotonic(), 0
    while True:
        attempts += 1
        r = requests.post(
            f"{base}/api/tickets/",
            json={**PHONE_TICKET, "description": text},
            headers={"Cookie": f"sessionid={session}; csrftoken={csrf}", "X-CSRFToken": csrf, "Idempotency-Key": key},
            timeout=30,
        )
        if r.status_code == 503 and r.headers.get("Retry-After") and time.monotonic() - started < 30:
            log.append(("intake", base, time.monotonic()))
            time.sleep(0.5)
            continue
        return {
            "status": r.status_code,
            "number": r.json().get("number") if r.status_code == 201 else None,
            "body": r.text[:300] if r.status_code != 201 else "",
            "attempts": attempts,
            "seconds": time.monotonic() - started,
            "posted_at": started,
        }


def open311(base: str, key: str, text: str, log: list) -> int:
    """One Open311 request (rate-limited in Redis), retried on 503: its final status."""
    started = time.monotonic()
    while True:
        r = requests.post(
            f"{base}/open311/v2/requests.json", data={**OPEN311_FORM, "api_key": key, "description": text}, timeout=30
        )
        if r.status_code == 503 and r.headers.get("Retry-After") and time.monotonic() - started < 30:
            log.append(("open311", base, time.monotonic()))
            time.sleep(0.5)
            continue
        return r.status_code


def open311_limit_holds(bases: list[str], key_factory, limit: int, run: str) -> list[int]:
    """2 × limit requests of a fresh key, alternating processes: the first `limit` are 200, the rest 429.
    A burst that straddles a minute boundary is counted in two windows: then once more."""
    for _ in range(2):
        key, minute, log = key_factory(limit), int(time.time()) // 60, []
        statuses = [
            open311(bases[i % len(bases)], key, f"{run} 长青社区19号楼暖气管道漏水第{i}次", log)
            for i in range(2 * limit)
        ]
        if int(time.time()) // 60 == minute:
            break
    return statuses


def stream(
    cluster: dict,
    *,
    walls_per_process: int,
    every: float,
    kill_after: float | None,
    after_max: float = 30.0,
    settle: float = 4.0,
    open311_key: str | None = None,
    duration: float | None = None,
) -> dict:
    """Tickets to both processes in turn with walls on both; the current master SIGKILLed
    `kill_after` s in (None: no fault, `duration` s). Ends `settle` s after every wall has had a push
    again (or after_max s after the kill). Returns the figures."""
    bases = [f"http://127.0.0.1:{p}" for p in cluster["ports"]]
    walls = [Wall(p, cluster["wall"]) for p in cluster["ports"] for _ in range(walls_per_process)]
    master = master_port(cluster["sentinel_ports"][0])
    victim = cluster["redis_by_port"][master]
    results: list[dict] = []
    log: list = []
    o311: list[int] = []
    marks: dict[str, float] = {}

    async def scenario():
        stop = asyncio.Event()
        tasks = [asyncio.create_task(w.run(stop)) for w in walls]
        await asyncio.sleep(1.5 + 0.05 * len(walls))  # the sockets open
        t0, i, watcher = time.monotonic(), 0, None

        async def watch_promotion():
            while "promoted" not in marks:
                port = await asyncio.to_thread(master_port, cluster["sentinel_ports"][-1])
                if port is not None and port != master:
                    marks["promoted"] = time.monotonic()
                await asyncio.sleep(0.05)

        while True:
            now = time.monotonic()
            if kill_after is None and now - t0 >= (duration or 10):
                break
            if kill_after is not None and "kill" not in marks and now - t0 >= kill_after:
                os.kill(int(Path(cluster["dir"], f"{victim}.pid").read_text()), signal.SIGKILL)
                marks["kill"] = time.monotonic()
                watcher = asyncio.create_task(watch_promotion())
            if "kill" in marks:
                firsts = [w.first_push_after(marks["kill"]) for w in walls]
                if all(firsts) and now - max(firsts) > settle or now - marks["kill"] > after_max:
                    break
            text = f"{cluster['run']} 第{i}件 长青社区楼下下水道堵了，污水溢到路面上"
            calls = [asyncio.to_thread(take_in, bases[i % 2], cluster["dispatcher"], text, log)]
            if open311_key:
                calls.append(asyncio.to_thread(open311, bases[(i + 1) % 2], open311_key, f"{text} (Open311)", log))
            done = await asyncio.gather(*calls)
            results.append(done[0])
            o311.extend(done[1:])
            i += 1
            await asyncio.sleep(max(0.0, every - (time.monotonic() - now)))
        await asyncio.sleep(2)  # the last pushes
        stop.set()
        await asyncio.gather(*tasks)
        if watcher is not None:
            watcher.cancel()

    asyncio.run(scenario())
    numbers = [r["number"] for r in results if r["number"]]
    posted = {r["number"]: r["posted_at"] for r in results if r["number"]}
    kill = marks.get("kill")
    firsts = [w.first_push_after(kill) for w in walls] if kill else []
    delays = [at - posted[n] for w in walls for n, at in w.pushes if n in posted]
    lost_after = sum(  # with no fault: every push that never arrived
        len({n for n, at in posted.items() if f is not None and at > f} - {n for n, _t in w.pushes})
        for w, f in zip(walls, firsts or [0.0] * len(walls), strict=True)
    )
    figures = {
        "attempts": len(results),
        "failed": [r for r in results if r["status"] != 201],
        "duplicates": len(numbers) - len(set(numbers)),
        "retried_503": len(log),
        "slowest_intake_s": max(r["seconds"] for r in results),
        "push_delay_p50_ms": percentile(delays, 50) * 1000 if delays else None,
        "push_delay_p95_ms": percentile(delays, 95) * 1000 if delays else None,
        "open311": {s: o311.count(s) for s in set(o311)},
        "reconnects": sum(w.reconnects for w in walls),
        "walls": len(walls),
        "pushes_lost": lost_after,
    }
    if kill:
        again = [f - kill for f in firsts if f is not None]
        figures |= {
            "victim": victim,
            "promoted_s": marks["promoted"] - kill if "promoted" in marks else None,
            "pushes_again_p50_s": percentile(again, 50) if again else None,
            "pushes_again_max_s": max(again) if len(again) == len(walls) else None,
            "pushes_lost_in_outage": sum(
                len({n for n, at in posted.items() if at > kill and (f is None or at < f)} - {n for n, _t in w.pushes})
                for w, f in zip(walls, firsts, strict=True)
            ),
            "pushes_lost_after_recovery": lost_after,
        }
    return figures


def start_cluster(run: str, env: dict, directory: Path, *, supervisors: int) -> dict:
    web, redis_ports = ports(2), ports(2)
    sentinel_ports = ports(3, set(redis_ports))
    env.update(
        {
            "DEBUG": "0",
            "CLUSTER_DIR": str(directory),
            "CLUSTER_PORTS": " ".join(map(str, web)),
            "CLUSTER_SUPERVISORS": str(supervisors),
            "CLUSTER_HA_REDIS_PORTS": " ".join(map(str, redis_ports)),
            "CLUSTER_HA_SENTINEL_PORTS": " ".join(map(str, sentinel_ports)),
            "CHANNELS_PREFIX": run,
            "CACHE_PREFIX": run,
            "MAPS_LIVE_TICK_SECONDS": "0",
        }
    )
    env.pop("REDIS_URL", None)
    started = subprocess.run(
        [str(ROOT / "bin" / "cluster"), "ha"], env=env, capture_output=True, text=True, timeout=120
    )
    if started.returncode != 0:
        raise RuntimeError(started.stdout + started.stderr)
    return {
        "run": run,
        "dir": directory,
        "ports": web,
        "redis_ports": redis_ports,
        "sentinel_ports": sentinel_ports,
        "redis_by_port": {redis_ports[0]: "redis-primary", redis_ports[1]: "redis-replica-1"},
    }


def stop_cluster(env: dict) -> None:
    subprocess.run([str(ROOT / "bin" / "cluster"), "stop"], env=env, capture_output=True, text=True, timeout=60)


def restart_as_replica(cluster: dict, name: str) -> None:
    """The killed Redis back, as the new master's replica (the sentinels would tell it so anyway)."""
    port = next(p for p, n in cluster["redis_by_port"].items() if n == name)
    master = master_port(cluster["sentinel_ports"][0])
    n = cluster["redis_ports"].index(port) + 1
    with open(Path(cluster["dir"], f"{name}.log"), "ab") as log:
        proc = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(Path(cluster["dir"], f"redis-{n}")), "--replicaof", "127.0.0.1", str(master)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    Path(cluster["dir"], f"{name}.pid").write_text(str(proc.pid))
    deadline = time.time() + 30
    while time.time() < deadline:  # in sync with the master
        info = subprocess.run(["redis-cli", "-p", str(port), "info", "replication"], capture_output=True, text=True)
        if "master_link_status:up" in info.stdout:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not join {master} as a replica")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--walls", type=int, default=20, help="wall sockets per process")
    parser.add_argument("--every", type=float, default=0.25, help="seconds between tickets")
    parser.add_argument("--baseline", type=float, default=15.0, help="seconds of the fault-free run")
    parser.add_argument("--supervisors", type=int, default=2)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()

    setup_django()

    from dispatch.models import OutboundMessage, Ticket
    from open311.models import Open311Key

    run = f"bench-ha-{uuid.uuid4().hex[:6]}"
    env = dict(os.environ)
    directory = ROOT / ".local" / run
    cluster = start_cluster(run, env, directory, supervisors=args.supervisors)
    cluster |= {"dispatcher": new_session("city_dispatcher"), "wall": new_session("wall_viewer")}
    key = Open311Key.objects.create(name=f"{run} stream", channel="app", rate_limit_per_minute=100000).key

    def fresh_key(limit: int) -> str:
        return Open311Key.objects.create(
            name=f"{run} {uuid.uuid4().hex[:4]}", channel="app", rate_limit_per_minute=limit
        ).key

    rows, ok = [], True
    try:
        kw = {"walls_per_process": args.walls, "every": args.every, "open311_key": key}
        base = stream(cluster, kill_after=None, duration=args.baseline, **kw)
        print("baseline:", json.dumps(base, default=str))
        ok &= not base["failed"] and base["duplicates"] == 0 and base["pushes_lost"] == 0
        for n in range(1, args.rounds + 1):
            fig = stream(cluster, kill_after=3.0, **kw)
            limit = open311_limit_holds([f"http://127.0.0.1:{p}" for p in cluster["ports"]], fresh_key, 10, run)
            fig["open311_limit_10"] = f"{limit.count(200)}×200, {limit.count(429)}×429"
            print(f"round {n}:", json.dumps(fig, default=str))
            ok &= (
                not fig["failed"]
                and fig["duplicates"] == 0
                and fig["pushes_lost_after_recovery"] == 0
                and fig["pushes_again_max_s"] is not None
                and limit.count(200) == 10
                and 200 in fig["open311"]
                and set(fig["open311"]) == {200}
            )
            rows.append(fig)
            restart_as_replica(cluster, fig["victim"])
    finally:
        stop_cluster(env)
        ids = list(Ticket.objects.filter(description__startswith=run).values_list("id", flat=True))
        OutboundMessage.objects.filter(ticket_id__in=ids).delete()
        Ticket.objects.filter(id__in=ids).delete()
        Open311Key.objects.filter(name__startswith=run).delete()
        subprocess.run(["rm", "-rf", str(directory)])

    def f(v, fmt="{:.2f}"):
        return "—" if v is None else fmt.format(v)

    lines = [
        f"`bin/cluster ha`: 2 daphne processes, {args.supervisors} supervisors, Redis primary + replica, 3 sentinels "
        f"(down-after-milliseconds 1000, failover-timeout 5000); {args.walls} wall sockets per process; a ticket "
        f"every {args.every} s through the API (alternating processes) and an Open311 request beside it; "
        "the current master SIGKILLed 3 s into each round, the killed Redis restarted as a replica after it.",
        "",
        "| run | tickets | 503 retried | failed | dup. | slowest intake (s) | promoted (s) | walls pushed again p50 / max (s) "
        "| pushes lost in outage / after | push delay p50 / p95 (ms) | wall reconnects | Open311 stream | Open311 limit 10 |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|---|---:|---|---|",
        f"| baseline, no fault | {base['attempts']} | {base['retried_503']} | {len(base['failed'])} | {base['duplicates']} "
        f"| {f(base['slowest_intake_s'])} | — | — | — / {base['pushes_lost']} | {f(base['push_delay_p50_ms'], '{:.0f}')} / "
        f"{f(base['push_delay_p95_ms'], '{:.0f}')} | {base['reconnects']} | {base['open311']} | — |",
    ]
    for n, r in enumerate(rows, 1):
        lines.append(
            f"| round {n}: kill the master ({r['victim']}) | {r['attempts']} | {r['retried_503']} | {len(r['failed'])} | {r['duplicates']} "
            f"| {f(r['slowest_intake_s'])} | {f(r['promoted_s'])} | {f(r['pushes_again_p50_s'])} / {f(r['pushes_again_max_s'])} "
            f"| {r['pushes_lost_in_outage']} / {r['pushes_lost_after_recovery']} | {f(r['push_delay_p50_ms'], '{:.0f}')} / "
            f"{f(r['push_delay_p95_ms'], '{:.0f}')} | {r['reconnects']} | {r['open311']} | {r['open311_limit_10']} |"
        )
    lines += [
        "",
        "Pushes lost in the outage are the tickets taken in while no master existed, counted per wall; the walls "
        "reconnect and refetch the whole state (live.js), so the screen is whole again. "
        + ("All checks passed." if ok else "**Some check failed** (see the run's output)."),
    ]
    if args.no_record:
        print("\n".join(lines))
    else:
        record("Redis Sentinel fail-over under load (bench/ha.py)", lines)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
