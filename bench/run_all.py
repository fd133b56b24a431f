"""``make bench``: run every benchmark, then print one table and, last, one JSON line.

Each benchmark is its own process (its own database and app) and ends with a
JSON line of figures; this merges them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHES = [
    ("sync", [sys.executable, "bench/sync_bench.py"]),
    ("leads", [sys.executable, "bench/leads_bench.py"]),
    ("import", [sys.executable, "bench/import_bench.py"]),
    ("export", [sys.executable, "bench/export_bench.py"]),
    ("pwa", [sys.executable, "-m", "bench.pwa_sync"]),
    ("pwa-crypto", [sys.executable, "-m", "bench.pwa_crypto"]),
]
TARGETS = {
    "push_ratio_to_limit": ">= 0.33",
    "pull_page_ratio_1m_vs_10k": "<= 1.25",
    "snapshot_records_per_s": ">= 5000",
    "deconflict_1m_ms": "<= 50",
    "import_130k_s": "< 60",
    "export_100k_peak_mib": "~ export_10k_peak_mib",
    "pin_unlock_ms": "<= 1500",
    "decrypt_50_findings_ms": "<= 50",
}


def last_json(output: str) -> dict[str, object]:
    for line in reversed(output.strip().splitlines()):
        if line.startswith("{"):
            return dict(json.loads(line))
    return {}


def main() -> int:
    figures: dict[str, object] = {}
    failed = []
    for name, command in BENCHES:
        if (
            not (ROOT / command[-1].replace(".", "/")).with_suffix(".py").exists()
            and not (ROOT / command[-1]).exists()
        ):
            continue
        print(f"== {name}", flush=True)
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
        lines = [line for line in run.stdout.splitlines() if not line.startswith("{")]
        print("\n".join(lines), flush=True)
        if run.returncode != 0:
            failed.append(name)
            print(run.stderr[-2000:], file=sys.stderr)
            continue
        figures.update(last_json(run.stdout))
    print()
    print(f"{'figure':<32}{'value':>14}  target")
    for key, value in figures.items():
        if isinstance(value, int | float):
            print(f"{key:<32}{value:>14.3f}  {TARGETS.get(key, '')}")
    if failed:
        print(f"benchmarks that failed: {', '.join(failed)}", file=sys.stderr)
    print(json.dumps(figures))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
