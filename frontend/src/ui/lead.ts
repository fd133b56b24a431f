import { LitElement, type PropertyValues, css, html, nothing } from "lit";
import type { Rec } from "../db";
import { AGENCIES, INDICATORS, saveLead, view } from "../repo";
import { go, words } from "./live";
import { shared } from "./styles";

interface Firearm {
  make: string;
  model: string;
  serial: string;
  caliber: string;
  type: string;
}
interface Subject {
  name: string;
  role: string;
  description: string;
}
interface Draft {
  indicators: string[];
  narrative: string;
  firearms: Firearm[];
  subjects: Subject[];
  referral_agency: string;
}

const FIREARM_FIELDS: [keyof Firearm, string][] = [
  ["make", "Make"],
  ["model", "Model"],
  ["serial", "Serial"],
  ["caliber", "Caliber"],
  ["type", "Type"],
];
const SUBJECT_FIELDS: [keyof Subject, string][] = [
  ["name", "Name"],
  ["role", "Role"],
  ["description", "Description"],
];
const FIREARM_TYPES = ["pistol", "revolver", "rifle", "shotgun", "receiver/frame", "other"];

function emptyDraft(): Draft {
  return { indicators: [], narrative: "", firearms: [], subjects: [], referral_agency: "" };
}

/** Lead capture: indicators, firearms, subjects, narrative, referral agency. */
export class LeadScreen extends LitElement {
  static properties = {
    leadId: { attribute: false },
    inspectionId: { attribute: false },
    draft: { state: true },
    lead: { state: true },
    inspection: { state: true },
    message: { state: true },
    error: { state: true },
  };
  declare leadId: string | null;
  declare inspectionId: string | null;
  declare draft: Draft;
  declare lead: Rec | null;
  declare inspection: Rec | null;
  declare message: string;
  declare error: string;

  constructor() {
    super();
    this.leadId = null;
    this.inspectionId = null;
    this.draft = emptyDraft();
    this.lead = null;
    this.inspection = null;
    this.message = "";
    this.error = "";
  }

  protected async willUpdate(changed: PropertyValues<this>): Promise<void> {
    if (changed.has("leadId") || changed.has("inspectionId")) await this.load();
  }

  private async load(): Promise<void> {
    this.lead = this.leadId ? await view("lead", this.leadId) : null;
    const inspectionId = (this.lead?.inspection_id as string | null) ?? this.inspectionId;
    this.inspection = inspectionId ? await view("inspection", inspectionId) : null;
    const l = this.lead;
    this.draft = l
      ? {
          indicators: [...((l.indicators as string[]) ?? [])],
          narrative: String(l.narrative ?? ""),
          firearms: ((l.firearms as Partial<Firearm>[]) ?? []).map((f) => ({
            make: f.make ?? "",
            model: f.model ?? "",
            serial: f.serial ?? "",
            caliber: f.caliber ?? "",
            type: f.type ?? "",
          })),
          subjects: ((l.subjects as Partial<Subject>[]) ?? []).map((s) => ({ name: s.name ?? "", role: s.role ?? "", description: s.description ?? "" })),
          referral_agency: String(l.referral_agency ?? ""),
        }
      : emptyDraft();
  }

  static styles = [
    shared,
    css`
      fieldset {
        border: 1px solid #c9d1db;
        border-radius: 8px;
        padding: 0.5rem 1rem 1rem;
        margin: 0 0 1rem;
      }
      legend {
        font-weight: 700;
        color: #1d3557;
        padding: 0 0.25rem;
      }
      .checks {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(230px, 1fr));
        gap: 0.25rem 1rem;
      }
      .checks label {
        display: flex;
        align-items: center;
        gap: 0.5rem;
        min-height: 44px;
        margin: 0;
        font-weight: 400;
      }
      .checks input {
        width: 24px;
        height: 24px;
        min-height: 24px;
      }
      .entry {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
        gap: 0 0.75rem;
        align-items: end;
        border-bottom: 1px solid #d5dce4;
        padding-bottom: 0.75rem;
        margin-bottom: 0.5rem;
      }
      .entry button {
        margin-top: 0.5rem;
      }
    `,
  ];

  private set<K extends keyof Draft>(key: K, value: Draft[K]): void {
    this.draft = { ...this.draft, [key]: value };
    this.message = "";
  }

  private toggleIndicator(value: string, on: boolean): void {
    const list = new Set(this.draft.indicators);
    if (on) list.add(value);
    else list.delete(value);
    this.set(
      "indicators",
      INDICATORS.map((i) => i.value).filter((v) => list.has(v)),
    );
  }

  private async save(status: "draft" | "submitted"): Promise<void> {
    this.error = "";
    const d = this.draft;
    if (status === "submitted" && (!d.indicators.length || !d.narrative.trim())) {
      this.error = "A lead needs at least one indicator and a narrative before it is submitted.";
      return;
    }
    const firearms = d.firearms.filter((f) => Object.values(f).some((v) => String(v).trim()));
    const subjects = d.subjects.filter((s) => Object.values(s).some((v) => String(v).trim()));
    if (firearms.some((f) => !f.serial.trim())) {
      this.error = "Every firearm needs a serial number.";
      return;
    }
    if (subjects.some((s) => !s.name.trim())) {
      this.error = "Every subject needs a name.";
      return;
    }
    const clean = <T extends object>(o: T) =>
      Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v).trim() === "" ? null : String(v).trim()]));
    const fields: Record<string, unknown> = {
      indicators: d.indicators,
      narrative: d.narrative,
      firearms: firearms.map(clean),
      subjects: subjects.map(clean),
      referral_agency: d.referral_agency || null,
    };
    if (!this.lead) {
      fields.inspection_id = this.inspection?.id ?? null;
      fields.licensee_id = (this.inspection?.licensee_id as string | undefined) ?? null;
    }
    if (!this.lead || status !== this.lead.status) fields.status = status;
    try {
      const id = await saveLead(this.lead?.id ?? null, fields);
      this.message = status === "submitted" ? "Lead submitted on this tablet; it is sent at the next sync." : "Lead saved on this tablet.";
      if (!this.lead) {
        go(`/leads/${id}`);
      } else {
        await this.load();
      }
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  private firearm(f: Firearm, n: number) {
    return html`<div class="entry" role="group" aria-label="Firearm ${n + 1}">
      ${FIREARM_FIELDS.map(
        ([key, text]) => html`<div>
          <label for="fa-${n}-${key}">${text}</label>
          ${key === "type"
            ? html`<select id="fa-${n}-${key}" @change=${(e: Event) => this.editFirearm(n, key, (e.target as HTMLSelectElement).value)}>
                <option value="" ?selected=${!f.type}>—</option>
                ${FIREARM_TYPES.map((t) => html`<option ?selected=${f.type === t} value=${t}>${t}</option>`)}
              </select>`
            : html`<input id="fa-${n}-${key}" .value=${f[key] ?? ""} @input=${(e: Event) => this.editFirearm(n, key, (e.target as HTMLInputElement).value)} />`}
        </div>`,
      )}
      <div>
        <button type="button" class="danger" @click=${() => this.set("firearms", this.draft.firearms.filter((_, i) => i !== n))}>
          Remove firearm ${n + 1}
        </button>
      </div>
    </div>`;
  }

  private editFirearm(n: number, key: keyof Firearm, value: string): void {
    this.set(
      "firearms",
      this.draft.firearms.map((f, i) => (i === n ? { ...f, [key]: value } : f)),
    );
  }

  private subject(s: Subject, n: number) {
    return html`<div class="entry" role="group" aria-label="Subject ${n + 1}">
      ${SUBJECT_FIELDS.map(
        ([key, text]) => html`<div>
          <label for="su-${n}-${key}">${text}</label>
          <input id="su-${n}-${key}" .value=${s[key] ?? ""} @input=${(e: Event) => this.editSubject(n, key, (e.target as HTMLInputElement).value)} />
        </div>`,
      )}
      <div>
        <button type="button" class="danger" @click=${() => this.set("subjects", this.draft.subjects.filter((_, i) => i !== n))}>
          Remove subject ${n + 1}
        </button>
      </div>
    </div>`;
  }

  private editSubject(n: number, key: keyof Subject, value: string): void {
    this.set(
      "subjects",
      this.draft.subjects.map((s, i) => (i === n ? { ...s, [key]: value } : s)),
    );
  }

  render() {
    const d = this.draft;
    const locked = this.lead != null && !["draft", "submitted"].includes(String(this.lead.status));
    return html`
      <p>${this.inspection ? html`<a href="/inspections/${this.inspection.id}">← Back to the inspection</a>` : html`<a href="/">← My queue</a>`}</p>
      <div class="spread">
        <h1>${this.lead ? "Lead" : "New lead"}</h1>
        ${this.lead ? html`<span class="badge">${words(this.lead.status)}</span>` : nothing}
      </div>
      <form @submit=${(e: Event) => e.preventDefault()} aria-label="Lead">
        <fieldset>
          <legend>Indicators</legend>
          <div class="checks">
            ${INDICATORS.map(
              (i) => html`<label
                ><input
                  type="checkbox"
                  .checked=${d.indicators.includes(i.value)}
                  @change=${(e: Event) => this.toggleIndicator(i.value, (e.target as HTMLInputElement).checked)}
                />${i.label}</label
              >`,
            )}
          </div>
        </fieldset>
        <fieldset>
          <legend>Firearms</legend>
          ${d.firearms.map((f, n) => this.firearm(f, n))}
          <button type="button" @click=${() => this.set("firearms", [...d.firearms, { make: "", model: "", serial: "", caliber: "", type: "" }])}>
            Add firearm
          </button>
        </fieldset>
        <fieldset>
          <legend>Subjects</legend>
          ${d.subjects.map((s, n) => this.subject(s, n))}
          <button type="button" @click=${() => this.set("subjects", [...d.subjects, { name: "", role: "", description: "" }])}>Add subject</button>
        </fieldset>
        <label for="narrative">Narrative</label>
        <textarea id="narrative" .value=${d.narrative} @input=${(e: Event) => this.set("narrative", (e.target as HTMLTextAreaElement).value)}></textarea>
        <label for="agency">Referral agency</label>
        <input id="agency" list="agencies" .value=${d.referral_agency} @input=${(e: Event) => this.set("referral_agency", (e.target as HTMLInputElement).value)} />
        <datalist id="agencies">${AGENCIES.map((a) => html`<option value=${a}></option>`)}</datalist>
        ${this.error ? html`<p class="notice error" role="alert">${this.error}</p>` : nothing}
        ${this.message ? html`<p class="notice" role="status">${this.message}</p>` : nothing}
        <div class="row">
          ${this.lead?.status === "submitted"
            ? html`<button type="button" class="primary" ?disabled=${locked} @click=${() => this.save("submitted")}>Save lead</button>`
            : html`<button type="button" ?disabled=${locked} @click=${() => this.save("draft")}>Save draft</button>
                <button type="button" class="primary" ?disabled=${locked} @click=${() => this.save("submitted")}>Submit lead</button>`}
        </div>
      </form>
    `;
  }
}

customElements.define("insp-lead", LeadScreen);
