/**
 * HTTP to our own API: cookies for the session, the CSRF double submit on
 * unsafe requests, one refresh on an expired access token, RFC 9457 problems.
 */
import type { Problem } from "./db";

export const API = "/api/v1";

/** The network is not there (offline, server down). */
export class OfflineError extends Error {
  constructor(message = "offline") {
    super(message);
    this.name = "OfflineError";
  }
}

/** A non-2xx answer with its problem object. */
export class ProblemError extends Error {
  constructor(
    public status: number,
    public problem: Problem,
  ) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = "ProblemError";
  }

  get slug(): string {
    return slugOf(this.problem);
  }
}

export function slugOf(problem: Problem | null | undefined): string {
  const type = problem?.type ?? "";
  return type.split("/").pop() ?? "";
}

export function cookie(name: string): string | null {
  if (typeof document === "undefined") return null;
  for (const part of document.cookie.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return null;
}

type Listener = (error: ProblemError) => void;
const authListeners: Listener[] = [];

/** Called when the session is gone (401 after a failed refresh) or the device is revoked. */
export function onAuthFailure(listener: Listener): void {
  authListeners.push(listener);
}

export interface RequestOptions {
  method?: string;
  json?: unknown;
  body?: BodyInit;
  contentType?: string;
  /** don't try /auth/refresh on a 401 */
  noRefresh?: boolean;
  signal?: AbortSignal;
}

async function send(path: string, opts: RequestOptions, csrfCookie = "csrf_access_token"): Promise<Response> {
  const method = opts.method ?? (opts.json !== undefined || opts.body !== undefined ? "POST" : "GET");
  const headers: Record<string, string> = { Accept: "application/json, application/problem+json" };
  let body: BodyInit | undefined = opts.body;
  if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.json);
  } else if (opts.contentType) {
    headers["Content-Type"] = opts.contentType;
  }
  if (!["GET", "HEAD", "OPTIONS"].includes(method)) {
    const token = cookie(csrfCookie);
    if (token) headers["X-CSRF-TOKEN"] = token;
  }
  try {
    return await fetch(path.startsWith("/") ? path : `${API}/${path}`, {
      method,
      headers,
      body,
      credentials: "same-origin",
      cache: "no-store",
      signal: opts.signal,
    });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new OfflineError((err as Error).message);
  }
}

async function problemOf(response: Response): Promise<Problem> {
  try {
    const data = (await response.json()) as Problem;
    return typeof data === "object" && data ? data : { status: response.status };
  } catch {
    return { status: response.status, title: response.statusText };
  }
}

let refreshing: Promise<Response> | null = null;

/** Rotate the refresh token (one at a time, shared by concurrent requests). */
export function refreshSession(): Promise<Response> {
  if (!refreshing) {
    refreshing = send(`${API}/auth/refresh`, { method: "POST" }, "csrf_refresh_token").finally(() => {
      refreshing = null;
    });
  }
  return refreshing.then((r) => r.clone());
}

/** Any request; resolves with the Response for 2xx, else throws ProblemError or OfflineError. */
export async function request(path: string, opts: RequestOptions = {}): Promise<Response> {
  let response = await send(path, opts);
  if (response.status === 401 && !opts.noRefresh) {
    const problem = await problemOf(response.clone());
    if (slugOf(problem) !== "device-revoked") {
      const refreshed = await refreshSession();
      if (refreshed.ok) {
        response = await send(path, opts);
      } else if (refreshed.status === 401 && slugOf(await problemOf(refreshed.clone())) === "device-revoked") {
        response = refreshed; // the session died with the device: say so, not "expired"
      }
    }
  }
  if (!response.ok) {
    const error = new ProblemError(response.status, await problemOf(response));
    if (response.status === 401) for (const l of authListeners) l(error);
    throw error;
  }
  return response;
}

export async function getJson<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const response = await request(path, opts);
  return (await response.json()) as T;
}

export async function postJson<T>(path: string, json: unknown, opts: RequestOptions = {}): Promise<T> {
  const response = await request(path, { ...opts, method: opts.method ?? "POST", json });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}
