/**
 * The device's queue of changes and the local view of each record.
 *
 * Rules (sync-protocol.md, "The device's queue"):
 * - an update carries only the fields the person changed;
 * - a change may be squashed into the previous queued change of the same
 *   record only when neither was ever sent, and a status change is never
 *   squashed (in either direction): it keeps its own place in the queue;
 * - a change leaves the queue only when its receipt (matched by op_id) is held.
 */
import {
  type Action,
  type Fields,
  type OutboxRow,
  type ReceiptRow,
  type Rec,
  type RecordRow,
  db,
  getMeta,
  nowIso,
  setMeta,
  uuid,
} from "./db";

export const PARENT_FIELD: Record<string, string> = {
  finding: "inspection_id",
  lead: "inspection_id",
  inspection: "licensee_id",
  conflict: "record_id",
};

export function parentOf(entity: string, view: Rec | null): string {
  const field = PARENT_FIELD[entity];
  const value = field && view ? view[field] : null;
  return typeof value === "string" ? value : "";
}

const STATUS = "status";

function hasStatus(fields: Fields): boolean {
  return Object.prototype.hasOwnProperty.call(fields, STATUS);
}

/** The server copy with the queued changes applied, in queue order. */
export function computeView(data: Rec | null, deleted: boolean, changes: OutboxRow[], id: string): Rec | null {
  let view: Rec | null = deleted || !data ? null : { ...data };
  for (const change of [...changes].sort((a, b) => a.seq - b.seq)) {
    if (change.action === "delete") {
      view = null;
    } else if (change.action === "create") {
      view = { ...(view ?? {}), ...change.fields, id } as Rec;
    } else {
      view = { ...(view ?? { id }), ...change.fields } as Rec;
    }
  }
  return view;
}

/** Recompute a record's view from its server copy and queue. Call inside a transaction. */
export async function refreshView(entity: string, id: string): Promise<RecordRow | undefined> {
  const row = await db.records.get([entity, id] as unknown as string);
  const changes = await db.outbox.where("[entity+id]").equals([entity, id]).toArray();
  if (!row && changes.length === 0) return undefined;
  const base: RecordRow = row ?? {
    entity,
    id,
    version: null,
    deleted: false,
    data: null,
    view: null,
    pending: 0,
    parent: "",
    gen: "",
  };
  const view = computeView(base.data, base.deleted, changes, id);
  const next: RecordRow = { ...base, view, pending: changes.length, parent: parentOf(entity, view ?? base.data) };
  if (!next.data && !view && changes.length === 0) {
    await db.records.delete([entity, id] as unknown as string);
    return undefined;
  }
  await db.records.put(next);
  return next;
}

async function nextSeq(): Promise<number> {
  const seq = ((await getMeta<number>("seq")) ?? 0) + 1;
  await setMeta("seq", seq);
  return seq;
}

export interface EnqueueResult {
  /** the queued or squashed-into change; null when nothing needed queueing */
  op_id: string | null;
  squashed: boolean;
}

/** The server copy at `version`, when that is the copy held. */
function baseCopy(row: RecordRow | undefined, version: number | null): Rec | null {
  return row?.data && version != null && row.version === version ? row.data : null;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * An update sends only fields changed since its base: a field set back to its
 * base value is dropped, unless another queued change of the record touches it
 * (then the value must go, to undo that change).
 */
function dropUnchanged(fields: Fields, base: Rec | null, others: OutboxRow[]): Fields {
  if (!base) return fields;
  const out: Fields = {};
  for (const [name, value] of Object.entries(fields)) {
    const touched = others.some((c) => Object.prototype.hasOwnProperty.call(c.fields, name));
    if (touched || !same(value, base[name])) out[name] = value;
  }
  return out;
}

/**
 * Queue a change. `fields` must hold only what the person changed.
 * Returns the op_id of the queued (or squashed-into) change.
 */
export async function enqueue(entity: string, id: string, action: Action, fields: Fields = {}): Promise<EnqueueResult> {
  return db.transaction("rw", [db.records, db.outbox, db.meta], async () => {
    const row = await db.records.get([entity, id] as unknown as string);
    const queued = (await db.outbox.where("[entity+id]").equals([entity, id]).toArray()).sort((a, b) => a.seq - b.seq);
    const last = queued[queued.length - 1];
    const client_time = nowIso();

    if (last && !last.sent) {
      // Squash into the last change of the same record, when allowed.
      if (action === "delete" && last.action === "create" && queued.length === 1) {
        // A record made here and never sent: nothing to tell the server.
        await db.outbox.delete(last.op_id);
        await refreshView(entity, id);
        return { op_id: last.op_id, squashed: true };
      }
      // A create's initial status is not a status change; an update's is.
      const lastIsStatusChange = last.action !== "create" && hasStatus(last.fields);
      if (action !== "delete" && last.action !== "delete" && !lastIsStatusChange && !hasStatus(fields)) {
        let merged = { ...last.fields, ...fields };
        if (last.action === "update") {
          merged = dropUnchanged(merged, baseCopy(row, last.base_version), queued.slice(0, -1));
          if (Object.keys(merged).length === 0) {
            // Everything is back to what the server had: nothing left to send.
            await db.outbox.delete(last.op_id);
            await refreshView(entity, id);
            return { op_id: last.op_id, squashed: true };
          }
        }
        await db.outbox.update(last.op_id, { fields: merged, client_time });
        await refreshView(entity, id);
        return { op_id: last.op_id, squashed: true };
      }
    }

    const createPending = queued.some((c) => c.action === "create");
    const base_version = action === "create" ? null : createPending ? null : (row?.version ?? null);
    if (action === "update") {
      fields = dropUnchanged(fields, baseCopy(row, base_version), queued);
      if (Object.keys(fields).length === 0) return { op_id: null, squashed: true };
    }
    const change: OutboxRow = {
      op_id: uuid(),
      seq: await nextSeq(),
      entity,
      id,
      action,
      base_version,
      fields: action === "delete" ? {} : { ...fields },
      client_time,
      sent: 0,
    };
    await db.outbox.add(change);
    await refreshView(entity, id);
    return { op_id: change.op_id, squashed: false };
  });
}

/** Every queued change, in queue order. */
export async function queuedChanges(): Promise<OutboxRow[]> {
  return db.outbox.orderBy("seq").toArray();
}

export async function unsentCount(): Promise<number> {
  return db.outbox.count();
}

export interface Receipt {
  op_id: string;
  entity: string;
  id: string;
  status: "applied" | "merged" | "conflict" | "rejected";
  version?: number | null;
  record?: Rec | null;
  merged_into?: string | null;
  replayed?: boolean;
  problem?: ReceiptRow["problem"];
  conflicts?: ReceiptRow["conflicts"];
}

/** Store a server copy when it is not older than the one held. Call inside a transaction. */
export async function storeServerCopy(entity: string, id: string, version: number | null, record: Rec | null, deleted: boolean, gen?: string): Promise<void> {
  const key = [entity, id] as unknown as string;
  const row = await db.records.get(key);
  if (row && row.data && row.version != null && version != null && version < row.version && !deleted) {
    if (gen) await db.records.update(key, { gen });
    return;
  }
  const next: RecordRow = {
    entity,
    id,
    version,
    deleted,
    data: deleted ? null : record,
    view: null,
    pending: 0,
    parent: "",
    gen: gen ?? row?.gen ?? "",
  };
  await db.records.put(next);
  await refreshView(entity, id);
}

/**
 * Apply the receipts of a push. A change leaves the queue only when its receipt
 * (matched by op_id) is here; a receipt for an op_id no longer queued changes
 * nothing in the queue. Returns the receipts that matched a queued change.
 */
export async function applyReceipts(receipts: Receipt[]): Promise<Receipt[]> {
  return db.transaction("rw", [db.records, db.outbox, db.receipts, db.meta], async () => {
    const matched: Receipt[] = [];
    for (const receipt of receipts) {
      const change = await db.outbox.get(receipt.op_id);
      if (!change) continue;
      matched.push(receipt);
      await db.outbox.delete(change.op_id);
      let id = change.id;
      const newId = receipt.merged_into && receipt.merged_into !== change.id ? receipt.merged_into : receipt.id !== change.id ? receipt.id : null;
      if (newId) {
        await replaceLocalId(change.entity, change.id, newId);
        id = newId;
      }
      if (receipt.status !== "rejected" && receipt.record && receipt.version != null) {
        await storeServerCopy(change.entity, id, receipt.version, receipt.record, false);
        // Updates queued after a create that was not receipted yet get their base now.
        const later = await db.outbox.where("[entity+id]").equals([change.entity, id]).toArray();
        for (const c of later) {
          if (c.action !== "create" && c.base_version == null) await db.outbox.update(c.op_id, { base_version: receipt.version });
        }
      }
      await refreshView(change.entity, id);
      await db.receipts.put({
        op_id: receipt.op_id,
        entity: change.entity,
        id,
        status: receipt.status,
        version: receipt.version ?? null,
        merged_into: receipt.merged_into ?? null,
        problem: receipt.problem ?? null,
        conflicts: receipt.conflicts ?? [],
        fields: change.fields,
        action: change.action,
        received_at: nowIso(),
      });
    }
    await trimReceipts();
    return matched;
  });
}

const KEEP_RECEIPTS = 200;

async function trimReceipts(): Promise<void> {
  const n = await db.receipts.count();
  if (n <= KEEP_RECEIPTS) return;
  const old = await db.receipts.orderBy("received_at").limit(n - KEEP_RECEIPTS).primaryKeys();
  await db.receipts.bulkDelete(old);
}

/** The server merged a created record into an existing one: the local id becomes the server's. */
export async function replaceLocalId(entity: string, oldId: string, newId: string): Promise<void> {
  const oldKey = [entity, oldId] as unknown as string;
  const row = await db.records.get(oldKey);
  const changes = await db.outbox.where("[entity+id]").equals([entity, oldId]).toArray();
  for (const c of changes) await db.outbox.update(c.op_id, { id: newId });
  if (row) {
    await db.records.delete(oldKey);
    const existing = await db.records.get([entity, newId] as unknown as string);
    if (!existing) await db.records.put({ ...row, id: newId });
  }
  await refreshView(entity, newId);
}

/** A fresh id for a record created on this device. */
export function newId(): string {
  return uuid();
}
