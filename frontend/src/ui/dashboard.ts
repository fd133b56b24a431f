import { LitElement, type TemplateResult, css, html, nothing } from "lit";
import { API, getJson } from "../api";
import type { Profile } from "../session";
import { type Dashboard, type Row, SERIES, type SeriesView, chartData } from "./dashboard-series";
import { words } from "./live";
import { shared } from "./styles";

interface Office {
  id: string;
  name: string;
}
/** Reviewers' and admins' figures: a chart, the same numbers as a table beside it, and a CSV of each. */
export class DashboardScreen extends LitElement {
  static properties = {
    profile: { attribute: false },
    offices: { state: true },
    officeId: { state: true },
    from: { state: true },
    to: { state: true },
    data: { state: true },
    error: { state: true },
  };
  declare profile: Profile;
  declare offices: Office[];
  declare officeId: string;
  declare from: string;
  declare to: string;
  declare data: Dashboard | null;
  declare error: string | null;

  constructor() {
    super();
    this.offices = [];
    this.officeId = "";
    this.from = "";
    this.to = "";
    this.data = null;
    this.error = null;
  }

  static styles = [
    shared,
    css`
      .filters {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(170px, 1fr));
        gap: 0 1rem;
        align-items: end;
      }
      .pair {
        display: grid;
        grid-template-columns: minmax(0, 3fr) minmax(0, 2fr);
        gap: 1rem;
        align-items: start;
      }
      @media (max-width: 900px) {
        .pair {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      figure {
        margin: 0;
        min-width: 0;
      }
      .chart {
        min-height: 220px;
        overflow: hidden;
      }
      .headline {
        font-size: 1.4rem;
        font-weight: 700;
      }
      td.num,
      th.num {
        text-align: right;
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
      } else if (this.profile.field_office) {
        this.offices = [this.profile.field_office];
        this.officeId = this.profile.field_office.id;
      }
      await this.load();
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  private query(): string {
    const q = new URLSearchParams();
    if (this.officeId) q.set("field_office_id", this.officeId);
    if (this.from) q.set("from", this.from);
    if (this.to) q.set("to", this.to);
    return q.toString();
  }

  /** Only the latest answer is shown (answers can arrive out of order). */
  private asked = 0;

  private async load(): Promise<void> {
    this.error = null;
    const asked = ++this.asked;
    try {
      const data = await getJson<Dashboard>(`${API}/dashboard?${this.query()}`);
      if (asked !== this.asked) return;
      this.data = data;
      this.from = data.from;
      this.to = data.to;
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  protected async updated(): Promise<void> {
    if (!this.data || !this.shadowRoot) return;
    const data = this.data;
    const charts = await import("./charts");
    if (this.data !== data) return; // a newer load will draw
    charts.adoptChartStyles(this.shadowRoot);
    for (const view of SERIES) {
      const target = this.shadowRoot.querySelector<HTMLElement>(`.chart[data-series="${view.name}"]`);
      if (!target || target.dataset.drawn === data.from + data.to + data.field_office_id + JSON.stringify(data[view.key])) continue;
      const { categories, series } = chartData(view, data[view.key] as Row[]);
      charts.drawChart(target, categories, series, view.kind, Math.max(260, target.clientWidth || 400));
      target.dataset.drawn = data.from + data.to + data.field_office_id + JSON.stringify(data[view.key]);
    }
  }

  private section(view: SeriesView, data: Dashboard): TemplateResult {
    const rows = data[view.key] as Row[];
    const numeric = (field: string) => field !== view.columns[0][0] && !(view.name === "outcomes-by-month" && field === "outcome");
    return html`<section class="card" aria-labelledby="h-${view.name}">
      <div class="spread">
        <h2 id="h-${view.name}">${view.title}</h2>
        <a class="button" href="${API}/dashboard/${view.name}.csv?${this.query()}" download="${view.name}.csv">Download CSV<span class="visually-hidden"> of ${view.title}</span></a>
      </div>
      ${view.name === "decision-days-by-month"
        ? html`<p>Median over the period: <span class="headline">${data.median_decision_days ?? "—"}</span> days (${data.decisions} decisions)</p>`
        : nothing}
      <div class="pair">
        <figure>
          <div class="chart" data-series=${view.name} aria-hidden="true"></div>
          <figcaption class="small muted">${view.title}: the table gives the same numbers.</figcaption>
        </figure>
        <table aria-label=${view.title}>
          <thead>
            <tr>
              ${view.columns.map(([field, heading]) => html`<th scope="col" class=${numeric(field) ? "num" : ""}>${heading}</th>`)}
            </tr>
          </thead>
          <tbody>
            ${rows.length === 0
              ? html`<tr><td colspan=${view.columns.length} class="muted">None in this period.</td></tr>`
              : rows.map(
                  (r) => html`<tr>
                    ${view.columns.map(([field]) => html`<td class=${numeric(field) ? "num" : ""}>${numeric(field) ? r[field] : words(r[field])}</td>`)}
                  </tr>`,
                )}
          </tbody>
        </table>
      </div>
    </section>`;
  }

  render() {
    const admin = this.profile.role === "admin";
    return html`
      <h1>Dashboard</h1>
      <form
        class="card filters"
        aria-label="Office and period"
        @submit=${(e: Event) => {
          e.preventDefault();
          void this.load();
        }}
      >
        <div>
          <label for="office">Field office</label>
          <select id="office" ?disabled=${!admin} @change=${(e: Event) => (this.officeId = (e.target as HTMLSelectElement).value)}>
            ${admin ? html`<option value="" ?selected=${!this.officeId}>All offices</option>` : nothing}
            ${this.offices.map((o) => html`<option value=${o.id} ?selected=${o.id === this.officeId}>${o.name}</option>`)}
          </select>
        </div>
        <div>
          <label for="from">From</label>
          <input id="from" type="date" .value=${this.from} @change=${(e: Event) => (this.from = (e.target as HTMLInputElement).value)} />
        </div>
        <div>
          <label for="to">To</label>
          <input id="to" type="date" .value=${this.to} @change=${(e: Event) => (this.to = (e.target as HTMLInputElement).value)} />
        </div>
        <div><button class="primary" type="submit">Show</button></div>
      </form>
      ${this.error ? html`<div class="notice error" role="alert">${this.error}</div>` : nothing}
      ${this.data ? SERIES.map((view) => this.section(view, this.data!)) : html`<p>Loading…</p>`}
    `;
  }
}

customElements.define("insp-dashboard", DashboardScreen);
