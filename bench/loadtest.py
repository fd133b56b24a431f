"""Load test (``make loadtest``): simulated devices push and pull against production gunicorn.

Each device has its own investigator account and device id; it pushes ``--batches``
batches of ``--changes`` changes (finding creates and updates on its own inspections,
some leads), pulls to the end of its feed between batches, and thinks ``--think``
seconds between rounds (with ``--duration``, devices stop starting new rounds once that
many seconds have passed: the short mode CI runs). Then the database is audited: every receipted change
present, exactly once. Loopback only; bounded by ``--max-seconds``.

Prints latency percentiles, throughput and errors, then one JSON line. Exits 1 when
a target is missed (errors, lost, duplicates, p95 push over ``--p95-target-ms``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.prodserver import (
    Analyzer,
    Device,
    Server,
    audit,
    free_port,
    latency_line,
    percentile,
    rebuild_database,
    run_devices,
    seed,
    server_env,
)

DEFAULT_URL = os.environ.get(
    "LOADTEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/inspector_load"
)


def machine_cpu() -> dict[str, float]:
    """Seconds of CPU the whole machine spent busy, and stolen by its host (Linux; else empty)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return {}
    tick = os.sysconf("SC_CLK_TCK")
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return {"busy": (user + nice + system + irq + softirq) / tick, "steal": steal / tick}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--processes", type=int, default=5, help="load generator processes the devices are spread over"
    )
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument(
        "--duration", type=float, default=None, help="stop starting rounds after this many seconds"
    )
    parser.add_argument(
        "--analyze-every",
        type=float,
        default=5.0,
        help="seconds between autovacuum-style ANALYZE checks (0: none; see bench.prodserver.Analyzer)",
    )
    parser.add_argument("--p95-target-ms", type=float, default=500)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args(argv)

    creates_per_device = args.batches * round(args.changes * 0.6)
    inspections = -(-creates_per_device // 12) + 1
    print(f"loadtest: database {args.database_url.rsplit('/', 1)[-1]}, {args.devices} devices", flush=True)
    rebuild_database(args.database_url)
    started = time.monotonic()
    accounts = seed(args.database_url, args.devices, inspections)
    print(
        f"seeded {args.devices} investigators x {inspections} inspections in {time.monotonic() - started:.1f} s",
        flush=True,
    )
    port = free_port()
    server = Server(server_env(args.database_url, port, args.workers), port)
    server.start()
    print(f"gunicorn ({args.workers} workers) on {server.url}, log {server.log_path}", flush=True)
    deadline = time.monotonic() + args.max_seconds
    devices = [Device(server.url, name, accounts.inspections[name]) for name in accounts.usernames]
    # Logging in (argon2id: ~160 ms of CPU each) and the first snapshot come first, for every
    # device; the timed rounds start when all are done (a tablet logs in once a shift, not in
    # the second the load begins). The barrier notes when and with how much CPU they start.
    context = multiprocessing.get_context("fork")
    rounds_began = context.Array("d", 3)  # monotonic time, machine busy and stolen CPU seconds

    def begin_rounds() -> None:
        cpu = machine_cpu()
        rounds_began[:] = [time.monotonic(), cpu.get("busy", 0.0), cpu.get("steal", 0.0)]

    ready = context.Barrier(len(devices), action=begin_rounds)

    def work(device: Device) -> None:
        try:
            device.login(deadline)
            device.pull(deadline)  # the first snapshot
        except BaseException:
            ready.abort()  # the others start without it (it reports as not finished)
            raise
        with contextlib.suppress(threading.BrokenBarrierError):
            ready.wait(timeout=max(1.0, deadline - time.monotonic()))
        stop_rounds = rounds_began[0] + args.duration if args.duration else float("inf")
        for round_no in range(args.batches):
            if time.monotonic() > stop_rounds:
                break
            if not device.push(device.batch(args.changes, round_no), deadline):
                return
            if not device.pull(deadline):
                return
            if round_no + 1 < args.batches:
                time.sleep(args.think)
        device.finished = True

    analyzer = Analyzer(args.database_url, args.analyze_every)
    analyzer.start()
    try:
        run_start = time.monotonic()
        run_devices(devices, work, processes=args.processes)
        end, cpu_end = time.monotonic(), machine_cpu()
        began = rounds_began[0] or run_start
        wall = end - began
        cpu = (  # the rounds' own CPU, when the barrier's action noted where they began
            {"busy": cpu_end["busy"] - rounds_began[1], "steal": cpu_end["steal"] - rounds_began[2]}
            if cpu_end and rounds_began[0]
            else {}
        )
    finally:
        analyzer.stop()
        server.stop()
        for device in devices:
            device.client.close()
    finished = [d for d in devices if d.finished]
    counts = audit(args.database_url, devices)
    push = [s for d in devices for s in d.push_seconds]
    pull = [s for d in devices for s in d.pull_seconds]
    errors = [e for d in devices for e in d.errors]
    print(latency_line("push", push))
    print(latency_line("pull", pull))
    throughput = counts["acknowledged"] / wall
    print(
        f"wall {wall:.1f} s, {len(finished)}/{len(devices)} devices finished, "
        f"{counts['acknowledged']} changes acknowledged ({throughput:.0f} changes/s, "
        f"{len(push) / wall:.1f} pushes/s, {len(pull) / wall:.1f} pull pages/s)"
    )
    if cpu:
        # every process of the machine: gunicorn, PostgreSQL, Redis and the load generator
        print(
            f"machine CPU during the run: {cpu['busy'] / max(len(push), 1) * 1000:.1f} ms per round "
            f"(push and pull), busy {cpu['busy'] / wall:.2f} of {os.cpu_count()} cores, "
            f"stolen by the host {cpu['steal'] / wall:.2f}"
        )
    print(f"tables analyzed as autovacuum would: {analyzer.runs} times")
    print(f"errors {len(errors)}" + (f" ({', '.join(sorted(set(errors)))})" if errors else ""))
    print(
        "audit: "
        + ", ".join(
            f"{k} {counts[k]}"
            for k in ("changes", "acknowledged", "rejected", "lost", "duplicates", "unreceipted")
        )
    )
    figures = {
        "devices": len(devices),
        "finished": len(finished),
        "push_p50_ms": round(percentile(push, 50) * 1000, 1),
        "push_p95_ms": round(percentile(push, 95) * 1000, 1),
        "push_p99_ms": round(percentile(push, 99) * 1000, 1),
        "pull_p50_ms": round(percentile(pull, 50) * 1000, 1),
        "pull_p95_ms": round(percentile(pull, 95) * 1000, 1),
        "pull_p99_ms": round(percentile(pull, 99) * 1000, 1),
        "changes_per_s": round(throughput, 1),
        "wall_s": round(wall, 1),
        "cpu_ms_per_round": round(cpu["busy"] / max(len(push), 1) * 1000, 1) if cpu else None,
        "errors": len(errors),
        **counts,
    }
    print(json.dumps(figures))
    ok = (
        not errors
        and counts["lost"] == 0
        and counts["duplicates"] == 0
        and counts["unreceipted"] == 0
        and counts["rejected"] == 0
        and len(finished) == len(devices)
        and figures["push_p95_ms"] <= args.p95_target_ms
    )
    print("loadtest: " + ("PASS" if ok else "FAIL (see the targets above)"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
