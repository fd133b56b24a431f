import { LitElement, html } from "lit";
import type { Profile } from "../session";
import { shared } from "./styles";

/** Inspections, violations, outcomes and leads in figures (a placeholder until the screen lands). */
export class DashboardScreen extends LitElement {
  static properties = { profile: { attribute: false } };
  declare profile: Profile;
  static styles = [shared];

  render() {
    return html`<h1>Dashboard</h1>`;
  }
}

customElements.define("insp-dashboard", DashboardScreen);
