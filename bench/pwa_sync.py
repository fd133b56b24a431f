"""Browser benchmark: the PWA syncs 500 queued findings (Debian's Chromium, built frontend/dist).

Prints one JSON line: {"pwa_sync_500_s": seconds, "pwa_sync_500_records_per_s": n, ...}.
Run: `.venv/bin/python -m bench.pwa_sync` (or `make bench-pwa`). Needs `chromium` and frontend/dist.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FINDINGS = 500
PASSWORD = "inspector-demo"
PIN = "482915"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

#: Queue changes the way the app does (outbox rows with op_id, seq, base_version, fields).
QUEUE = """
async (changes) => {
  const db = await new Promise((ok, ko) => {
    const r = indexedDB.open('inspector');
    r.onsuccess = () => ok(r.result);
    r.onerror = () => ko(r.error);
  });
  await new Promise((ok, ko) => {
    const tx = db.transaction(['outbox', 'meta'], 'readwrite');
    const outbox = tx.objectStore('outbox');
    let seq = 0;
    for (const c of changes) outbox.put({...c, seq: ++seq, sent: 0, client_time: new Date().toISOString()});
    tx.objectStore('meta').put({key: 'seq', value: seq});
    tx.oncomplete = ok;
    tx.onerror = () => ko(tx.error);
  });
  db.close();
}
"""


def seed(app: Any) -> list[tuple[str, list[str]]]:
    """Demo data plus enough assigned inspections for 500 distinct findings."""
    from inspector.checklists.service import current_checklist
    from inspector.demo import seed_demo
    from inspector.extensions import db
    from inspector.inspections.models import Inspection
    from inspector.licensees.models import Licensee
    from inspector.offices.models import User

    with app.app_context():
        seed_demo(db.session, PASSWORD)
        user = db.session.query(User).filter_by(username="investigator").one()
        admin = db.session.query(User).filter_by(username="admin").one()
        checklist = current_checklist(db.session)
        keys = [item.key for item in checklist.items]
        licensees = db.session.query(Licensee).filter_by(field_office_id=user.field_office_id).all()
        needed = -(-FINDINGS // len(keys))
        for licensee in licensees[:needed]:
            db.session.add(
                Inspection(
                    licensee_id=licensee.id,
                    checklist_id=checklist.id,
                    investigator_id=user.id,
                    field_office_id=licensee.field_office_id,
                    created_by=admin.id,
                    type="recall",
                    status="in_progress",
                )
            )
        db.session.commit()
        ids = [
            str(i.id) for i in db.session.query(Inspection).filter_by(investigator_id=user.id, type="recall")
        ]
        return [(i, keys) for i in ids]


def main() -> int:
    from werkzeug.serving import make_server

    from tests.conftest import dispose, make_app, upgrade

    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        print("bench.pwa_sync: build the front end first (make frontend)", file=sys.stderr)
        return 2
    chromium = shutil.which("chromium")
    if not chromium:
        print("bench.pwa_sync: Debian's chromium is missing", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        upgrade(make_app(url))
        app = make_app(url)
        targets = seed(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
                page = browser.new_context(viewport={"width": 768, "height": 1024}).new_page()
                page.goto(base + "/")
                page.get_by_label("User name").fill("investigator")
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Log in").click()
                page.get_by_label("New PIN").fill(PIN)  # the first login on a device sets a PIN
                page.get_by_label("Repeat the PIN").fill(PIN)
                page.get_by_role("button", name="Set PIN").click()
                # wait_until awaits the promise (page.wait_for_function does not)
                from tests.browser.support import wait_until

                wait_until(
                    page,
                    "new Promise(r => { const o = indexedDB.open('inspector'); o.onsuccess = () => {"
                    " const q = o.result.transaction('meta').objectStore('meta').get('last_sync');"
                    " q.onsuccess = () => r(!!(q.result && q.result.value)); }; })",
                    timeout=60_000,
                )
                changes = []
                for inspection, keys in targets:
                    for key in keys:
                        if len(changes) == FINDINGS:
                            break
                        changes.append(
                            {
                                "op_id": str(uuid.uuid4()),
                                "entity": "finding",
                                "id": str(uuid.uuid4()),
                                "action": "create",
                                "base_version": None,
                                "fields": {
                                    "inspection_id": inspection,
                                    "item_key": key,
                                    "result": "compliant",
                                    "instances": 0,
                                    "note": "bench",
                                },
                            }
                        )
                assert len(changes) == FINDINGS, len(changes)
                page.evaluate(QUEUE, changes)
                # The app syncs on start: hold pushes back until the timer runs.
                page.route("**/api/v1/sync/push", lambda route: route.abort())
                page.goto(base + "/sync")
                page.get_by_label("PIN", exact=True).fill(PIN)  # every start is locked
                page.get_by_role("button", name="Unlock").click()
                page.get_by_test_id("unsent-count").filter(has_text=str(FINDINGS)).wait_for()
                page.get_by_role("button", name="Sync now").wait_for()
                page.wait_for_function(
                    "() => !document.querySelector('insp-app').shadowRoot.querySelector('.syncbar')"
                )
                page.unroute("**/api/v1/sync/push")
                page.evaluate("() => Object.assign(window.__inspectorCryptoStats, {sealMs: 0, openMs: 0})")
                start = time.perf_counter()
                page.get_by_role("button", name="Sync now").click()
                page.get_by_test_id("unsent-count").filter(has_text=re.compile(r"^0$")).wait_for(
                    timeout=300_000
                )  # "500" contains "0": match the whole text
                page.get_by_role("button", name="Sync now").filter(has_text="Sync now").wait_for()
                page.wait_for_function(
                    "() => !document.querySelector('insp-app').shadowRoot.querySelector('.syncbar')",
                    timeout=300_000,
                )
                seconds = time.perf_counter() - start
                # Of which sealing and opening rows (the local encryption).
                crypto_ms = page.evaluate(
                    "() => window.__inspectorCryptoStats.sealMs + window.__inspectorCryptoStats.openMs"
                )
                browser.close()
        finally:
            server.shutdown()
            dispose(app)
    print(
        json.dumps(
            {
                "pwa_sync_500_s": round(seconds, 3),
                "pwa_sync_500_records_per_s": round(FINDINGS / seconds, 1),
                "pwa_sync_500_crypto_ms": round(crypto_ms, 1),
                "findings": FINDINGS,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
