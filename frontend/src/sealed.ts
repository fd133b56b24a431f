/**
 * Encryption of what IndexedDB holds (a Dexie DBCore middleware).
 *
 * Every row is stored as its allow-listed clear fields (primary keys and the
 * index fields queries need: ids, sequence, status flags) plus `enc`
 * ({iv, ct}): the rest of the row, AES-256-GCM under the data key, with the
 * table name and the clear fields as associated data (a ciphertext cannot be
 * moved to another row). Names, serials, notes and photos never reach the
 * disk in clear.
 *
 * AES-GCM here is synchronous (@noble/ciphers): an IndexedDB transaction
 * commits as soon as the page awaits anything that is not a request of it, so
 * WebCrypto's promises cannot run inside Dexie transactions. WebCrypto still
 * makes and wraps the key (vault.ts).
 *
 * The data key lives in this module's memory only while the app is unlocked;
 * without it, reading a sealed row throws LockedError and nothing is written.
 */
import { gcm } from "@noble/ciphers/aes.js";
import type { DBCore, DBCoreCursor, DBCoreTable, Middleware } from "dexie";

/** Fields kept in clear, per table: keys and what the indexes need, never content. */
export const CLEAR_FIELDS: Record<string, readonly string[]> = {
  records: ["entity", "id", "parent", "gen"],
  outbox: ["op_id", "seq", "entity", "id", "sent"],
  blobs: ["sha256", "uploaded"],
  receipts: ["op_id", "received_at"],
  meta: ["key"],
};

/**
 * Meta rows stored whole in clear: bookkeeping the app needs before it is
 * unlocked (start-up, eviction check, wipe notice) and that says nothing
 * about inspections, leads or people. Any other meta row (the profile, the
 * owner of unsent changes, error messages) is sealed.
 */
export const CLEAR_META = new Set([
  "device_id",
  "marker",
  "wiped",
  "evicted_at",
  "needs_login",
  "outdated",
  "cursor",
  "snapshot_gen",
  "last_sync",
  "seq",
  "persist_asked",
  "persisted",
]);

export class LockedError extends Error {
  constructor() {
    super("The app is locked: enter the PIN.");
    this.name = "LockedError";
  }
}

let key: Uint8Array | null = null;

/**
 * Rows sealed and opened, and the time it took (no content): bench/pwa_crypto.py
 * reads it from the page as `__inspectorCryptoStats`.
 */
export const cryptoStats = { sealed: 0, sealMs: 0, opened: 0, openMs: 0 };
(globalThis as { __inspectorCryptoStats?: typeof cryptoStats }).__inspectorCryptoStats = cryptoStats;

/** Hold the data key (raw bytes) in memory: the app is unlocked. */
export function setDataKey(raw: Uint8Array): void {
  if (raw.length !== 32) throw new Error("The data key must be 256 bits.");
  forgetDataKey();
  key = raw.slice();
}

/** Drop the data key from memory (overwritten first). */
export function forgetDataKey(): void {
  key?.fill(0);
  key = null;
}

/** A copy of the data key, to wrap it under a PIN (the caller overwrites it after use). */
export function dataKeyCopy(): Uint8Array {
  return needKey().slice();
}

export function hasDataKey(): boolean {
  return key !== null;
}

export interface Sealed {
  iv: Uint8Array;
  ct: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const BUF = "\u0000buf";

/** JSON plus the binary fields (photo bytes) appended after it. */
export function pack(value: unknown): Uint8Array {
  const parts: Uint8Array[] = [];
  const json = JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof ArrayBuffer) return { [BUF]: parts.push(new Uint8Array(v)) - 1, t: "ab" };
    if (ArrayBuffer.isView(v)) {
      return { [BUF]: parts.push(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) - 1, t: "u8" };
    }
    return v;
  });
  const head = encoder.encode(json);
  const size = 8 + head.length + parts.reduce((n, p) => n + 4 + p.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, head.length);
  view.setUint32(4, parts.length);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const p of parts) {
    view.setUint32(at, p.length);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

export function unpack(bytes: Uint8Array): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headLength = view.getUint32(0);
  const count = view.getUint32(4);
  const parts: Uint8Array[] = [];
  let at = 8 + headLength;
  for (let i = 0; i < count; i++) {
    const n = view.getUint32(at);
    parts.push(bytes.slice(at + 4, at + 4 + n));
    at += 4 + n;
  }
  const json = decoder.decode(bytes.subarray(8, 8 + headLength));
  return JSON.parse(json, (_k, v: unknown) => {
    if (v && typeof v === "object" && BUF in v) {
      const ref = v as Record<string, unknown>;
      const part = parts[Number(ref[BUF])];
      return ref.t === "ab" ? part.buffer : part;
    }
    return v;
  });
}

function associated(table: string, clear: Record<string, unknown>, fields: readonly string[]): Uint8Array {
  return encoder.encode(`${table}\n${JSON.stringify(fields.map((f) => clear[f] ?? null))}`);
}

function needKey(): Uint8Array {
  if (!key) throw new LockedError();
  return key;
}

/** Encrypt bytes with the data key (a fresh 96-bit nonce each time). */
export function encryptBytes(plain: Uint8Array, aad?: Uint8Array): Sealed {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  return { iv, ct: gcm(needKey(), iv, aad).encrypt(plain) };
}

export function decryptBytes(sealed: Sealed, aad?: Uint8Array): Uint8Array {
  return gcm(needKey(), sealed.iv, aad).decrypt(sealed.ct);
}

/** A row as stored: clear fields plus `enc`. */
export function seal(table: string, row: Record<string, unknown>): Record<string, unknown> {
  const fields = CLEAR_FIELDS[table];
  if (!fields) return row;
  if (table === "meta" && CLEAR_META.has(String(row.key))) return row;
  const started = performance.now();
  const clear: Record<string, unknown> = {};
  const secret: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(row)) {
    if (fields.includes(name)) clear[name] = value;
    else secret[name] = value;
  }
  const sealed = { ...clear, enc: encryptBytes(pack(secret), associated(table, clear, fields)) };
  cryptoStats.sealed += 1;
  cryptoStats.sealMs += performance.now() - started;
  return sealed;
}

/** A stored row back as the app wrote it (rows without `enc` are clear by design). */
export function open(table: string, row: unknown): unknown {
  if (!row || typeof row !== "object" || !("enc" in row)) return row;
  const fields = CLEAR_FIELDS[table];
  if (!fields) return row;
  const started = performance.now();
  const { enc, ...clear } = row as Record<string, unknown> & { enc: Sealed };
  const secret = unpack(decryptBytes(enc, associated(table, clear, fields))) as Record<string, unknown>;
  cryptoStats.opened += 1;
  cryptoStats.openMs += performance.now() - started;
  return { ...clear, ...secret };
}

function openCursor(table: string, cursor: DBCoreCursor): DBCoreCursor {
  let raw: unknown = undefined;
  let opened: unknown = undefined;
  return Object.create(cursor, {
    key: { get: () => cursor.key },
    primaryKey: { get: () => cursor.primaryKey },
    value: {
      get: () => {
        const current = cursor.value;
        if (current !== raw) {
          raw = current;
          opened = open(table, current);
        }
        return opened;
      },
    },
  }) as DBCoreCursor;
}

function sealedTable(name: string, down: DBCoreTable): DBCoreTable {
  return {
    ...down,
    mutate(req) {
      if (req.type === "add" || req.type === "put") {
        return down.mutate({ ...req, values: req.values.map((v) => seal(name, v as Record<string, unknown>)) });
      }
      return down.mutate(req);
    },
    get: (req) => down.get(req).then((v) => open(name, v)),
    getMany: (req) => down.getMany(req).then((rows) => rows.map((v) => open(name, v))),
    query: (req) =>
      down.query(req).then((res) => (req.values ? { ...res, result: res.result.map((v) => open(name, v)) } : res)),
    openCursor: (req) =>
      down.openCursor(req).then((cursor) => (cursor && req.values !== false ? openCursor(name, cursor) : cursor)),
  };
}

/** The middleware, closest to IndexedDB (below Dexie's cache, hooks and observation). */
export function encryptionMiddleware(): Middleware<DBCore> {
  return {
    stack: "dbcore",
    name: "encryption",
    level: -10,
    create: (down) => ({
      ...down,
      table: (name) => {
        const table = down.table(name);
        return CLEAR_FIELDS[name] ? sealedTable(name, table) : table;
      },
    }),
  };
}
