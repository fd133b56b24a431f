import { LitElement, css, html, nothing } from "lit";
import { API, ProblemError, getJson, postJson, request } from "../api";
import type { Profile } from "../session";
import { fmtDate, words } from "./live";
import { shared } from "./styles";

interface Office {
  id: string;
  name: string;
  states: string[];
}
interface Investigator {
  id: string;
  display_name: string;
  active: boolean;
}
interface LicenseeSummary {
  id: string;
  license_number: string;
  license_name: string;
  business_name: string | null;
  license_type: string;
  premises_city: string;
  premises_state: string;
}
interface Factor {
  key: string;
  value: unknown;
  points: number;
}
interface Ranked {
  position: number;
  licensee: LicenseeSummary;
  score: number;
  factors: Factor[];
  eligible: boolean;
  eligible_from: string | null;
  last_inspection_date: string | null;
  last_outcome: string | null;
  queued: { inspection_id: string; investigator_id: string | null; status: string; type: string } | null;
}
interface QueueEntry {
  inspection: { id: string; type: string; status: string; due_date: string | null; priority: number };
  licensee: LicenseeSummary | null;
}

const PAGE_SIZE = 50;
const TYPES = ["compliance", "recall", "application"];
const FACTOR_LABELS: Record<string, string> = {
  never_inspected: "never inspected",
  years_since_last: "years since last",
  prior_violations: "prior violations",
  last_outcome: "last outcome",
  open_leads: "open leads",
  license_type: "license type",
  border_state: "border state",
};

function nameOf(l: LicenseeSummary): string {
  return l.business_name || l.license_name;
}

function factorText(f: Factor): string {
  const value = typeof f.value === "boolean" ? (f.value ? "yes" : "no") : f.value === null ? "—" : words(f.value);
  return `${FACTOR_LABELS[f.key] ?? f.key} (${value}) +${f.points}`;
}

/** Admins fill queues: an office's licensees ranked by a documented formula, assignment, reorder, unassign. */
export class QueuesScreen extends LitElement {
  static properties = {
    profile: { attribute: false },
    offices: { state: true },
    officeId: { state: true },
    investigators: { state: true },
    investigatorId: { state: true },
    ranked: { state: true },
    total: { state: true },
    page: { state: true },
    eligibleOnly: { state: true },
    unqueuedOnly: { state: true },
    selected: { state: true },
    queue: { state: true },
    errors: { state: true },
    message: { state: true },
    busy: { state: true },
  };
  declare profile: Profile;
  declare offices: Office[];
  declare officeId: string;
  declare investigators: Investigator[];
  declare investigatorId: string;
  declare ranked: Ranked[] | null;
  declare total: number;
  declare page: number;
  declare eligibleOnly: boolean;
  declare unqueuedOnly: boolean;
  declare selected: Set<string>;
  declare queue: QueueEntry[];
  declare errors: Record<string, string[]>;
  declare message: { kind: "ok" | "error"; text: string } | null;
  declare busy: boolean;

  constructor() {
    super();
    this.offices = [];
    this.officeId = "";
    this.investigators = [];
    this.investigatorId = "";
    this.ranked = null;
    this.total = 0;
    this.page = 1;
    this.eligibleOnly = true;
    this.unqueuedOnly = true;
    this.selected = new Set();
    this.queue = [];
    this.errors = {};
    this.message = null;
    this.busy = false;
  }

  static styles = [
    shared,
    css`
      .filters {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1.5rem;
        align-items: end;
      }
      .filters label.check {
        display: inline-flex;
        align-items: center;
        gap: 0.4rem;
        min-height: 44px;
      }
      .filters label.check input {
        width: auto;
        min-height: 0;
      }
      .scroll {
        overflow-x: auto;
      }
      td.pick label {
        display: inline-flex;
        align-items: center;
        justify-content: center;
        min-width: 44px;
        min-height: 44px;
        margin: 0;
      }
      td.pick input {
        width: 22px;
        height: 22px;
        min-height: 0;
      }
      ul.factors {
        list-style: none;
        margin: 0;
        padding: 0;
        font-size: 0.85rem;
      }
      .score {
        font-weight: 700;
        font-size: 1.1rem;
      }
      .refused {
        color: #8a1116;
        font-weight: 600;
      }
      ol.queue {
        padding-left: 1.5rem;
      }
      ol.queue li {
        margin: 0 0 0.5rem;
      }
      .assign {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(180px, 1fr));
        gap: 0 1rem;
        align-items: end;
      }
    `,
  ];

  connectedCallback(): void {
    super.connectedCallback();
    void this.start();
  }

  private async start(): Promise<void> {
    try {
      if (this.profile.role === "admin") {
        this.offices = await getJson<Office[]>(`${API}/field-offices?page_size=500`);
        this.officeId = this.offices[0]?.id ?? "";
      } else if (this.profile.field_office) {
        this.offices = [this.profile.field_office];
        this.officeId = this.profile.field_office.id;
      }
      await this.loadOffice();
    } catch (err) {
      this.message = { kind: "error", text: (err as Error).message };
    }
  }

  private async loadOffice(): Promise<void> {
    this.selected = new Set();
    this.errors = {};
    this.page = 1;
    if (this.profile.role === "admin" && this.officeId) {
      const users = await getJson<Investigator[]>(
        `${API}/users?role=investigator&field_office_id=${this.officeId}&page_size=500`,
      );
      this.investigators = users.filter((u) => u.active);
      this.investigatorId = this.investigators[0]?.id ?? "";
    }
    await Promise.all([this.loadRanked(), this.loadQueue()]);
  }

  /** Answers can arrive out of order (a filter changed while the list loaded): only the latest counts. */
  private rankedAsked = 0;
  private queueAsked = 0;

  private async loadRanked(): Promise<void> {
    if (!this.officeId) return;
    const asked = ++this.rankedAsked;
    const q = new URLSearchParams({ field_office_id: this.officeId, page: String(this.page), page_size: String(PAGE_SIZE) });
    if (this.eligibleOnly) q.set("eligible", "true");
    if (this.unqueuedOnly) q.set("queued", "false");
    const response = await request(`${API}/ranked-licensees?${q}`);
    const ranked = (await response.json()) as Ranked[];
    if (asked !== this.rankedAsked) return;
    this.total = Number(JSON.parse(response.headers.get("X-Pagination") ?? "{}").total ?? 0);
    this.ranked = ranked;
  }

  private async loadQueue(): Promise<void> {
    if (!this.investigatorId) {
      this.queueAsked++;
      this.queue = [];
      return;
    }
    const asked = ++this.queueAsked;
    const queue = await getJson<QueueEntry[]>(`${API}/queues/${this.investigatorId}?page_size=500`);
    if (asked === this.queueAsked) this.queue = queue;
  }

  private async act(work: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.message = null;
    try {
      await work();
    } catch (err) {
      this.message = { kind: "error", text: (err as Error).message };
    } finally {
      this.busy = false;
    }
  }

  private toggle(id: string, on: boolean): void {
    const next = new Set(this.selected);
    if (on) next.add(id);
    else next.delete(id);
    this.selected = next;
  }

  private async assign(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const ids = [...this.selected];
    await this.act(async () => {
      try {
        await postJson(`${API}/queues/${this.investigatorId}/assignments`, {
          licensee_ids: ids,
          due_date: form.get("due_date") || null,
          type: form.get("type"),
        });
      } catch (err) {
        if (err instanceof ProblemError && err.problem.errors) {
          this.errors = err.problem.errors as Record<string, string[]>;
        }
        throw err;
      }
      this.errors = {};
      this.selected = new Set();
      this.message = { kind: "ok", text: `${ids.length} licensee(s) assigned.` };
      await Promise.all([this.loadRanked(), this.loadQueue()]);
    });
  }

  private async move(index: number, delta: number): Promise<void> {
    const ids = this.queue.map((e) => e.inspection.id);
    const [moved] = ids.splice(index, 1);
    ids.splice(index + delta, 0, moved);
    await this.act(async () => {
      try {
        const queue = await postJson<QueueEntry[]>(
          `${API}/queues/${this.investigatorId}/order`,
          { inspection_ids: ids },
          { method: "PUT" },
        );
        this.queueAsked++;
        this.queue = queue;
      } catch (err) {
        // 409: the queue changed meanwhile (another admin, the investigator started one); show it as it is.
        if (err instanceof ProblemError && err.status === 409) await this.loadQueue();
        throw err;
      }
    });
  }

  private async unassign(entry: QueueEntry): Promise<void> {
    await this.act(async () => {
      await postJson(`${API}/inspections/${entry.inspection.id}/unassign`, {});
      this.message = { kind: "ok", text: `${entry.licensee ? nameOf(entry.licensee) : "The inspection"} was unassigned.` };
      await Promise.all([this.loadRanked(), this.loadQueue()]);
    });
  }

  private filters() {
    const admin = this.profile.role === "admin";
    return html`<div class="filters">
      ${admin
        ? html`<div>
            <label for="office">Field office</label>
            <select
              id="office"
              @change=${(e: Event) => {
                this.officeId = (e.target as HTMLSelectElement).value;
                void this.act(() => this.loadOffice());
              }}
            >
              ${this.offices.map((o) => html`<option value=${o.id} ?selected=${o.id === this.officeId}>${o.name} (${o.states.join(", ")})</option>`)}
            </select>
          </div>`
        : html`<p>${this.offices[0]?.name ?? ""}</p>`}
      <label class="check"
        ><input
          type="checkbox"
          .checked=${this.eligibleOnly}
          @change=${(e: Event) => {
            this.eligibleOnly = (e.target as HTMLInputElement).checked;
            this.page = 1;
            void this.act(() => this.loadRanked());
          }}
        />Eligible for compliance only</label
      >
      <label class="check"
        ><input
          type="checkbox"
          .checked=${this.unqueuedOnly}
          @change=${(e: Event) => {
            this.unqueuedOnly = (e.target as HTMLInputElement).checked;
            this.page = 1;
            void this.act(() => this.loadRanked());
          }}
        />Not in a queue only</label
      >
    </div>`;
  }

  private row(r: Ranked) {
    const l = r.licensee;
    const refused = this.errors[l.id];
    return html`<tr data-licensee=${l.id}>
      <td class="pick">
        <label
          ><input
            type="checkbox"
            aria-label="Select ${nameOf(l)}"
            .checked=${this.selected.has(l.id)}
            ?disabled=${Boolean(r.queued) || this.profile.role !== "admin"}
            @change=${(e: Event) => this.toggle(l.id, (e.target as HTMLInputElement).checked)}
        /></label>
      </td>
      <td>${r.position}</td>
      <td>
        <strong>${nameOf(l)}</strong>
        <div class="small">${l.license_number} · type ${l.license_type}</div>
        <div class="small muted">${l.premises_city}, ${l.premises_state}</div>
        ${refused ? html`<div class="refused" role="alert">${refused.join("; ")}</div>` : nothing}
      </td>
      <td class="score">${r.score}</td>
      <td>
        <ul class="factors" aria-label="Contributions">
          ${r.factors.filter((f) => f.points > 0).map((f) => html`<li>${factorText(f)}</li>`)}
        </ul>
      </td>
      <td>${fmtDate(r.last_inspection_date)}${r.last_outcome ? html`<div class="small">${words(r.last_outcome)}</div>` : nothing}</td>
      <td>
        ${r.eligible ? html`<span class="badge good">Eligible</span>` : html`<span class="badge warn">From ${fmtDate(r.eligible_from)}</span>`}
        ${r.queued ? html`<div><span class="badge">Queued (${words(r.queued.status)})</span></div>` : nothing}
      </td>
    </tr>`;
  }

  private assignForm() {
    if (this.profile.role !== "admin") return nothing;
    const count = this.selected.size;
    return html`<form class="card" aria-label="Assign" @submit=${this.assign}>
      <h2>Assign ${count} selected</h2>
      <div class="assign">
        <div>
          <label for="investigator">Investigator</label>
          <select
            id="investigator"
            @change=${(e: Event) => {
              this.investigatorId = (e.target as HTMLSelectElement).value;
              void this.act(() => this.loadQueue());
            }}
          >
            ${this.investigators.map((u) => html`<option value=${u.id} ?selected=${u.id === this.investigatorId}>${u.display_name}</option>`)}
          </select>
        </div>
        <div>
          <label for="due">Due date</label>
          <input id="due" name="due_date" type="date" />
        </div>
        <div>
          <label for="type">Inspection type</label>
          <select id="type" name="type">
            ${TYPES.map((t) => html`<option value=${t}>${words(t)}</option>`)}
          </select>
        </div>
        <div>
          <button class="primary" type="submit" ?disabled=${count === 0 || !this.investigatorId || this.busy}>Assign to queue</button>
        </div>
      </div>
    </form>`;
  }

  private queueList() {
    if (!this.investigatorId) return nothing;
    const who = this.investigators.find((u) => u.id === this.investigatorId)?.display_name ?? "Investigator";
    const admin = this.profile.role === "admin";
    return html`<section class="card" aria-label="Queue of ${who}">
      <h2>Queue of ${who} (${this.queue.length})</h2>
      ${this.queue.length === 0 ? html`<p class="muted">Nothing in this queue.</p>` : nothing}
      <ol class="queue">
        ${this.queue.map((e, i) => {
          const name = e.licensee ? nameOf(e.licensee) : "Licensee";
          return html`<li data-inspection=${e.inspection.id}>
            <div class="spread">
              <span
                ><strong>${name}</strong> · ${words(e.inspection.type)} · due ${fmtDate(e.inspection.due_date)} ·
                <span class="badge">${words(e.inspection.status)}</span></span
              >
              ${admin
                ? html`<span class="row">
                    <button type="button" aria-label="Move ${name} up" ?disabled=${i === 0 || this.busy} @click=${() => this.move(i, -1)}>↑</button>
                    <button type="button" aria-label="Move ${name} down" ?disabled=${i === this.queue.length - 1 || this.busy} @click=${() => this.move(i, 1)}>↓</button>
                    ${e.inspection.status === "assigned"
                      ? html`<button type="button" class="danger" ?disabled=${this.busy} @click=${() => this.unassign(e)}>Unassign ${name}</button>`
                      : nothing}
                  </span>`
                : nothing}
            </div>
          </li>`;
        })}
      </ol>
    </section>`;
  }

  render() {
    const pages = Math.max(1, Math.ceil(this.total / PAGE_SIZE));
    return html`
      <h1>Queues</h1>
      <p class="small muted">
        Score = never inspected 35 · 5 a year since the last inspection (at most 30) · 3 per prior violation (at most 15) · last
        outcome 0–20 · 10 per open lead (at most 30) · license type 0–12 · border state 10.
      </p>
      ${this.filters()}
      ${this.message
        ? html`<div class="notice ${this.message.kind === "error" ? "error" : ""}" role=${this.message.kind === "error" ? "alert" : "status"}>
            ${this.message.text}
          </div>`
        : nothing}
      ${this.assignForm()} ${this.queueList()}
      <h2>Ranked licensees (${this.total})</h2>
      ${this.ranked === null
        ? html`<p>Loading…</p>`
        : html`<div class="scroll">
              <table aria-label="Ranked licensees">
                <thead>
                  <tr>
                    <th scope="col"><span class="visually-hidden">Select</span></th>
                    <th scope="col">#</th>
                    <th scope="col">Licensee</th>
                    <th scope="col">Score</th>
                    <th scope="col">Contributions</th>
                    <th scope="col">Last inspection</th>
                    <th scope="col">Eligibility</th>
                  </tr>
                </thead>
                <tbody>
                  ${this.ranked.map((r) => this.row(r))}
                </tbody>
              </table>
            </div>
            <div class="row">
              <button type="button" ?disabled=${this.page <= 1 || this.busy} @click=${() => { this.page -= 1; void this.act(() => this.loadRanked()); }}>Previous page</button>
              <span>Page ${this.page} of ${pages}</span>
              <button type="button" ?disabled=${this.page >= pages || this.busy} @click=${() => { this.page += 1; void this.act(() => this.loadRanked()); }}>Next page</button>
            </div>`}
    `;
  }
}

customElements.define("insp-queues", QueuesScreen);
