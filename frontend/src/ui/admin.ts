import { LitElement, css, html, nothing } from "lit";
import { API, ProblemError, getJson, postJson, request } from "../api";
import type { Profile } from "../session";
import { type ImportReport, canApply, progressText } from "./import-report";
import { fmtTime, words } from "./live";
import { shared } from "./styles";

export type Section = "users" | "offices" | "devices" | "imports";

interface Office {
  id: string;
  name: string;
  states: string[];
}
interface User {
  id: string;
  username: string;
  display_name: string;
  role: string;
  field_office_id: string | null;
  active: boolean;
  locked: boolean;
  second_factor: boolean;
}
interface Device {
  id: string;
  user_id: string;
  username: string | null;
  display_name: string | null;
  first_seen_at: string;
  last_seen_at: string;
  user_agent: string | null;
  revoked_at: string | null;
}
const SECTIONS: { key: Section; label: string }[] = [
  { key: "users", label: "Users" },
  { key: "offices", label: "Field offices" },
  { key: "devices", label: "Devices" },
  { key: "imports", label: "Licensee import" },
];
const ROLES = ["investigator", "reviewer", "admin"];
/** How often a running import is asked for its progress. */
const POLL_MS = 400;

function problemText(err: unknown): string {
  if (err instanceof ProblemError) {
    const fields = err.problem.errors as Record<string, unknown> | undefined;
    const details = fields ? Object.entries(fields).map(([k, v]) => `${k}: ${([] as unknown[]).concat(v).join(", ")}`) : [];
    return [err.problem.detail ?? err.message, ...details].join(" ");
  }
  return (err as Error).message;
}

/** Administration: users, field offices, devices and the licensee import (online, admins only). */
export class AdminScreen extends LitElement {
  static properties = {
    profile: { attribute: false },
    section: { attribute: false },
    users: { state: true },
    offices: { state: true },
    devices: { state: true },
    editing: { state: true },
    message: { state: true },
    busy: { state: true },
    chosen: { state: true },
    checked: { state: true },
    report: { state: true },
    history: { state: true },
  };
  declare profile: Profile;
  declare section: Section;
  declare users: User[];
  declare offices: Office[];
  declare devices: Device[];
  /** the user whose row shows an editor: role/office or password */
  declare editing: { id: string; what: "role" | "password" | "revoke" } | null;
  declare message: { kind: "ok" | "error"; text: string } | null;
  declare busy: boolean;
  declare chosen: File | null;
  declare checked: File | null;
  declare report: ImportReport | null;
  declare history: ImportReport[];
  private loaded: string | null = null;
  private polling = false;

  constructor() {
    super();
    this.section = "users";
    this.users = [];
    this.offices = [];
    this.devices = [];
    this.editing = null;
    this.message = null;
    this.busy = false;
    this.chosen = null;
    this.checked = null;
    this.report = null;
    this.history = [];
  }

  static styles = [
    shared,
    css`
      nav.sections ul {
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem 1rem;
        list-style: none;
        margin: 0 0 1rem;
        padding: 0;
        border-bottom: 1px solid #c9d1db;
      }
      nav.sections a[aria-current="page"] {
        font-weight: 700;
        color: #1d3557;
        border-bottom: 3px solid #1d3557;
      }
      .scroll {
        overflow-x: auto;
      }
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(190px, 1fr));
        gap: 0 1rem;
        align-items: end;
      }
      td.actions {
        white-space: nowrap;
      }
      td.actions .row {
        flex-wrap: wrap;
      }
      .counts dd {
        font-weight: 700;
      }
      .rejected td:first-child {
        font-variant-numeric: tabular-nums;
        font-weight: 700;
      }
      input[type="file"] {
        padding: 0.4rem;
      }
    `,
  ];

  /** Each section loads its own data when it is opened (the route sets ``section``). */
  willUpdate(): void {
    if (this.loaded !== this.section) {
      this.loaded = this.section;
      this.message = null;
      this.editing = null;
      void this.act(() => this.load());
    }
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.polling = false;
  }

  private async load(): Promise<void> {
    if (this.section === "users") {
      [this.users, this.offices] = await Promise.all([
        getJson<User[]>(`${API}/users?page_size=500`),
        getJson<Office[]>(`${API}/field-offices?page_size=500`),
      ]);
    } else if (this.section === "offices") {
      this.offices = await getJson<Office[]>(`${API}/field-offices?page_size=500`);
    } else if (this.section === "devices") {
      this.devices = await getJson<Device[]>(`${API}/devices?page_size=500`);
    } else {
      this.history = await getJson<ImportReport[]>(`${API}/licensee-imports?page_size=10`);
    }
  }

  private async act(work: () => Promise<void>, done?: string): Promise<void> {
    this.busy = true;
    try {
      await work();
      if (done) this.message = { kind: "ok", text: done };
    } catch (err) {
      this.message = { kind: "error", text: problemText(err) };
    } finally {
      this.busy = false;
    }
  }

  private officeName(id: string | null): string {
    if (!id) return "All offices";
    return this.offices.find((o) => o.id === id)?.name ?? "—";
  }

  // ---- users ---------------------------------------------------------------------------------

  private async userAction(user: User, action: string, body: unknown, done: string): Promise<void> {
    await this.act(async () => {
      const updated = await postJson<User>(`${API}/users/${user.id}/${action}`, body);
      this.users = this.users.map((u) => (u.id === updated.id ? updated : u));
      this.editing = null;
    }, done);
  }

  private async createUser(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const role = String(data.get("role"));
    await this.act(async () => {
      const user = await postJson<User>(`${API}/users`, {
        username: data.get("username"),
        display_name: data.get("display_name"),
        role,
        field_office_id: role === "admin" ? null : data.get("field_office_id") || null,
        password: data.get("password"),
      });
      this.users = [...this.users, user].sort((a, b) => a.username.localeCompare(b.username));
      form.reset();
    }, "User created.");
  }

  private async saveRole(event: SubmitEvent, user: User): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const role = String(data.get("role"));
    await this.act(async () => {
      const updated = await postJson<User>(
        `${API}/users/${user.id}`,
        { role, field_office_id: role === "admin" ? null : data.get("field_office_id") || null },
        { method: "PATCH" },
      );
      this.users = this.users.map((u) => (u.id === updated.id ? updated : u));
      this.editing = null;
    }, `${user.display_name}: role and office saved; their sessions ended.`);
  }

  private async resetPassword(event: SubmitEvent, user: User): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    await this.userAction(user, "reset-password", { password: data.get("password") }, `${user.display_name}: password reset; their sessions ended.`);
  }

  private userEditor(user: User) {
    if (this.editing?.id !== user.id) return nothing;
    if (this.editing.what === "password") {
      return html`<tr>
        <td colspan="5">
          <form aria-label="New password for ${user.username}" class="row" @submit=${(e: SubmitEvent) => this.resetPassword(e, user)}>
            <div>
              <label for="pw-${user.id}">New password for ${user.username} (12 characters or more)</label>
              <input id="pw-${user.id}" name="password" type="password" minlength="12" autocomplete="new-password" required />
            </div>
            <button class="primary" type="submit" ?disabled=${this.busy}>Set password</button>
            <button type="button" @click=${() => (this.editing = null)}>Cancel</button>
          </form>
        </td>
      </tr>`;
    }
    return html`<tr>
      <td colspan="5">
        <form aria-label="Role and office of ${user.username}" class="grid" @submit=${(e: SubmitEvent) => this.saveRole(e, user)}>
          <div>
            <label for="role-${user.id}">Role</label>
            <select id="role-${user.id}" name="role">
              ${ROLES.map((r) => html`<option value=${r} ?selected=${r === user.role}>${r}</option>`)}
            </select>
          </div>
          <div>
            <label for="office-${user.id}">Field office</label>
            <select id="office-${user.id}" name="field_office_id">
              <option value="">None (admins)</option>
              ${this.offices.map((o) => html`<option value=${o.id} ?selected=${o.id === user.field_office_id}>${o.name}</option>`)}
            </select>
          </div>
          <div class="row">
            <button class="primary" type="submit" ?disabled=${this.busy}>Save role and office</button>
            <button type="button" @click=${() => (this.editing = null)}>Cancel</button>
          </div>
        </form>
      </td>
    </tr>`;
  }

  private usersSection() {
    const self = this.profile.id;
    return html`
      <div class="scroll">
        <table aria-label="Users">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">Field office</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            ${this.users.map(
              (u) => html`<tr data-user=${u.username}>
                  <td><strong>${u.display_name}</strong><div class="small muted">${u.username}</div></td>
                  <td>${u.role}</td>
                  <td>${this.officeName(u.field_office_id)}</td>
                  <td>
                    ${u.active ? html`<span class="badge good">Active</span>` : html`<span class="badge bad">Disabled</span>`}
                    ${u.locked ? html`<span class="badge warn">Locked</span>` : nothing}
                    ${u.second_factor ? html`<span class="badge">Second factor</span>` : nothing}
                  </td>
                  <td class="actions">
                    <div class="row">
                      ${u.active
                        ? html`<button type="button" class="danger" ?disabled=${this.busy || u.id === self} aria-label="Disable ${u.username}"
                            @click=${() => this.userAction(u, "disable", {}, `${u.display_name} is disabled; their sessions ended.`)}>Disable</button>`
                        : html`<button type="button" ?disabled=${this.busy} aria-label="Enable ${u.username}"
                            @click=${() => this.userAction(u, "enable", {}, `${u.display_name} is enabled.`)}>Enable</button>`}
                      ${u.locked
                        ? html`<button type="button" ?disabled=${this.busy} aria-label="Unlock ${u.username}"
                            @click=${() => this.userAction(u, "unlock", {}, `${u.display_name} is unlocked.`)}>Unlock</button>`
                        : nothing}
                      <button type="button" aria-label="Reset password of ${u.username}" @click=${() => (this.editing = { id: u.id, what: "password" })}>Reset password</button>
                      ${u.second_factor
                        ? html`<button type="button" ?disabled=${this.busy} aria-label="Reset second factor of ${u.username}"
                            @click=${() => this.userAction(u, "reset-second-factor", {}, `${u.display_name}: second factor removed; they enrol again at the next login.`)}>Reset second factor</button>`
                        : nothing}
                      <button type="button" ?disabled=${u.id === self} aria-label="Change role or office of ${u.username}" @click=${() => (this.editing = { id: u.id, what: "role" })}>Role / office</button>
                    </div>
                  </td>
                </tr>
                ${this.userEditor(u)}`,
            )}
          </tbody>
        </table>
      </div>
      <form class="card" aria-label="New user" @submit=${this.createUser}>
        <h2>New user</h2>
        <div class="grid">
          <div><label for="new-username">User name</label><input id="new-username" name="username" required pattern="[a-z0-9._\\-]{3,80}" autocomplete="off" /></div>
          <div><label for="new-name">Display name</label><input id="new-name" name="display_name" required /></div>
          <div>
            <label for="new-role">Role</label>
            <select id="new-role" name="role">${ROLES.map((r) => html`<option value=${r}>${r}</option>`)}</select>
          </div>
          <div>
            <label for="new-office">Field office</label>
            <select id="new-office" name="field_office_id">
              <option value="">None (admins)</option>
              ${this.offices.map((o) => html`<option value=${o.id}>${o.name}</option>`)}
            </select>
          </div>
          <div><label for="new-password">Initial password (12 characters or more)</label><input id="new-password" name="password" type="password" minlength="12" required autocomplete="new-password" /></div>
          <div><button class="primary" type="submit" ?disabled=${this.busy}>Create user</button></div>
        </div>
      </form>
    `;
  }

  // ---- field offices --------------------------------------------------------------------------

  private states(text: FormDataEntryValue | null): string[] {
    return String(text ?? "")
      .toUpperCase()
      .split(/[\s,;]+/)
      .filter(Boolean);
  }

  private async saveOffice(event: SubmitEvent, office: Office): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    await this.act(async () => {
      const updated = await postJson<Office>(
        `${API}/field-offices/${office.id}`,
        { name: data.get("name"), states: this.states(data.get("states")) },
        { method: "PATCH" },
      );
      this.offices = await getJson<Office[]>(`${API}/field-offices?page_size=500`);
      this.message = { kind: "ok", text: `${updated.name} saved: ${updated.states.join(", ") || "no states"}.` };
    });
  }

  private async createOffice(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    await this.act(async () => {
      await postJson<Office>(`${API}/field-offices`, { name: data.get("name"), states: this.states(data.get("states")) });
      this.offices = await getJson<Office[]>(`${API}/field-offices?page_size=500`);
      form.reset();
    }, "Field office created.");
  }

  private officesSection() {
    return html`
      <p class="small muted">
        A state belongs to one office. Naming a state another office covers moves it here, with its licensees (unless their
        office was chosen by hand); the other office's tablets resync. Not while inspections there are still open.
      </p>
      ${this.offices.map(
        (o) => html`<form class="card" aria-label="Field office ${o.name}" @submit=${(e: SubmitEvent) => this.saveOffice(e, o)}>
          <div class="grid">
            <div><label for="name-${o.id}">Name</label><input id="name-${o.id}" name="name" .value=${o.name} required /></div>
            <div>
              <label for="states-${o.id}">States covered (e.g. TX NM)</label>
              <input id="states-${o.id}" name="states" .value=${o.states.join(" ")} />
            </div>
            <div><button class="primary" type="submit" ?disabled=${this.busy}>Save ${o.name}</button></div>
          </div>
        </form>`,
      )}
      <form class="card" aria-label="New field office" @submit=${this.createOffice}>
        <h2>New field office</h2>
        <div class="grid">
          <div><label for="office-name">Name</label><input id="office-name" name="name" required /></div>
          <div><label for="office-states">States covered</label><input id="office-states" name="states" required /></div>
          <div><button class="primary" type="submit" ?disabled=${this.busy}>Create office</button></div>
        </div>
      </form>
    `;
  }

  // ---- devices --------------------------------------------------------------------------------

  private async revoke(device: Device): Promise<void> {
    await this.act(async () => {
      const revoked = await postJson<Device>(`${API}/devices/${device.id}/revoke`, {});
      this.devices = this.devices.map((d) => (d.id === device.id ? { ...d, revoked_at: revoked.revoked_at } : d));
      this.editing = null;
    }, `The device of ${device.display_name ?? "the user"} is revoked: its sessions ended and it wipes its data at its next contact.`);
  }

  private devicesSection() {
    return html`
      <p class="small muted">Revoking a device (a lost tablet) ends its sessions at once and tells it to erase its local data.</p>
      <div class="scroll">
        <table aria-label="Devices">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Device</th>
              <th scope="col">First seen</th>
              <th scope="col">Last seen</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            ${this.devices.map((d) => {
              const confirming = this.editing?.id === d.id && this.editing.what === "revoke";
              return html`<tr data-device=${d.id}>
                <td><strong>${d.display_name ?? "—"}</strong><div class="small muted">${d.username ?? ""}</div></td>
                <td><code>${d.id.slice(0, 8)}</code><div class="small muted">${d.user_agent ?? ""}</div></td>
                <td>${fmtTime(d.first_seen_at)}</td>
                <td>${fmtTime(d.last_seen_at)}</td>
                <td class="actions">
                  ${d.revoked_at
                    ? html`<span class="badge bad">Revoked ${fmtTime(d.revoked_at)}</span>`
                    : confirming
                      ? html`<div class="row">
                          <button type="button" class="danger" ?disabled=${this.busy} @click=${() => this.revoke(d)}>Confirm: revoke and wipe</button>
                          <button type="button" @click=${() => (this.editing = null)}>Cancel</button>
                        </div>`
                      : html`<button type="button" class="danger" aria-label="Revoke device of ${d.username ?? d.id}"
                          @click=${() => (this.editing = { id: d.id, what: "revoke" })}>Revoke</button>`}
                </td>
              </tr>`;
            })}
          </tbody>
        </table>
      </div>
    `;
  }

  // ---- licensee import ------------------------------------------------------------------------

  private async upload(dryRun: boolean): Promise<void> {
    const file = this.chosen;
    if (!file) return;
    this.message = null;
    await this.act(async () => {
      const form = new FormData();
      form.append("file", file, file.name);
      form.append("dry_run", dryRun ? "true" : "false");
      const response = await request(`${API}/licensee-imports`, { method: "POST", body: form });
      this.report = (await response.json()) as ImportReport;
      const location = response.headers.get("Location") ?? `${API}/licensee-imports/${this.report.id}`;
      this.report = await this.follow(location);
      if (dryRun) this.checked = file;
      else this.checked = null;
      this.history = await getJson<ImportReport[]>(`${API}/licensee-imports?page_size=10`);
    });
  }

  /** Poll the import until its worker is done or failed; the progress bar follows. */
  private async follow(location: string): Promise<ImportReport> {
    this.polling = true;
    let report = this.report as ImportReport;
    while (this.polling && (report.status === "pending" || report.status === "running")) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      report = await getJson<ImportReport>(location);
      this.report = report;
    }
    return report;
  }

  private reportView(r: ImportReport) {
    const running = r.status === "pending" || r.status === "running";
    return html`<section class="card" aria-label="Import result">
      <h2>${r.dry_run ? "Dry run" : "Import"} of ${r.filename}: ${running ? "running" : r.status === "done" ? "done" : "failed"}</h2>
      ${running
        ? html`<label for="import-progress">${progressText(r)}</label>
            <progress id="import-progress" max=${Math.max(r.total_rows, 1)} .value=${r.processed_rows}></progress>`
        : nothing}
      ${r.failure ? html`<div class="notice error" role="alert">${r.failure}</div>` : nothing}
      <dl class="counts" aria-label="Counts">
        <dt>Rows</dt>
        <dd>${r.total_rows.toLocaleString()}</dd>
        <dt>${r.dry_run ? "To add" : "Added"}</dt>
        <dd data-count="added">${r.added.toLocaleString()}</dd>
        <dt>${r.dry_run ? "To update" : "Updated"}</dt>
        <dd data-count="updated">${r.updated.toLocaleString()}</dd>
        <dt>Unchanged</dt>
        <dd data-count="unchanged">${r.unchanged.toLocaleString()}</dd>
        <dt>Rejected</dt>
        <dd data-count="rejected">${r.rejected.toLocaleString()}</dd>
      </dl>
      ${r.errors.length
        ? html`<h3>Rejected rows${r.rejected > r.errors.length ? ` (the first ${r.errors.length} of ${r.rejected})` : ""}</h3>
            <div class="scroll">
              <table class="rejected" aria-label="Rejected rows">
                <thead>
                  <tr>
                    <th scope="col">Line</th>
                    <th scope="col">Reason</th>
                  </tr>
                </thead>
                <tbody>
                  ${r.errors.map((e) => html`<tr><td>${e.line}</td><td>${e.reason}</td></tr>`)}
                </tbody>
              </table>
            </div>
            <p class="small">Fix these lines and check the file again: an import applies every row or none.</p>`
        : nothing}
    </section>`;
  }

  private importsSection() {
    const ready = canApply(this.report, this.checked, this.chosen);
    const running = this.report?.status === "pending" || this.report?.status === "running";
    return html`
      <p class="small muted">
        ATF's licensee listing: tab or pipe delimited text with a header row. Check it first (a dry run changes nothing); the
        import applies every row or none, adding new licensees and updating those already known (same region, district and
        sequence, e.g. a renewal).
      </p>
      <div class="card">
        <label for="listing-file">Listing file</label>
        <input
          id="listing-file"
          type="file"
          accept=".txt,.tsv,.csv,text/plain,text/tab-separated-values"
          @change=${(e: Event) => {
            this.chosen = (e.target as HTMLInputElement).files?.[0] ?? null;
            this.report = null;
            this.message = null;
          }}
        />
        <div class="row">
          <button type="button" class="primary" ?disabled=${!this.chosen || this.busy || running} @click=${() => this.upload(true)}>Check file (dry run)</button>
          <button type="button" ?disabled=${!ready || this.busy} @click=${() => this.upload(false)}>Apply import</button>
        </div>
        ${this.chosen && !ready && this.report?.dry_run && this.report.status === "done" && this.report.rejected > 0
          ? html`<p class="small">Apply is available once a dry run of the file has no rejected rows.</p>`
          : nothing}
      </div>
      ${this.report ? this.reportView(this.report) : nothing}
      ${this.history.length
        ? html`<h2>Recent imports</h2>
            <div class="scroll">
              <table aria-label="Recent imports">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">File</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Status</th>
                    <th scope="col">Added / updated / rejected</th>
                  </tr>
                </thead>
                <tbody>
                  ${this.history.map(
                    (h) => html`<tr>
                      <td>${fmtTime(h.created_at)}</td>
                      <td>${h.filename}</td>
                      <td>${h.dry_run ? "dry run" : "import"}</td>
                      <td>${words(h.status)}</td>
                      <td>${h.added} / ${h.updated} / ${h.rejected}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
        : nothing}
    `;
  }

  render() {
    if (this.profile.role !== "admin") return html`<h1>Administration</h1><p>Administration is for admins.</p>`;
    const current = SECTIONS.find((s) => s.key === this.section) ?? SECTIONS[0];
    return html`
      <h1>Administration: ${current.label}</h1>
      <nav class="sections" aria-label="Administration">
        <ul>
          ${SECTIONS.map(
            (s) => html`<li><a href="/admin/${s.key}" aria-current=${s.key === this.section ? "page" : nothing}>${s.label}</a></li>`,
          )}
        </ul>
      </nav>
      ${this.message
        ? html`<div class="notice ${this.message.kind === "error" ? "error" : ""}" role=${this.message.kind === "error" ? "alert" : "status"}>
            ${this.message.text}
          </div>`
        : nothing}
      ${this.section === "users"
        ? this.usersSection()
        : this.section === "offices"
          ? this.officesSection()
          : this.section === "devices"
            ? this.devicesSection()
            : this.importsSection()}
    `;
  }
}

customElements.define("insp-admin", AdminScreen);
