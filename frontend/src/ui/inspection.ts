import { LitElement, type PropertyValues, css, html, nothing } from "lit";
import { type Rec, db } from "../db";
import {
  EDITABLE_STATUSES,
  OUTCOMES,
  applicableItems,
  children,
  groupByArea,
  invalidFindings,
  missingRequired,
  saveInspection,
  submitInspection,
  view,
  views,
} from "../repo";
import type { Profile } from "../session";
import "./item";
import { Live, fmtDate, words } from "./live";
import { shared } from "./styles";

/** An inspection: the checklist by area, progress, summary, leads, submit. */
export class InspectionScreen extends LitElement {
  static properties = {
    inspectionId: { attribute: false },
    profile: { attribute: false },
    submitError: { state: true },
    message: { state: true },
  };
  declare inspectionId: string;
  declare profile: Profile;
  declare submitError: string[] | null;
  declare message: string;

  constructor() {
    super();
    this.submitError = null;
    this.message = "";
  }

  private data = new Live(this, () => this.load());

  private async load() {
    const inspection = await view("inspection", this.inspectionId);
    if (!inspection) return null;
    const licensee = await view("licensee", String(inspection.licensee_id));
    const checklist = await view("checklist", String(inspection.checklist_id));
    const findings = await children("finding", this.inspectionId);
    const leads = await children("lead", this.inspectionId);
    const ids = new Set([this.inspectionId, ...findings.map((f) => f.id)]);
    const conflicts = (await views("conflict")).filter((c) => ids.has(String(c.record_id)) && (c.status === "open" || c.status == null));
    // The server's word on the last change of this inspection, when it refused it.
    const last = (await db.receipts.where("received_at").above("").reverse().toArray()).find(
      (r) => r.entity === "inspection" && r.id === this.inspectionId,
    );
    const refused = last?.status === "rejected" ? last : null;
    return { inspection, licensee, checklist, findings, leads, conflicts, refused };
  }

  protected willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("inspectionId") && changed.get("inspectionId") !== undefined) this.data.reset(() => this.load());
  }

  static styles = [
    shared,
    css`
      .head {
        position: sticky;
        top: 60px;
        z-index: 2;
        background: #f4f6f9;
        padding: 0.25rem 0 0.5rem;
      }
      section.area {
        margin-bottom: 1.25rem;
      }
      .progress {
        display: grid;
        grid-template-columns: 1fr;
        gap: 0.25rem;
      }
      .summary select {
        max-width: 420px;
      }
    `,
  ];

  private async submit(items: ReturnType<typeof applicableItems>, findings: Rec[], conflicts: Rec[]): Promise<void> {
    const missing = missingRequired(items, findings);
    const invalid = invalidFindings(findings);
    const reasons = [
      ...(conflicts.length ? [`${conflicts.length} conflicting value(s) must be resolved first (sync panel).`] : []),
      ...missing.map((i) => `Required item not answered: ${i.prompt}`),
      ...invalid.map((f) => `A violation needs at least one counted instance: ${items.find((i) => i.key === f.item_key)?.prompt ?? f.item_key}`),
    ];
    if (reasons.length) {
      this.submitError = reasons;
      this.message = "";
      return;
    }
    this.submitError = null;
    await submitInspection(this.inspectionId);
    this.message = "Submitted on this tablet. It reaches the office at the next sync.";
  }

  render() {
    if (!this.data.loaded) return html`<p>Loading…</p>`;
    const d = this.data.value;
    if (!d) return html`<h1>Inspection</h1><p class="notice">This inspection is not on this tablet.</p><p><a href="/">← My queue</a></p>`;
    const { inspection: i, licensee: l, checklist, findings, leads, conflicts, refused } = d;
    const items = applicableItems(checklist, l);
    const byKey = new Map(findings.map((f) => [String(f.item_key), f]));
    const required = items.filter((x) => x.required);
    const answeredRequired = required.length - missingRequired(items, findings).length;
    const editable = EDITABLE_STATUSES.includes(String(i.status));
    const name = l ? String(l.business_name || l.license_name) : "Inspection";
    const commented = findings.filter((f) => f.review_comment).length;
    return html`
      <p><a href="/">← My queue</a>${l ? html` · <a href="/licensees/${l.id}">Licensee file</a>` : nothing}</p>
      <div class="head">
        <div class="spread">
          <h1>${name}</h1>
          <span class="badge">${words(i.status)}</span>
        </div>
        <div class="small">
          ${l ? html`License ${l.license_number} · ${l.premises_city}, ${l.premises_state} · ` : nothing}${words(i.type)} inspection · due
          ${fmtDate(i.due_date)}
        </div>
        <div class="progress">
          <span id="req-progress-label">Required items answered: <strong>${answeredRequired} of ${required.length}</strong></span>
          <progress aria-labelledby="req-progress-label" max=${required.length || 1} value=${answeredRequired}></progress>
        </div>
      </div>
      ${refused
        ? html`<div class="notice error" role="alert">
            The server refused a change to this inspection (${Object.keys(refused.fields ?? {}).join(", ")}):
            ${refused.problem?.detail ?? refused.problem?.title}
          </div>`
        : nothing}
      ${i.review_comment
        ? html`<div class="notice warn" role="note">
            <strong>${i.status === "approved" ? "Reviewer:" : "Returned by the reviewer:"}</strong> ${i.review_comment}
            ${commented ? html`<div class="small">Comments on ${commented} finding(s) are shown with them below.</div>` : nothing}
          </div>`
        : nothing}
      ${conflicts.length
        ? html`<div class="notice error" role="alert">
            ${conflicts.length} conflicting value(s) need a decision. <a href="/sync">Open the sync panel</a>.
          </div>`
        : nothing}
      ${!checklist ? html`<p class="notice warn">The checklist of this inspection is not on this tablet yet. Sync while online.</p>` : nothing}
      ${groupByArea(items).map(
        ([area, list], n) => html`<section class="area" aria-labelledby="area-${n}">
          <h2 id="area-${n}">${area}</h2>
          ${list.map(
            (item) =>
              html`<insp-item
                .item=${item}
                .finding=${byKey.get(item.key) ?? null}
                .inspection=${i}
                .conflicts=${conflicts.filter((c) => c.record_id === byKey.get(item.key)?.id).length}
                ?editable=${editable}
              ></insp-item>`,
          )}
        </section>`,
      )}
      <section class="card summary" aria-labelledby="sum-h">
        <h2 id="sum-h">Summary and recommendation</h2>
        <label for="summary">Summary</label>
        <textarea
          id="summary"
          .value=${String(i.summary ?? "")}
          ?disabled=${!editable}
          @change=${(e: Event) => saveInspection(this.inspectionId, { summary: (e.target as HTMLTextAreaElement).value })}
        ></textarea>
        <label for="outcome">Recommended outcome</label>
        <select
          id="outcome"
          ?disabled=${!editable}
          @change=${(e: Event) => saveInspection(this.inspectionId, { recommended_outcome: (e.target as HTMLSelectElement).value || null })}
        >
          <option value="" ?selected=${!i.recommended_outcome}>Not chosen</option>
          ${OUTCOMES.map((o) => html`<option value=${o.value} ?selected=${i.recommended_outcome === o.value}>${o.label}</option>`)}
        </select>
      </section>
      <section class="card" aria-labelledby="leads-h">
        <div class="spread">
          <h2 id="leads-h">Leads</h2>
          <a class="button" href="/leads/new?inspection=${i.id}">Capture lead</a>
        </div>
        ${leads.length
          ? html`<ul class="plain">
              ${leads.map(
                (lead) => html`<li class="row">
                  <a class="button" href="/leads/${lead.id}">Lead: ${(lead.firearms as unknown[] | undefined)?.length ?? 0} firearm(s), ${words(lead.status)}</a>
                </li>`,
              )}
            </ul>`
          : html`<p class="muted">No leads captured.</p>`}
      </section>
      <section class="card" aria-labelledby="submit-h">
        <h2 id="submit-h">Submit</h2>
        ${this.submitError
          ? html`<div class="notice error" role="alert">
              <strong>Cannot submit yet.</strong>
              <ul>
                ${this.submitError.map((r) => html`<li>${r}</li>`)}
              </ul>
            </div>`
          : nothing}
        ${this.message ? html`<p class="notice" role="status">${this.message}</p>` : nothing}
        ${editable
          ? html`<button class="primary" @click=${() => this.submit(items, findings, conflicts)}>Submit inspection</button>`
          : html`<p>This inspection is ${words(i.status)}.</p>`}
      </section>
    `;
  }
}

customElements.define("insp-inspection", InspectionScreen);
