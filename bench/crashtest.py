"""Crash test (``make crashtest``): devices push while the server is killed, Jepsen style.

Devices push batches against production gunicorn on PostgreSQL. Meanwhile a nemesis
``kill -9``s a random worker at random moments (the master starts a new one), and at
``--server-kills`` random moments ``kill -9``s the whole server, master and workers,
then starts it again. A device whose request gets no answer resends the very same
batch (same op_ids, same payload) until it is receipted. At the end the database is
audited. Loopback only; bounded by ``--max-seconds``.

Report: changes sent; acknowledged (receipted and not rejected); in doubt (a request
carrying them died); recovered (in doubt, then receipted by a retry; ``replayed``
says the server had already stored them); lost (acknowledged, not in the database);
unknown (never receipted); duplicates. Exits 1 unless lost, duplicates and unknown
are all 0.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.prodserver import (
    Device,
    Server,
    audit,
    free_port,
    rebuild_database,
    run_devices,
    seed,
    server_env,
)

DEFAULT_URL = os.environ.get(
    "CRASHTEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/inspector_crash"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=8)
    parser.add_argument("--batches", type=int, default=25)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--think", type=float, default=0.2)
    parser.add_argument("--worker-kills", type=int, default=12)
    parser.add_argument("--server-kills", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=240)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)

    inspections = -(-args.batches * round(args.changes * 0.6) // 12) + 1
    rebuild_database(args.database_url)
    accounts = seed(args.database_url, args.devices, inspections)
    port = free_port()
    server = Server(server_env(args.database_url, port), port)
    server.start()
    print(f"crashtest: {args.devices} devices, gunicorn on {server.url}, log {server.log_path}", flush=True)
    deadline = time.monotonic() + args.max_seconds
    devices = [Device(server.url, name, accounts.inspections[name]) for name in accounts.usernames]
    done = threading.Event()
    events: list[str] = []

    chaos_over = threading.Event()

    def work(device: Device) -> None:
        """``--batches`` rounds, and more until the nemesis has dealt every kill (pushes got
        fast enough that devices would otherwise finish before half of them)."""
        device.login(deadline)
        round_no = 0
        while round_no < args.batches or not chaos_over.is_set():
            if not device.push(device.batch(args.changes, round_no), deadline):
                return
            round_no += 1
            time.sleep(args.think)

    def nemesis() -> None:
        """Worker kills spread over the expected run, whole-server kills among them."""
        kinds = ["worker"] * args.worker_kills + ["server"] * args.server_kills
        rng.shuffle(kinds)
        try:
            deal(kinds)
        finally:
            chaos_over.set()

    def deal(kinds: list[str]) -> None:
        for kind in kinds:
            if done.wait(rng.uniform(0.5, 2.5)):
                return
            t = f"{time.monotonic() - start:6.1f}s"
            if kind == "worker":
                victim = server.kill_worker()
                events.append(f"{t} kill -9 worker {victim}")
            else:
                server.kill_all()
                events.append(f"{t} kill -9 server (master and workers)")
                time.sleep(rng.uniform(0.2, 1.5))
                server.start()
                events.append(f"{time.monotonic() - start:6.1f}s server restarted")

    start = time.monotonic()
    chaos = threading.Thread(target=nemesis, daemon=True)
    chaos.start()
    try:
        run_devices(devices, work)
        done.set()
        chaos.join()
        if server.process is None or server.process.poll() is not None:
            server.start()
        # Devices settle what is still in doubt: their last batches, once more, now the chaos stopped.
    finally:
        server.stop()
    wall = time.monotonic() - start
    for line in events:
        print("  " + line)
    counts = audit(args.database_url, devices)
    errors = [e for d in devices for e in d.errors]
    print(
        f"wall {wall:.1f} s, {len(events)} nemesis events, {len(errors)} failed requests retried"
        + (f" ({', '.join(sorted(set(errors)))})" if errors else "")
    )
    print(
        f"changes {counts['changes']}: acknowledged {counts['acknowledged']}, rejected {counts['rejected']}, "
        f"in doubt {counts['in_doubt']}, recovered {counts['recovered']} (of which replayed {counts['replayed']}), "
        f"lost {counts['lost']}, unknown {counts['unreceipted']}, duplicates {counts['duplicates']}"
    )
    figures = {"wall_s": round(wall, 1), "events": len(events), "retried_requests": len(errors), **counts}
    print(json.dumps(figures))
    ok = (
        counts["lost"] == 0
        and counts["duplicates"] == 0
        and counts["unreceipted"] == 0
        and counts["rejected"] == 0
    )
    print("crashtest: " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
