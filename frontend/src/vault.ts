/**
 * The data key and the PIN that guards it.
 *
 * At first login on a device the app makes a random AES-256 data key
 * (WebCrypto) and, once the person sets a PIN, stores it only wrapped
 * (AES-GCM) under a key derived from the PIN (PBKDF2-SHA-256, 600,000
 * iterations, random salt). The app starts locked and locks after 15 minutes
 * idle: the PIN unwraps the key again, offline. Ten wrong PINs destroy the
 * wrapped key and every local row. The PIN never reaches the server and
 * never gets a token: syncing still needs a live server session.
 */
import { db, nowIso } from "./db";
import { LockedError, dataKeyCopy, forgetDataKey, hasDataKey, setDataKey } from "./sealed";

export const PIN_ITERATIONS = 600_000;
export const MAX_ATTEMPTS = 10;
/** From this many tries left, the unlock screen says the data is about to go. */
export const WARN_REMAINING = 3;
export const IDLE_LOCK_MS = 15 * 60 * 1000;
export const PIN_PATTERN = /^\d{6,12}$/;

export interface VaultRow {
  key: "device";
  salt: Uint8Array;
  iterations: number;
  iv: Uint8Array;
  wrapped: Uint8Array;
  /** wrong PINs since the last right one */
  failed: number;
  created_at: string;
}

/**
 * none: nothing stored (first login); pending: a key in memory that no PIN
 * guards yet; locked: a wrapped key and none in memory; unlocked: both.
 */
export type LockState = "none" | "pending" | "locked" | "unlocked";

/** The key in memory is guarded by a stored PIN (not a fresh key waiting for one). */
let guarded = false;
/** Rows of an app older than the encryption are here, in clear: seal them once the PIN is set. */
let legacy = false;

export type UnlockResult = { ok: true } | { ok: false; remaining: number; wiped: boolean };

/** Tell the shell the lock state changed (it re-reads it). */
export function changed(): void {
  if (typeof window !== "undefined") window.dispatchEvent(new CustomEvent("inspector:lock"));
}

async function stored(): Promise<VaultRow | undefined> {
  return db.vault.get("device");
}

export async function lockState(): Promise<LockState> {
  const row = await stored();
  if (hasDataKey()) return row ? "unlocked" : "pending";
  return row ? "locked" : "none";
}

export function isUnlocked(): boolean {
  return hasDataKey();
}

export function validPin(pin: string): boolean {
  return PIN_PATTERN.test(pin);
}

/**
 * Before the first login stores anything: a fresh data key, in memory until
 * a PIN wraps it. Returns true when it made one (a failed login drops it).
 */
export async function ensureDataKey(): Promise<boolean> {
  if (hasDataKey()) return false;
  if (await stored()) throw new Error("The app is locked: enter the PIN first.");
  const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", key));
  setDataKey(raw);
  raw.fill(0);
  return true;
}

/** A fresh key no PIN guards yet is dropped (the login it was made for failed). */
export function dropPendingKey(): void {
  forgetDataKey();
  guarded = false;
}

/**
 * The state when the app starts. Rows sealed under a key that no PIN ever
 * guarded (the app was closed before the PIN was set) cannot be read: they
 * go. Rows of an app older than the encryption get a key and a PIN.
 */
export async function startState(): Promise<LockState> {
  const state = await lockState();
  if (state !== "none") return state;
  let profile: unknown;
  try {
    profile = (await db.meta.get("profile"))?.value;
    const first = await Promise.all([db.records.limit(1).toArray(), db.outbox.limit(1).toArray()]);
    legacy = Boolean(profile) || first.some((rows) => rows.length > 0);
  } catch (err) {
    if (!(err instanceof LockedError || (err as Error)?.name === "LockedError")) throw err;
    await destroy(["device_id", "marker"]);
    return "none";
  }
  if (!profile) return state; // the login comes first; setting the PIN seals what is here
  await ensureDataKey();
  return "pending";
}

async function pinKey(pin: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey("raw", new TextEncoder().encode(pin), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as BufferSource, iterations },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["wrapKey", "unwrapKey"],
  );
}

const WRAP_AAD = new TextEncoder().encode("inspector data key v1");

/**
 * Guard the data key in memory with a PIN (first login). `iterations` is
 * lowered only by unit tests; the product always uses PIN_ITERATIONS.
 */
export async function setPin(pin: string, iterations = PIN_ITERATIONS): Promise<void> {
  if (!validPin(pin)) throw new Error("The PIN must be at least 6 digits.");
  const current = dataKeyCopy();
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const dataKey = await crypto.subtle.importKey("raw", current as BufferSource, "AES-GCM", true, ["encrypt"]);
  current.fill(0);
  const wrapped = await crypto.subtle.wrapKey("raw", dataKey, await pinKey(pin, salt, iterations), {
    name: "AES-GCM",
    iv,
    additionalData: WRAP_AAD,
  });
  const row: VaultRow = { key: "device", salt, iterations, iv, wrapped: new Uint8Array(wrapped), failed: 0, created_at: nowIso() };
  await db.vault.put(row);
  guarded = true;
  if (legacy) await sealLegacyRows();
  legacy = false;
  changed();
}

/** Unwrap the data key with a PIN; counts wrong PINs and destroys everything at the tenth. */
export async function unwrap(pin: string): Promise<{ raw: Uint8Array } | { raw: null; remaining: number; wiped: boolean }> {
  const row = await stored();
  if (!row) return { raw: null, remaining: 0, wiped: true };
  try {
    const key = await crypto.subtle.unwrapKey(
      "raw",
      row.wrapped as BufferSource,
      await pinKey(pin, row.salt, row.iterations),
      { name: "AES-GCM", iv: row.iv as BufferSource, additionalData: WRAP_AAD },
      { name: "AES-GCM", length: 256 },
      true,
      ["encrypt", "decrypt"],
    );
    if (row.failed) await db.vault.update("device", { failed: 0 });
    return { raw: new Uint8Array(await crypto.subtle.exportKey("raw", key)) };
  } catch {
    const failed = row.failed + 1;
    if (failed >= MAX_ATTEMPTS) {
      await destroy();
      return { raw: null, remaining: 0, wiped: true };
    }
    await db.vault.update("device", { failed });
    return { raw: null, remaining: MAX_ATTEMPTS - failed, wiped: false };
  }
}

/** Unlock the app with its PIN. */
export async function unlock(pin: string): Promise<UnlockResult> {
  const result = await unwrap(pin);
  if (!result.raw) {
    changed();
    return { ok: false, remaining: result.remaining, wiped: result.wiped };
  }
  setDataKey(result.raw);
  result.raw.fill(0);
  guarded = true;
  noteActivity();
  changed();
  return { ok: true };
}

/** Wrong PINs left before the local data is destroyed. */
export async function attemptsLeft(): Promise<number> {
  const row = await stored();
  return row ? MAX_ATTEMPTS - row.failed : MAX_ATTEMPTS;
}

/** Lock now: the key leaves memory, the wrapped key stays (a key no PIN guards yet is kept). */
export function lock(): void {
  if (!hasDataKey() || !guarded) return;
  forgetDataKey();
  changed();
}

/**
 * Every table, the wrapped key and the key in memory: after the last wrong
 * PIN, a revocation, or a logout with nothing unsent. `keep` names meta rows
 * that survive (the device id across a logout).
 */
export async function destroy(keep: string[] = []): Promise<void> {
  forgetDataKey();
  guarded = false;
  const kept = (await db.meta.bulkGet(keep)).filter((r) => r && !("enc" in r));
  await db.transaction("rw", [db.records, db.outbox, db.blobs, db.receipts, db.meta, db.vault], async () => {
    await Promise.all([db.records.clear(), db.outbox.clear(), db.blobs.clear(), db.receipts.clear(), db.meta.clear(), db.vault.clear()]);
    if (kept.length) await db.meta.bulkPut(kept as { key: string; value: unknown }[]);
  });
  changed();
}

/** Rows written before encryption existed (an older app, or before the PIN was set): seal them. */
export async function sealLegacyRows(): Promise<number> {
  let n = 0;
  for (const table of [db.records, db.outbox, db.blobs, db.receipts, db.meta]) {
    await db.transaction("rw", table, async () => {
      const rows = await table.toArray();
      n += rows.length;
      if (rows.length) await (table as unknown as { bulkPut(rows: unknown[]): Promise<unknown> }).bulkPut(rows);
    });
  }
  return n;
}

// ---- idle lock ------------------------------------------------------------

let lastActivity = Date.now();
let idleTimer: ReturnType<typeof setInterval> | null = null;
let busy: () => boolean = () => false;

/** The idle lock waits while this says work is running (a sync uploading photos). */
export function deferIdleLockWhile(check: () => boolean): void {
  busy = check;
}

export function noteActivity(): void {
  lastActivity = Date.now();
}

/**
 * The idle time before the app locks. A device may shorten it (tests, a
 * stricter office) through localStorage `inspector.idle_lock_ms`, never lengthen it.
 */
export function idleLockMs(): number {
  try {
    const asked = Number(globalThis.localStorage?.getItem("inspector.idle_lock_ms"));
    if (Number.isFinite(asked) && asked >= 1000 && asked < IDLE_LOCK_MS) return asked;
  } catch {
    // storage unavailable: the default
  }
  return IDLE_LOCK_MS;
}

/** Lock after `idleLockMs()` without a touch, key or pointer event. */
export function startIdleLock(): void {
  if (typeof window === "undefined" || idleTimer) return;
  for (const type of ["pointerdown", "keydown", "touchstart", "wheel", "input"]) {
    window.addEventListener(type, noteActivity, { capture: true, passive: true });
  }
  const limit = idleLockMs();
  idleTimer = setInterval(
    () => {
      if (hasDataKey() && Date.now() - lastActivity >= limit && !busy()) lock();
    },
    Math.min(30_000, Math.max(250, limit / 4)),
  );
}
