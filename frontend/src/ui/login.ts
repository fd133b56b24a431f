import { LitElement, css, html, nothing } from "lit";
import { OfflineError, ProblemError } from "../api";
import { maybeSync } from "../runtime";
import { login } from "../session";
import { go } from "./live";
import { shared } from "./styles";

/**
 * The login form. Full page when nobody is logged in; `compact` inside the
 * "session ended" banner, where it fires a `login` event for the shell.
 */
export class LoginForm extends LitElement {
  static properties = {
    compact: { type: Boolean },
    username: { type: String },
    error: { state: true },
    busy: { state: true },
  };
  declare compact: boolean;
  declare username: string;
  declare error: string;
  declare busy: boolean;

  constructor() {
    super();
    this.compact = false;
    this.username = "";
    this.error = "";
    this.busy = false;
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
    this.error = "";
    if (this.compact) {
      this.dispatchEvent(new CustomEvent("login", { detail: { username, password }, bubbles: true, composed: true }));
      return;
    }
    this.busy = true;
    try {
      await login(username, password);
      go("/");
      void maybeSync("login");
    } catch (err) {
      if (err instanceof OfflineError) this.error = "No connection. Logging in needs the network once.";
      else if (err instanceof ProblemError) this.error = err.problem.detail || err.problem.title || "Login failed.";
      else this.error = (err as Error).message;
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
