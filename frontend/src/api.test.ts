import { afterEach, describe, expect, it, vi } from "vitest";
import { OfflineError, ProblemError, onAuthFailure, request } from "./api";

function problem(status: number, slug: string, extra: object = {}): Response {
  return new Response(JSON.stringify({ type: `/problems/${slug}`, title: slug, status, ...extra }), {
    status,
    headers: { "Content-Type": "application/problem+json" },
  });
}

function stub(handler: (url: string) => Response | Promise<Response>): string[] {
  const seen: string[] = [];
  vi.stubGlobal("fetch", async (url: string) => {
    seen.push(url);
    return handler(url);
  });
  return seen;
}

afterEach(() => vi.unstubAllGlobals());

describe("request", () => {
  it("refreshes an expired access token once and retries", async () => {
    let calls = 0;
    const seen = stub((url) => {
      if (url.endsWith("/auth/refresh")) return new Response("{}", { status: 200 });
      return ++calls === 1 ? problem(401, "token-expired") : new Response('{"ok":true}', { status: 200 });
    });
    const response = await request("/api/v1/sync/pull");
    expect(await response.json()).toEqual({ ok: true });
    expect(seen).toEqual(["/api/v1/sync/pull", "/api/v1/auth/refresh", "/api/v1/sync/pull"]);
  });

  it("concurrent requests share one refresh", async () => {
    let expired = true;
    const seen = stub(async (url) => {
      if (url.endsWith("/auth/refresh")) {
        await new Promise((r) => setTimeout(r, 10));
        expired = false;
        return new Response("{}", { status: 200 });
      }
      return expired ? problem(401, "token-expired") : new Response("{}", { status: 200 });
    });
    await Promise.all([request("/api/v1/a"), request("/api/v1/b")]);
    expect(seen.filter((u) => u.endsWith("/auth/refresh"))).toHaveLength(1);
  });

  it("a failed refresh reports the session as over", async () => {
    const failures: string[] = [];
    onAuthFailure((e) => failures.push(e.slug));
    stub((url) => (url.endsWith("/auth/refresh") ? problem(401, "token-revoked") : problem(401, "token-expired")));
    await expect(request("/api/v1/sync/push", { method: "POST", json: {} })).rejects.toMatchObject({ status: 401 });
    expect(failures.at(-1)).toBe("token-expired");
  });

  it("a revoked device is reported as such, also when the refresh says so", async () => {
    const failures: ProblemError[] = [];
    onAuthFailure((e) => failures.push(e));
    stub((url) => (url.endsWith("/auth/refresh") ? problem(401, "device-revoked", { wipe: true }) : problem(401, "token-expired")));
    await expect(request("/api/v1/sync/pull")).rejects.toBeInstanceOf(ProblemError);
    expect(failures.at(-1)?.slug).toBe("device-revoked");
    expect(failures.at(-1)?.problem.wipe).toBe(true);
  });

  it("no network is an OfflineError, not a problem", async () => {
    vi.stubGlobal("fetch", async () => {
      throw new TypeError("Failed to fetch");
    });
    await expect(request("/api/v1/auth/me")).rejects.toBeInstanceOf(OfflineError);
  });
});
