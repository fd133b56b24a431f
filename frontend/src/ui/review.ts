import { LitElement, html } from "lit";
import type { Profile } from "../session";
import { shared } from "./styles";

/** The office's inspections for review (a placeholder until the screen lands). */
export class ReviewList extends LitElement {
  static properties = { profile: { attribute: false } };
  declare profile: Profile;
  static styles = [shared];

  render() {
    return html`<h1>Review</h1>`;
  }
}

customElements.define("insp-review-list", ReviewList);

/** One inspection: findings, history, conflicts; approve or return (a placeholder until the screen lands). */
export class ReviewInspection extends LitElement {
  static properties = { profile: { attribute: false }, inspectionId: { attribute: false } };
  declare profile: Profile;
  declare inspectionId: string;
  static styles = [shared];

  render() {
    return html`<h1>Inspection review</h1>`;
  }
}

customElements.define("insp-review-inspection", ReviewInspection);
