import { LitElement, css, html, nothing } from "lit";
import { API, OfflineError, ProblemError, getJson, postJson } from "../api";
import { type Rec, db, deviceId, getMeta } from "../db";
import { storeServerCopy } from "../outbox";
import { type StorageStatus, storageStatus } from "../repo";
import { maybeSync } from "../runtime";
import { type Profile, logout } from "../session";
import { type SyncProgress, isSyncing, onProgress } from "../sync";
import { Live, fmtBytes, fmtTime, words } from "./live";
import { shared } from "./styles";

interface RejectedChange {
  op_id: string;
  entity: string;
  id: string | null;
  action: string | null;
  fields: Record<string, unknown> | null;
  problem: { title?: string; detail?: string; errors?: Record<string, string[]> } | null;
  received_at: string;
}

function show(value: unknown): string {
  if (value === undefined) return "—";
  if (value === null) return "(empty)";
  if (typeof value === "string") return value || "(empty)";
  return JSON.stringify(value);
}

/** Sync panel: unsent count, last sync, progress, receipts, conflicts, rejected changes, storage. */
export class SyncPanel extends LitElement {
  static properties = {
    profile: { attribute: false },
    progress: { state: true },
    rejected: { state: true },
    storage: { state: true },
    error: { state: true },
    customFor: { state: true },
    confirmLogout: { state: true },
  };
  declare profile: Profile;
  declare progress: SyncProgress | null;
  declare rejected: RejectedChange[] | null;
  declare storage: StorageStatus | null;
  declare error: string;
  declare customFor: string | null;
  declare confirmLogout: boolean;

  private unsubscribe: (() => void) | null = null;

  constructor() {
    super();
    this.progress = null;
    this.rejected = null;
    this.storage = null;
    this.error = "";
    this.customFor = null;
    this.confirmLogout = false;
  }

  private data = new Live(this, async () => {
    const outbox = await db.outbox.orderBy("seq").toArray();
    const receipts = await db.receipts.orderBy("received_at").reverse().limit(30).toArray();
    const conflicts = (await db.records.where("entity").equals("conflict").toArray())
      .map((r) => r.view)
      .filter((c): c is Rec => c !== null && (c.status === "open" || c.status == null));
    const names = new Map<string, string>();
    for (const c of conflicts) names.set(String(c.record_id), await this.describe(String(c.entity), String(c.record_id)));
    return {
      outbox,
      receipts,
      conflicts,
      names,
      lastSync: (await getMeta<string>("last_sync")) ?? null,
      lastError: (await getMeta<string>("last_sync_error")) ?? null,
      persistAsked: Boolean(await getMeta("persist_asked")),
      device: await deviceId(),
      needsLogin: Boolean(await getMeta("needs_login")),
    };
  });

  private async describe(entity: string, id: string): Promise<string> {
    const row = await db.records.get([entity, id] as unknown as string);
    const v = row?.view ?? row?.data;
    if (!v) return `${entity} ${id.slice(0, 8)}`;
    if (entity === "finding") {
      const inspection = (await db.records.get(["inspection", String(v.inspection_id)] as unknown as string))?.view;
      const checklist = inspection ? (await db.records.get(["checklist", String(inspection.checklist_id)] as unknown as string))?.view : null;
      const item = ((checklist?.items as { key: string; prompt: string }[] | undefined) ?? []).find((i) => i.key === v.item_key);
      return `Finding: ${item?.prompt ?? v.item_key}`;
    }
    return `${words(entity)} ${id.slice(0, 8)}`;
  }

  connectedCallback(): void {
    super.connectedCallback();
    this.unsubscribe = onProgress((p) => {
      this.progress = p;
      if (p.phase === "done") void this.loadRejected();
    });
    void this.loadRejected();
    void storageStatus().then((s) => (this.storage = s));
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
  }

  private async loadRejected(): Promise<void> {
    if (!navigator.onLine) return;
    try {
      this.rejected = await getJson<RejectedChange[]>(`${API}/sync/rejected?page_size=20`);
    } catch {
      // offline, session over, or a server without the list: keep what we had
    }
  }

  private async syncNow(): Promise<void> {
    this.error = "";
    const outcome = await maybeSync("button");
    if (outcome === null) {
      this.error = !navigator.onLine ? "No connection: changes stay on this tablet until the network is back." : "Log in again to sync.";
    } else if (!outcome.ok) {
      this.error = outcome.message;
    }
    this.storage = await storageStatus();
  }

  private async resolve(conflict: Rec, resolution: "keep_server" | "take_client" | "custom", value?: unknown): Promise<void> {
    this.error = "";
    try {
      const body: Record<string, unknown> = { resolution };
      if (resolution === "custom") body.value = value;
      const result = await postJson<Rec | undefined>(`${API}/conflicts/${conflict.id}/resolve`, body);
      // Close it locally at once; the record's new version arrives with the next pull.
      const row = await db.records.get(["conflict", conflict.id] as unknown as string);
      const closed = { ...(row?.data ?? conflict), ...(result && typeof result === "object" && "status" in result ? result : {}), status: "resolved" } as Rec;
      const version = typeof closed.version === "number" ? closed.version : (row?.version ?? null);
      await db.transaction("rw", [db.records, db.outbox], () => storeServerCopy("conflict", conflict.id, version, closed, false));
      this.customFor = null;
      void maybeSync("resolved");
    } catch (err) {
      if (err instanceof OfflineError) this.error = "Resolving a conflict needs the network.";
      else if (err instanceof ProblemError) this.error = err.message;
      else this.error = String(err);
    }
  }

  static styles = [
    shared,
    css`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(300px, 1fr));
        gap: 1rem;
      }
      .stat {
        font-size: 2rem;
        font-weight: 700;
        color: #1d3557;
      }
      .values {
        display: grid;
        grid-template-columns: repeat(3, minmax(0, 1fr));
        gap: 0.5rem;
        margin: 0.5rem 0;
      }
      .values div {
        border: 1px solid #c9d1db;
        border-radius: 6px;
        padding: 0.5rem;
        background: #fafbfc;
        overflow-wrap: anywhere;
      }
      .values h4 {
        margin: 0 0 0.25rem;
        font-size: 0.9rem;
        color: #33404d;
      }
      .status-rejected {
        color: #8a1116;
      }
      .status-conflict {
        color: #5c4200;
      }
      code {
        font-size: 0.85rem;
        overflow-wrap: anywhere;
      }
    `,
  ];

  private conflict(c: Rec, names: Map<string, string>, device: string) {
    const id = String(c.id);
    return html`<li class="card" aria-label="Conflict on ${names.get(String(c.record_id))}, field ${c.field}">
      <h3>${names.get(String(c.record_id))}: ${words(c.field)}</h3>
      <div class="values">
        <div><h4>Base (before both edits)</h4><span data-value="base">${show(c.base_value)}</span></div>
        <div><h4>Server (kept for now)</h4><span data-value="server">${show(c.server_value)}</span></div>
        <div>
          <h4>Device (${c.device_id && c.device_id === device ? "this tablet" : "another tablet"})</h4>
          <span data-value="client">${show(c.client_value)}</span>
        </div>
      </div>
      <div class="row">
        <button @click=${() => this.resolve(c, "keep_server")}>Keep server value</button>
        <button @click=${() => this.resolve(c, "take_client")}>Take device value</button>
        <button @click=${() => (this.customFor = this.customFor === id ? null : id)} aria-expanded=${this.customFor === id ? "true" : "false"}>
          Other value…
        </button>
      </div>
      ${this.customFor === id
        ? html`<form
            class="row"
            @submit=${(e: SubmitEvent) => {
              e.preventDefault();
              const raw = String(new FormData(e.target as HTMLFormElement).get("value") ?? "");
              let value: unknown = raw;
              if (typeof c.server_value === "number") value = Number(raw);
              else if (typeof c.server_value !== "string") {
                try {
                  value = JSON.parse(raw);
                } catch {
                  value = raw;
                }
              }
              void this.resolve(c, "custom", value);
            }}
          >
            <label for="custom-${id}">Value to keep</label>
            <input id="custom-${id}" name="value" .value=${show(c.server_value)} />
            <button class="primary" type="submit">Save value</button>
          </form>`
        : nothing}
    </li>`;
  }

  render() {
    if (!this.data.loaded) return html`<p>Loading…</p>`;
    const d = this.data.value!;
    const p = this.progress;
    const busy = isSyncing() || (p && !["idle", "done", "error"].includes(p.phase));
    return html`
      <h1>Sync</h1>
      <div class="grid">
        <section class="card" aria-labelledby="st-h">
          <h2 id="st-h">Status</h2>
          <p><span class="stat" data-testid="unsent-count">${d.outbox.length}</span> unsent change(s)</p>
          <p>Last sync: <strong data-testid="last-sync">${fmtTime(d.lastSync)}</strong></p>
          ${d.lastError ? html`<p class="notice warn">Last attempt: ${d.lastError}</p>` : nothing}
          <div role="status" aria-live="polite">
            ${busy && p
              ? html`<p>${p.message}</p>
                  <progress aria-label="Sync progress" max=${p.total || 1} value=${p.total ? p.done : 0}></progress>`
              : p?.phase === "done"
                ? html`<p>${p.message}</p>`
                : nothing}
          </div>
          ${this.error ? html`<p class="notice error" role="alert">${this.error}</p>` : nothing}
          <div class="row">
            <button class="primary" ?disabled=${Boolean(busy)} @click=${this.syncNow}>Sync now</button>
            <button @click=${() => (d.outbox.length ? (this.confirmLogout = true) : logout())}>Log out</button>
          </div>
          ${this.confirmLogout && d.outbox.length
            ? html`<div class="notice warn" role="alert">
                <p>
                  ${d.outbox.length} unsent change(s) stay on this tablet, encrypted, until you unlock it, log in again and sync.
                  Sync first to send them.
                </p>
                <div class="row">
                  <button class="primary" ?disabled=${Boolean(busy)} @click=${this.syncNow}>Sync first</button>
                  <button class="danger" @click=${() => logout()}>Log out anyway</button>
                  <button @click=${() => (this.confirmLogout = false)}>Stay logged in</button>
                </div>
              </div>`
            : nothing}
        </section>
        <section class="card" aria-labelledby="dev-h">
          <h2 id="dev-h">This tablet</h2>
          <dl>
            <dt>User</dt>
            <dd>${this.profile.display_name} (${this.profile.role})</dd>
            <dt>Device id</dt>
            <dd><code>${d.device}</code></dd>
            <dt>Storage</dt>
            <dd data-testid="storage">
              ${this.storage?.persisted
                ? "persistent (the browser keeps it)"
                : d.persistAsked
                  ? "best effort (the browser may clear it under pressure; add the app to the home screen)"
                  : "best effort (persistence is asked after the first save)"}
            </dd>
            <dt>Used</dt>
            <dd>${fmtBytes(this.storage?.usage)} of ${fmtBytes(this.storage?.quota)}</dd>
          </dl>
        </section>
      </div>
      <section class="card" aria-labelledby="cf-h">
        <h2 id="cf-h">Conflicts</h2>
        ${d.conflicts.length
          ? html`<ul class="plain">${d.conflicts.map((c) => this.conflict(c, d.names, d.device))}</ul>`
          : html`<p class="muted">No open conflicts.</p>`}
      </section>
      <section class="card" aria-labelledby="q-h">
        <h2 id="q-h">Unsent changes</h2>
        ${d.outbox.length
          ? html`<table>
              <caption class="visually-hidden">Changes waiting to be sent</caption>
              <thead>
                <tr><th scope="col">#</th><th scope="col">Record</th><th scope="col">Change</th><th scope="col">Fields</th></tr>
              </thead>
              <tbody>
                ${d.outbox.slice(0, 100).map(
                  (c) => html`<tr>
                    <td>${c.seq}</td>
                    <td>${c.entity}</td>
                    <td>${c.action}${c.sent ? " (sent, awaiting receipt)" : ""}</td>
                    <td>${Object.keys(c.fields).join(", ") || "—"}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`
          : html`<p class="muted">Everything is sent.</p>`}
      </section>
      <section class="card" aria-labelledby="r-h">
        <h2 id="r-h">Receipts</h2>
        ${d.receipts.length
          ? html`<table>
              <caption class="visually-hidden">Latest receipts from the server</caption>
              <thead>
                <tr><th scope="col">Time</th><th scope="col">Record</th><th scope="col">Result</th></tr>
              </thead>
              <tbody>
                ${d.receipts.map(
                  (r) => html`<tr>
                    <td>${fmtTime(r.received_at)}</td>
                    <td>${r.entity} ${r.action ?? ""}</td>
                    <td class="status-${r.status}">
                      ${r.status}${r.merged_into ? " (merged into an existing record)" : ""}${r.problem ? html`: ${r.problem.detail ?? r.problem.title}` : nothing}
                    </td>
                  </tr>`,
                )}
              </tbody>
            </table>`
          : html`<p class="muted">No receipts yet.</p>`}
      </section>
      <section class="card" aria-labelledby="rj-h">
        <h2 id="rj-h">Rejected changes</h2>
        ${this.rejected === null
          ? html`<p class="muted">Shown when online.</p>`
          : this.rejected.length
            ? html`<ul class="plain">
                ${this.rejected.map(
                  (r) => html`<li class="card">
                    <strong>${r.entity} ${r.action ?? ""}</strong> · ${fmtTime(r.received_at)}
                    <p class="status-rejected">${r.problem?.title}: ${r.problem?.detail}</p>
                    ${r.problem?.errors
                      ? html`<ul>
                          ${Object.entries(r.problem.errors).map(([k, v]) => html`<li>${k}: ${Array.isArray(v) ? v.join(" ") : JSON.stringify(v)}</li>`)}
                        </ul>`
                      : nothing}
                    <p class="small">Sent: <code>${JSON.stringify(r.fields)}</code></p>
                  </li>`,
                )}
              </ul>`
            : html`<p class="muted">No rejected changes.</p>`}
      </section>
    `;
  }
}

customElements.define("insp-sync-panel", SyncPanel);
