import { LitElement, type PropertyValues, css, html, nothing } from "lit";
import { API, OfflineError, ProblemError, getJson, postJson, request } from "../api";
import type { Rec } from "../db";
import { type ChecklistItem, OUTCOMES, RESULTS, label } from "../repo";
import type { Profile } from "../session";
import { fmtDate, fmtTime, words } from "./live";
import { shared } from "./styles";

/** An inspection as the review list and screen receive it (with the names shown beside it). */
interface Inspection {
  id: string;
  version: number;
  licensee_id: string;
  checklist_id: string;
  investigator_id: string | null;
  type: string;
  status: string;
  due_date: string | null;
  started_at: string | null;
  completed_at: string | null;
  submitted_at: string | null;
  summary: string | null;
  recommended_outcome: string | null;
  decided_outcome: string | null;
  reviewer_id: string | null;
  reviewed_at: string | null;
  review_comment: string | null;
  licensee_name: string | null;
  license_number: string | null;
  investigator_name: string | null;
  reviewer_name: string | null;
  violation_count: number;
  conflict_count: number;
}

interface Finding {
  id: string;
  item_key: string;
  result: string;
  instances: number;
  note: string | null;
  attachments: string[];
  review_comment: string | null;
}

interface Version {
  version: number;
  deleted: boolean;
  record: Rec | null;
  at: string;
}

interface Conflict {
  id: string;
  entity: string;
  record_id: string;
  field: string;
  server_value: unknown;
  client_value: unknown;
  status: string;
}

const PAGE_SIZE = 50;
const TABS = [
  { status: "submitted", label: "Submitted" },
  { status: "returned", label: "Returned" },
  { status: "approved", label: "Approved" },
  { status: "in_progress", label: "In progress" },
  { status: "", label: "All" },
] as const;
const FILTERS = ["investigator_id", "q", "submitted_from", "submitted_to", "outcome", "has_violations", "has_open_conflicts"] as const;
type Filters = Record<(typeof FILTERS)[number] | "status", string>;

function errorText(err: unknown): string {
  if (err instanceof OfflineError) return "The review screens need the network; you are offline.";
  if (err instanceof ProblemError) {
    const errors = err.problem.errors as Record<string, string[]> | undefined;
    const details = errors ? Object.entries(errors).map(([k, v]) => `${words(k)}: ${[v].flat().join(", ")}`) : [];
    return [err.message, ...details].join(" — ");
  }
  return (err as Error).message || "Something went wrong.";
}

/**
 * Download through a plain link (the browser streams the file to disk), after making sure
 * the session's access cookie is fresh: a link cannot refresh an expired token itself.
 */
async function download(event: Event): Promise<void> {
  event.preventDefault();
  const link = event.currentTarget as HTMLAnchorElement;
  try {
    await request(`${API}/auth/me`);
  } catch {
    // offline or signed out: the download itself says so
  }
  const a = document.createElement("a");
  a.href = link.href;
  a.download = link.getAttribute("download") ?? "";
  document.body.append(a);
  a.click();
  a.remove();
}

function query(filters: Partial<Filters>, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filters, ...extra })) if (v) q.set(k, v);
  return q.toString();
}

/** The office's inspections for review: status tabs, filters, a page at a time, CSV export. */
export class ReviewList extends LitElement {
  static properties = {
    profile: { attribute: false },
    filters: { state: true },
    rows: { state: true },
    total: { state: true },
    page: { state: true },
    error: { state: true },
    investigators: { state: true },
  };
  declare profile: Profile;
  declare filters: Filters;
  declare rows: Inspection[] | null;
  declare total: number;
  declare page: number;
  declare error: string;
  declare investigators: Map<string, string>;

  constructor() {
    super();
    this.filters = {
      status: "submitted",
      investigator_id: "",
      q: "",
      submitted_from: "",
      submitted_to: "",
      outcome: "",
      has_violations: "",
      has_open_conflicts: "",
    };
    this.rows = null;
    this.total = 0;
    this.page = 1;
    this.error = "";
    this.investigators = new Map();
  }

  static styles = [
    shared,
    css`
      .tabs {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        margin: 0 0 1rem;
      }
      .tabs button[aria-pressed="true"] {
        background: #1d3557;
        color: #fff;
      }
      .filters {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(170px, 1fr));
        gap: 0 1rem;
        align-items: end;
      }
      .scroll {
        overflow-x: auto;
      }
      td.num {
        text-align: right;
      }
    `,
  ];

  connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    this.error = "";
    try {
      const response = await request(`${API}/inspections?${query(this.filters, { page: String(this.page), page_size: String(PAGE_SIZE) })}`);
      const rows = (await response.json()) as Inspection[];
      this.total = Number(JSON.parse(response.headers.get("X-Pagination") ?? "{}").total ?? rows.length);
      const known = new Map(this.investigators);
      for (const r of rows) if (r.investigator_id && r.investigator_name) known.set(r.investigator_id, r.investigator_name);
      this.investigators = known;
      this.rows = rows;
    } catch (err) {
      this.error = errorText(err);
      this.rows = [];
    }
  }

  private set(name: keyof Filters, value: string): void {
    this.filters = { ...this.filters, [name]: value };
    this.page = 1;
    void this.load();
  }

  private go(page: number): void {
    this.page = page;
    void this.load();
  }

  private filterForm() {
    const f = this.filters;
    const change = (name: keyof Filters) => (e: Event) => this.set(name, (e.target as HTMLInputElement | HTMLSelectElement).value);
    const yesNo = (name: "has_violations" | "has_open_conflicts", text: string) => html`<div>
      <label for="f-${name}">${text}</label>
      <select id="f-${name}" @change=${change(name)}>
        <option value="" ?selected=${!f[name]}>Any</option>
        <option value="true" ?selected=${f[name] === "true"}>Yes</option>
        <option value="false" ?selected=${f[name] === "false"}>No</option>
      </select>
    </div>`;
    return html`<form class="card filters" aria-label="Filters" @submit=${(e: Event) => e.preventDefault()}>
      <div>
        <label for="f-q">Licensee</label>
        <input id="f-q" type="search" placeholder="Name or license number" .value=${f.q} @change=${change("q")} />
      </div>
      <div>
        <label for="f-investigator">Investigator</label>
        <select id="f-investigator" @change=${change("investigator_id")}>
          <option value="" ?selected=${!f.investigator_id}>Anyone</option>
          ${[...this.investigators].map(([id, name]) => html`<option value=${id} ?selected=${f.investigator_id === id}>${name}</option>`)}
        </select>
      </div>
      <div>
        <label for="f-from">Submitted from</label>
        <input id="f-from" type="date" .value=${f.submitted_from} @change=${change("submitted_from")} />
      </div>
      <div>
        <label for="f-to">Submitted to</label>
        <input id="f-to" type="date" .value=${f.submitted_to} @change=${change("submitted_to")} />
      </div>
      <div>
        <label for="f-outcome">Outcome</label>
        <select id="f-outcome" @change=${change("outcome")}>
          <option value="" ?selected=${!f.outcome}>Any</option>
          ${OUTCOMES.map((o) => html`<option value=${o.value} ?selected=${f.outcome === o.value}>${o.label}</option>`)}
        </select>
      </div>
      ${yesNo("has_violations", "Has violations")} ${yesNo("has_open_conflicts", "Has open conflicts")}
    </form>`;
  }

  render() {
    const f = this.filters;
    const pages = Math.max(1, Math.ceil(this.total / PAGE_SIZE));
    return html`
      <div class="spread">
        <h1>Review</h1>
        <a class="button" href="${API}/inspections/export.csv?${query(f)}" download @click=${download}>Export CSV</a>
      </div>
      <div class="tabs" role="group" aria-label="Status">
        ${TABS.map(
          (t) => html`<button type="button" aria-pressed=${f.status === t.status ? "true" : "false"} @click=${() => this.set("status", t.status)}>
            ${t.label}
          </button>`,
        )}
      </div>
      ${this.filterForm()}
      ${this.error ? html`<p class="notice error" role="alert">${this.error}</p>` : nothing}
      ${this.rows === null
        ? html`<p>Loading…</p>`
        : this.rows.length === 0
          ? html`<p class="muted">No inspections match.</p>`
          : html`<div class="scroll">
              <table aria-label="Inspections">
                <thead>
                  <tr>
                    <th scope="col">Licensee</th>
                    <th scope="col">Type</th>
                    <th scope="col">Investigator</th>
                    <th scope="col">Submitted</th>
                    <th scope="col">Status</th>
                    <th scope="col">Violations</th>
                    <th scope="col">Conflicts</th>
                    <th scope="col">Outcome</th>
                  </tr>
                </thead>
                <tbody>
                  ${this.rows.map(
                    (r) => html`<tr>
                      <td>
                        <a href="/review/inspections/${r.id}">${r.licensee_name ?? "Licensee"}</a>
                        <div class="small muted">${r.license_number}</div>
                      </td>
                      <td>${words(r.type)}</td>
                      <td>${r.investigator_name ?? "—"}</td>
                      <td>${fmtDate(r.submitted_at)}</td>
                      <td><span class="badge">${words(r.status)}</span></td>
                      <td class="num">${r.violation_count}</td>
                      <td class="num">${r.conflict_count ? html`<span class="badge bad">${r.conflict_count}</span>` : "0"}</td>
                      <td>
                        ${r.decided_outcome
                          ? html`${label(OUTCOMES, r.decided_outcome)} <span class="small muted">(decided)</span>`
                          : html`${label(OUTCOMES, r.recommended_outcome)} <span class="small muted">(recommended)</span>`}
                      </td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>`}
      <div class="row" role="navigation" aria-label="Pages">
        <button type="button" ?disabled=${this.page <= 1} @click=${() => this.go(this.page - 1)}>Previous page</button>
        <span>Page ${this.page} of ${pages} · ${this.total} inspection(s)</span>
        <button type="button" ?disabled=${this.page >= pages} @click=${() => this.go(this.page + 1)}>Next page</button>
      </div>
    `;
  }
}

customElements.define("insp-review-list", ReviewList);

interface Detail {
  inspection: Inspection;
  findings: Finding[];
  items: Map<string, ChecklistItem>;
  history: Version[];
  conflicts: Conflict[];
}

/** One inspection: findings with citations and photos, history, conflicts; approve or return. */
export class ReviewInspection extends LitElement {
  static properties = {
    profile: { attribute: false },
    inspectionId: { attribute: false },
    detail: { state: true },
    error: { state: true },
    message: { state: true },
    busy: { state: true },
    outcome: { state: true },
    willful: { state: true },
  };
  declare profile: Profile;
  declare inspectionId: string;
  declare detail: Detail | null;
  declare error: string;
  declare message: string;
  declare busy: boolean;
  declare outcome: string;
  declare willful: Set<string>;
  /** the return form's comments: "" for the whole inspection, else per finding id */
  private comments = new Map<string, string>();

  constructor() {
    super();
    this.detail = null;
    this.error = "";
    this.message = "";
    this.busy = false;
    this.outcome = "";
    this.willful = new Set();
  }

  static styles = [
    shared,
    css`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(320px, 1fr));
        gap: 0 1rem;
      }
      article.finding {
        border-top: 1px solid #d5dce4;
        padding: 0.75rem 0;
      }
      article.finding.violation {
        border-left: 6px solid #a4161a;
        padding-left: 0.75rem;
      }
      .photos {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
      }
      .photos a {
        min-height: 0;
      }
      .photos img {
        width: 120px;
        height: 90px;
        object-fit: cover;
        border-radius: 6px;
        border: 1px solid #c9d1db;
      }
      label.check {
        display: inline-flex;
        align-items: center;
        gap: 0.4rem;
        min-height: 44px;
        font-weight: 400;
      }
      label.check input {
        width: 22px;
        height: 22px;
        min-height: 0;
      }
      ol.history {
        padding-left: 1.5rem;
        margin: 0;
      }
      pre {
        white-space: pre-wrap;
        margin: 0;
        font: inherit;
      }
    `,
  ];

  connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  protected willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("inspectionId") && changed.get("inspectionId") !== undefined) {
      this.detail = null;
      this.comments.clear();
      this.willful = new Set();
      void this.load();
    }
  }

  private async load(): Promise<void> {
    const id = this.inspectionId;
    try {
      const inspection = await getJson<Inspection>(`${API}/inspections/${id}`);
      const [findings, checklist, history, conflicts] = await Promise.all([
        getJson<Finding[]>(`${API}/inspections/${id}/findings?page_size=500`),
        getJson<{ items: ChecklistItem[] }>(`${API}/checklists/${inspection.checklist_id}`),
        getJson<Version[]>(`${API}/inspections/${id}/history`),
        getJson<Conflict[]>(`${API}/conflicts?status=open&inspection_id=${id}&page_size=500`),
      ]);
      const items = new Map(checklist.items.map((i) => [i.key, i]));
      findings.sort((a, b) => (items.get(a.item_key)?.position ?? 0) - (items.get(b.item_key)?.position ?? 0));
      this.detail = { inspection, findings, items, history, conflicts };
      this.outcome = inspection.decided_outcome ?? inspection.recommended_outcome ?? "";
      this.error = "";
    } catch (err) {
      this.error = errorText(err);
    }
  }

  private async act(run: () => Promise<unknown>, done: string): Promise<void> {
    this.busy = true;
    this.error = "";
    this.message = "";
    try {
      await run();
      this.message = done;
      this.comments.clear();
      await this.load();
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.busy = false;
    }
  }

  private approve(): Promise<void> {
    const comment = (this.renderRoot.querySelector("#approve-comment") as HTMLTextAreaElement | null)?.value.trim();
    const body = {
      decided_outcome: this.outcome,
      comment: comment || null,
      willful_finding_ids: this.outcome === "revocation" ? [...this.willful] : [],
    };
    return this.act(() => postJson(`${API}/inspections/${this.inspectionId}/approve`, body), "Approved.");
  }

  private sendBack(): Promise<void> {
    const comment = (this.comments.get("") ?? "").trim();
    if (!comment) {
      this.error = "Say what needs to change: the overall comment is required to return an inspection.";
      return Promise.resolve();
    }
    const findings = [...this.comments]
      .filter(([id, text]) => id && text.trim())
      .map(([finding_id, text]) => ({ finding_id, comment: text.trim() }));
    return this.act(
      () => postJson(`${API}/inspections/${this.inspectionId}/return`, { comment, findings }),
      "Returned to the investigator. Their tablet receives the comments at its next sync.",
    );
  }

  private resolve(conflict: Conflict, resolution: "keep_server" | "take_client"): Promise<void> {
    return this.act(() => postJson(`${API}/conflicts/${conflict.id}/resolve`, { resolution }), "Conflict resolved.");
  }

  private finding(f: Finding, deciding: boolean) {
    const item = this.detail!.items.get(f.item_key);
    const id = `c-${f.id}`;
    return html`<article class="finding ${f.result}" aria-labelledby="${id}-h" data-item=${f.item_key}>
      <h3 id="${id}-h">${item?.prompt ?? f.item_key}</h3>
      <dl>
        <dt>Citation</dt>
        <dd>${item?.citation ?? "—"}</dd>
        <dt>Result</dt>
        <dd>${label(RESULTS, f.result)}${f.result === "violation" ? html` · <strong>${f.instances}</strong> instance(s)` : nothing}</dd>
        <dt>Note</dt>
        <dd><pre>${f.note || "—"}</pre></dd>
        ${f.review_comment ? html`<dt>Last review comment</dt><dd>${f.review_comment}</dd>` : nothing}
      </dl>
      ${f.attachments?.length
        ? html`<div class="photos" role="list" aria-label="Photos">
            ${f.attachments.map(
              (sha, n) => html`<a role="listitem" href="${API}/blobs/${sha}" target="_blank" rel="noopener"
                ><img src="${API}/blobs/${sha}" alt="Photo ${n + 1} for ${item?.prompt ?? f.item_key}"
              /></a>`,
            )}
          </div>`
        : nothing}
      ${deciding
        ? html`<label for=${id}>Comment on this finding (sent back with a return)</label>
            <textarea id=${id} @input=${(e: Event) => this.comments.set(f.id, (e.target as HTMLTextAreaElement).value)}></textarea>`
        : nothing}
    </article>`;
  }

  private decision(i: Inspection, violations: Finding[]) {
    const blocked = i.conflict_count > 0;
    return html`<section class="card" aria-labelledby="decide-h">
      <h2 id="decide-h">Decision</h2>
      <div class="grid">
        <div>
          <h3>Approve</h3>
          ${blocked ? html`<p class="notice warn">Resolve the ${i.conflict_count} open conflict(s) before approving, or return the inspection.</p>` : nothing}
          <label for="decided-outcome">Decided outcome</label>
          <select id="decided-outcome" @change=${(e: Event) => (this.outcome = (e.target as HTMLSelectElement).value)}>
            <option value="" ?selected=${!this.outcome}>Choose…</option>
            ${OUTCOMES.map((o) => html`<option value=${o.value} ?selected=${this.outcome === o.value}>${o.label}</option>`)}
          </select>
          ${this.outcome === "revocation"
            ? html`<fieldset>
                <legend>Willful violations (a revocation needs one)</legend>
                ${violations.map(
                  (f) => html`<label class="check"
                    ><input
                      type="checkbox"
                      .checked=${this.willful.has(f.id)}
                      @change=${(e: Event) => {
                        const next = new Set(this.willful);
                        if ((e.target as HTMLInputElement).checked) next.add(f.id);
                        else next.delete(f.id);
                        this.willful = next;
                      }}
                    />${this.detail!.items.get(f.item_key)?.prompt ?? f.item_key}</label
                  >`,
                )}
              </fieldset>`
            : nothing}
          <label for="approve-comment">Comment (optional)</label>
          <textarea id="approve-comment"></textarea>
          <button class="primary" ?disabled=${this.busy || blocked || !this.outcome} @click=${this.approve}>Approve</button>
        </div>
        <div>
          <h3>Return to the investigator</h3>
          <label for="return-comment">What needs to change (required)</label>
          <textarea id="return-comment" @input=${(e: Event) => this.comments.set("", (e.target as HTMLTextAreaElement).value)}></textarea>
          <p class="small muted">Comments on single findings go in the fields under each finding.</p>
          <button ?disabled=${this.busy} @click=${this.sendBack}>Return to investigator</button>
        </div>
      </div>
    </section>`;
  }

  render() {
    const back = html`<p><a href="/review">← Review</a></p>`;
    if (!this.detail) return html`${back}<h1>Inspection review</h1>${this.error ? html`<p class="notice error" role="alert">${this.error}</p>` : html`<p>Loading…</p>`}`;
    const { inspection: i, findings, history, conflicts } = this.detail;
    const deciding = i.status === "submitted";
    const violations = findings.filter((f) => f.result === "violation");
    const printable = i.status === "submitted" || i.status === "approved";
    return html`
      ${back}
      <div class="spread">
        <h1>${i.licensee_name ?? "Inspection review"}</h1>
        <span class="badge">${words(i.status)}</span>
      </div>
      ${this.error ? html`<p class="notice error" role="alert">${this.error}</p>` : nothing}
      ${this.message ? html`<p class="notice" role="status">${this.message}</p>` : nothing}
      <section class="card" aria-labelledby="facts-h">
        <div class="spread">
          <h2 id="facts-h">Inspection</h2>
          ${printable
            ? html`<a class="button" href="${API}/inspections/${i.id}/report.pdf" download @click=${download}
                >${violations.length ? "Report of Violations (PDF)" : "Report (PDF)"}</a
              >`
            : nothing}
        </div>
        <dl>
          <dt>License number</dt>
          <dd>${i.license_number}</dd>
          <dt>Type</dt>
          <dd>${words(i.type)}</dd>
          <dt>Investigator</dt>
          <dd>${i.investigator_name ?? "—"}</dd>
          <dt>Started</dt>
          <dd>${fmtDate(i.started_at)}</dd>
          <dt>Completed</dt>
          <dd>${fmtDate(i.completed_at)}</dd>
          <dt>Submitted</dt>
          <dd>${fmtTime(i.submitted_at)}</dd>
          <dt>Recommended outcome</dt>
          <dd>${label(OUTCOMES, i.recommended_outcome)}</dd>
          <dt>Decided outcome</dt>
          <dd>${label(OUTCOMES, i.decided_outcome)}</dd>
          ${i.reviewed_at
            ? html`<dt>Last decision</dt>
                <dd>${i.reviewer_name ?? "—"}, ${fmtTime(i.reviewed_at)}${i.review_comment ? html`: “${i.review_comment}”` : nothing}</dd>`
            : nothing}
          <dt>Summary</dt>
          <dd><pre>${i.summary || "—"}</pre></dd>
        </dl>
      </section>
      ${conflicts.length
        ? html`<section class="card" aria-labelledby="conflicts-h">
            <h2 id="conflicts-h">Open conflicts (${conflicts.length})</h2>
            <ul class="plain">
              ${conflicts.map(
                (c) => html`<li aria-label="Conflict on ${words(c.field)}">
                  <h3>${c.entity === "inspection" ? "Inspection" : this.detail!.items.get(findings.find((f) => f.id === c.record_id)?.item_key ?? "")?.prompt ?? "Finding"}: ${words(c.field)}</h3>
                  <dl>
                    <dt>Server value</dt>
                    <dd><pre>${JSON.stringify(c.server_value)}</pre></dd>
                    <dt>Device value</dt>
                    <dd><pre>${JSON.stringify(c.client_value)}</pre></dd>
                  </dl>
                  <div class="row">
                    <button ?disabled=${this.busy} @click=${() => this.resolve(c, "keep_server")}>Keep server value</button>
                    <button ?disabled=${this.busy} @click=${() => this.resolve(c, "take_client")}>Take device value</button>
                  </div>
                </li>`,
              )}
            </ul>
          </section>`
        : nothing}
      <section class="card" aria-labelledby="findings-h">
        <h2 id="findings-h">Findings (${findings.length}, ${violations.length} violation(s))</h2>
        ${findings.length ? findings.map((f) => this.finding(f, deciding)) : html`<p class="muted">No findings.</p>`}
      </section>
      ${deciding ? this.decision(i, violations) : nothing}
      <section class="card" aria-labelledby="history-h">
        <h2 id="history-h">History</h2>
        <ol class="history">
          ${history.map(
            (v) => html`<li>
              Version ${v.version}, ${fmtTime(v.at)}: ${words(v.record?.status)}${v.record?.review_comment ? html` — “${v.record.review_comment}”` : nothing}
            </li>`,
          )}
        </ol>
      </section>
    `;
  }
}

customElements.define("insp-review-inspection", ReviewInspection);
