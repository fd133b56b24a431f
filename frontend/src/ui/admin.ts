import { LitElement, html } from "lit";
import type { Profile } from "../session";
import { shared } from "./styles";

/** Users, field offices, devices and the licensee import (a placeholder until the screen lands). */
export class AdminScreen extends LitElement {
  static properties = { profile: { attribute: false }, section: { attribute: false } };
  declare profile: Profile;
  declare section: string;
  static styles = [shared];

  render() {
    return html`<h1>Administration</h1>`;
  }
}

customElements.define("insp-admin", AdminScreen);
