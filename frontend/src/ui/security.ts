import { LitElement, css, html, nothing } from "lit";
import { API, OfflineError, ProblemError, getJson, postJson } from "../api";
import { setMeta } from "../db";
import { maybeSync } from "../runtime";
import { type Profile, logout } from "../session";
import { fmtDate, go } from "./live";
import { shared } from "./styles";

interface TotpStatus {
  enabled: boolean;
  enabled_at: string | null;
  pending: boolean;
  required: boolean;
}

interface Enrolment {
  secret: string;
  otpauth_uri: string;
  issuer: string;
  account: string;
}

/** The secret in groups of four, as authenticator apps show and take it. */
export function groupSecret(secret: string): string {
  return secret.replace(/(.{4})/g, "$1 ").trim();
}

/**
 * The account's second factor (TOTP): enrol an authenticator app (the key as
 * text and as an otpauth:// link, then a first code), see whether it is on,
 * or turn it off with the password and a code. A role that needs one is sent
 * here after login and reaches nothing else until it is enrolled.
 */
export class SecurityScreen extends LitElement {
  static properties = {
    profile: { attribute: false },
    status: { state: true },
    enrolment: { state: true },
    error: { state: true },
    message: { state: true },
    busy: { state: true },
  };
  declare profile: Profile;
  declare status: TotpStatus | null;
  declare enrolment: Enrolment | null;
  declare error: string;
  declare message: string;
  declare busy: boolean;

  constructor() {
    super();
    this.status = null;
    this.enrolment = null;
    this.error = "";
    this.message = "";
    this.busy = false;
  }

  static styles = [
    shared,
    css`
      section {
        max-width: 640px;
      }
      .secret {
        display: block;
        font: 600 1.15rem/1.6 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
        letter-spacing: 0.05em;
        padding: 0.5rem 0.75rem;
        background: #f4f6f9;
        border-radius: 8px;
        word-break: break-all;
      }
      .uri {
        word-break: break-all;
        font-size: 0.9rem;
      }
      ol {
        padding-left: 1.25rem;
      }
      li {
        margin-bottom: 1rem;
      }
      form {
        max-width: 420px;
      }
      .actions {
        margin-top: 1rem;
        display: flex;
        gap: 0.5rem;
        flex-wrap: wrap;
      }
    `,
  ];

  connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.status = await getJson<TotpStatus>(`${API}/auth/totp`);
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    if (err instanceof OfflineError) this.error = "No connection: the second factor is managed online.";
    else if (err instanceof ProblemError) {
      const fields = err.problem.errors as Record<string, string[]> | undefined;
      this.error = (fields && Object.values(fields).flat()[0]) || err.problem.detail || err.problem.title || "Refused.";
    } else this.error = (err as Error).message;
  }

  private async start(): Promise<void> {
    this.error = "";
    this.busy = true;
    try {
      this.enrolment = await postJson<Enrolment>(`${API}/auth/totp/enrol`, {});
      await this.load();
    } catch (err) {
      this.fail(err);
    } finally {
      this.busy = false;
    }
  }

  private async confirm(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const code = String(new FormData(event.target as HTMLFormElement).get("code") ?? "").replace(/\s+/g, "");
    this.error = "";
    this.busy = true;
    try {
      // The session moves to a new generation (new cookies) without the enrolment restriction.
      await postJson(`${API}/auth/totp/confirm`, { code });
      this.enrolment = null;
      const me = await getJson<Profile>(`${API}/auth/me`);
      await setMeta("profile", me);
      await this.load();
      this.message = "Second factor on: from now on, logging in asks for a code from the app.";
      void maybeSync("login");
    } catch (err) {
      this.fail(err);
    } finally {
      this.busy = false;
    }
  }

  private async disable(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const body = {
      password: String(data.get("password") ?? ""),
      code: String(data.get("code") ?? "").replace(/\s+/g, ""),
    };
    this.error = "";
    this.busy = true;
    try {
      // Every session of the account ends, this one too.
      await postJson(`${API}/auth/totp/disable`, body);
      await logout();
      go("/");
    } catch (err) {
      this.fail(err);
    } finally {
      this.busy = false;
    }
  }

  private enrolmentSteps(e: Enrolment) {
    return html`<ol>
        <li>
          In an authenticator app on your phone, add an account with this key (${e.issuer}, ${e.account}):
          <code class="secret" aria-label="Secret key" data-secret=${e.secret}>${groupSecret(e.secret)}</code>
          On the phone itself, this link opens the app:
          <a class="uri" href=${e.otpauth_uri}>${e.otpauth_uri}</a>
        </li>
        <li>
          Enter the 6-digit code the app shows now.
          <form @submit=${this.confirm} aria-label="Confirm the second factor">
            <label for="enrol-code">Code from the app</label>
            <input id="enrol-code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="7" required />
            <div class="actions">
              <button class="primary" type="submit" ?disabled=${this.busy}>Confirm</button>
            </div>
          </form>
        </li>
      </ol>
      <p class="muted">The key is shown only now. Keep it like a password.</p>`;
  }

  private disableForm() {
    return html`<form @submit=${this.disable} aria-label="Turn off the second factor">
      <h2>Turn it off</h2>
      <p class="muted">For a new phone: turn it off, log in again and enrol the new phone. Every session of this account ends.</p>
      <label for="off-password">Password</label>
      <input id="off-password" name="password" type="password" autocomplete="current-password" required />
      <label for="off-code">Code from the app</label>
      <input id="off-code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="7" required />
      <div class="actions">
        <button class="danger" type="submit" ?disabled=${this.busy}>Turn off second factor</button>
      </div>
    </form>`;
  }

  render() {
    const s = this.status;
    const mustEnrol = this.profile?.mfa_enrolment_required;
    return html`<section>
      <h1>Security</h1>
      ${mustEnrol
        ? html`<div class="notice warn" role="alert">
            Your role needs a second factor. Set up an authenticator app to continue; until then nothing else opens.
          </div>`
        : nothing}
      ${this.message ? html`<div class="notice" role="status">${this.message} <a href="/">Continue</a></div>` : nothing}
      ${this.error ? html`<p class="notice error" role="alert">${this.error}</p>` : nothing}
      <h2>Second factor (authenticator app)</h2>
      ${s === null
        ? html`<p>Loading…</p>`
        : html`<p role="status" aria-label="Second factor status">
            ${s.enabled ? html`On since ${fmtDate(s.enabled_at)}.` : "Off."}
            ${s.required ? "Your role requires it." : "Optional for your role."}
          </p>`}
      ${s && !s.enabled
        ? this.enrolment
          ? this.enrolmentSteps(this.enrolment)
          : html`<div class="actions">
              <button class="primary" @click=${this.start} ?disabled=${this.busy}>
                ${s.pending ? "Start again with a new key" : "Set up an authenticator app"}
              </button>
            </div>`
        : nothing}
      ${s?.enabled ? this.disableForm() : nothing}
    </section>`;
  }
}

customElements.define("insp-security", SecurityScreen);
