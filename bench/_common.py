"""Shared helpers for the benchmarks: Django set-up, a daphne server, and
recording figures in bench/RESULTS.md with the machine and the date. Server processes, ports and
sessions are the tests' own (tests/servers.py)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
if str(ROOT) not in sys.path:  # a benchmark runs as a script: the project's packages (tests.servers) on the path
    sys.path.insert(0, str(ROOT))

from tests.servers import free_port, process  # noqa: E402, F401  (free_port: for the benchmarks)


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {mem:.0f} GiB, {cpu or platform.processor()}, Python {platform.python_version()}"


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def summary_ms(values: list[float]) -> str:
    return f"p50 {percentile(values, 50) * 1000:.2f} ms, p95 {percentile(values, 95) * 1000:.2f} ms, mean {statistics.mean(values) * 1000:.2f} ms"


@contextmanager
def daphne_server(env: dict | None = None, *, app: str = "config.asgi:application"):
    """A real daphne process serving the project (or a benchmark's variant of it) on a free loopback port
    (its output in tests/artifacts/bench-daphne.log)."""
    with daphne_process(env, app=app) as (base, _proc):
        yield base


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (/proc/<pid>/stat), all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def daphne_process(env: dict | None = None, *, app: str = "config.asgi:application"):
    """daphne_server's (base URL, process): for a benchmark that reads the server's CPU time."""
    port = free_port()
    args = [str(ROOT / ".venv" / "bin" / "daphne"), "-b", "127.0.0.1", "-p", str(port), app]
    with process(args, port, "bench-daphne", env, append=True) as proc:
        yield f"http://127.0.0.1:{port}", proc


def record(title: str, lines: list[str]) -> None:
    """Append a dated section to bench/RESULTS.md (newest last)."""
    stamp = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    text = f"\n## {title} — {stamp}\n\nMachine: {machine()}\n\n" + "\n".join(lines) + "\n"
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results\n\nEach section is appended by a script in `bench/`; newest last.\n")
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(text)
    print(text)
