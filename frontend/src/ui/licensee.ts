import { LitElement, type PropertyValues, html, nothing } from "lit";
import type { Rec } from "../db";
import { OUTCOMES, children, label, view, views } from "../repo";
import { Live, fmtDate, words } from "./live";
import { shared } from "./styles";

interface HistoryEntry {
  date?: string;
  started_at?: string;
  completed_at?: string;
  type?: string;
  outcome?: string;
  decided_outcome?: string;
  recommended_outcome?: string;
  violations?: { citation?: string; item_key?: string; count?: number; instances?: number }[];
}

/** The licensee file: details and earlier inspections with outcomes and violations. */
export class LicenseeScreen extends LitElement {
  static properties = { licenseeId: { attribute: false } };
  declare licenseeId: string;

  private data = new Live(this, () => this.load());

  private async load() {
    const licensee = await view("licensee", this.licenseeId);
    const inspections = await children("inspection", this.licenseeId);
    // Violations in the history name checklist items; show their citations.
    const citations = new Map<string, string>();
    for (const checklist of await views("checklist")) {
      for (const item of (checklist.items as { key: string; citation: string }[] | undefined) ?? []) citations.set(item.key, item.citation);
    }
    return { licensee, inspections, citations };
  }

  protected willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("licenseeId") && changed.get("licenseeId") !== undefined) this.data.reset(() => this.load());
  }

  static styles = [shared];

  private history(l: Rec, citations: Map<string, string>) {
    const history = (Array.isArray(l.history) ? l.history : []) as HistoryEntry[];
    if (!history.length) {
      return html`<p>
        ${l.last_inspection_date
          ? html`Last inspection ${fmtDate(l.last_inspection_date)}: ${label(OUTCOMES, l.last_inspection_outcome)}.`
          : "No earlier inspection on record."}
      </p>`;
    }
    return html`<table>
      <caption class="visually-hidden">Earlier inspections</caption>
      <thead>
        <tr>
          <th scope="col">Date</th>
          <th scope="col">Type</th>
          <th scope="col">Outcome</th>
          <th scope="col">Violations</th>
        </tr>
      </thead>
      <tbody>
        ${history.map(
          (h) => html`<tr>
            <td>${fmtDate(h.date ?? h.completed_at ?? h.started_at)}</td>
            <td>${words(h.type)}</td>
            <td>${label(OUTCOMES, h.decided_outcome ?? h.outcome ?? h.recommended_outcome)}</td>
            <td>
              ${h.violations?.length
                ? html`<ul class="plain">
                    ${h.violations.map(
                      (v) => html`<li>${v.citation ?? citations.get(String(v.item_key)) ?? v.item_key} × ${v.count ?? v.instances ?? 1}</li>`,
                    )}
                  </ul>`
                : "none"}
            </td>
          </tr>`,
        )}
      </tbody>
    </table>`;
  }

  render() {
    if (!this.data.loaded) return html`<p>Loading…</p>`;
    const { licensee: l, inspections, citations } = this.data.value!;
    if (!l) return html`<h1>Licensee</h1><p class="notice">This licensee is not on this tablet.</p>`;
    return html`
      <p><a href="/">← My queue</a></p>
      <h1>${l.business_name || l.license_name}</h1>
      <section class="card" aria-labelledby="lic-details">
        <h2 id="lic-details">Licensee</h2>
        <dl>
          <dt>License name</dt>
          <dd>${l.license_name}</dd>
          <dt>License number</dt>
          <dd>${l.license_number}</dd>
          <dt>License type</dt>
          <dd>${l.license_type}</dd>
          <dt>Premises</dt>
          <dd>${l.premises_street}, ${l.premises_city}, ${l.premises_state} ${l.premises_zip}</dd>
          ${l.county ? html`<dt>County</dt><dd>${l.county}</dd>` : nothing}
          ${l.phone ? html`<dt>Phone</dt><dd>${l.phone}</dd>` : nothing}
        </dl>
      </section>
      <section class="card" aria-labelledby="lic-history">
        <h2 id="lic-history">Earlier inspections</h2>
        ${this.history(l, citations)}
      </section>
      ${inspections.length
        ? html`<section class="card" aria-labelledby="lic-mine">
            <h2 id="lic-mine">On this tablet</h2>
            <ul class="plain">
              ${inspections.map(
                (i) => html`<li class="row">
                  <a class="button" href="/inspections/${i.id}">${words(i.type)} inspection, ${words(i.status)}</a>
                  <span class="small muted">due ${fmtDate(i.due_date)}</span>
                </li>`,
              )}
            </ul>
          </section>`
        : nothing}
    `;
  }
}

customElements.define("insp-licensee", LicenseeScreen);
