import { LitElement, css, html, nothing } from "lit";
import { OfflineError, ProblemError } from "../api";
import { maybeSync } from "../runtime";
import { login } from "../session";
import { go } from "./live";
import { shared } from "./styles";

/**
 * The login form. Full page when nobody is logged in; `compact` inside the
 * "session ended" banner, where it fires a `login` event for the shell.
 * When the server answers `otp-required` (an enrolled second factor), it asks
 * for the authenticator app's code and sends it with the next attempt.
 */
export class LoginForm extends LitElement {
  static properties = {
    compact: { type: Boolean },
    username: { type: String },
    error: { state: true },
    busy: { state: true },
    needCode: { state: true },
  };
  declare compact: boolean;
  declare username: string;
  declare error: string;
  declare busy: boolean;
  /** the account has a second factor: show the code field */
  declare needCode: boolean;

  constructor() {
    super();
    this.compact = false;
    this.username = "";
    this.error = "";
    this.busy = false;
    this.needCode = false;
  }

  /** Show why a login was refused; a second factor's refusal brings up the code field. */
  refused(err: unknown): void {
    if (err instanceof ProblemError && err.slug === "otp-required") {
      const asked = !this.needCode;
      this.needCode = true;
      this.error = asked ? "Enter the 6-digit code from your authenticator app." : err.problem.detail || "Wrong code.";
      const field = this.renderRoot.querySelector<HTMLInputElement>("#otp");
      if (field) field.value = "";
      void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLInputElement>("#otp")?.focus());
      return;
    }
    if (err instanceof OfflineError) this.error = "No connection. Logging in needs the network once.";
    else if (err instanceof ProblemError) this.error = err.problem.detail || err.problem.title || "Login failed.";
    else this.error = (err as Error).message || "Login failed.";
  }

  static styles = [
    shared,
    css`
      form {
        max-width: 420px;
      }
      .page {
        max-width: 460px;
        margin: 10vh auto 0;
      }
      .actions {
        margin-top: 1rem;
      }
    `,
  ];

  private async submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const username = String(data.get("username") ?? "");
    const password = String(data.get("password") ?? "");
    const otp = this.needCode ? String(data.get("otp") ?? "").replace(/\s+/g, "") : undefined;
    this.error = "";
    if (this.compact) {
      this.dispatchEvent(new CustomEvent("login", { detail: { username, password, otp }, bubbles: true, composed: true }));
      return;
    }
    this.busy = true;
    try {
      const user = await login(username, password, otp);
      if (user.mfa_enrolment_required) {
        go("/account"); // the role needs a second factor: nothing else is open until it is enrolled
      } else {
        go("/");
        void maybeSync("login");
      }
    } catch (err) {
      this.refused(err);
    } finally {
      this.busy = false;
    }
  }

  render() {
    const form = html`<form @submit=${this.submit} aria-label="Log in">
      <label for="username">User name</label>
      <input id="username" name="username" autocomplete="username" required .value=${this.username} />
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required />
      ${this.needCode
        ? html`<label for="otp">Authenticator code</label>
            <input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7" required />`
        : nothing}
      ${this.error ? html`<p class="notice error" role="alert">${this.error}</p>` : nothing}
      <div class="actions">
        <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? "Logging in…" : "Log in"}</button>
      </div>
    </form>`;
    if (this.compact) return form;
    return html`<div class="page card">
      <h1>Inspector</h1>
      <p class="muted">FFL compliance inspections. Log in once while online; after that the app works without a network.</p>
      ${form}
    </div>`;
  }
}

customElements.define("insp-login", LoginForm);
