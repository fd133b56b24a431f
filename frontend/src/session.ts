/** Who is using this tablet: login (binds the device), the cached profile, logout, wipe. */
import { API, OfflineError, ProblemError, getJson, postJson, slugOf } from "./api";
import { db, deviceId, getMeta, safeLocalStorage, setMeta } from "./db";
import { changed, destroy, dropPendingKey, ensureDataKey, lock } from "./vault";

export interface Profile {
  id: string;
  username: string;
  display_name: string;
  role: string;
  field_office: { id: string; name: string; states: string[] } | null;
  device_id: string | null;
  /** a second factor (TOTP) is enrolled */
  totp_enabled?: boolean;
  /** the role needs a second factor and none is enrolled: the session reaches only /account */
  mfa_enrolment_required?: boolean;
}

export async function cachedProfile(): Promise<Profile | null> {
  return (await getMeta<Profile>("profile")) ?? null;
}

export class LoginRefused extends Error {}

/**
 * Log in online. At the first login on this device a fresh data key is made
 * first (what login stores is encrypted); the shell then asks for a PIN.
 */
export async function login(...args: Parameters<typeof loginOnline>): Promise<Profile> {
  const fresh = await ensureDataKey();
  try {
    return await loginOnline(...args);
  } catch (err) {
    if (fresh) dropPendingKey();
    throw err;
  } finally {
    changed();
  }
}

/** A different user than the cached one may log in only when nothing is unsent. */
async function loginOnline(username: string, password: string, otp?: string): Promise<Profile> {
  const device_id = await deviceId();
  // Whose changes are queued: the logged-in profile, or the one who logged out leaving them.
  const previous = (await cachedProfile()) ?? (await getMeta<Profile>("outbox_owner")) ?? null;
  const unsent = await db.outbox.count();
  if (previous && previous.username !== username.trim() && unsent > 0) {
    throw new LoginRefused(
      `${unsent} unsent change(s) of ${previous.display_name} are on this tablet. Log in as ${previous.username} and sync first.`,
    );
  }
  let session: { user: Profile };
  try {
    session = await postJson<{ user: Profile }>(`${API}/auth/login`, { username: username.trim(), password, device_id, ...(otp ? { totp: otp } : {}) }, { noRefresh: true });
  } catch (err) {
    if (!(err instanceof ProblemError && slugOf(err.problem) === "device-revoked")) throw err;
    // This installation was revoked: its data goes, and it logs in as a new device.
    await wipe();
    await ensureDataKey();
    await setMeta("wiped", true);
    session = await postJson<{ user: Profile }>(
      `${API}/auth/login`,
      { username: username.trim(), password, device_id: await deviceId(), ...(otp ? { totp: otp } : {}) },
      { noRefresh: true },
    );
  }
  const user = session.user;
  if (previous && previous.id !== user.id) await clearServerCopies();
  await setMeta("profile", user);
  await setMeta("outbox_owner", null);
  await setMeta("needs_login", false);
  await setMeta("wiped", false);
  return user;
}

/** Check the session with the server; keeps the cached profile when offline. */
export async function checkSession(): Promise<"ok" | "offline" | "expired"> {
  try {
    const me = await getJson<Profile>(`${API}/auth/me`);
    await setMeta("profile", me);
    await setMeta("needs_login", false);
    return "ok";
  } catch (err) {
    if (err instanceof OfflineError) return "offline";
    if (err instanceof ProblemError && err.status === 401) {
      await setMeta("needs_login", true);
      return "expired";
    }
    return "offline";
  }
}

/**
 * End the session. With nothing unsent, the tablet forgets the records and
 * the keys too (a shared tablet must not keep another investigator's leads);
 * unsent changes stay, encrypted, and the app locks: their author unlocks
 * with the PIN, logs in again and syncs.
 */
export async function logout(): Promise<void> {
  try {
    await postJson(`${API}/auth/logout`, {}, { noRefresh: true });
  } catch {
    // offline or already ended: the cookies die with the family anyway
  }
  if ((await db.outbox.count()) === 0) {
    await destroy(["device_id", "marker"]);
    return;
  }
  await setMeta("outbox_owner", await cachedProfile());
  await setMeta("profile", null);
  await setMeta("needs_login", false);
  lock();
}

/** Forget every server copy and the cursor (another user logs in). The queue stays. */
export async function clearServerCopies(): Promise<void> {
  await db.transaction("rw", [db.records, db.receipts, db.meta], async () => {
    await db.records.clear();
    await db.receipts.clear();
    await setMeta("cursor", null);
    await setMeta("snapshot_gen", null);
    await setMeta("last_sync", null);
  });
}

/** The device was revoked: clear all local data and keys (the device id too). */
export async function wipe(): Promise<void> {
  await destroy();
  const ls = safeLocalStorage();
  ls?.removeItem("inspector.device_id");
  ls?.removeItem("inspector.marker");
}
