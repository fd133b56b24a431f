import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InspectorDB, db, getMeta, setMeta, useDatabase } from "./db";
import { enqueue } from "./outbox";
import { LockedError, forgetDataKey, hasDataKey, pack, unpack } from "./sealed";
import {
  IDLE_LOCK_MS,
  MAX_ATTEMPTS,
  PIN_ITERATIONS,
  attemptsLeft,
  ensureDataKey,
  idleLockMs,
  lock,
  lockState,
  setPin,
  startState,
  unlock,
} from "./vault";

/** Unit tests only: the product always derives with PIN_ITERATIONS. */
const FAST = 1_000;
const PIN = "246810";
const INSPECTION = "11111111-1111-4111-8111-111111111111";
const FINDING = "22222222-2222-4222-8222-222222222222";
const SECRETS = ["Serial ZX-99812 missing from A&D", "Jonathan Q. Straw", "ZX-99812", "Glock 19"];

let n = 0;
let name = "";
beforeEach(async () => {
  name = `test-vault-${++n}`;
  useDatabase(new InspectorDB(name));
  await db.open();
});

afterEach(() => {
  globalThis.localStorage?.removeItem?.("inspector.idle_lock_ms");
});

/** Every row of every store, read with the raw IndexedDB API (no Dexie, no middleware). */
async function rawDump(): Promise<string> {
  db.close();
  const idb: IDBDatabase = await new Promise((resolve, reject) => {
    const req = indexedDB.open(name);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const out: Record<string, unknown> = {};
  for (const store of Array.from(idb.objectStoreNames)) {
    out[store] = await new Promise((resolve) => {
      const tx = idb.transaction(store, "readonly");
      const req = tx.objectStore(store).openCursor();
      const rows: unknown[] = [];
      req.onsuccess = () => {
        const cursor = req.result;
        if (!cursor) return resolve(rows);
        rows.push({ key: cursor.key, value: cursor.value });
        cursor.continue();
      };
    });
  }
  idb.close();
  await db.open();
  const text = JSON.stringify(out, (_k, v: unknown) => (v instanceof Uint8Array || v instanceof ArrayBuffer ? new TextDecoder().decode(v) : v));
  return text;
}

async function capture(): Promise<void> {
  await enqueue("finding", FINDING, "create", { inspection_id: INSPECTION, item_key: "ad-1", result: "violation", note: SECRETS[0] });
  await enqueue("lead", "33333333-3333-4333-8333-333333333333", "create", {
    inspection_id: INSPECTION,
    subjects: [{ name: SECRETS[1] }],
    firearms: [{ serial: SECRETS[2], make: SECRETS[3] }],
  });
  await db.blobs.put({ sha256: "ab".repeat(32), type: "image/png", bytes: new TextEncoder().encode(`photo of ${SECRETS[2]}`).buffer, size: 24, uploaded: 0, created_at: "2026-01-01T00:00:00Z" });
  await setMeta("profile", { id: "u1", username: "investigator", display_name: "Ivy Investigator" });
}

describe("the encryption middleware", () => {
  it("keeps names, serials, notes and photos out of what IndexedDB stores", async () => {
    await capture();
    const dump = await rawDump();
    for (const secret of [...SECRETS, "Ivy Investigator", "photo of"]) expect(dump).not.toContain(secret);
    // Keys and index fields stay readable, so queries work.
    expect(dump).toContain(FINDING);
    expect(dump).toContain('"enc"');
  });

  it("gives the app back exactly what it stored, through gets, indexes and cursors", async () => {
    await capture();
    const finding = await db.records.get(["finding", FINDING] as unknown as string);
    expect(finding?.view).toMatchObject({ note: SECRETS[0], result: "violation" });
    const children = await db.records.where("[entity+parent]").equals(["finding", INSPECTION]).toArray();
    expect(children.map((r) => r.id)).toEqual([FINDING]);
    const filtered = await db.records.filter((r) => r.view?.note === SECRETS[0]).toArray(); // a cursor
    expect(filtered).toHaveLength(1);
    const [change] = await db.outbox.orderBy("seq").toArray();
    expect(change.fields.note).toBe(SECRETS[0]);
    const blob = await db.blobs.get("ab".repeat(32));
    expect(new TextDecoder().decode(blob!.bytes)).toBe(`photo of ${SECRETS[2]}`);
    expect(await db.blobs.where("uploaded").equals(0).count()).toBe(1);
    await db.outbox.update(change.op_id, { sent: 1 });
    expect((await db.outbox.get(change.op_id))?.fields.note).toBe(SECRETS[0]);
    expect(await getMeta("profile")).toMatchObject({ display_name: "Ivy Investigator" });
  });

  it("reads nothing and writes nothing while locked; bookkeeping stays readable", async () => {
    await capture();
    await setMeta("device_id", "dev-1");
    forgetDataKey();
    await expect(db.records.get(["finding", FINDING] as unknown as string)).rejects.toThrow(LockedError);
    await expect(getMeta("profile")).rejects.toThrow(/locked/);
    await expect(setMeta("profile", { display_name: "x" })).rejects.toThrow(/locked/);
    expect(await getMeta("device_id")).toBe("dev-1");
    expect(await db.outbox.count()).toBe(2);
  });

  it("refuses a ciphertext moved to another row or changed", async () => {
    await capture();
    const rows = (await rawRows("records")) as { enc: unknown; id: string }[];
    const finding = rows.find((r) => r.id === FINDING)!;
    const other = rows.find((r) => r.id !== FINDING)!;
    await putRaw("records", { ...other, enc: finding.enc });
    await expect(db.records.get([(other as unknown as { entity: string }).entity, other.id] as unknown as string)).rejects.toThrow();
  });

  it("packs binary fields along with the JSON", () => {
    const bytes = new Uint8Array([1, 2, 3, 250]).buffer;
    const back = unpack(pack({ a: "x", bytes, nested: { n: 1 } })) as { a: string; bytes: ArrayBuffer; nested: { n: number } };
    expect(back.a).toBe("x");
    expect([...new Uint8Array(back.bytes)]).toEqual([1, 2, 3, 250]);
    expect(back.nested.n).toBe(1);
  });
});

async function rawRows(store: string): Promise<unknown[]> {
  db.close();
  const idb: IDBDatabase = await new Promise((resolve) => {
    const req = indexedDB.open(name);
    req.onsuccess = () => resolve(req.result);
  });
  const rows: unknown[] = await new Promise((resolve) => {
    const req = idb.transaction(store, "readonly").objectStore(store).getAll();
    req.onsuccess = () => resolve(req.result);
  });
  idb.close();
  await db.open();
  return rows;
}

async function putRaw(store: string, row: unknown): Promise<void> {
  db.close();
  const idb: IDBDatabase = await new Promise((resolve) => {
    const req = indexedDB.open(name);
    req.onsuccess = () => resolve(req.result);
  });
  await new Promise((resolve) => {
    const tx = idb.transaction(store, "readwrite");
    tx.objectStore(store).put(row);
    tx.oncomplete = resolve;
  });
  idb.close();
  await db.open();
}

describe("the PIN", () => {
  it("wraps the data key: lock, a wrong PIN counts, the right PIN brings the data back", async () => {
    await capture();
    await setPin(PIN, FAST);
    expect(await lockState()).toBe("unlocked");
    const vault = (await rawRows("vault"))[0] as Record<string, unknown>;
    expect(vault.iterations).toBe(FAST);
    expect(JSON.stringify(vault)).not.toContain(PIN);

    lock();
    expect(hasDataKey()).toBe(false);
    expect(await lockState()).toBe("locked");
    await expect(getMeta("profile")).rejects.toThrow(/locked/);

    expect(await unlock("135790")).toEqual({ ok: false, remaining: MAX_ATTEMPTS - 1, wiped: false });
    expect(await lockState()).toBe("locked");
    expect(await unlock(PIN)).toEqual({ ok: true });
    expect(await attemptsLeft()).toBe(MAX_ATTEMPTS); // the right PIN resets the count
    expect(await getMeta("profile")).toMatchObject({ display_name: "Ivy Investigator" });
    expect((await db.outbox.toArray()).map((c) => c.fields.note)).toContain(SECRETS[0]);
  });

  it("destroys the wrapped key and every local row at the tenth wrong PIN", async () => {
    await capture();
    await setMeta("device_id", "dev-1");
    await setPin(PIN, FAST);
    lock();
    for (let i = 1; i < MAX_ATTEMPTS; i++) {
      expect(await unlock("000000")).toMatchObject({ ok: false, remaining: MAX_ATTEMPTS - i, wiped: false });
    }
    expect(await db.outbox.count()).toBe(2); // the outbox survives until the last try
    expect(await unlock("000000")).toEqual({ ok: false, remaining: 0, wiped: true });
    expect(await lockState()).toBe("none");
    for (const table of [db.records, db.outbox, db.blobs, db.receipts, db.meta, db.vault]) expect(await table.count()).toBe(0);
    expect(await unlock(PIN)).toMatchObject({ ok: false, wiped: true }); // nothing left to unlock
  });

  it("asks for at least six digits and uses 600,000 iterations in the product", async () => {
    await expect(setPin("12345", FAST)).rejects.toThrow(/6 digits/);
    await expect(setPin("abcdef", FAST)).rejects.toThrow(/6 digits/);
    expect(PIN_ITERATIONS).toBeGreaterThanOrEqual(600_000);
  });

  it("makes a fresh key at first login only; never replaces a stored one while locked", async () => {
    forgetDataKey();
    expect(await lockState()).toBe("none");
    expect(await ensureDataKey()).toBe(true);
    expect(await lockState()).toBe("pending");
    expect(await ensureDataKey()).toBe(false);
    lock(); // idle on the PIN screen: a key no PIN guards yet is not thrown away
    expect(hasDataKey()).toBe(true);
    await setPin(PIN, FAST);
    lock();
    await expect(ensureDataKey()).rejects.toThrow(/locked/);
  });

  it("drops rows sealed under a key that no PIN guarded (closed before the PIN was set)", async () => {
    await capture();
    forgetDataKey(); // the page went away while the PIN screen showed
    expect(await startState()).toBe("none");
    expect(await db.records.count()).toBe(0);
  });

  it("seals rows an older app stored in clear when the PIN is set", async () => {
    forgetDataKey();
    await putRaw("meta", { key: "profile", value: { display_name: "Ivy Investigator" } });
    expect(await startState()).toBe("pending"); // a key for the old rows; the shell asks for a PIN
    await setPin(PIN, FAST);
    expect(JSON.stringify(await rawRows("meta"))).not.toContain("Ivy");
    expect(await getMeta("profile")).toMatchObject({ display_name: "Ivy Investigator" });
  });

  it("seals an older app's unsent changes at the first PIN after a login", async () => {
    forgetDataKey();
    const change = { op_id: "op-1", seq: 1, entity: "finding", id: FINDING, action: "update", base_version: 2, fields: { note: SECRETS[0] }, client_time: "", sent: 0 };
    await putRaw("outbox", change);
    expect(await startState()).toBe("none"); // logged out: the login comes first
    await ensureDataKey();
    await setPin(PIN, FAST);
    expect(JSON.stringify(await rawRows("outbox"))).not.toContain(SECRETS[0]);
    expect((await db.outbox.get("op-1"))?.fields.note).toBe(SECRETS[0]);
  });
});

describe("the idle lock", () => {
  it("is 15 minutes; a device may only shorten it", () => {
    expect(IDLE_LOCK_MS).toBe(15 * 60 * 1000);
    const store = new Map<string, string>();
    (globalThis as unknown as { localStorage: Partial<Storage> }).localStorage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
      removeItem: (k: string) => void store.delete(k),
    };
    expect(idleLockMs()).toBe(IDLE_LOCK_MS);
    store.set("inspector.idle_lock_ms", "2000");
    expect(idleLockMs()).toBe(2000);
    store.set("inspector.idle_lock_ms", String(24 * 3600 * 1000));
    expect(idleLockMs()).toBe(IDLE_LOCK_MS);
  });
});
