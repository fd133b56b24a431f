/** When to sync: on start, on `online`, every few minutes while online, on "Sync now". */
import { API, getJson, onAuthFailure } from "./api";
import { db, getMeta, safeLocalStorage, setMeta } from "./db";
import { checkSession, wipe } from "./session";
import { type SyncOutcome, isSyncing, syncNow } from "./sync";
import { deferIdleLockWhile, isUnlocked, lockState, startIdleLock } from "./vault";

export const SYNC_EVERY_MS = 3 * 60 * 1000;

let timer: ReturnType<typeof setInterval> | null = null;

/** Sync unless nobody is logged in or the session is known to be over. */
export async function maybeSync(reason: string): Promise<SyncOutcome | null> {
  if (!isUnlocked()) return null; // locked: nothing can be read or stored
  if (!(await getMeta("profile"))) return null;
  if (await getMeta<boolean>("needs_login")) return null;
  if (typeof navigator !== "undefined" && navigator.onLine === false) return null;
  const outcome = await syncNow();
  await handleOutcome(outcome);
  console.debug(`sync (${reason})`, outcome);
  return outcome;
}

export async function handleOutcome(outcome: SyncOutcome): Promise<void> {
  if (outcome.ok) {
    await setMeta("outdated", false);
    await setMeta("evicted_at", null);
    return;
  }
  if (outcome.reason === "unauthorized") await setMeta("needs_login", true);
  if (outcome.reason === "outdated") await setMeta("outdated", true);
  if (outcome.reason === "revoked") await wipeAndRestart();
}

export async function wipeAndRestart(): Promise<void> {
  await wipe();
  await setMeta("wiped", true);
  if (typeof window !== "undefined") window.dispatchEvent(new CustomEvent("inspector:wiped"));
}

/**
 * Eviction check: localStorage remembers that this installation had data;
 * when IndexedDB's marker is gone, the browser evicted it, so pull everything again.
 */
export async function checkEviction(): Promise<boolean> {
  const ls = safeLocalStorage();
  const marker = await getMeta<string>("marker");
  const remembered = ls?.getItem("inspector.marker");
  if (marker) {
    ls?.setItem("inspector.marker", marker);
    return false;
  }
  const fresh = String(Date.now());
  await setMeta("marker", fresh);
  ls?.setItem("inspector.marker", fresh);
  if (remembered) {
    await setMeta("evicted_at", new Date().toISOString());
    await setMeta("cursor", null);
    return true;
  }
  return false;
}

export async function start(): Promise<void> {
  onAuthFailure(async (error) => {
    if (error.problem.wipe === true) {
      await wipeAndRestart();
    } else {
      await setMeta("needs_login", true);
    }
  });
  await checkEviction();
  window.addEventListener("online", () => void onOnline());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") void maybeSync("visible");
  });
  if (timer) clearInterval(timer);
  timer = setInterval(() => void maybeSync("timer"), SYNC_EVERY_MS);
  // The app starts locked: the session check and first sync wait for the PIN.
  deferIdleLockWhile(isSyncing);
  startIdleLock();
  window.addEventListener("inspector:lock", () => {
    if (isUnlocked()) void onOnline();
  });
  // A revoked tablet is wiped at its next contact, even if nobody unlocks it.
  if (navigator.onLine && (await lockState()) === "locked") void getJson(`${API}/auth/me`).catch(() => undefined);
}

async function onOnline(): Promise<void> {
  if (!isUnlocked() || !navigator.onLine) return;
  if (!(await getMeta("profile"))) return;
  const state = await checkSession();
  if (state === "ok") await maybeSync("online");
}

export async function unsent(): Promise<number> {
  return db.outbox.count();
}
