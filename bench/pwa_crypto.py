"""Browser benchmark: what the local encryption costs (Debian's Chromium, the built PWA).

- pin_unlock_ms: from "Unlock" to the app open (PBKDF2-SHA-256 600,000 iterations,
  unwrap of the data key, first render), median of 5;
- decrypt_50_findings_ms: time spent opening sealed rows while the screen of an
  inspection with 50 findings loads (every row it reads: inspection, licensee,
  checklist, findings, queue), median of 5, and its share of the load time
  (decrypt_overhead_ratio).

Prints the figures, then one JSON line. Run: `.venv/bin/python -m bench.pwa_crypto`.
Uses INSPECTOR_FRONTEND_DIST when set, else frontend/dist.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FINDINGS = 50
RUNS = 5
PASSWORD = "inspector-demo"
PIN = "482915"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
DIST = Path(os.environ.get("INSPECTOR_FRONTEND_DIST") or ROOT / "frontend" / "dist")

NAVIGATE = "(path) => { history.pushState(null, '', path); dispatchEvent(new PopStateEvent('popstate')); }"
LAST_SYNC = (
    "new Promise(r => { const o = indexedDB.open('inspector'); o.onsuccess = () => {"
    " const q = o.result.transaction('meta').objectStore('meta').get('last_sync');"
    " q.onsuccess = () => r(!!(q.result && q.result.value)); }; })"
)
#: Every item of the inspection screen shows its finding (a pressed "Violation").
ALL_SHOWN = f"""() => {{
  const find = (root) => {{
    let n = 0;
    for (const el of root.querySelectorAll('*')) {{
      if (el.shadowRoot) n += find(el.shadowRoot);
      if (el.tagName === 'BUTTON' && el.getAttribute('aria-pressed') === 'true'
          && el.textContent.trim() === 'Violation') n += 1;
    }}
    return n;
  }};
  return find(document) >= {FINDINGS};
}}"""


def seed(app: Any) -> str:
    """Demo data, a 50-item checklist and an inspection with a violation on every item."""
    from inspector.checklists.models import Checklist, ChecklistItem
    from inspector.demo import seed_demo
    from inspector.extensions import db
    from inspector.inspections.models import Inspection
    from inspector.licensees.models import Licensee
    from inspector.offices.models import User
    from inspector.sync.service import record_written

    with app.app_context():
        seed_demo(db.session, PASSWORD)
        user = db.session.query(User).filter_by(username="investigator").one()
        admin = db.session.query(User).filter_by(username="admin").one()
        checklist = Checklist(key="bench-50", version=1, title="Bench: 50 items")
        checklist.items = [
            ChecklistItem(
                position=n,
                key=f"bench-{n:02d}",
                area=f"Area {n // 10}",
                prompt=f"Bench item {n}: are the records of this kind complete and on time?",
                citation="27 CFR 478.125",
                required=False,
                license_types=[],
                states=[],
            )
            for n in range(FINDINGS)
        ]
        db.session.add(checklist)
        db.session.flush()
        licensee = db.session.query(Licensee).filter_by(field_office_id=user.field_office_id).first()
        assert licensee is not None
        inspection = Inspection(
            licensee_id=licensee.id,
            checklist_id=checklist.id,
            investigator_id=user.id,
            field_office_id=licensee.field_office_id,
            created_by=admin.id,
            type="recall",
            status="in_progress",
        )
        db.session.add(inspection)
        db.session.flush()
        for entity, record in (("checklist", checklist), ("inspection", inspection)):
            record_written(db.session, entity, record, user_id=admin.id)  # into the change feed
        db.session.commit()
        inspection_id = str(inspection.id)

    # The findings come from another device of the investigator, through the sync API.
    client = app.test_client()
    device = str(uuid.uuid4())
    token = client.post(
        "/api/v1/auth/token", json={"username": "investigator", "password": PASSWORD, "device_id": device}
    ).get_json()["access_token"]
    changes = [
        {
            "op_id": str(uuid.uuid4()),
            "seq": n + 1,
            "entity": "finding",
            "id": str(uuid.uuid4()),
            "action": "create",
            "base_version": None,
            "fields": {
                "inspection_id": inspection_id,
                "item_key": f"bench-{n:02d}",
                "result": "violation",
                "instances": 2,
                "note": f"Item {n}: two dispositions of serial BX{n:05d} entered late; buyer named in 4473 box 9.",
                "attachments": [],
            },
            "client_time": "2026-11-30T08:00:00Z",
        }
        for n in range(FINDINGS)
    ]
    pushed = client.post(
        "/api/v1/sync/push",
        headers={"Authorization": f"Bearer {token}"},
        json={"device_id": device, "schema_version": 1, "changes": changes},
    ).get_json()
    statuses = {r["status"] for r in pushed["receipts"]}
    assert statuses == {"applied"}, pushed["receipts"][:2]
    return inspection_id


def base_of(page: Any) -> str:
    origin: str = page.evaluate("location.origin")
    return origin


def measure(page: Any, inspection: str) -> dict[str, float]:
    unlock_ms = []
    for _ in range(RUNS):
        page.get_by_role("button", name="Lock").click()
        page.get_by_label("PIN", exact=True).fill(PIN)
        start = time.perf_counter()
        page.get_by_role("button", name="Unlock").click()
        page.get_by_role("heading", name="Inspector is locked").wait_for(state="detached")
        page.get_by_role("button", name="Lock").wait_for()
        unlock_ms.append((time.perf_counter() - start) * 1000)

    decrypt_ms, load_ms, opened = [], [], []
    for _ in range(RUNS):
        # A fresh page (nothing cached in memory), unlocked on the queue, then the inspection opens.
        page.goto(base_of(page) + "/")
        page.get_by_label("PIN", exact=True).fill(PIN)
        page.get_by_role("button", name="Unlock").click()
        page.get_by_role("heading", name="My queue").wait_for()
        page.wait_for_timeout(300)
        page.evaluate("() => { const s = window.__inspectorCryptoStats; s.opened = 0; s.openMs = 0; }")
        start = time.perf_counter()
        page.evaluate(NAVIGATE, f"/inspections/{inspection}")
        page.wait_for_function(ALL_SHOWN, timeout=30_000, polling=20)
        load_ms.append((time.perf_counter() - start) * 1000)
        stats = page.evaluate("() => ({...window.__inspectorCryptoStats})")
        decrypt_ms.append(stats["openMs"])
        opened.append(stats["opened"])
    decrypt = statistics.median(decrypt_ms)
    load = statistics.median(load_ms)
    return {
        "pin_unlock_ms": round(statistics.median(unlock_ms), 1),
        "pin_unlock_max_ms": round(max(unlock_ms), 1),
        "decrypt_50_findings_ms": round(decrypt, 2),
        "inspection_load_ms": round(load, 1),
        "decrypt_overhead_ratio": round(decrypt / load, 4),
        "rows_opened_per_load": statistics.median(opened),
    }


def main() -> int:
    from werkzeug.serving import make_server

    from tests.conftest import dispose, make_app, upgrade

    if not (DIST / "index.html").exists():
        print(f"bench.pwa_crypto: build the front end first ({DIST})", file=sys.stderr)
        return 2
    chromium = shutil.which("chromium")
    if not chromium:
        print("bench.pwa_crypto: Debian's chromium is missing", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        upgrade(make_app(url))
        app = make_app(url, FRONTEND_DIST=str(DIST))
        inspection = seed(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
                page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
                page.set_default_timeout(30_000)
                page.goto(base + "/")
                page.get_by_label("User name").fill("investigator")
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Log in").click()
                page.get_by_label("New PIN").fill(PIN)
                page.get_by_label("Repeat the PIN").fill(PIN)
                page.get_by_role("button", name="Set PIN").click()
                page.get_by_role("heading", name="My queue").wait_for()
                # wait_until awaits the promise (page.wait_for_function does not)
                from tests.browser.support import wait_until

                wait_until(page, LAST_SYNC, timeout=60_000)
                figures = measure(page, inspection)
                browser.close()
        finally:
            server.shutdown()
            dispose(app)
    print(f"PIN unlock (PBKDF2 600,000 + unwrap + render): {figures['pin_unlock_ms']} ms (median of {RUNS})")
    print(
        f"Inspection of {FINDINGS} findings: {figures['decrypt_50_findings_ms']} ms decrypting "
        f"{figures['rows_opened_per_load']} rows of {figures['inspection_load_ms']} ms loading "
        f"({figures['decrypt_overhead_ratio'] * 100:.1f}%)"
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
