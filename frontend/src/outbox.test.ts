import "fake-indexeddb/auto";
import { beforeEach, describe, expect, it } from "vitest";
import { InspectorDB, db, setMeta, useDatabase } from "./db";
import { type Receipt, applyReceipts, enqueue, queuedChanges, storeServerCopy } from "./outbox";

let n = 0;
beforeEach(async () => {
  useDatabase(new InspectorDB(`test-outbox-${++n}`));
  await db.open();
});

const INSPECTION = "11111111-1111-4111-8111-111111111111";

async function serverInspection(version = 3, fields: Record<string, unknown> = {}) {
  await db.transaction("rw", [db.records, db.outbox], () =>
    storeServerCopy("inspection", INSPECTION, version, { id: INSPECTION, version, status: "assigned", summary: "", ...fields }, false),
  );
}

async function markSent() {
  await db.outbox.toCollection().modify({ sent: 1 });
}

describe("enqueue", () => {
  it("queues an update with only the changed fields and the version the device holds", async () => {
    await serverInspection(3);
    await enqueue("inspection", INSPECTION, "update", { summary: "ok" });
    const [c] = await queuedChanges();
    expect(c).toMatchObject({ action: "update", base_version: 3, fields: { summary: "ok" }, sent: 0, seq: 1 });
    expect(c.op_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(c.client_time).toMatch(/Z$/);
  });

  it("squashes an unsent change into the previous unsent change of the same record", async () => {
    await serverInspection();
    await enqueue("inspection", INSPECTION, "update", { summary: "a" });
    const second = await enqueue("inspection", INSPECTION, "update", { summary: "b", recommended_outcome: "warning_letter" });
    const queue = await queuedChanges();
    expect(second.squashed).toBe(true);
    expect(queue).toHaveLength(1);
    expect(queue[0].fields).toEqual({ summary: "b", recommended_outcome: "warning_letter" });
  });

  it("squashes edits of a record made here into its create", async () => {
    const id = "22222222-2222-4222-8222-222222222222";
    await enqueue("finding", id, "create", { inspection_id: INSPECTION, item_key: "license-posted", result: "compliant" });
    await enqueue("finding", id, "update", { result: "violation", instances: 3 });
    const queue = await queuedChanges();
    expect(queue).toHaveLength(1);
    expect(queue[0]).toMatchObject({ action: "create", base_version: null, fields: { result: "violation", instances: 3, item_key: "license-posted" } });
    const row = await db.records.get(["finding", id] as unknown as string);
    expect(row?.view).toMatchObject({ id, result: "violation", instances: 3 });
    expect(row?.parent).toBe(INSPECTION);
  });

  it("never squashes into a change that was sent", async () => {
    await serverInspection(3);
    await enqueue("inspection", INSPECTION, "update", { summary: "a" });
    await markSent();
    await enqueue("inspection", INSPECTION, "update", { summary: "b" });
    const queue = await queuedChanges();
    expect(queue).toHaveLength(2);
    expect(queue.map((c) => c.fields)).toEqual([{ summary: "a" }, { summary: "b" }]);
    expect(queue[1].base_version).toBe(3);
    expect(queue[1].seq).toBeGreaterThan(queue[0].seq);
  });

  it("never squashes a status change, in either direction", async () => {
    await serverInspection();
    await enqueue("inspection", INSPECTION, "update", { summary: "a" });
    await enqueue("inspection", INSPECTION, "update", { status: "submitted" });
    await enqueue("inspection", INSPECTION, "update", { summary: "b" });
    const queue = await queuedChanges();
    expect(queue.map((c) => c.fields)).toEqual([{ summary: "a" }, { status: "submitted" }, { summary: "b" }]);
    const row = await db.records.get(["inspection", INSPECTION] as unknown as string);
    expect(row?.view).toMatchObject({ summary: "b", status: "submitted" });
    expect(row?.data).toMatchObject({ summary: "", status: "assigned" });
    expect(row?.pending).toBe(3);
  });

  it("keeps a status change after the edits queued before it", async () => {
    await serverInspection();
    await enqueue("inspection", INSPECTION, "update", { status: "in_progress", started_at: "2026-11-28T14:00:00Z" });
    await enqueue("inspection", INSPECTION, "update", { summary: "x" });
    await enqueue("inspection", INSPECTION, "update", { status: "submitted" });
    const queue = await queuedChanges();
    expect(queue.map((c) => Object.keys(c.fields))).toEqual([["status", "started_at"], ["summary"], ["status"]]);
  });

  it("drops a never-sent create when the record is deleted", async () => {
    const id = "33333333-3333-4333-8333-333333333333";
    await enqueue("lead", id, "create", { narrative: "x" });
    await enqueue("lead", id, "delete");
    expect(await queuedChanges()).toHaveLength(0);
    expect(await db.records.get(["lead", id] as unknown as string)).toBeUndefined();
  });

  it("gives an update of a record whose create is unreceipted no base version", async () => {
    const id = "44444444-4444-4444-8444-444444444444";
    await enqueue("lead", id, "create", { narrative: "x" });
    await markSent();
    await enqueue("lead", id, "update", { narrative: "y" });
    const queue = await queuedChanges();
    expect(queue[1]).toMatchObject({ action: "update", base_version: null });
  });

  it("keeps seq increasing across an emptied queue", async () => {
    await setMeta("seq", 40);
    await serverInspection();
    await enqueue("inspection", INSPECTION, "update", { summary: "a" });
    expect((await queuedChanges())[0].seq).toBe(41);
  });
});

describe("receipts", () => {
  it("removes a change only when its receipt is held, and stores the server state", async () => {
    await serverInspection(3);
    const a = await enqueue("inspection", INSPECTION, "update", { summary: "a" });
    await enqueue("inspection", INSPECTION, "update", { status: "submitted" });
    await markSent();
    const receipt: Receipt = {
      op_id: a.op_id!,
      entity: "inspection",
      id: INSPECTION,
      status: "applied",
      version: 4,
      record: { id: INSPECTION, version: 4, status: "assigned", summary: "a" },
    };
    const matched = await applyReceipts([receipt, { ...receipt, op_id: "99999999-9999-4999-8999-999999999999" }]);
    expect(matched).toHaveLength(1);
    const queue = await queuedChanges();
    expect(queue).toHaveLength(1);
    expect(queue[0].fields).toEqual({ status: "submitted" });
    const row = await db.records.get(["inspection", INSPECTION] as unknown as string);
    expect(row?.version).toBe(4);
    expect(row?.data).toMatchObject({ summary: "a" });
    expect(row?.view).toMatchObject({ summary: "a", status: "submitted" });
    const stored = await db.receipts.get(a.op_id!);
    expect(stored?.status).toBe("applied");
  });

  it("replays are harmless: a second receipt for the same op_id changes nothing", async () => {
    await serverInspection(3);
    const a = await enqueue("inspection", INSPECTION, "update", { summary: "a" });
    const receipt: Receipt = { op_id: a.op_id!, entity: "inspection", id: INSPECTION, status: "applied", version: 4, record: { id: INSPECTION, version: 4, summary: "a" } };
    await applyReceipts([receipt]);
    await enqueue("inspection", INSPECTION, "update", { summary: "b" });
    const again = await applyReceipts([{ ...receipt, replayed: true }]);
    expect(again).toHaveLength(0);
    expect((await queuedChanges()).map((c) => c.fields)).toEqual([{ summary: "b" }]);
  });

  it("a rejected change leaves the queue and the view falls back to the server copy", async () => {
    await serverInspection(3, { summary: "server" });
    const a = await enqueue("inspection", INSPECTION, "update", { summary: "mine" });
    await applyReceipts([
      { op_id: a.op_id!, entity: "inspection", id: INSPECTION, status: "rejected", version: null, record: null, problem: { type: "/problems/validation-error", title: "Invalid input", status: 422 } },
    ]);
    expect(await queuedChanges()).toHaveLength(0);
    const row = await db.records.get(["inspection", INSPECTION] as unknown as string);
    expect(row?.view).toMatchObject({ summary: "server" });
    expect((await db.receipts.get(a.op_id!))?.problem?.title).toBe("Invalid input");
  });

  it("a rejected create removes the local record", async () => {
    const id = "55555555-5555-4555-8555-555555555555";
    const a = await enqueue("lead", id, "create", { narrative: "x" });
    await applyReceipts([{ op_id: a.op_id!, entity: "lead", id, status: "rejected", version: null, record: null, problem: { title: "Forbidden" } }]);
    expect(await db.records.get(["lead", id] as unknown as string)).toBeUndefined();
  });

  it("merged_into replaces the local id, also in changes still queued", async () => {
    const local = "66666666-6666-4666-8666-666666666666";
    const existing = "77777777-7777-4777-8777-777777777777";
    const a = await enqueue("finding", local, "create", { inspection_id: INSPECTION, item_key: "nics-checks", result: "violation", instances: 2 });
    await markSent();
    await enqueue("finding", local, "update", { note: "seen" });
    await applyReceipts([
      {
        op_id: a.op_id!,
        entity: "finding",
        id: existing,
        merged_into: existing,
        status: "merged",
        version: 5,
        record: { id: existing, version: 5, inspection_id: INSPECTION, item_key: "nics-checks", result: "violation", instances: 2 },
      },
    ]);
    expect(await db.records.get(["finding", local] as unknown as string)).toBeUndefined();
    const row = await db.records.get(["finding", existing] as unknown as string);
    expect(row?.version).toBe(5);
    expect(row?.view).toMatchObject({ id: existing, note: "seen", instances: 2 });
    const queue = await queuedChanges();
    expect(queue).toHaveLength(1);
    expect(queue[0]).toMatchObject({ id: existing, action: "update", base_version: 5 });
  });

  it("a conflict receipt keeps the server value and records the conflict", async () => {
    await serverInspection(3, { summary: "base" });
    const a = await enqueue("inspection", INSPECTION, "update", { summary: "mine" });
    await applyReceipts([
      {
        op_id: a.op_id!,
        entity: "inspection",
        id: INSPECTION,
        status: "conflict",
        version: 5,
        record: { id: INSPECTION, version: 5, summary: "theirs", open_conflicts: 1 },
        conflicts: [{ conflict_id: "c1", field: "summary", base_value: "base", server_value: "theirs", client_value: "mine" }],
      },
    ]);
    const row = await db.records.get(["inspection", INSPECTION] as unknown as string);
    expect(row?.view).toMatchObject({ summary: "theirs", open_conflicts: 1 });
    expect((await db.receipts.get(a.op_id!))?.conflicts?.[0].client_value).toBe("mine");
  });

  it("never replaces a newer server copy with an older one", async () => {
    await serverInspection(7, { summary: "new" });
    await db.transaction("rw", [db.records, db.outbox], () =>
      storeServerCopy("inspection", INSPECTION, 6, { id: INSPECTION, version: 6, summary: "old" }, false),
    );
    const row = await db.records.get(["inspection", INSPECTION] as unknown as string);
    expect(row?.version).toBe(7);
    expect(row?.view).toMatchObject({ summary: "new" });
  });
});

describe("only changed fields", () => {
  it("a field set back to its base value leaves the squashed update", async () => {
    await serverInspection(3, { summary: "base", recommended_outcome: null });
    await enqueue("inspection", INSPECTION, "update", { summary: "draft", recommended_outcome: "warning_letter" });
    await enqueue("inspection", INSPECTION, "update", { summary: "base" });
    const queue = await queuedChanges();
    expect(queue).toHaveLength(1);
    expect(queue[0].fields).toEqual({ recommended_outcome: "warning_letter" });
  });

  it("an update that returns every field to its base leaves the queue", async () => {
    await serverInspection(3, { summary: "base" });
    await enqueue("inspection", INSPECTION, "update", { summary: "draft" });
    await enqueue("inspection", INSPECTION, "update", { summary: "base" });
    expect(await queuedChanges()).toHaveLength(0);
    const row = await db.records.get(["inspection", INSPECTION] as unknown as string);
    expect(row?.view).toMatchObject({ summary: "base" });
    expect(row?.pending).toBe(0);
  });

  it("a value equal to the base is still sent when it undoes a change already sent", async () => {
    await serverInspection(3, { summary: "base" });
    await enqueue("inspection", INSPECTION, "update", { summary: "draft" });
    await markSent();
    const undo = await enqueue("inspection", INSPECTION, "update", { summary: "base" });
    expect(undo.op_id).not.toBeNull();
    expect((await queuedChanges()).map((c) => c.fields)).toEqual([{ summary: "draft" }, { summary: "base" }]);
  });

  it("nothing is queued for an update that changes nothing", async () => {
    await serverInspection(3, { summary: "base" });
    const result = await enqueue("inspection", INSPECTION, "update", { summary: "base" });
    expect(result.op_id).toBeNull();
    expect(await queuedChanges()).toHaveLength(0);
  });

  it("compares with the base only while the held copy is the base", async () => {
    await serverInspection(3, { summary: "base" });
    await enqueue("inspection", INSPECTION, "update", { summary: "draft" });
    // A pull brings version 4 (another device changed the summary to "base2")
    await db.transaction("rw", [db.records, db.outbox], () =>
      storeServerCopy("inspection", INSPECTION, 4, { id: INSPECTION, version: 4, status: "assigned", summary: "base2" }, false),
    );
    await enqueue("inspection", INSPECTION, "update", { summary: "base2" });
    expect((await queuedChanges())[0].fields).toEqual({ summary: "base2" });
  });
});
