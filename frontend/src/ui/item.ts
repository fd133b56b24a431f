import { LitElement, css, html, nothing } from "lit";
import type { Rec } from "../db";
import { type ChecklistItem, RESULTS, blobUrl, saveFinding, storeBlob } from "../repo";
import { shared } from "./styles";

/** One checklist item: answer buttons, violation count, note, photos. */
export class ItemCard extends LitElement {
  static properties = {
    item: { attribute: false },
    finding: { attribute: false },
    inspection: { attribute: false },
    editable: { type: Boolean },
    conflicts: { type: Number },
    urls: { state: true },
    error: { state: true },
  };
  declare item: ChecklistItem;
  declare finding: Rec | null;
  declare inspection: Rec;
  declare editable: boolean;
  declare conflicts: number;
  declare urls: Record<string, string | null>;
  declare error: string;

  constructor() {
    super();
    this.finding = null;
    this.editable = true;
    this.conflicts = 0;
    this.urls = {};
    this.error = "";
  }

  static styles = [
    shared,
    css`
      :host {
        margin-bottom: 0.75rem;
      }
      .card {
        margin: 0;
      }
      .prompt {
        font-weight: 600;
        margin: 0 0 0.25rem;
        color: #1a1a1a;
        font-size: 1.05rem;
      }
      .answers {
        display: grid;
        grid-template-columns: repeat(4, minmax(0, 1fr));
        gap: 0.5rem;
        margin: 0.6rem 0;
      }
      .answers button[aria-pressed="true"] {
        color: #fff;
      }
      .answers button.compliant[aria-pressed="true"] {
        background: #1b5e20;
        border-color: #1b5e20;
      }
      .answers button.violation[aria-pressed="true"] {
        background: #a4161a;
        border-color: #a4161a;
      }
      .answers button.not_applicable[aria-pressed="true"],
      .answers button.not_reviewed[aria-pressed="true"] {
        background: #3d4752;
        border-color: #3d4752;
      }
      .instances {
        display: flex;
        align-items: center;
        gap: 0.5rem;
      }
      .instances input {
        width: 6rem;
        text-align: center;
      }
      .photos {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        margin-top: 0.5rem;
      }
      figure {
        margin: 0;
        display: flex;
        flex-direction: column;
        gap: 0.25rem;
      }
      img {
        width: 120px;
        height: 90px;
        object-fit: cover;
        border-radius: 6px;
        border: 1px solid #c9d1db;
      }
      .missing {
        width: 120px;
        height: 90px;
        display: flex;
        align-items: center;
        justify-content: center;
        text-align: center;
        background: #e8eef5;
        border-radius: 6px;
        font-size: 0.8rem;
      }
      input[type="file"] {
        position: absolute;
        width: 1px;
        height: 1px;
        opacity: 0;
      }
      label.button {
        margin: 0;
        font-weight: 600;
      }
      label.button:focus-within {
        outline: 3px solid #f4a261;
        outline-offset: 2px;
      }
      .review {
        margin: 0.5rem 0 0;
      }
      .details {
        display: grid;
        grid-template-columns: 1fr;
        gap: 0.25rem;
      }
    `,
  ];

  protected updated(): void {
    void this.loadUrls();
  }

  private async loadUrls(): Promise<void> {
    const list = this.attachments();
    const missing = list.filter((d) => !(d in this.urls));
    if (!missing.length) return;
    const next = { ...this.urls };
    for (const d of missing) next[d] = await blobUrl(d);
    this.urls = next;
  }

  private attachments(): string[] {
    const a = this.finding?.attachments;
    return Array.isArray(a) ? (a as string[]) : [];
  }

  private async save(fields: Record<string, unknown>): Promise<void> {
    this.error = "";
    try {
      await saveFinding(this.inspection.id, this.item.key, fields);
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  private answer(result: string): Promise<void> {
    const fields: Record<string, unknown> = { result };
    if (result === "violation" && !(Number(this.finding?.instances) >= 1)) fields.instances = 1;
    if (result !== "violation" && Number(this.finding?.instances) > 0) fields.instances = 0;
    return this.save(fields);
  }

  private setInstances(n: number): Promise<void> {
    return this.save({ instances: Math.max(1, Math.min(9999, Math.round(n) || 1)) });
  }

  private async addPhotos(event: Event): Promise<void> {
    const input = event.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = "";
    if (!files.length) return;
    try {
      const digests: string[] = [];
      for (const file of files) digests.push(await storeBlob(file));
      const list = [...new Set([...this.attachments(), ...digests])];
      await this.save({ attachments: list });
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  private removePhoto(digest: string): Promise<void> {
    return this.save({ attachments: this.attachments().filter((d) => d !== digest) });
  }

  render() {
    const item = this.item;
    const f = this.finding;
    const result = f?.result as string | undefined;
    const id = `item-${item.key}`;
    const disabled = !this.editable;
    return html`<article class="card" aria-labelledby="${id}-prompt" data-item=${item.key}>
      <div class="spread">
        <p class="prompt" id="${id}-prompt">${item.prompt}</p>
        <span class="row">
          ${this.conflicts ? html`<a class="badge bad" href="/sync">${this.conflicts} conflict(s)</a>` : nothing}
          ${f?.missing_blobs ? html`<span class="badge warn">Photo not uploaded</span>` : nothing}
          ${item.required ? html`<span class="badge">Required</span>` : html`<span class="badge">Optional</span>`}
        </span>
      </div>
      <div class="small muted">Citation: ${item.citation}</div>
      ${f?.review_comment
        ? html`<div class="notice warn review" role="note"><strong>Reviewer's comment:</strong> ${f.review_comment}</div>`
        : nothing}
      <div class="answers" role="group" aria-label="Answer: ${item.prompt}">
        ${RESULTS.map(
          (r) => html`<button
            type="button"
            class=${r.value}
            aria-pressed=${result === r.value ? "true" : "false"}
            ?disabled=${disabled}
            @click=${() => this.answer(r.value)}
          >
            ${r.label}
          </button>`,
        )}
      </div>
      ${f
        ? html`<div class="details">
            ${result === "violation"
              ? html`<div>
                  <label for="${id}-instances">Violations counted</label>
                  <div class="instances">
                    <button type="button" aria-label="One fewer violation" ?disabled=${disabled || Number(f.instances) <= 1} @click=${() => this.setInstances(Number(f.instances) - 1)}>−</button>
                    <input
                      id="${id}-instances"
                      type="number"
                      inputmode="numeric"
                      min="1"
                      .value=${String(f.instances ?? 1)}
                      ?disabled=${disabled}
                      @change=${(e: Event) => this.setInstances(Number((e.target as HTMLInputElement).value))}
                    />
                    <button type="button" aria-label="One more violation" ?disabled=${disabled} @click=${() => this.setInstances(Number(f.instances || 0) + 1)}>+</button>
                  </div>
                </div>`
              : nothing}
            <label for="${id}-note">Note</label>
            <textarea
              id="${id}-note"
              .value=${String(f.note ?? "")}
              ?disabled=${disabled}
              @change=${(e: Event) => this.save({ note: (e.target as HTMLTextAreaElement).value })}
            ></textarea>
            <div class="photos" aria-label="Photos" role="list">
              ${this.attachments().map(
                (d, n) => html`<figure role="listitem">
                  ${this.urls[d]
                    ? html`<img src=${this.urls[d]!} alt="Photo ${n + 1} for ${item.prompt}" />`
                    : html`<div class="missing">Photo not on this tablet</div>`}
                  ${disabled
                    ? nothing
                    : html`<button type="button" class="danger" aria-label="Remove photo ${n + 1}" @click=${() => this.removePhoto(d)}>Remove</button>`}
                </figure>`,
              )}
            </div>
            ${disabled
              ? nothing
              : html`<div class="row">
                  <label class="button">
                    Add photo
                    <input type="file" accept="image/*" capture="environment" multiple @change=${this.addPhotos} />
                  </label>
                </div>`}
          </div>`
        : nothing}
      ${this.error ? html`<p class="notice error" role="alert">${this.error}</p>` : nothing}
    </article>`;
  }
}

customElements.define("insp-item", ItemCard);
