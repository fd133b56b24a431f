import { LitElement, css, html, nothing } from "lit";
import { type Rec, db, getMeta } from "../db";
import { INDICATORS, OPEN_STATUSES, OUTCOMES, label, myQueue, views } from "../repo";
import type { Profile } from "../session";
import { Live, fmtDate, words } from "./live";
import { shared } from "./styles";

interface QueueRow {
  inspection: Rec;
  licensee: Rec | null;
  pending: number;
}

/** My queue: assigned inspections by due date and priority. */
export class QueueScreen extends LitElement {
  static properties = { profile: { attribute: false } };
  declare profile: Profile;

  private data = new Live(this, async () => {
    const inspections = await myQueue(this.profile?.id);
    const rows: QueueRow[] = [];
    for (const inspection of inspections) {
      const licensee = (await db.records.get(["licensee", String(inspection.licensee_id)] as unknown as string))?.view ?? null;
      const pending = await db.outbox.where("[entity+id]").equals(["inspection", inspection.id]).count();
      rows.push({ inspection, licensee, pending });
    }
    const leads = (await views("lead")).sort((a, b) => String(b.created_at ?? "~").localeCompare(String(a.created_at ?? "~")));
    return { rows, leads, lastSync: (await getMeta<string>("last_sync")) ?? null };
  });

  static styles = [
    shared,
    css`
      ol {
        list-style: none;
        padding: 0;
        margin: 0;
        display: grid;
        gap: 0.75rem;
        grid-template-columns: repeat(auto-fill, minmax(340px, 1fr));
      }
      li.card {
        margin: 0;
        display: flex;
        flex-direction: column;
        gap: 0.4rem;
      }
      .actions {
        margin-top: auto;
        padding-top: 0.5rem;
      }
      h2 a {
        text-decoration: none;
      }
      h2.done {
        margin-top: 1.5rem;
      }
      ul.leads {
        display: grid;
        gap: 0.5rem;
      }
      h2 a:hover {
        text-decoration: underline;
      }
    `,
  ];

  private item(row: QueueRow) {
    const i = row.inspection;
    const l = row.licensee;
    const name = l ? String(l.business_name || l.license_name) : "Licensee (not downloaded)";
    return html`<li class="card" aria-label=${name}>
      <div class="spread">
        <h2><a href="/inspections/${i.id}">${name}</a></h2>
        <span class="badge ${i.status === "returned" ? "warn" : ""}">${words(i.status)}</span>
      </div>
      ${l
        ? html`<div>${l.premises_street}, ${l.premises_city}, ${l.premises_state} ${l.premises_zip}</div>
            <div class="small">License <strong>${l.license_number}</strong> · type ${l.license_type}</div>
            <div class="small muted">
              Last inspection: ${fmtDate(l.last_inspection_date)}${l.last_inspection_outcome
                ? html` · ${label(OUTCOMES, l.last_inspection_outcome)}`
                : nothing}
            </div>`
        : nothing}
      <div class="small">
        Due <strong>${fmtDate(i.due_date)}</strong> · priority ${i.priority ?? "—"} · ${words(i.type)}
        ${row.pending ? html` · <span class="badge warn">${row.pending} unsent</span>` : nothing}
      </div>
      <div class="actions row">
        <a class="button primary" href="/inspections/${i.id}" aria-label="Open inspection of ${name}">Open inspection</a>
        ${l ? html`<a class="button" href="/licensees/${l.id}" aria-label="Licensee file of ${name}">Licensee file</a>` : nothing}
      </div>
    </li>`;
  }

  render() {
    if (!this.data.loaded) return html`<p>Loading…</p>`;
    const { rows, leads, lastSync } = this.data.value!;
    const open = rows.filter((r) => OPEN_STATUSES.includes(String(r.inspection.status)));
    const done = rows.filter((r) => !OPEN_STATUSES.includes(String(r.inspection.status)));
    return html`
      <h1>My queue</h1>
      ${rows.length === 0
        ? html`<p class="notice" role="status">
            ${lastSync ? "No inspections are assigned to you." : "Nothing downloaded yet. Connect to the network and sync."}
          </p>`
        : nothing}
      ${open.length ? html`<ol aria-label="Open inspections">${open.map((r) => this.item(r))}</ol>` : nothing}
      ${leads.length
        ? html`<h2 class="done">My leads</h2>
            <ul class="plain leads" aria-label="My leads">
              ${leads.map(
                (lead) => html`<li class="row">
                  <a class="button" href="/leads/${lead.id}"
                    >${((lead.indicators as string[]) ?? []).map((i) => label(INDICATORS, i)).join(", ") || "Lead"} ·
                    ${(lead.firearms as unknown[] | undefined)?.length ?? 0} firearm(s)</a
                  >
                  <span class="badge">${words(lead.status)}</span>
                </li>`,
              )}
            </ul>`
        : nothing}
      ${done.length
        ? html`<h2 class="done">Submitted and closed</h2>
            <ol aria-label="Submitted and closed inspections">${done.map((r) => this.item(r))}</ol>`
        : nothing}
    `;
  }
}

customElements.define("insp-queue", QueueScreen);
