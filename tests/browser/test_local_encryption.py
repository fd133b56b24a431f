"""What the tablet keeps is encrypted: a PIN unlocks it offline, it locks when idle,
ten wrong PINs erase it, and a revoked device erases its data and keys at its next contact."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    DEMO_PASSWORD,
    DEMO_PIN,
    check_screen,
    install_db_helpers,
    login,
    open_first_inspection,
    png_bytes,
    set_pin,
    unlock,
    unsent_badge,
    wait_synced,
)

pytestmark = pytest.mark.browser

NOTE = "Bound book kept under register drawer 7Q"
SERIAL = "SN-ZQ4471-X"
SUBJECT = "Margarethe Oyelaran-Voss"

#: Every object store of the app's database, read with the raw IndexedDB API (not the app):
#: keys, values and every index key, binary fields as Latin-1 text so plaintext inside them shows too.
RAW_DUMP = """
async () => {
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open('inspector');
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const walk = (source, keysOnly) => new Promise((resolve, reject) => {
    const out = [];
    const req = keysOnly ? source.openKeyCursor() : source.openCursor();
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const c = req.result;
      if (!c) return resolve(out);
      out.push(keysOnly ? {key: c.key, primaryKey: c.primaryKey} : {key: c.key, value: c.value});
      c.continue();
    };
  });
  const dump = {};
  for (const name of Array.from(db.objectStoreNames)) {
    const store = db.transaction(name, 'readonly').objectStore(name);
    const rows = await walk(store, false);
    const indexes = {};
    for (const index of Array.from(store.indexNames)) {
      indexes[index] = await walk(db.transaction(name, 'readonly').objectStore(name).index(index), true);
    }
    dump[name] = {rows, indexes};
  }
  db.close();
  const latin1 = (bytes) => Array.from(bytes, (b) => String.fromCharCode(b)).join('');
  return JSON.stringify(dump, (k, v) => {
    if (v instanceof ArrayBuffer) return latin1(new Uint8Array(v));
    if (ArrayBuffer.isView(v)) return latin1(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    return v;
  });
}
"""


def raw_dump(page: Any) -> str:
    text: str = page.evaluate(RAW_DUMP)
    return text


def row_count(page: Any, name: str) -> int:
    count: int = page.evaluate("async (name) => (await window.__dbAll(name)).length", name)
    return count


def assert_sealed(dump: str) -> None:
    for secret in (NOTE, SERIAL, SUBJECT, "IHDR"):  # IHDR: inside every PNG
        assert secret not in dump, f"{secret!r} is stored in clear"


def capture_finding_and_lead(page: Any) -> str:
    page.get_by_role("link", name=re.compile("^Open inspection of")).first.click()
    inspection = re.search(r"/inspections/([0-9a-f-]{36})", page.url).group(1)  # type: ignore[union-attr]
    item = page.locator("article[data-item]").first
    item.get_by_role("button", name="Violation", exact=True).click()
    item.get_by_label("Note").fill(NOTE)
    item.get_by_label("Note").blur()
    item.locator("input[type=file]").set_input_files(
        files=[{"name": "shelf.png", "mimeType": "image/png", "buffer": png_bytes(rgb=(9, 8, 7))}]
    )
    expect(item.get_by_role("img", name=re.compile("^Photo 1"))).to_be_visible()
    page.get_by_role("link", name="Capture lead").click()
    expect(page.get_by_role("heading", name="New lead")).to_be_visible()
    page.get_by_label("Multiple sales").check()
    page.get_by_role("button", name="Add firearm").click()
    firearm = page.get_by_role("group", name="Firearm 1")
    firearm.get_by_label("Make").fill("Glock")
    firearm.get_by_label("Serial").fill(SERIAL)
    firearm.get_by_label("Type").select_option("pistol")
    page.get_by_role("button", name="Add subject").click()
    page.get_by_role("group", name="Subject 1").get_by_label("Name").fill(SUBJECT)
    page.get_by_label("Narrative").fill("Two handguns twice in five days.")
    page.get_by_role("button", name="Submit lead").click()
    expect(page.get_by_role("heading", name="Lead", exact=True)).to_be_visible()
    return inspection


def test_indexeddb_holds_no_note_serial_name_or_photo_in_clear(
    context: Any, page: Any, live_server: Any
) -> None:
    install_db_helpers(context)
    page.goto(live_server.url + "/")
    page.get_by_label("User name").fill("investigator")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Set a PIN for this tablet")).to_be_visible()
    page.get_by_label("New PIN").fill("12345")
    page.get_by_label("Repeat the PIN").fill("12345")
    page.get_by_role("button", name="Set PIN").click()
    expect(page.get_by_role("alert")).to_contain_text("6 to 12 digits")
    check_screen(page, "set a PIN")
    set_pin(page)
    wait_synced(page)
    context.set_offline(True)
    capture_finding_and_lead(page)
    # Offline: the outbox, the local views and the photo's bytes hold them.
    expect(page.get_by_role("group", name="Firearm 1").get_by_label("Serial")).to_have_value(SERIAL)
    assert row_count(page, "outbox") >= 3 and row_count(page, "blobs") == 1
    dump = raw_dump(page)
    assert '"enc"' in dump and len(dump) > 10_000  # the dump is real: sealed rows are in it
    assert_sealed(dump)

    # After a sync the server copies and receipts hold them as well.
    context.set_offline(False)
    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Sync")).click()
    page.get_by_role("button", name="Sync now").click()
    expect(page.get_by_test_id("unsent-count")).to_have_text("0", timeout=30_000)
    assert row_count(page, "receipts") >= 3
    assert_sealed(raw_dump(page))

    # Logging out with nothing unsent takes the data and the keys.
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_label("User name")).to_be_visible()
    for name in ("records", "outbox", "blobs", "receipts", "vault"):
        assert row_count(page, name) == 0, name


def test_pin_unlocks_offline_and_ten_wrong_pins_erase_the_tablet(
    context: Any, page: Any, live_server: Any
) -> None:
    install_db_helpers(context)
    login(page, live_server.url)
    wait_synced(page)
    open_first_inspection(page)
    context.set_offline(True)
    item = page.locator("article[data-item]").first
    item.get_by_role("button", name="N/A").click()
    expect(unsent_badge(page)).to_contain_text("2")

    page.get_by_role("button", name="Lock").click()
    locked = page.get_by_role("heading", name="Inspector is locked")
    expect(locked).to_be_visible()
    expect(page.get_by_role("article")).to_have_count(0)  # nothing of the work shows
    pin = page.get_by_label("PIN", exact=True)
    wrong = page.get_by_role("alert").filter(has_text=re.compile("^Wrong PIN"))
    pin.fill("000000")
    page.get_by_role("button", name="Unlock").click()
    expect(wrong).to_contain_text("9 tries left")
    unlock(page)  # offline: the PIN alone opens the local data
    expect(item.get_by_role("button", name="N/A")).to_have_attribute("aria-pressed", "true")
    expect(unsent_badge(page)).to_contain_text("2")

    page.get_by_role("button", name="Lock").click()
    warning = page.get_by_role("alert").filter(has_text="erases its local data")
    for n in range(1, 10):
        pin.fill(f"00000{n}")
        page.get_by_role("button", name="Unlock").click()
        left = 10 - n
        expect(wrong).to_contain_text(f"{left} tr")
        if left > 3:
            expect(warning).to_have_count(0)
        else:  # the last tries are announced, with what would be lost
            expect(warning).to_contain_text(f"After {left} more wrong")
            expect(warning).to_contain_text("2 unsent change(s), which are then lost")
    check_screen(page, "lock screen with the last-tries warning")
    assert row_count(page, "outbox") == 2  # still there before the tenth

    pin.fill("999999")
    page.get_by_role("button", name="Unlock").click()
    expect(page.get_by_role("alert").filter(has_text="Too many wrong PINs")).to_be_visible()
    expect(page.get_by_label("User name")).to_be_visible()
    for name in ("records", "outbox", "blobs", "receipts", "vault"):
        assert row_count(page, name) == 0, name


def test_the_app_locks_when_idle(context: Any, page: Any, live_server: Any) -> None:
    # A device may shorten the 15 minutes (never lengthen them): 3 s here.
    context.add_init_script("localStorage.setItem('inspector.idle_lock_ms', '3000')")
    install_db_helpers(context)
    login(page, live_server.url)
    page.get_by_role("link", name=re.compile("^Open inspection of")).first.click()
    expect(page.get_by_role("heading", name="Summary and recommendation")).to_be_visible()
    expect(page.get_by_role("heading", name="Inspector is locked")).to_be_visible(timeout=10_000)
    expect(page.get_by_role("heading", name="Summary and recommendation")).to_have_count(0)
    unlock(page)
    expect(page.get_by_role("heading", name="Summary and recommendation")).to_be_visible()


def admin_headers(live_server: Any) -> dict[str, str]:
    token = live_server.app.test_client().post(
        "/api/v1/auth/token", json={"username": "admin", "password": DEMO_PASSWORD}
    )
    return {"Authorization": f"Bearer {token.get_json()['access_token']}"}


def test_revoked_device_loses_data_and_keys_at_its_next_contact(
    context: Any, page: Any, live_server: Any
) -> None:
    base = live_server.url
    install_db_helpers(context)
    login(page, base)
    wait_synced(page)
    assert row_count(page, "vault") == 1
    device = page.evaluate(
        "async () => (await window.__dbAll('meta')).find(r => r.key === 'device_id').value"
    )
    revoked = live_server.app.test_client().post(
        f"/api/v1/devices/{device}/revoke", headers=admin_headers(live_server)
    )
    assert revoked.status_code in (200, 204), revoked.get_data(as_text=True)

    # In use and unlocked: the tablet comes back online and checks its session (the next contact).
    context.set_offline(True)
    context.set_offline(False)
    expect(page.get_by_text("This device was revoked")).to_be_visible()
    for name in ("records", "outbox", "blobs", "receipts", "vault"):
        assert row_count(page, name) == 0, name
    # The old PIN opens nothing: there is no lock screen, only the login.
    page.reload()
    expect(page.get_by_label("User name")).to_be_visible()
    expect(page.get_by_role("heading", name="Inspector is locked")).to_have_count(0)
    assert DEMO_PIN  # the PIN was never sent anywhere: it only unwrapped the local key


def test_disabled_user_loses_local_data_and_keys_at_the_next_contact(
    context: Any, page: Any, live_server: Any
) -> None:
    install_db_helpers(context)
    login(page, live_server.url)
    wait_synced(page)
    assert row_count(page, "records") > 0
    from inspector.extensions import db
    from inspector.offices.models import User

    with live_server.app.app_context():
        user_id = db.session.query(User).filter_by(username="investigator").one().id
    disabled = live_server.app.test_client().post(
        f"/api/v1/users/{user_id}/disable", headers=admin_headers(live_server)
    )
    assert disabled.status_code == 200, disabled.get_data(as_text=True)

    context.set_offline(True)
    context.set_offline(False)  # back online: the session check is the next contact
    expect(page.get_by_label("User name")).to_be_visible()
    for name in ("records", "outbox", "blobs", "receipts", "vault"):
        assert row_count(page, name) == 0, name
