import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { InspectorDB, db, getMeta, setMeta, useDatabase } from "./db";
import { checkEviction, handleOutcome } from "./runtime";

let n = 0;
const store = new Map<string, string>();

beforeEach(async () => {
  useDatabase(new InspectorDB(`test-runtime-${++n}`));
  await db.open();
  store.clear();
  vi.stubGlobal("localStorage", {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => void store.set(k, v),
    removeItem: (k: string) => void store.delete(k),
  });
});

afterEach(() => vi.unstubAllGlobals());

describe("eviction", () => {
  it("a first start is not an eviction", async () => {
    expect(await checkEviction()).toBe(false);
    expect(store.get("inspector.marker")).toBe(await getMeta("marker"));
  });

  it("a marker remembered outside IndexedDB but gone from it means the browser evicted our data", async () => {
    await checkEviction();
    useDatabase(new InspectorDB(`test-runtime-evicted-${n}`));
    await db.open();
    await setMeta("cursor", "stale");
    expect(await checkEviction()).toBe(true);
    expect(await getMeta("evicted_at")).toBeTruthy();
    expect(await getMeta("cursor")).toBeNull(); // pull everything again
  });

  it("the notice goes away after the next good sync", async () => {
    await setMeta("evicted_at", "2026-11-30T00:00:00Z");
    await handleOutcome({ ok: true, pushed: 0, pulled: 3 });
    expect(await getMeta("evicted_at")).toBeNull();
  });
});

describe("sync outcomes", () => {
  it("401 asks for a login, 426 for a reload; the queue is not touched", async () => {
    await handleOutcome({ ok: false, reason: "unauthorized", message: "" });
    expect(await getMeta("needs_login")).toBe(true);
    await handleOutcome({ ok: false, reason: "outdated", message: "" });
    expect(await getMeta("outdated")).toBe(true);
  });

  it("a revoked device clears every local record, the queue, photos and its device id", async () => {
    await setMeta("device_id", "d1");
    store.set("inspector.device_id", "d1");
    await db.records.put({ entity: "lead", id: "x", version: 1, deleted: false, data: { id: "x" }, view: { id: "x" }, pending: 0, parent: "", gen: "" });
    await db.outbox.put({ op_id: "o", seq: 1, entity: "lead", id: "x", action: "update", base_version: 1, fields: {}, client_time: "", sent: 0 });
    await db.blobs.put({ sha256: "s", type: "image/png", bytes: new ArrayBuffer(1), size: 1, uploaded: 0, created_at: "" });
    await handleOutcome({ ok: false, reason: "revoked", message: "" });
    expect(await db.records.count()).toBe(0);
    expect(await db.outbox.count()).toBe(0);
    expect(await db.blobs.count()).toBe(0);
    expect(await getMeta("device_id")).toBeUndefined();
    expect(store.has("inspector.device_id")).toBe(false);
    expect(await getMeta("wiped")).toBe(true);
  });
});
