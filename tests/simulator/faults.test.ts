// Scheduled faults, each kind seen from the client's side: latency (through an injected sleep,
// so no real waiting), 5xx/408/429 statuses, 429 with Retry-After, an HTML 403, a dropped
// connection and a truncated JSON body; matching, counting and clearing.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { admin, apiGet, getPage, startTestSimulator } from "./helpers.ts";

let sim: Simulator;
const sleeps: number[] = [];

beforeAll(async () => {
  sim = await startTestSimulator({
    seed: 71,
    deals: 400,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
});
afterAll(() => sim.stop());
beforeEach(async () => {
  await admin(sim, "POST", "/reset");
  sleeps.length = 0;
});

const schedule = async (spec: Record<string, unknown>) => {
  const { status, json } = await admin(sim, "POST", "/faults", spec);
  expect(status, JSON.stringify(json)).toBe(201);
};

describe("fault kinds", () => {
  it("latency delays the answer, which is then normal", async () => {
    await schedule({ kind: "latency", count: 1, latencyMs: 45_000 });
    const page = await getPage(sim, "/Deals", { $top: "5" });
    expect(page.value).toHaveLength(5);
    expect(sleeps).toEqual([45_000]);
    await getPage(sim, "/Deals", { $top: "5" });
    expect(sleeps).toEqual([45_000]); // consumed
    expect(sim.requests()[0]).toMatchObject({ status: 200, fault: "latency" });
  });

  it("the latencyMs setting delays every answer", async () => {
    await admin(sim, "PATCH", "/settings", { latencyMs: 250 });
    await getPage(sim, "/Deals", { $top: "1" });
    await getPage(sim, "/Deals", { $top: "1" });
    expect(sleeps).toEqual([250, 250]);
  });

  it.each([500, 502, 503, 504, 408, 429])("status %i", async (code) => {
    await schedule({ kind: "status", count: 1, status: code });
    const failed = await apiGet(sim, "/Deals?$top=1");
    expect(failed.status).toBe(code);
    expect(failed.headers.get("retry-after")).toBeNull();
    expect((await apiGet(sim, "/Deals?$top=1")).status).toBe(200);
  });

  it("retryAfter429 answers 429 with a Retry-After in seconds", async () => {
    await schedule({ kind: "retryAfter429", count: 1, retryAfterSeconds: 7 });
    const response = await apiGet(sim, "/Deals?$top=1");
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
  });

  it("html403 answers an HTML page that JSON cannot parse", async () => {
    await schedule({ kind: "html403", count: 1 });
    const response = await apiGet(sim, "/Deals?$top=1");
    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.text.startsWith("<!DOCTYPE html PUBLIC")).toBe(true);
    expect(() => JSON.parse(response.text)).toThrow();
  });

  it("reset drops the connection: the client sees a socket error", async () => {
    await schedule({ kind: "reset", count: 1 });
    const error = await apiGet(sim, "/Deals?$top=1").then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError); // fetch failed
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    expect(`${cause?.code ?? ""} ${cause?.message ?? ""}`).toMatch(
      /ECONNRESET|UND_ERR_SOCKET|other side closed|socket hang up/,
    );
    expect(sim.requests()[0]).toMatchObject({ status: 0, fault: "reset" });
    expect((await apiGet(sim, "/Deals?$top=1")).status).toBe(200);
  });

  it("truncated sends half of the real body: a 200 whose JSON does not parse", async () => {
    await schedule({ kind: "truncated", count: 1 });
    const response = await apiGet(sim, "/Deals?$top=50");
    expect(response.status).toBe(200);
    expect(response.text.startsWith('{"@odata.context"')).toBe(true);
    expect(() => JSON.parse(response.text)).toThrow(SyntaxError);
    const next = await apiGet(sim, "/Deals?$top=50");
    expect(() => JSON.parse(next.text)).not.toThrow();
  });
});

describe("scheduling", () => {
  it("hits the next N requests, then stops", async () => {
    await schedule({ kind: "status", status: 503, count: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await apiGet(sim, "/Deals?$top=1")).status);
    expect(statuses).toEqual([503, 503, 503, 200, 200]);
    expect((await admin(sim, "GET", "/faults")).json).toEqual([]);
  });

  it("only hits requests that match path and contains", async () => {
    await schedule({ kind: "status", status: 500, count: 1, match: { path: "/Deals", contains: "$skip=300" } });
    expect((await apiGet(sim, "/Contacts?$top=1&$skip=300")).status).toBe(200); // other path
    expect((await apiGet(sim, "/Deals?$top=1")).status).toBe(200); // no $skip=300
    expect((await apiGet(sim, "/Deals?%24top=1&%24skip=300")).status).toBe(500); // matched, even encoded
  });

  it("applies faults in the order they were added", async () => {
    await schedule({ kind: "status", status: 502, count: 1 });
    await schedule({ kind: "html403", count: 1 });
    expect((await apiGet(sim, "/Deals?$top=1")).status).toBe(502);
    expect((await apiGet(sim, "/Deals?$top=1")).status).toBe(403);
  });

  it("DELETE /__sim/faults clears what is pending", async () => {
    await schedule({ kind: "status", status: 500, count: 10 });
    const pending = (await admin(sim, "GET", "/faults")).json as { remaining: number }[];
    expect(pending.map((f) => f.remaining)).toEqual([10]);
    expect((await admin(sim, "DELETE", "/faults")).status).toBe(200);
    expect((await apiGet(sim, "/Deals?$top=1")).status).toBe(200);
  });

  it("refuses an invalid fault with the problems listed", async () => {
    const { status, json } = await admin(sim, "POST", "/faults", { kind: "explode", count: 0, status: 418 });
    expect(status).toBe(400);
    expect((json as { problems: string[] }).problems.length).toBeGreaterThanOrEqual(2);
  });

  it("never applies to admin calls", async () => {
    await schedule({ kind: "status", status: 500, count: 1 });
    expect((await admin(sim, "GET", "/settings")).status).toBe(200);
    expect((await apiGet(sim, "/Deals?$top=1")).status).toBe(500);
  });
});
