import { LitElement, html } from "lit";
import type { Profile } from "../session";
import { shared } from "./styles";

/** The ranked list of licensees and investigators' queues (a placeholder until the screen lands). */
export class QueuesScreen extends LitElement {
  static properties = { profile: { attribute: false } };
  declare profile: Profile;
  static styles = [shared];

  render() {
    return html`<h1>Queues</h1>`;
  }
}

customElements.define("insp-queues", QueuesScreen);
