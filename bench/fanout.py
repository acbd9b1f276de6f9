"""Live fan-out: commit → screen for many wall sockets on one or two daphne processes (issue 17, item 7).

    .venv/bin/python bench/fanout.py                       # both scenarios, baseline revision beside this tree
    .venv/bin/python bench/fanout.py --scenarios two --tickets 60 --no-record

Scenarios (each run against the BASELINE revision's code and against this tree's, alternately, in
this one process, on the same database, Redis and machine):
- `one`: the old measurement of bench/maps.py: 200 wall sockets on one daphne process with the
  in-memory channel layer, a ticket through `POST /api/tickets/` every 500 ms.
- `two`: 1,000 wall sockets over two daphne processes on one private Redis (the scale-out set-up
  of bin/cluster), tickets posted to the two processes in turn.
Every socket is the wall viewer's (the city center sees every ticket: each ticket is one message
to every socket). The latency is commit → received: the server stamps `sent_at` right after the
commit (maps.live.send), the client takes its clock when the frame is decoded. The clients run in
one process per server, so that their own event loop is not one queue for every socket.

The baseline revision's files are taken with `git archive` into a temporary directory and its
servers run from there with the same virtualenv. `--profile` samples each server's CPU with py-spy
(collapsed stacks under .local/bench/).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import http.client
import json
import multiprocessing as mp
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

from _common import ROOT, free_port, percentile, process, record

SCENARIOS = {
    "one": {"servers": 1, "clients": 200, "layer": "memory"},
    "two": {"servers": 2, "clients": 1000, "layer": "redis"},
}


@contextmanager
def baseline_tree(rev: str):
    """The files of `rev` in a temporary directory (compiled messages are not needed by the API)."""
    tmp = Path(tempfile.mkdtemp(prefix="fanout-base-"))
    try:
        archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
        (tmp / ".venv").symlink_to(ROOT / ".venv")
        (tmp / ".local").symlink_to(ROOT / ".local")  # the same database cluster, media and static files
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def session_cookie(base: str, username: str) -> str:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("GET", "/accounts/login/")
    resp = conn.getresponse()
    resp.read()
    cookies = resp.headers.get_all("Set-Cookie") or []
    csrf = next(c.split(";")[0].split("=", 1)[1] for c in cookies if c.startswith("csrftoken="))
    conn.request(
        "POST",
        "/accounts/login/",
        body=f"username={username}&password=demo12345&csrfmiddlewaretoken={csrf}",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}",
            "Referer": base + "/accounts/login/",
        },
    )
    resp = conn.getresponse()
    resp.read()
    return next(c.split(";")[0] for c in resp.headers.get_all("Set-Cookie") or [] if c.startswith("sessionid="))


def client_process(base: str, cookie: str, sockets: int, expected: int, grace: float, ready, posted, out) -> None:
    """One process holding `sockets` wall sockets on one server; sends back its latencies."""

    async def main():
        import websockets

        host = base.removeprefix("http://")
        latencies: list[float] = []
        counts = {"connected": 0, "received": 0, "closed": 0, "retries": 0, "failed": 0}

        async def wall():
            for attempt in range(6):  # as live.js does: a handshake that failed is tried again
                try:
                    ws = await websockets.connect(
                        f"ws://{host}/ws/maps/live/",
                        additional_headers={"Cookie": cookie},
                        origin=base,
                        open_timeout=60,
                        max_queue=None,
                        compression=None,
                        ping_interval=None,
                    )
                    break
                except (OSError, websockets.InvalidHandshake, TimeoutError):
                    counts["retries"] += 1
                    await asyncio.sleep(0.5 * (attempt + 1))
            else:
                counts["failed"] += 1
                return
            async with ws:
                await ws.recv()  # hello
                counts["connected"] += 1
                mine = 0
                try:
                    while mine < expected:
                        msg = json.loads(await ws.recv())
                        if msg.get("type") == "ticket.created":  # only this run posts tickets to these servers
                            latencies.append(time.time() - msg["sent_at"])
                            mine += 1
                            counts["received"] += 1
                except websockets.ConnectionClosed:
                    counts["closed"] += 1

        tasks = []
        for _ in range(sockets):  # connect in small bursts: a thousand handshakes at once time out
            tasks.append(asyncio.create_task(wall()))
            await asyncio.sleep(0.05)
        while counts["connected"] + counts["failed"] < sockets:
            await asyncio.sleep(0.1)
        ready.set()
        while not all(t.done() for t in tasks) and not posted.is_set():
            await asyncio.sleep(0.2)
        _, pending = await asyncio.wait(tasks, timeout=grace)  # after the last post: what is still on its way
        for t in pending:
            t.cancel()
        out.send({**counts, "latencies": latencies})

    asyncio.run(main())


def post_ticket(base: str, n: int, cookie: str) -> int:
    """One ticket through the API with the city dispatcher's session (as a call-taker's console
    posts; the old bench's Basic auth hashed the password on every request, see --basic-auth)."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    payload = {
        "channel": "phone",
        "kind": "complaint",
        "category": "0101",
        "description": f"压测：楼下下水道堵了，污水溢到路面上（第{n}件）",
        "lon": 113.2952 + (n % 7) * 0.0003,
        "lat": 33.7549 + (n % 5) * 0.0003,
        "caller_name": "王芳",
        "caller_phone": "13812341234",
    }
    if cookie.startswith("Basic "):
        headers = {"Authorization": cookie}
    else:
        headers = {"Cookie": f"{cookie}; csrftoken={CSRF}", "X-CSRFToken": CSRF, "Referer": base + "/"}
    conn.request(
        "POST", "/api/tickets/", body=json.dumps(payload), headers={"Content-Type": "application/json", **headers}
    )
    resp = conn.getresponse()
    resp.read()
    return resp.status


CSRF = "0123456789abcdef0123456789abcdef"  # 32 characters: Django accepts the unmasked secret


def measure(
    *,
    tree: Path,
    label: str,
    servers: int,
    clients: int,
    layer: str,
    tickets: int,
    interval: float,
    profile: Path | None,
    basic_auth: bool,
) -> dict:
    """Start the servers from `tree`, connect the sockets, post the tickets, collect."""
    run = f"fanout-{uuid.uuid4().hex[:8]}"
    logs = ROOT / ".local" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    env = {"MAPS_LIVE_TICK_SECONDS": "5", "CHANNELS_PREFIX": run, "DEBUG": "0", "PYTHONPATH": str(tree)}
    with ExitStack() as stack:
        if layer == "redis":
            rport = free_port()
            stack.enter_context(
                process(
                    ["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                    rport,
                    "redis",
                    cwd=tree,
                    log_path=logs / f"{run}-redis.log",
                    append=True,
                    timeout=60,
                )
            )
            env["REDIS_URL"] = f"redis://127.0.0.1:{rport}/0"
        else:
            env["REDIS_URL"] = ""
        bases, procs = [], []
        for i in range(servers):
            port = free_port()
            daphne = [
                str(ROOT / ".venv" / "bin" / "daphne"),
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "config.asgi:application",
            ]
            procs.append(
                stack.enter_context(
                    process(
                        daphne,
                        port,
                        "daphne",
                        env,
                        cwd=tree,
                        log_path=logs / f"{run}-daphne{i}.log",
                        append=True,
                        timeout=60,
                    )
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        cookie = session_cookie(bases[0], "wall_viewer")
        poster_auth = (
            "Basic " + base64.b64encode(b"city_dispatcher:demo12345").decode()
            if basic_auth
            else session_cookie(bases[0], "city_dispatcher")
        )
        ctx = mp.get_context("spawn")
        readies, pipes, workers = [], [], []
        posted = ctx.Event()
        grace = 30.0
        for i, base in enumerate(bases):
            ready, (recv_end, send_end) = ctx.Event(), ctx.Pipe(duplex=False)
            share = clients // servers + (1 if i < clients % servers else 0)
            w = ctx.Process(target=client_process, args=(base, cookie, share, tickets, grace, ready, posted, send_end))
            w.start()
            readies.append(ready)
            pipes.append(recv_end)
            workers.append(w)
        for ready in readies:
            if not ready.wait(timeout=180):
                raise RuntimeError("the sockets did not connect")
        spies = []
        if profile is not None:
            for i, proc in enumerate(procs):
                out = profile / f"{label.split(' ')[0]}-{servers}x-{i}.txt"  # collapsed stacks
                spies.append(
                    subprocess.Popen(
                        [
                            str(ROOT / ".venv" / "bin" / "py-spy"),
                            "record",
                            "--pid",
                            str(proc.pid),
                            "--rate",
                            "50",
                            "--duration",
                            str(int(tickets * interval) + 5),
                            "--output",
                            str(out),
                            "--format",
                            "raw",
                            "--nonblocking",  # the server is not paused while sampled
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
        statuses: list[int] = []

        def post(n: int) -> None:
            statuses.append(post_ticket(bases[n % servers], n, poster_auth))

        # A ticket every `interval`, whatever the previous answer took (each post in its own thread).
        threads = []
        start = time.time()
        for n in range(tickets):
            time.sleep(max(0.0, start + n * interval - time.time()))
            threads.append(threading.Thread(target=post, args=(n,)))
            threads[-1].start()
        for t in threads:
            t.join()
        posted.set()
        results = [
            p.recv()
            if p.poll(grace + 60)
            else {"connected": 0, "received": 0, "closed": 0, "retries": 0, "latencies": []}
            for p in pipes
        ]
        for w in workers:
            w.join(timeout=10)
            if w.is_alive():
                w.kill()
        for spy in spies:
            spy.wait(timeout=60)
    lat = [x for r in results for x in r["latencies"]]
    return {
        "label": label,
        "connected": sum(r["connected"] for r in results),
        "closed": sum(r["closed"] for r in results),
        "retries": sum(r["retries"] for r in results),
        "created": sum(1 for s in statuses if s == 201),
        "expected": clients * sum(1 for s in statuses if s == 201),
        "received": len(lat),
        "lat": lat,
    }


def line(r: dict) -> str:
    lat = r["lat"]
    figures = (
        f"p50 {percentile(lat, 50) * 1000:.0f} ms, **p95 {percentile(lat, 95) * 1000:.0f} ms**, "
        f"p99 {percentile(lat, 99) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms"
        if lat
        else "nothing received"
    )
    return (
        f"| {r['label']} | {r['connected']:,} | {r['created']} | {r['received']:,} of {r['expected']:,} | "
        f"{figures} | {r['retries']} / {r['closed']} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", default="a6e2884", help="git revision whose code is the baseline")
    parser.add_argument("--scenarios", default="one,two")
    parser.add_argument("--tickets", type=int, default=150)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--clients", type=int, default=0, help="override the scenario's socket count")
    parser.add_argument("--only", choices=["baseline", "this"], help="run one side only")
    parser.add_argument("--profile", action="store_true", help="py-spy flame graphs of the servers")
    parser.add_argument("--basic-auth", action="store_true", help="post with Basic auth, as bench/maps.py did")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the servers on the way out
    rev = subprocess.run(["git", "rev-parse", "--short", args.baseline], cwd=ROOT, capture_output=True, text=True)
    here = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    profile = ROOT / ".local" / "bench" if args.profile else None
    lines = [
        f"Every socket is the wall viewer's (each ticket is a message to every socket); a ticket through "
        f"`POST /api/tickets/` every {args.interval * 1000:.0f} ms ("
        f"{'Basic auth' if args.basic_auth else 'the city dispatcher’s session'}), {args.tickets} tickets; "
        "commit → received. "
        f"Baseline: the code of `{rev.stdout.strip()}`; this: the working tree at `{here.stdout.strip()}`; "
        "run alternately in one process, same database (the dev database, 20,000 demo tickets), same machine "
        "(2 cores shared with other jobs: load average at start "
        f"{os.getloadavg()[0]:.1f}).",
        "",
        "| code · scenario | sockets connected | tickets | messages received | commit → received | handshakes retried / sockets closed |",
        "|---|---|---|---|---|---|",
    ]
    with baseline_tree(args.baseline) as base_tree:
        for name in args.scenarios.split(","):
            sc = dict(SCENARIOS[name])
            if args.clients:
                sc["clients"] = args.clients
            desc = f"{sc['clients']:,} sockets on {sc['servers']} process{'es' if sc['servers'] > 1 else ''}, {sc['layer']} layer"
            sides = [("baseline", base_tree), ("this", ROOT)]
            for side, tree in sides:
                if args.only and side != args.only:
                    continue
                r = measure(
                    tree=tree,
                    label=f"{side} · {desc}",
                    tickets=args.tickets,
                    interval=args.interval,
                    profile=profile,
                    basic_auth=args.basic_auth,
                    **sc,
                )
                lines.append(line(r))
                print(lines[-1], flush=True)
    print("\n".join(lines))
    if not args.no_record:
        record("Live fan-out (bench/fanout.py)", lines)


if __name__ == "__main__":
    main()
