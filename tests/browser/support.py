"""Steps the browser tests share: log in, wait for the offline shell, read the outbox."""

from __future__ import annotations

import re
import struct
import time
import zlib
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

DEMO_PASSWORD = "inspector-demo"
#: The PIN the tests set at the first login on each browser context (one context, one tablet).
DEMO_PIN = "482915"


def login(page: Any, base: str, username: str = "investigator", pin: str = DEMO_PIN) -> None:
    """Password login, then the PIN the first login on a device asks for."""
    page.goto(base + "/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    set_pin(page, pin)
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()


def set_pin(page: Any, pin: str = DEMO_PIN) -> None:
    expect(page.get_by_role("heading", name="Set a PIN for this tablet")).to_be_visible()
    page.get_by_label("New PIN").fill(pin)
    page.get_by_label("Repeat the PIN").fill(pin)
    page.get_by_role("button", name="Set PIN").click()
    expect(page.get_by_role("heading", name="Set a PIN for this tablet")).to_have_count(0)


def unlock(page: Any, pin: str = DEMO_PIN) -> None:
    """The app starts locked (every page load) and locks when idle: the PIN opens it, offline too."""
    expect(page.get_by_role("heading", name="Inspector is locked")).to_be_visible()
    page.get_by_label("PIN", exact=True).fill(pin)
    page.get_by_role("button", name="Unlock").click()
    expect(page.get_by_role("heading", name="Inspector is locked")).to_have_count(0)


def wait_until(page: Any, script: str, arg: Any = None, timeout: float = 20_000) -> Any:
    """Evaluate ``script`` until it yields something truthy (``timeout`` in ms).

    Not ``page.wait_for_function``: it does not await a promise, and a promise is
    truthy, so an async predicate there returns at once without waiting.
    """
    deadline = time.monotonic() + timeout / 1000
    while True:
        value = page.evaluate(script, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout / 1000:.0f} s: {script[:120]}")
        page.wait_for_timeout(100)


def wait_offline_ready(page: Any) -> None:
    """The service worker is active, so the shell is precached."""
    wait_until(
        page,
        "navigator.serviceWorker.ready.then(r => !!r.active && r.active.state === 'activated')",
        timeout=20_000,
    )


def wait_synced(page: Any, timeout: float = 20_000) -> None:
    """The last sync finished (meta.last_sync set) and nothing is being synced."""
    wait_until(
        page,
        """async () => {
            const rows = await window.__dbAll('meta');
            return rows.some(r => r.key === 'last_sync' && r.value);
        }""",
        timeout=timeout,
    )


DB_HELPERS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
window.__dbAll = (store) => new Promise((resolve, reject) => {
  const open = indexedDB.open('inspector');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains(store)) { db.close(); resolve([]); return; }
    const req = db.transaction(store, 'readonly').objectStore(store).getAll();
    req.onsuccess = () => { db.close(); resolve(req.result); };
    req.onerror = () => { db.close(); reject(req.error); };
  };
});
"""


def install_db_helpers(context: Any) -> None:
    context.add_init_script(DB_HELPERS)


def store(page: Any, name: str) -> list[dict[str, Any]]:
    """Every row of one IndexedDB object store of the app."""
    rows: list[dict[str, Any]] = page.evaluate(
        "async (name) => { const rows = await window.__dbAll(name); "
        "return rows.map(r => JSON.parse(JSON.stringify(r, (k, v) => "
        "v instanceof ArrayBuffer ? {byteLength: v.byteLength} : v))); }",
        name,
    )
    return rows


def outbox(page: Any) -> list[dict[str, Any]]:
    return sorted(store(page, "outbox"), key=lambda c: c["seq"])


def unsent_badge(page: Any) -> Any:
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Sync"))


def png_bytes(width: int = 8, height: int = 6, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A small valid PNG (the server checks magic numbers)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )


AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}}

#: Interactive elements anywhere in the page, shadow roots included, smaller than 44 px.
SMALL_TARGETS = """
() => {
  const out = [];
  const visit = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) visit(el.shadowRoot);
      const tag = el.tagName.toLowerCase();
      const type = (el.getAttribute('type') || '').toLowerCase();
      let target = null;
      const link = tag === 'a' && el.hasAttribute('href');
      if (link || tag === 'button' || tag === 'select' || tag === 'textarea') target = el;
      else if (tag === 'input' && type === 'checkbox') target = el.closest('label') || el;
      else if (tag === 'input' && type === 'file') target = el.closest('label');
      else if (tag === 'input') target = el;
      if (!target) continue;
      const box = target.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      if (box.height < 44 || box.width < 44) {
        const text = (target.textContent || target.getAttribute('aria-label') || '').trim();
        const size = `${Math.round(box.width)}x${Math.round(box.height)}`;
        out.push(`${tag}${type ? '[' + type + ']' : ''} "${text.slice(0, 40)}" ${size}`);
      }
    }
  };
  visit(document);
  return out;
}
"""


def check_screen(page: Any, name: str) -> None:
    results = Axe().run(page, options=AXE_OPTIONS)
    bad = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"axe on {name}: {bad}"
    csp = page.evaluate("window.__csp || []")
    assert not csp, f"Content-Security-Policy violations on {name}: {csp}"
    small = page.evaluate(SMALL_TARGETS)
    assert not small, f"touch targets under 44px on {name}: {small}"
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px"


def open_first_inspection(page: Any) -> str:
    """Open the queue's first inspection and wait until its checklist shows (a test that goes
    offline next must not cut the page off while it loads); returns its id."""
    page.get_by_role("link", name=re.compile("^Open inspection of")).first.click()
    expect(page.get_by_role("heading", name="Summary and recommendation")).to_be_visible()
    expect(page.locator("article[data-item]").first).to_be_visible()
    match = re.search(r"/inspections/([0-9a-f-]{36})", page.url)
    assert match, page.url
    return match.group(1)
