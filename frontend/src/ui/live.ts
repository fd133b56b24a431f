import { liveQuery } from "dexie";
import type { ReactiveController, ReactiveControllerHost } from "lit";

/** A Dexie liveQuery bound to a Lit element: re-renders when the data changes. */
export class Live<T> implements ReactiveController {
  value: T | undefined;
  loaded = false;
  private sub: { unsubscribe(): void } | null = null;

  constructor(
    private host: ReactiveControllerHost,
    private query: () => Promise<T>,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.subscribe();
  }

  hostDisconnected(): void {
    this.sub?.unsubscribe();
    this.sub = null;
  }

  /** Re-run with a new query (e.g. the route's id changed). */
  reset(query: () => Promise<T>): void {
    this.query = query;
    this.loaded = false;
    this.value = undefined;
    this.sub?.unsubscribe();
    this.subscribe();
  }

  private subscribe(): void {
    this.sub = liveQuery(this.query).subscribe({
      next: (value) => {
        this.value = value;
        this.loaded = true;
        this.host.requestUpdate();
      },
      error: (err) => console.error(err),
    });
  }
}

export function go(path: string): void {
  if (location.pathname + location.search === path) return;
  history.pushState(null, "", path);
  window.dispatchEvent(new PopStateEvent("popstate"));
  window.scrollTo(0, 0);
}

export function fmtDate(value: unknown): string {
  if (!value) return "—";
  const s = String(value);
  const d = new Date(s.length === 10 ? `${s}T00:00:00` : s);
  return Number.isNaN(d.getTime()) ? s : d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

export function fmtTime(value: unknown): string {
  if (!value) return "never";
  const d = new Date(String(value));
  return Number.isNaN(d.getTime()) ? String(value) : d.toLocaleString();
}

export function fmtBytes(n: number | null | undefined): string {
  if (n == null) return "unknown";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(1)} GB`;
}

export function words(value: unknown): string {
  return value == null ? "—" : String(value).replace(/_/g, " ");
}
