/**
 * The sync engine: upload blobs, push the queue, pull the change feed
 * (sync-protocol.md). One pusher at a time per device (a Web Lock).
 */
import { API, OfflineError, ProblemError, getJson, request, slugOf } from "./api";
import { type OutboxRow, type Rec, db, deviceId, getMeta, setMeta, uuid } from "./db";
import { type Receipt, applyReceipts, refreshView, storeServerCopy } from "./outbox";

export const SCHEMA_VERSION = 1;
/** Changes per push request (the server takes at most 500, bodies up to 5 MiB). */
export const PUSH_BATCH = 250;
const BODY_BUDGET = 4 * 1024 * 1024;
export const PULL_LIMIT = 500;

export interface SyncProgress {
  phase: "idle" | "uploading" | "pushing" | "pulling" | "done" | "error";
  done: number;
  total: number;
  message: string;
}

export type SyncOutcome =
  | { ok: true; pushed: number; pulled: number }
  | { ok: false; reason: "offline" | "unauthorized" | "revoked" | "outdated" | "busy" | "error"; message: string };

type ProgressListener = (p: SyncProgress) => void;
const progressListeners = new Set<ProgressListener>();
export function onProgress(listener: ProgressListener): () => void {
  progressListeners.add(listener);
  return () => progressListeners.delete(listener);
}
function progress(p: SyncProgress): void {
  for (const l of progressListeners) l(p);
  if (typeof window !== "undefined") window.dispatchEvent(new CustomEvent("inspector:sync-progress", { detail: p }));
}

/** Run `fn` holding a named Web Lock (shared by every tab of this installation). */
const fallbackLocks = new Map<string, Promise<unknown>>();
export async function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== "undefined" ? (navigator as Navigator & { locks?: LockManager }).locks : undefined;
  if (locks?.request) return locks.request(name, () => fn()) as Promise<T>;
  const previous = fallbackLocks.get(name) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  fallbackLocks.set(name, run.catch(() => undefined));
  return run;
}

/** One pusher at a time per device. */
export function withPushLock<T>(fn: () => Promise<T>): Promise<T> {
  return withLock("inspector-push", fn);
}

/** The digests a change lists (attachments of findings, inspections, leads). */
export function digestsOf(change: OutboxRow): string[] {
  const list = change.fields.attachments;
  return Array.isArray(list) ? list.filter((d): d is string => typeof d === "string") : [];
}

/** Upload the bytes of blobs listed by these changes that the server does not hold yet. */
export async function uploadBlobs(changes: OutboxRow[]): Promise<void> {
  const wanted = new Set(changes.flatMap(digestsOf));
  const pending = (await db.blobs.where("uploaded").equals(0).toArray()).filter((b) => wanted.has(b.sha256));
  let done = 0;
  for (const blob of pending) {
    progress({ phase: "uploading", done, total: pending.length, message: `Uploading photo ${done + 1} of ${pending.length}` });
    try {
      await request(`${API}/blobs/${blob.sha256}`, { method: "PUT", body: blob.bytes, contentType: blob.type });
      await db.blobs.update(blob.sha256, { uploaded: 1 });
    } catch (err) {
      if (err instanceof ProblemError && err.status === 422) {
        // Bytes and digest or type disagree: the record is accepted and flagged missing_blobs.
        await db.blobs.update(blob.sha256, { uploaded: 1 });
      } else {
        throw err;
      }
    }
    done += 1;
  }
}

/**
 * Choose the next batch: changes in queue order, stopping before an update of
 * a record whose create is in the same batch (its base version comes from the
 * create's receipt).
 */
export function nextBatch(queue: OutboxRow[], max = PUSH_BATCH): OutboxRow[] {
  const batch: OutboxRow[] = [];
  const createdHere = new Set<string>();
  let size = 0;
  for (const change of queue) {
    const key = `${change.entity}/${change.id}`;
    if (change.action !== "create" && change.base_version == null && createdHere.has(key)) break;
    const bytes = JSON.stringify(change).length;
    if (batch.length >= max || (batch.length > 0 && size + bytes > BODY_BUDGET)) break;
    if (change.action === "create") createdHere.add(key);
    batch.push(change);
    size += bytes;
  }
  return batch;
}

interface PushResponse {
  receipts: Receipt[];
  last_seq: number;
  server_time: string;
}

/** Push the whole queue. Returns the number of receipts applied. */
export async function pushAll(): Promise<number> {
  return withPushLock(async () => {
    const device_id = await deviceId();
    let pushed = 0;
    const total = await db.outbox.count();
    for (;;) {
      const queue = await db.outbox.orderBy("seq").toArray();
      if (queue.length === 0) break;
      const batch = nextBatch(queue);
      if (batch.length === 0) break;
      await uploadBlobs(batch);
      progress({ phase: "pushing", done: pushed, total, message: `Sending ${pushed + batch.length} of ${total} changes` });
      await db.outbox.bulkUpdate(batch.map((c) => ({ key: c.op_id, changes: { sent: 1 as const } })));
      const body = {
        device_id,
        schema_version: SCHEMA_VERSION,
        changes: batch.map((c) => ({
          op_id: c.op_id,
          seq: c.seq,
          entity: c.entity,
          id: c.id,
          action: c.action,
          base_version: c.base_version,
          fields: c.fields,
          client_time: c.client_time,
        })),
      };
      const response = await request(`${API}/sync/push`, { method: "POST", json: body });
      const data = (await response.json()) as PushResponse;
      const matched = await applyReceipts(data.receipts ?? []);
      const seq = (await getMeta<number>("seq")) ?? 0;
      if (typeof data.last_seq === "number" && data.last_seq > seq) await setMeta("seq", data.last_seq);
      if (matched.length === 0) break; // nothing moved: never loop forever
      pushed += matched.length;
      progress({ phase: "pushing", done: pushed, total, message: `Sent ${pushed} of ${total} changes` });
    }
    return pushed;
  });
}

export interface PullChange {
  entity: string;
  id: string;
  version: number;
  deleted: boolean;
  record: Rec | null;
}

export interface PullPage {
  changes: PullChange[];
  cursor: string;
  has_more: boolean;
  resync: boolean;
}

/**
 * Apply one pull page in one transaction, then store its cursor (in the same
 * transaction, after the records). `gen` marks the records seen during a snapshot.
 */
export async function applyPullPage(page: PullPage, gen: string | null): Promise<void> {
  await db.transaction("rw", [db.records, db.outbox, db.meta], async () => {
    for (const change of page.changes) {
      await storeServerCopy(change.entity, change.id, change.version, change.record, change.deleted, gen ?? undefined);
    }
    await setMeta("cursor", page.cursor);
  });
}

/** End of a snapshot: server copies it did not mention are gone; the queue stays. */
export async function sweepSnapshot(gen: string): Promise<number> {
  return db.transaction("rw", [db.records, db.outbox, db.meta], async () => {
    const stale = await db.records.filter((r) => r.gen !== gen && r.data !== null).toArray();
    for (const row of stale) {
      await db.records.update([row.entity, row.id] as unknown as string, { data: null, version: null, deleted: false });
      await refreshView(row.entity, row.id);
    }
    await setMeta("snapshot_gen", null);
    return stale.length;
  });
}

/** Pull until the feed has nothing more (one puller per device). Returns the number of changes applied. */
export function pullAll(): Promise<number> {
  return withLock("inspector-pull", pullPages);
}

async function pullPages(): Promise<number> {
  const device_id = await deviceId();
  let pulled = 0;
  let guard = 0;
  for (;;) {
    const cursor = (await getMeta<string | null>("cursor")) ?? null;
    let gen = (await getMeta<string | null>("snapshot_gen")) ?? null;
    if (!cursor && !gen) {
      gen = uuid();
      await setMeta("snapshot_gen", gen);
    }
    const params = new URLSearchParams({ limit: String(PULL_LIMIT), device_id, schema_version: String(SCHEMA_VERSION) });
    if (cursor) params.set("cursor", cursor);
    progress({ phase: "pulling", done: pulled, total: 0, message: `Receiving changes (${pulled} so far)` });
    const page = await getJson<PullPage>(`${API}/sync/pull?${params}`);
    if (page.resync && cursor) {
      // The server cannot continue from our cursor: take a fresh snapshot, keep the queue.
      await db.transaction("rw", [db.meta], async () => {
        await setMeta("cursor", null);
        await setMeta("snapshot_gen", uuid());
      });
      if (++guard > 3) throw new Error("The server keeps asking for a resync.");
      continue;
    }
    await applyPullPage(page, gen);
    pulled += page.changes.length;
    if (!page.has_more) {
      if (gen) await sweepSnapshot(gen);
      break;
    }
  }
  return pulled;
}

let running: Promise<SyncOutcome> | null = null;

/** Push then pull; one run at a time in this tab. */
export function syncNow(): Promise<SyncOutcome> {
  if (!running) {
    running = runSync().finally(() => {
      running = null;
    });
  }
  return running;
}

export function isSyncing(): boolean {
  return running !== null;
}

async function runSync(): Promise<SyncOutcome> {
  progress({ phase: "pushing", done: 0, total: await db.outbox.count(), message: "Starting sync" });
  try {
    const pushed = await pushAll();
    const pulled = await pullAll();
    const at = new Date().toISOString();
    await setMeta("last_sync", at);
    await setMeta("last_sync_error", null);
    progress({ phase: "done", done: 1, total: 1, message: `Synced at ${new Date(at).toLocaleTimeString()}` });
    return { ok: true, pushed, pulled };
  } catch (err) {
    const outcome = failure(err);
    // Locked while syncing: nothing can be stored; the next sync after the PIN goes on.
    await setMeta("last_sync_error", outcome.ok ? null : outcome.message).catch(() => undefined);
    progress({ phase: "error", done: 0, total: 0, message: outcome.ok ? "" : outcome.message });
    return outcome;
  }
}

export function failure(err: unknown): SyncOutcome {
  if (err instanceof OfflineError) return { ok: false, reason: "offline", message: "No connection: changes stay on this tablet." };
  if (err instanceof ProblemError) {
    const slug = slugOf(err.problem);
    if (err.status === 401 && (slug === "device-revoked" || err.problem.wipe === true)) return { ok: false, reason: "revoked", message: err.message };
    if (err.status === 401) return { ok: false, reason: "unauthorized", message: "Your session ended. Log in to sync; your work is kept." };
    if (err.status === 426) return { ok: false, reason: "outdated", message: "This app is out of date. Reload to update; unsent changes are kept." };
    return { ok: false, reason: "error", message: `${err.problem.title ?? "Error"}: ${err.message}` };
  }
  return { ok: false, reason: "error", message: (err as Error)?.message ?? String(err) };
}
