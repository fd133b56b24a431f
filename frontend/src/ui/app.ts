import { LitElement, css, html, nothing } from "lit";
import { db, getMeta } from "../db";
import { maybeSync } from "../runtime";
import { type Profile, login } from "../session";
import { type SyncProgress, onProgress } from "../sync";
import { type LockState, lock, lockState, startState } from "../vault";
import { Live, go } from "./live";
import { shared } from "./styles";
import type { LoginForm } from "./login";
import "./login";
import "./lock";
import "./queue";
import "./licensee";
import "./inspection";
import "./lead";
import "./sync-panel";
import "./review";
import "./admin";
import "./queues";
import "./dashboard";
import "./security";

interface Shell {
  profile: Profile | null;
  needsLogin: boolean;
  outdated: boolean;
  unsent: number;
  wiped: boolean;
  /** the last wrong PIN erased the local data */
  erased: boolean;
  evicted: string | null;
}

type Route =
  | { name: "queue" }
  | { name: "inspection"; id: string }
  | { name: "licensee"; id: string }
  | { name: "lead"; id: string | null; inspection: string | null }
  | { name: "sync" }
  // Desktop screens for reviewers and admins (online).
  | { name: "review" }
  | { name: "review-inspection"; id: string }
  | { name: "queues" }
  | { name: "dashboard" }
  | { name: "admin"; section: "users" | "offices" | "devices" | "imports" }
  | { name: "security" };

const ADMIN_SECTIONS = ["users", "offices", "devices", "imports"] as const;

export function parseRoute(path: string, search: string): Route {
  const parts = path.split("/").filter(Boolean);
  const q = new URLSearchParams(search);
  if (parts[0] === "inspections" && parts[1]) return { name: "inspection", id: parts[1] };
  if (parts[0] === "licensees" && parts[1]) return { name: "licensee", id: parts[1] };
  if (parts[0] === "leads") return { name: "lead", id: parts[1] && parts[1] !== "new" ? parts[1] : null, inspection: q.get("inspection") };
  if (parts[0] === "sync") return { name: "sync" };
  if (parts[0] === "review" && parts[1] === "inspections" && parts[2]) return { name: "review-inspection", id: parts[2] };
  if (parts[0] === "review") return { name: "review" };
  if (parts[0] === "queues") return { name: "queues" };
  if (parts[0] === "dashboard") return { name: "dashboard" };
  if (parts[0] === "admin") {
    const section = ADMIN_SECTIONS.find((s) => s === parts[1]) ?? "users";
    return { name: "admin", section };
  }
  if (parts[0] === "account") return { name: "security" };
  return { name: "queue" };
}

/** The main navigation each role sees: investigators work the tablet, reviewers and admins the office screens. */
export function navFor(role: string): { href: string; label: string; route: Route["name"] }[] {
  const security = { href: "/account", label: "Security", route: "security" as const };
  if (role === "reviewer") {
    return [
      { href: "/review", label: "Review", route: "review" },
      { href: "/dashboard", label: "Dashboard", route: "dashboard" },
      security,
    ];
  }
  if (role === "admin") {
    return [
      { href: "/queues", label: "Queues", route: "queues" },
      { href: "/admin/imports", label: "Import", route: "admin" },
      { href: "/admin/users", label: "Users", route: "admin" },
      { href: "/dashboard", label: "Dashboard", route: "dashboard" },
      security,
    ];
  }
  return [
    { href: "/", label: "My queue", route: "queue" },
    { href: "/leads/new", label: "New lead", route: "lead" },
  ];
}

/** The shell: header, status banners, the update prompt, and the current screen. */
export class InspectorApp extends LitElement {
  static properties = {
    route: { state: true },
    online: { state: true },
    progress: { state: true },
    updateReady: { state: true },
    reloginOpen: { state: true },
    locked: { state: true },
  };
  declare route: Route;
  declare online: boolean;
  declare progress: SyncProgress | null;
  declare updateReady: boolean;
  declare reloginOpen: boolean;
  /** the lock gate: null until read at start */
  declare locked: LockState | null;
  /** set by main.ts: installs the waiting service worker and reloads */
  applyUpdate: (() => Promise<void>) | null = null;

  private shellQuery = async (): Promise<Shell> => ({
    profile: (await getMeta<Profile>("profile")) ?? null,
    needsLogin: Boolean(await getMeta("needs_login")),
    outdated: Boolean(await getMeta("outdated")),
    unsent: await db.outbox.count(),
    wiped: Boolean(await getMeta("wiped")),
    erased: (await getMeta("wiped")) === "pin",
    evicted: (await getMeta<string>("evicted_at")) ?? null,
  });
  private shell = new Live<Shell>(this, this.shellQuery);

  constructor() {
    super();
    this.route = parseRoute(location.pathname, location.search);
    this.online = navigator.onLine;
    this.progress = null;
    this.updateReady = false;
    this.reloginOpen = false;
    this.locked = null;
  }

  connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener("popstate", this.onRoute);
    window.addEventListener("online", this.onNetwork);
    window.addEventListener("offline", this.onNetwork);
    this.unsubscribe = onProgress((p) => (this.progress = p));
    this.addEventListener("click", this.onClick);
    window.addEventListener("inspector:lock", this.onLock);
    void startState().then(this.onLock);
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener("popstate", this.onRoute);
    window.removeEventListener("online", this.onNetwork);
    window.removeEventListener("offline", this.onNetwork);
    this.unsubscribe?.();
    window.removeEventListener("inspector:lock", this.onLock);
  }

  /** Locked, unlocked, PIN set or data erased: re-read the state and the shell's data. */
  private onLock = async () => {
    this.locked = await lockState();
    this.shell.reset(this.shellQuery);
  };

  private unsubscribe: (() => void) | null = null;
  private onRoute = () => (this.route = parseRoute(location.pathname, location.search));
  private onNetwork = () => (this.online = navigator.onLine);

  /** In-app links (also inside shadow roots) navigate without a page load. */
  private onClick = (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const anchor = event.composedPath().find((n) => n instanceof HTMLAnchorElement) as HTMLAnchorElement | undefined;
    if (!anchor || anchor.target || anchor.origin !== location.origin || anchor.hasAttribute("download")) return;
    event.preventDefault();
    go(anchor.pathname + anchor.search);
  };

  static styles = [
    shared,
    css`
      :host {
        min-height: 100vh;
        background: #f4f6f9;
      }
      header {
        background: #1d3557;
        color: #fff;
        padding: 0.5rem 1rem;
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem 1rem;
        position: sticky;
        top: 0;
        z-index: 5;
      }
      header .brand {
        font-size: 1.2rem;
        font-weight: 700;
        margin: 0;
        color: #fff;
      }
      header nav {
        display: flex;
        gap: 0.25rem;
        flex-wrap: wrap;
        flex: 1;
      }
      header nav a {
        color: #fff;
        min-height: 44px;
        display: inline-flex;
        align-items: center;
        padding: 0 0.8rem;
        border-radius: 8px;
        text-decoration: none;
        font-weight: 600;
      }
      header nav a[aria-current="page"] {
        background: #30507a;
      }
      header .who {
        font-size: 0.9rem;
      }
      .net {
        display: inline-block;
        padding: 0.15rem 0.6rem;
        border-radius: 999px;
        font-size: 0.85rem;
        font-weight: 700;
        background: #fff;
        color: #1d3557;
      }
      .net.off {
        background: #ffd166;
        color: #3d2c00;
      }
      .count {
        background: #ffd166;
        color: #3d2c00;
        border-radius: 999px;
        padding: 0 0.5rem;
        margin-left: 0.35rem;
        font-size: 0.85rem;
      }
      main {
        padding: 1rem;
        max-width: 1200px;
        margin: 0 auto;
      }
      .syncbar {
        padding: 0.25rem 1rem;
        background: #e8eef5;
      }
    `,
  ];

  private async relogin(event: CustomEvent<{ username: string; password: string; otp?: string }>): Promise<void> {
    const form = event.target as LoginForm;
    form.busy = true;
    try {
      await login(event.detail.username, event.detail.password, event.detail.otp);
      this.reloginOpen = false;
      void maybeSync("login");
    } catch (err) {
      form.refused(err);
    } finally {
      form.busy = false;
    }
  }

  /** A role that needs a second factor reaches nothing but the enrolment until it has one. */
  updated(): void {
    const profile = this.shell.value?.profile;
    if (profile?.mfa_enrolment_required && this.route.name !== "security") go("/account");
  }

  private async installUpdate(): Promise<void> {
    // Never reload while changes are unsent: they would survive, but the person should sync first.
    if ((await db.outbox.count()) > 0) return;
    await this.applyUpdate?.();
  }

  private screen(profile: Profile) {
    const r = this.route;
    switch (r.name) {
      case "inspection":
        return html`<insp-inspection .inspectionId=${r.id} .profile=${profile}></insp-inspection>`;
      case "licensee":
        return html`<insp-licensee .licenseeId=${r.id}></insp-licensee>`;
      case "lead":
        return html`<insp-lead .leadId=${r.id} .inspectionId=${r.inspection}></insp-lead>`;
      case "sync":
        return html`<insp-sync-panel .profile=${profile}></insp-sync-panel>`;
      case "review":
        return html`<insp-review-list .profile=${profile}></insp-review-list>`;
      case "review-inspection":
        return html`<insp-review-inspection .inspectionId=${r.id} .profile=${profile}></insp-review-inspection>`;
      case "queues":
        return html`<insp-queues .profile=${profile}></insp-queues>`;
      case "dashboard":
        return html`<insp-dashboard .profile=${profile}></insp-dashboard>`;
      case "admin":
        return html`<insp-admin .section=${r.section} .profile=${profile}></insp-admin>`;
      case "security":
        return html`<insp-security .profile=${profile}></insp-security>`;
      default:
        // The home screen follows the role.
        if (profile.role === "reviewer") return html`<insp-review-list .profile=${profile}></insp-review-list>`;
        if (profile.role === "admin") return html`<insp-queues .profile=${profile}></insp-queues>`;
        return html`<insp-queue .profile=${profile}></insp-queue>`;
    }
  }

  render() {
    if (this.locked === "locked" || this.locked === "pending") {
      return html`<main><insp-lock mode=${this.locked === "locked" ? "unlock" : "set"}></insp-lock></main>`;
    }
    if (!this.shell.loaded || this.locked === null) return html`<main><p>Loading…</p></main>`;
    const s = this.shell.value!;
    if (!s.profile) {
      return html`<main>
        ${s.erased
          ? html`<div class="notice warn" role="alert">Too many wrong PINs: this tablet erased its local data and keys.</div>`
          : s.wiped
            ? html`<div class="notice warn" role="alert">This device was revoked, or its account disabled, by an administrator; its local data was cleared.</div>`
            : nothing}
        <insp-login></insp-login>
      </main>`;
    }
    const r = this.route.name;
    const syncing = this.progress && !["idle", "done", "error"].includes(this.progress.phase);
    return html`
      <header>
        <p class="brand">Inspector</p>
        <nav aria-label="Main">
          ${navFor(s.profile.role).map(
            (item) => html`<a href=${item.href} aria-current=${item.route === r && (r !== "admin" || location.pathname.startsWith(item.href)) ? "page" : nothing}>${item.label}</a>`,
          )}
          <a href="/sync" aria-current=${r === "sync" ? "page" : nothing}
            >Sync${s.unsent ? html`<span class="count" aria-label="${s.unsent} unsent">${s.unsent}</span>` : nothing}</a
          >
        </nav>
        <span class="net ${this.online ? "" : "off"}" role="status">${this.online ? "Online" : "Offline"}</span>
        <span class="who">${s.profile.display_name}</span>
        <button class="lock" @click=${() => lock()}>Lock</button>
      </header>
      ${syncing
        ? html`<div class="syncbar">
            <progress aria-label="Sync progress" max=${this.progress!.total || 1} value=${this.progress!.total ? this.progress!.done : 0}></progress>
          </div>`
        : nothing}
      <main>
        ${s.needsLogin
          ? html`<div class="notice warn" role="alert">
              <div class="spread">
                <span>Your session ended. You can keep working; log in again before the next sync. Unsent changes: ${s.unsent}.</span>
                <button class="primary" @click=${() => (this.reloginOpen = !this.reloginOpen)}>Log in</button>
              </div>
              ${this.reloginOpen
                ? html`<insp-login compact .username=${s.profile.username} @login=${this.relogin}></insp-login>`
                : nothing}
            </div>`
          : nothing}
        ${s.outdated
          ? html`<div class="notice error" role="alert">
              <div class="spread">
                <span>This app is out of date for the server. Reload to update; your ${s.unsent} unsent change(s) are kept.</span>
                <button class="primary" @click=${() => location.reload()}>Reload</button>
              </div>
            </div>`
          : nothing}
        ${s.evicted
          ? html`<div class="notice warn" role="status">The browser cleared this app's stored data; it is downloaded again at the next sync.</div>`
          : nothing}
        ${this.updateReady
          ? html`<div class="notice" role="status">
              <div class="spread">
                ${s.unsent > 0
                  ? html`<span>An update is available. It will be offered again after your ${s.unsent} unsent change(s) are synced.</span>`
                  : html`<span>An update is available.</span>
                      <button class="primary" @click=${this.installUpdate}>Reload to update</button>`}
              </div>
            </div>`
          : nothing}
        ${this.screen(s.profile)}
      </main>
    `;
  }
}

customElements.define("insp-app", InspectorApp);
