/**
 * The device's database (IndexedDB through Dexie).
 *
 * - `records`: one row per synced record, keyed [entity+id]. `data` is the last
 *   server copy (null for a record created here and not yet receipted),
 *   `version`/`deleted` come from the server, `view` is the server copy with the
 *   queued changes applied: what the screens show.
 * - `outbox`: the queue of changes (sync-protocol.md "The device's queue").
 * - `blobs`: photo bytes kept offline, keyed by their SHA-256.
 * - `receipts`: the last receipts, for the sync panel.
 * - `meta`: device_id, cursor, profile, last sync, sequence counter, flags.
 * - `vault`: the data key wrapped under the PIN, and the count of wrong PINs (vault.ts).
 *
 * Every row except `vault` is encrypted by the middleware of sealed.ts: only
 * keys and index fields stay in clear.
 */
import Dexie, { type EntityTable } from "dexie";
import { encryptionMiddleware } from "./sealed";
import type { VaultRow } from "./vault";

export type Entity = "inspection" | "finding" | "lead" | "licensee" | "checklist" | "conflict" | "user";
export type Action = "create" | "update" | "delete";
export type Fields = Record<string, unknown>;
export type Rec = Record<string, unknown> & { id: string };

export interface RecordRow {
  entity: string;
  id: string;
  version: number | null;
  deleted: boolean;
  data: Rec | null;
  view: Rec | null;
  /** unsent or unreceipted changes of this record */
  pending: number;
  /** index: inspection_id (findings, leads), licensee_id (inspections) */
  parent: string;
  /** snapshot generation that last saw this server copy (mark and sweep on resync) */
  gen: string;
}

export interface OutboxRow {
  op_id: string;
  seq: number;
  entity: string;
  id: string;
  action: Action;
  base_version: number | null;
  fields: Fields;
  client_time: string;
  /** 1 once the change was put in a request; never squashed after that */
  sent: 0 | 1;
}

export interface BlobRow {
  sha256: string;
  type: string;
  bytes: ArrayBuffer;
  size: number;
  uploaded: 0 | 1;
  created_at: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  [key: string]: unknown;
}

export interface ConflictInfo {
  conflict_id: string;
  field: string;
  base_value: unknown;
  server_value: unknown;
  client_value: unknown;
}

export interface ReceiptRow {
  op_id: string;
  entity: string;
  id: string;
  status: "applied" | "merged" | "conflict" | "rejected";
  version: number | null;
  merged_into?: string | null;
  problem?: Problem | null;
  conflicts?: ConflictInfo[];
  fields?: Fields;
  action?: Action;
  received_at: string;
}

export interface MetaRow {
  key: string;
  value: unknown;
}

export class InspectorDB extends Dexie {
  records!: EntityTable<RecordRow, "id">;
  outbox!: EntityTable<OutboxRow, "op_id">;
  blobs!: EntityTable<BlobRow, "sha256">;
  receipts!: EntityTable<ReceiptRow, "op_id">;
  meta!: EntityTable<MetaRow, "key">;
  vault!: EntityTable<VaultRow, "key">;

  constructor(name = "inspector") {
    super(name);
    this.version(1).stores({
      records: "[entity+id], entity, [entity+parent], gen",
      outbox: "op_id, seq, [entity+id], sent",
      blobs: "sha256, uploaded",
      receipts: "op_id, received_at",
      meta: "key",
    });
    this.version(2).stores({ vault: "key" });
    this.use(encryptionMiddleware());
  }
}

export let db = new InspectorDB();

/** Tests use a fresh database per case. */
export function useDatabase(next: InspectorDB): void {
  db = next;
}

export async function getMeta<T>(key: string): Promise<T | undefined> {
  const row = await db.meta.get(key);
  return row?.value as T | undefined;
}

export async function setMeta(key: string, value: unknown): Promise<void> {
  await db.meta.put({ key, value });
}

export function uuid(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The installation's device id: made once, kept in IndexedDB and mirrored in localStorage. */
export async function deviceId(): Promise<string> {
  let id = await getMeta<string>("device_id");
  if (!id) {
    id = safeLocalStorage()?.getItem("inspector.device_id") ?? uuid();
    await setMeta("device_id", id);
  }
  safeLocalStorage()?.setItem("inspector.device_id", id);
  return id;
}

export function safeLocalStorage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null;
  }
}

export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}
