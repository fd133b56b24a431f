import { LitElement, html } from "lit";
import type { Profile } from "../session";
import { shared } from "./styles";

/** The account's second factor (TOTP) enrolment (a placeholder until the screen lands). */
export class SecurityScreen extends LitElement {
  static properties = { profile: { attribute: false } };
  declare profile: Profile;
  static styles = [shared];

  render() {
    return html`<h1>Security</h1>`;
  }
}

customElements.define("insp-security", SecurityScreen);
