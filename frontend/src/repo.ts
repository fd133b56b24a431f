/** What the screens read and write: local views of records, and changes queued for sync. */
import { API, request } from "./api";
import { type Fields, type Rec, db, getMeta, nowIso, setMeta } from "./db";
import { enqueue, newId } from "./outbox";
import { isUnlocked } from "./vault";

export interface ChecklistItem {
  key: string;
  area: string;
  prompt: string;
  citation: string;
  required: boolean;
  license_types: string[];
  states: string[];
  position: number;
}

export const RESULTS = [
  { value: "compliant", label: "Compliant" },
  { value: "violation", label: "Violation" },
  { value: "not_applicable", label: "N/A" },
  { value: "not_reviewed", label: "Not reviewed" },
] as const;

export const OUTCOMES = [
  { value: "no_violations", label: "No violations" },
  { value: "report_of_violations", label: "Report of violations" },
  { value: "warning_letter", label: "Warning letter" },
  { value: "warning_conference", label: "Warning conference" },
  { value: "revocation", label: "Revocation" },
] as const;

export const INDICATORS = [
  { value: "multiple-sales", label: "Multiple sales" },
  { value: "short-time-to-crime", label: "Short time-to-crime" },
  { value: "straw-purchase-signs", label: "Signs of straw purchases" },
  { value: "missing-inventory", label: "Missing inventory" },
  { value: "high-trace-volume", label: "High trace volume" },
  { value: "lost-stolen-pattern", label: "Lost/stolen pattern" },
  { value: "other", label: "Other" },
] as const;

export const AGENCIES = ["ATF special agents", "HSI", "CBP", "FBI", "Local police", "State police"];

export const OPEN_STATUSES = ["assigned", "in_progress", "returned"];
export const EDITABLE_STATUSES = ["assigned", "in_progress", "returned"];

export function label(list: readonly { value: string; label: string }[], value: unknown): string {
  return list.find((x) => x.value === value)?.label ?? (value == null || value === "" ? "—" : String(value));
}

export async function view(entity: string, id: string): Promise<Rec | null> {
  const row = await db.records.get([entity, id] as unknown as string);
  return row?.view ?? null;
}

export async function views(entity: string): Promise<Rec[]> {
  const rows = await db.records.where("entity").equals(entity).toArray();
  return rows.map((r) => r.view).filter((v): v is Rec => v !== null);
}

export async function children(entity: string, parent: string): Promise<Rec[]> {
  const rows = await db.records.where("[entity+parent]").equals([entity, parent]).toArray();
  return rows.map((r) => r.view).filter((v): v is Rec => v !== null);
}

export async function pendingOf(entity: string, id: string): Promise<number> {
  return db.outbox.where("[entity+id]").equals([entity, id]).count();
}

/** My open inspections, by due date then priority (highest first). */
export async function myQueue(userId: string | undefined): Promise<Rec[]> {
  const all = await views("inspection");
  return all
    .filter((i) => !userId || !i.investigator_id || i.investigator_id === userId)
    .sort((a, b) => {
      const da = String(a.due_date ?? "9999");
      const dbb = String(b.due_date ?? "9999");
      if (da !== dbb) return da < dbb ? -1 : 1;
      return Number(b.priority ?? 0) - Number(a.priority ?? 0);
    });
}

export function applicableItems(checklist: Rec | null, licensee: Rec | null): ChecklistItem[] {
  const items = ((checklist?.items as ChecklistItem[] | undefined) ?? []).slice();
  const type = String(licensee?.license_type ?? "");
  const state = String(licensee?.premises_state ?? "");
  return items
    .filter((i) => (!i.license_types?.length || i.license_types.includes(type)) && (!i.states?.length || i.states.includes(state)))
    .sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
}

export function groupByArea(items: ChecklistItem[]): [string, ChecklistItem[]][] {
  const groups = new Map<string, ChecklistItem[]>();
  for (const item of items) {
    const list = groups.get(item.area) ?? [];
    list.push(item);
    groups.set(item.area, list);
  }
  return [...groups.entries()];
}

/** Required items without a finding (what blocks a submit). */
export function missingRequired(items: ChecklistItem[], findings: Rec[]): ChecklistItem[] {
  const answered = new Set(findings.filter((f) => f.result).map((f) => f.item_key));
  return items.filter((i) => i.required && !answered.has(i.key));
}

/** Findings that cannot be submitted as they are (a violation needs at least one instance). */
export function invalidFindings(findings: Rec[]): Rec[] {
  return findings.filter((f) => f.result === "violation" && !(Number(f.instances) >= 1));
}

/** Only what differs from the current view. */
export function changedFields(current: Rec | null, next: Fields): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries(next)) {
    if (JSON.stringify(current?.[k] ?? null) !== JSON.stringify(v ?? null)) out[k] = v;
  }
  return out;
}

async function afterSave(): Promise<void> {
  await askPersistence();
  window.dispatchEvent(new CustomEvent("inspector:saved"));
}

let saving: Promise<unknown> = Promise.resolve();

/** Saves run one after another, each on fresh views (two quick taps never make two findings). */
export function serial<T>(fn: () => Promise<T>): Promise<T> {
  const run = saving.then(fn, fn);
  saving = run.catch(() => undefined);
  return run;
}

/** Move an assigned or returned inspection to in_progress (its own queued status change). */
async function ensureStarted(inspectionId: string): Promise<Rec> {
  const inspection = await view("inspection", inspectionId);
  if (!inspection) throw new Error("This inspection is not on this tablet.");
  if (!EDITABLE_STATUSES.includes(String(inspection.status))) throw new Error(`This inspection is ${inspection.status}; it cannot be changed.`);
  if (inspection.status === "assigned" || inspection.status === "returned") {
    const fields: Fields = { status: "in_progress" };
    if (!inspection.started_at) fields.started_at = nowIso();
    await enqueue("inspection", inspection.id, "update", fields);
  }
  return (await view("inspection", inspectionId))!;
}

export async function findingFor(inspectionId: string, itemKey: string): Promise<Rec | null> {
  return (await children("finding", inspectionId)).find((f) => f.item_key === itemKey) ?? null;
}

/** Answer or edit the finding of one checklist item. */
export function saveFinding(inspectionId: string, itemKey: string, next: Fields): Promise<string> {
  return serial(async () => {
    await ensureStarted(inspectionId);
    const finding = await findingFor(inspectionId, itemKey);
    let id: string;
    if (!finding) {
      id = newId();
      await enqueue("finding", id, "create", {
        inspection_id: inspectionId,
        item_key: itemKey,
        result: "not_reviewed",
        instances: 0,
        note: "",
        attachments: [],
        ...next,
      });
    } else {
      id = finding.id;
      const fields = changedFields(finding, next);
      if (Object.keys(fields).length) await enqueue("finding", id, "update", fields);
    }
    await afterSave();
    return id;
  });
}

export function saveInspection(inspectionId: string, next: Fields): Promise<void> {
  return serial(async () => {
    const current = await view("inspection", inspectionId);
    const fields = changedFields(current, next);
    if (!Object.keys(fields).length) return;
    await ensureStarted(inspectionId);
    await enqueue("inspection", inspectionId, "update", fields);
    await afterSave();
  });
}

export function submitInspection(inspectionId: string): Promise<void> {
  return serial(async () => {
    await ensureStarted(inspectionId);
    await enqueue("inspection", inspectionId, "update", { status: "submitted", completed_at: nowIso() });
    await afterSave();
  });
}

export function saveLead(leadId: string | null, next: Fields): Promise<string> {
  return serial(async () => {
    const lead = leadId ? await view("lead", leadId) : null;
    if (!lead) {
      const id = leadId ?? newId();
      await enqueue("lead", id, "create", { status: "draft", attachments: [], ...next });
      await afterSave();
      return id;
    }
    const fields = changedFields(lead, next);
    const status = fields.status;
    delete fields.status;
    if (Object.keys(fields).length) await enqueue("lead", lead.id, "update", fields);
    if (status !== undefined) await enqueue("lead", lead.id, "update", { status });
    await afterSave();
    return lead.id;
  });
}

export async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const TYPES: [number[], string][] = [
  [[0xff, 0xd8, 0xff], "image/jpeg"],
  [[0x89, 0x50, 0x4e, 0x47], "image/png"],
  [[0x25, 0x50, 0x44, 0x46], "application/pdf"],
];

/** The media type from the bytes (the server checks it the same way). */
export function sniffType(bytes: ArrayBuffer, fallback: string): string {
  const head = new Uint8Array(bytes.slice(0, 12));
  for (const [magic, type] of TYPES) if (magic.every((b, i) => head[i] === b)) return type;
  if (String.fromCharCode(...head.slice(0, 4)) === "RIFF" && String.fromCharCode(...head.slice(8, 12)) === "WEBP") return "image/webp";
  return fallback;
}

export const BLOB_TYPES = ["image/jpeg", "image/png", "image/webp", "application/pdf"];

/** Keep a photo's bytes offline; returns its digest. */
export async function storeBlob(file: Blob): Promise<string> {
  const bytes = await file.arrayBuffer();
  const type = sniffType(bytes, file.type);
  if (!BLOB_TYPES.includes(type)) throw new Error("Only JPEG, PNG, WebP photos or PDF documents can be attached.");
  const sha256 = await sha256Hex(bytes);
  const existing = await db.blobs.get(sha256);
  if (!existing) await db.blobs.put({ sha256, type, bytes, size: bytes.byteLength, uploaded: 0, created_at: nowIso() });
  return sha256;
}

const urls = new Map<string, string>();

// Locked: the decrypted photos' blob: URLs go too.
if (typeof window !== "undefined") {
  window.addEventListener("inspector:lock", () => {
    if (isUnlocked()) return;
    for (const url of urls.values()) URL.revokeObjectURL(url);
    urls.clear();
  });
}

/** A blob: URL for a stored photo (null when the bytes are not on this device). */
export async function blobUrl(sha256: string): Promise<string | null> {
  const cached = urls.get(sha256);
  if (cached) return cached;
  let row = await db.blobs.get(sha256);
  if (!row && navigator.onLine) {
    // A photo another device took: fetch it once, keep it for offline use.
    try {
      const response = await request(`${API}/blobs/${sha256}`);
      const bytes = await response.arrayBuffer();
      if ((await sha256Hex(bytes)) !== sha256) return null;
      row = { sha256, type: sniffType(bytes, response.headers.get("Content-Type") ?? ""), bytes, size: bytes.byteLength, uploaded: 1, created_at: nowIso() };
      await db.blobs.put(row);
    } catch {
      return null;
    }
  }
  if (!row) return null;
  const url = URL.createObjectURL(new Blob([row.bytes], { type: row.type }));
  urls.set(sha256, url);
  return url;
}

/** Ask once, after the first save, that the browser keep our data. */
export async function askPersistence(): Promise<void> {
  if (await getMeta<boolean>("persist_asked")) return;
  await setMeta("persist_asked", true);
  try {
    const granted = await navigator.storage?.persist?.();
    await setMeta("persisted", Boolean(granted));
  } catch {
    await setMeta("persisted", false);
  }
}

export interface StorageStatus {
  persisted: boolean | null;
  usage: number | null;
  quota: number | null;
}

export async function storageStatus(): Promise<StorageStatus> {
  try {
    const persisted = (await navigator.storage?.persisted?.()) ?? null;
    const estimate = await navigator.storage?.estimate?.();
    return { persisted, usage: estimate?.usage ?? null, quota: estimate?.quota ?? null };
  } catch {
    return { persisted: null, usage: null, quota: null };
  }
}
