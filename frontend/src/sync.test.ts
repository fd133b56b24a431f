import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { InspectorDB, db, getMeta, setMeta, useDatabase } from "./db";
import { enqueue, queuedChanges, storeServerCopy } from "./outbox";
import { type PullPage, nextBatch, pullAll, pushAll, syncNow } from "./sync";

let n = 0;
const DEVICE = "dddddddd-dddd-4ddd-8ddd-dddddddddddd";
const INSPECTION = "11111111-1111-4111-8111-111111111111";

type Handler = (url: URL, init: RequestInit) => Response | Promise<Response>;
let calls: { method: string; url: URL; body: unknown }[] = [];

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": status < 300 ? "application/json" : "application/problem+json" } });
}

function serve(handler: Handler): void {
  vi.stubGlobal("fetch", async (input: string, init: RequestInit = {}) => {
    const url = new URL(input, "http://tablet.test");
    let body: unknown = init.body;
    if (typeof init.body === "string") body = JSON.parse(init.body);
    calls.push({ method: init.method ?? "GET", url, body });
    return handler(url, init);
  });
}

function page(changes: PullPage["changes"], cursor: string, has_more = false, resync = false): PullPage {
  return { changes, cursor, has_more, resync };
}

function insp(id: string, version: number, extra: Record<string, unknown> = {}) {
  return { entity: "inspection", id, version, deleted: false, record: { id, version, status: "assigned", ...extra } };
}

beforeEach(async () => {
  useDatabase(new InspectorDB(`test-sync-${++n}`));
  await db.open();
  await setMeta("device_id", DEVICE);
  calls = [];
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("pull and the cursor", () => {
  it("applies every page and stores each page's cursor after it", async () => {
    const pages: Record<string, PullPage> = {
      "": page([insp("a0000000-0000-4000-8000-000000000001", 1)], "c1", true),
      c1: page([insp("a0000000-0000-4000-8000-000000000002", 2)], "c2", false),
    };
    serve((url) => json(pages[url.searchParams.get("cursor") ?? ""]));
    expect(await pullAll()).toBe(2);
    expect(await getMeta("cursor")).toBe("c2");
    expect(await db.records.count()).toBe(2);
    expect(calls[0].url.searchParams.get("device_id")).toBe(DEVICE);
    expect(calls[0].url.searchParams.get("schema_version")).toBe("1");
    expect(calls[0].url.searchParams.has("cursor")).toBe(false);
    expect(calls[1].url.searchParams.get("cursor")).toBe("c1");
  });

  it("keeps the last applied cursor when the network fails, and resumes from it", async () => {
    serve((url) => {
      if (url.searchParams.get("cursor") === "c1") throw new TypeError("Failed to fetch");
      return json(page([insp("a0000000-0000-4000-8000-000000000001", 1)], "c1", true));
    });
    await expect(pullAll()).rejects.toThrow();
    expect(await getMeta("cursor")).toBe("c1");
    expect(await db.records.count()).toBe(1);
    calls = [];
    serve(() => json(page([], "c1", false)));
    await pullAll();
    expect(calls[0].url.searchParams.get("cursor")).toBe("c1");
    expect(await getMeta("cursor")).toBe("c1"); // an empty page returns the cursor it was given
  });

  it("applies a page all or nothing: a failing page leaves records and cursor as they were", async () => {
    await setMeta("cursor", "c0");
    serve(() =>
      json(page([insp("a0000000-0000-4000-8000-000000000001", 1), { entity: "inspection", id: undefined as unknown as string, version: 1, deleted: false, record: {} as never }], "c1")),
    );
    await expect(pullAll()).rejects.toThrow();
    expect(await getMeta("cursor")).toBe("c0");
    expect(await db.records.count()).toBe(0);
  });

  it("tombstones remove the server copy", async () => {
    const id = "a0000000-0000-4000-8000-000000000001";
    await setMeta("cursor", "c0");
    await db.transaction("rw", [db.records, db.outbox], () => storeServerCopy("inspection", id, 1, { id, version: 1 }, false));
    serve(() => json(page([{ entity: "inspection", id, version: 2, deleted: true, record: null }], "c1")));
    await pullAll();
    const row = await db.records.get(["inspection", id] as unknown as string);
    expect(row?.view ?? null).toBeNull();
  });

  it("resync: replaces the server copies with a fresh snapshot and keeps the queue", async () => {
    const kept = "a0000000-0000-4000-8000-000000000001";
    const gone = "a0000000-0000-4000-8000-000000000002";
    const edited = "a0000000-0000-4000-8000-000000000003";
    await setMeta("cursor", "old-epoch");
    await db.transaction("rw", [db.records, db.outbox], async () => {
      for (const id of [kept, gone, edited]) await storeServerCopy("inspection", id, 1, { id, version: 1, summary: "" }, false);
    });
    await enqueue("inspection", edited, "update", { summary: "offline work" });
    serve((url) => {
      if (url.searchParams.get("cursor") === "old-epoch") return json(page([], "old-epoch", false, true));
      return json(page([insp(kept, 2), insp(edited, 1)], "new-epoch"));
    });
    await pullAll();
    expect(calls.map((c) => c.url.searchParams.get("cursor"))).toEqual(["old-epoch", null]);
    expect(await getMeta("cursor")).toBe("new-epoch");
    expect((await db.records.get(["inspection", kept] as unknown as string))?.version).toBe(2);
    expect((await db.records.get(["inspection", gone] as unknown as string))?.view ?? null).toBeNull();
    const row = await db.records.get(["inspection", edited] as unknown as string);
    expect(row?.view).toMatchObject({ summary: "offline work" });
    expect(await queuedChanges()).toHaveLength(1);
  });

  it("does not let an older pulled version overwrite a receipted newer one", async () => {
    const id = "a0000000-0000-4000-8000-000000000001";
    await setMeta("cursor", "c0");
    await db.transaction("rw", [db.records, db.outbox], () => storeServerCopy("inspection", id, 5, { id, version: 5, summary: "new" }, false));
    serve(() => json(page([insp(id, 4, { summary: "old" })], "c1")));
    await pullAll();
    expect((await db.records.get(["inspection", id] as unknown as string))?.view).toMatchObject({ summary: "new" });
  });
});

describe("push", () => {
  it("uploads listed blobs first, sends the queue in seq order, and drops receipted changes", async () => {
    const finding = "f0000000-0000-4000-8000-000000000001";
    const digest = "ab".repeat(32);
    await db.blobs.put({ sha256: digest, type: "image/png", bytes: new ArrayBuffer(4), size: 4, uploaded: 0, created_at: "" });
    await enqueue("finding", finding, "create", { inspection_id: INSPECTION, item_key: "license-posted", result: "violation", instances: 3, attachments: [digest] });
    serve((url, init) => {
      if (url.pathname.startsWith("/api/v1/blobs/")) return new Response(null, { status: 201 });
      const body = JSON.parse(String(init.body));
      return json({
        receipts: body.changes.map((c: { op_id: string; id: string; fields: object }) => ({
          op_id: c.op_id,
          entity: "finding",
          id: c.id,
          status: "applied",
          version: 1,
          record: { id: c.id, version: 1, ...c.fields },
          replayed: false,
        })),
        last_seq: body.changes.at(-1).seq,
        server_time: "2026-11-28T15:20:00Z",
      });
    });
    expect(await pushAll()).toBe(1);
    expect(calls.map((c) => `${c.method} ${c.url.pathname}`)).toEqual([`PUT /api/v1/blobs/${digest}`, "POST /api/v1/sync/push"]);
    const body = calls[1].body as { device_id: string; schema_version: number; changes: { seq: number; action: string; base_version: null }[] };
    expect(body.device_id).toBe(DEVICE);
    expect(body.schema_version).toBe(1);
    expect(body.changes[0]).toMatchObject({ action: "create", base_version: null, seq: 1 });
    expect(await queuedChanges()).toHaveLength(0);
    expect((await db.blobs.get(digest))?.uploaded).toBe(1);
    expect((await db.records.get(["finding", finding] as unknown as string))?.version).toBe(1);
  });

  it("keeps changes without a receipt (and marks them sent, so they are never squashed)", async () => {
    await db.transaction("rw", [db.records, db.outbox], () => storeServerCopy("inspection", INSPECTION, 1, { id: INSPECTION, version: 1 }, false));
    await enqueue("inspection", INSPECTION, "update", { summary: "a" });
    serve(() => {
      throw new TypeError("Failed to fetch");
    });
    await expect(pushAll()).rejects.toThrow();
    const queue = await queuedChanges();
    expect(queue).toHaveLength(1);
    expect(queue[0].sent).toBe(1);
    await enqueue("inspection", INSPECTION, "update", { summary: "b" });
    expect(await queuedChanges()).toHaveLength(2);
  });

  it("a batch stops before an update that needs its create's receipt", () => {
    const base = { entity: "lead", fields: {}, client_time: "", sent: 0 as const };
    const queue = [
      { ...base, op_id: "1", seq: 1, id: "L1", action: "create" as const, base_version: null },
      { ...base, op_id: "2", seq: 2, id: "L2", action: "create" as const, base_version: null },
      { ...base, op_id: "3", seq: 3, id: "L1", action: "update" as const, base_version: null },
    ];
    expect(nextBatch(queue).map((c) => c.op_id)).toEqual(["1", "2"]);
    expect(nextBatch(queue, 1).map((c) => c.op_id)).toEqual(["1"]);
  });

  it("sends an update queued after a sent create once the create's receipt gives it a base", async () => {
    const lead = "b0000000-0000-4000-8000-000000000001";
    await enqueue("lead", lead, "create", { narrative: "x" });
    await db.outbox.toCollection().modify({ sent: 1 });
    await enqueue("lead", lead, "update", { narrative: "y" });
    const bodies: { changes: { action: string; base_version: number | null; fields: object }[] }[] = [];
    serve((_url, init) => {
      const body = JSON.parse(String(init.body));
      bodies.push(body);
      return json({
        receipts: body.changes.map((c: { op_id: string; id: string; action: string }, i: number) => ({
          op_id: c.op_id,
          entity: "lead",
          id: c.id,
          status: "applied",
          version: c.action === "create" ? 1 : 2,
          record: { id: c.id, version: c.action === "create" ? 1 : 2, narrative: i ? "y" : "x" },
        })),
        last_seq: 2,
        server_time: "",
      });
    });
    await pushAll();
    expect(bodies).toHaveLength(2);
    expect(bodies[0].changes.map((c) => c.action)).toEqual(["create"]);
    expect(bodies[1].changes[0]).toMatchObject({ action: "update", base_version: 1, fields: { narrative: "y" } });
    expect(await queuedChanges()).toHaveLength(0);
  });

  it("426 client-outdated keeps the queue and says so", async () => {
    await db.transaction("rw", [db.records, db.outbox], () => storeServerCopy("inspection", INSPECTION, 1, { id: INSPECTION, version: 1 }, false));
    await enqueue("inspection", INSPECTION, "update", { summary: "a" });
    serve(() => json({ type: "/problems/client-outdated", title: "Client outdated", status: 426 }, 426));
    const outcome = await syncNow();
    expect(outcome).toMatchObject({ ok: false, reason: "outdated" });
    expect(await queuedChanges()).toHaveLength(1);
  });

  it("401 while syncing asks for a login and keeps the queue", async () => {
    await db.transaction("rw", [db.records, db.outbox], () => storeServerCopy("inspection", INSPECTION, 1, { id: INSPECTION, version: 1 }, false));
    await enqueue("inspection", INSPECTION, "update", { summary: "a" });
    serve(() => json({ type: "/problems/token-expired", title: "Token expired", status: 401 }, 401));
    const outcome = await syncNow();
    expect(outcome).toMatchObject({ ok: false, reason: "unauthorized" });
    expect(await queuedChanges()).toHaveLength(1);
  });

  it("a revoked device is told to wipe", async () => {
    serve(() => json({ type: "/problems/device-revoked", title: "Device revoked", status: 401, wipe: true }, 401));
    expect(await syncNow()).toMatchObject({ ok: false, reason: "revoked" });
  });

  it("stores last_seq so later changes keep ascending", async () => {
    await db.transaction("rw", [db.records, db.outbox], () => storeServerCopy("inspection", INSPECTION, 1, { id: INSPECTION, version: 1 }, false));
    const a = await enqueue("inspection", INSPECTION, "update", { summary: "a" });
    serve(() => json({ receipts: [{ op_id: a.op_id, entity: "inspection", id: INSPECTION, status: "applied", version: 2, record: { id: INSPECTION, version: 2 } }], last_seq: 77, server_time: "" }));
    await pushAll();
    await enqueue("inspection", INSPECTION, "update", { summary: "b" });
    expect((await queuedChanges())[0].seq).toBe(78);
  });
});
