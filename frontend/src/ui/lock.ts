import { LitElement, css, html, nothing } from "lit";
import { db, setMeta } from "../db";
import { MAX_ATTEMPTS, WARN_REMAINING, attemptsLeft, setPin, unlock, validPin } from "../vault";
import { shared } from "./styles";

/**
 * The lock screen: `set` asks for a new PIN after the first login on this
 * device; `unlock` asks for it on start and after the idle lock. Before the
 * last tries it says that the local data, unsent changes included, will be
 * erased.
 */
export class LockScreen extends LitElement {
  static properties = {
    mode: { type: String },
    error: { state: true },
    busy: { state: true },
    left: { state: true },
    unsent: { state: true },
  };
  declare mode: "set" | "unlock";
  declare error: string;
  declare busy: boolean;
  declare left: number;
  declare unsent: number;

  constructor() {
    super();
    this.mode = "unlock";
    this.error = "";
    this.busy = false;
    this.left = MAX_ATTEMPTS;
    this.unsent = 0;
  }

  static styles = [
    shared,
    css`
      .page {
        max-width: 460px;
        margin: 10vh auto 0;
      }
      .actions {
        margin-top: 1rem;
      }
    `,
  ];

  connectedCallback(): void {
    super.connectedCallback();
    void this.refresh();
  }

  private async refresh(): Promise<void> {
    this.left = await attemptsLeft();
    this.unsent = await db.outbox.count(); // a count needs no key
  }

  private async submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const pin = String(data.get("pin") ?? "");
    this.error = "";
    if (this.mode === "set") {
      if (!validPin(pin)) {
        this.error = "The PIN must be 6 to 12 digits.";
        return;
      }
      if (pin !== String(data.get("confirm") ?? "")) {
        this.error = "The two PINs differ.";
        return;
      }
      this.busy = true;
      try {
        await setPin(pin);
      } catch (err) {
        this.error = (err as Error).message;
      } finally {
        this.busy = false;
      }
      return;
    }
    this.busy = true;
    try {
      const result = await unlock(pin);
      if (!result.ok) {
        if (result.wiped) {
          await setMeta("wiped", "pin");
          return;
        }
        this.left = result.remaining;
        this.error = `Wrong PIN. ${result.remaining} ${result.remaining === 1 ? "try" : "tries"} left.`;
        (this.renderRoot.querySelector("#pin") as HTMLInputElement | null)?.select();
      }
    } finally {
      this.busy = false;
    }
  }

  render() {
    const set = this.mode === "set";
    const warn =
      !set && this.left <= WARN_REMAINING
        ? html`<p class="notice warn" role="alert">
            After ${this.left} more wrong ${this.left === 1 ? "PIN" : "PINs"} this tablet erases its local data and keys${this.unsent
              ? html`, including ${this.unsent} unsent change(s), which are then lost`
              : nothing}.
          </p>`
        : nothing;
    return html`<div class="page card">
      <h1>${set ? "Set a PIN for this tablet" : "Inspector is locked"}</h1>
      <p class="muted">
        ${set
          ? "The PIN encrypts what this tablet keeps and unlocks the app offline. At least 6 digits."
          : "Enter the PIN of this tablet to open your work."}
      </p>
      ${warn}
      <form @submit=${this.submit} aria-label=${set ? "Set a PIN" : "Unlock"}>
        <label for="pin">${set ? "New PIN" : "PIN"}</label>
        <input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="off" pattern="[0-9]*" required />
        ${set
          ? html`<label for="confirm">Repeat the PIN</label>
              <input id="confirm" name="confirm" type="password" inputmode="numeric" autocomplete="off" pattern="[0-9]*" required />`
          : nothing}
        ${this.error ? html`<p class="notice error" role="alert">${this.error}</p>` : nothing}
        <div class="actions">
          <button class="primary" type="submit" ?disabled=${this.busy}>
            ${this.busy ? (set ? "Saving…" : "Unlocking…") : set ? "Set PIN" : "Unlock"}
          </button>
        </div>
      </form>
    </div>`;
  }
}

customElements.define("insp-lock", LockScreen);
