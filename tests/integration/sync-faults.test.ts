// Ploomes failures: transient ones (429 with and without Retry-After, 5xx, 408, timeouts, dropped
// connections, truncated JSON) are retried and the pass completes with the same result; a 403 or
// 401 ends the run `failed` with a hint and HTTP 502, leaving the cursor and the table unchanged.
// A 403 that only the Products expansion triggers degrades to a warning.
import type pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { FaultSpec, Simulator } from "../../local/ploomes-simulator/index.ts";
import { expectedCustomerSales } from "../support/expected-sales.ts";
import { connectDb } from "../support/stack.ts";
import { configureFunction, resetSyncState, restoreFunctionEnv, startTestSimulator } from "../support/sync-harness.ts";
import { callFunction } from "../../scripts/lib/gateway-sync.ts";

let db: pg.Client;
let sim: Simulator;
const REQUEST_TIMEOUT_MS = 1_000;

async function salesSummary(): Promise<{ customers: number; sales: string | null }> {
  const { rows } = await db.query<{ customers: number; sales: string | null }>(
    "select count(*)::int as customers, sum(total_sales)::text as sales from public.customer_sales",
  );
  return rows[0] ?? { customers: 0, sales: null };
}

async function cursor(): Promise<Date | null> {
  const { rows } = await db.query<{ cursor: Date | null }>("select cursor from ploomes_sync.state");
  return rows[0]?.cursor ?? null;
}

beforeAll(async () => {
  db = await connectDb();
  sim = await startTestSimulator({ seed: 9, contacts: 80, products: 20, deals: 700 });
});

beforeEach(async () => {
  await resetSyncState(db);
  sim.reset();
  configureFunction(sim, { PLOOMES_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) });
});

afterAll(async () => {
  restoreFunctionEnv();
  await sim.stop();
  await db.end();
});

describe("transient failures are retried", () => {
  const transient: [string, FaultSpec][] = [
    ["429 with Retry-After", { kind: "retryAfter429", count: 2, retryAfterSeconds: 1 }],
    ["429 without Retry-After", { kind: "status", status: 429, count: 1 }],
    ["500, 502, 503", { kind: "status", status: 503, count: 1 }],
    ["504 gateway timeout", { kind: "status", status: 504, count: 1 }],
    ["408 request timeout", { kind: "status", status: 408, count: 1 }],
    ["a response slower than the request timeout", { kind: "latency", latencyMs: REQUEST_TIMEOUT_MS * 3, count: 1 }],
    ["a dropped connection", { kind: "reset", count: 1 }],
    ["truncated JSON", { kind: "truncated", count: 1 }],
  ];
  it.each(transient)("%s", async (_name, fault) => {
    sim.addFault({ ...fault, match: { contains: "Id gt" } });
    const run = await callFunction({ trigger: "manual" });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body).toMatchObject({ status: "succeeded", mode: "full", dealsFetched: 700 });
    // Deno's HTTP stack itself retries a request whose reused keep-alive connection was reset,
    // so for that fault the client may never see an error; for every other one it must retry.
    if (fault.kind !== "reset") expect(run.body.retries).toBeGreaterThanOrEqual(fault.count ?? 1);
    expect(sim.faults()).toEqual([]); // every scheduled fault was actually hit
    const expected = expectedCustomerSales(sim.snapshot());
    expect((await salesSummary()).customers).toBe(expected.size);
  });

  it("honours Retry-After (the retried request waits at least that long)", async () => {
    sim.addFault({ kind: "retryAfter429", count: 1, retryAfterSeconds: 2, match: { contains: "Id gt" } });
    const started = Date.now();
    const run = await callFunction({ trigger: "manual" });
    expect(run.body).toMatchObject({ status: "succeeded" });
    // The log is in completion order and may still receive a slow answer from the previous test
    // (its latency fault outlives the client's timeout): keep this run's requests, by arrival.
    const log = sim.requests()
      .filter((r) => Date.parse(r.at) >= started && (r.url.includes("Id gt") || r.url.includes("Id%20gt")))
      .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    const limited = log.findIndex((r) => r.status === 429);
    const retry = log[limited + 1];
    const first = log[limited];
    if (!retry || !first) throw new Error("no retry after the 429");
    expect(Date.parse(String(retry.at)) - Date.parse(String(first.at))).toBeGreaterThanOrEqual(2_000);
  });
});

describe("permanent failures", () => {
  it("a 403 (not caused by the Products expansion) fails the run with a hint; cursor and table unchanged", async () => {
    expect((await callFunction({ trigger: "manual" })).body.status).toBe("succeeded");
    const tableBefore = await salesSummary();
    const cursorBefore = await cursor();
    sim.update("deals", (sim.snapshot().deals[0] as { Id: number }).Id, { Amount: 1.23 });
    sim.addFault({ kind: "html403", count: 2 });
    const run = await callFunction({ trigger: "manual" });
    expect(run.status).toBe(502);
    expect(run.body).toMatchObject({ status: "failed", ploomesStatus: 403 });
    expect(String(run.body.hint)).toMatch(/403.*both/i);
    expect(String(run.body.hint)).toContain("PLOOMES_API_KEY");
    expect(await cursor()).toEqual(cursorBefore);
    expect(await salesSummary()).toEqual(tableBefore);
    const { rows } = await db.query(
      "select status, http_status, error, error_hint from ploomes_sync.runs where id = $1",
      [run.body.runId],
    );
    expect(rows[0]).toMatchObject({ status: "failed", http_status: 502 });
    expect(String(rows[0]?.error)).toContain("403");
  });

  it("a rejected User-Key (401) fails the run naming PLOOMES_API_KEY; nothing changes", async () => {
    configureFunction(sim, {
      PLOOMES_API_KEY: "ABCDEF0123456789",
      PLOOMES_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    });
    const run = await callFunction({ trigger: "manual" });
    expect(run.status).toBe(502);
    expect(run.body).toMatchObject({ status: "failed", ploomesStatus: 401 });
    expect(String(run.body.hint)).toContain("PLOOMES_API_KEY");
    expect(JSON.stringify(run.body)).not.toContain("ABCDEF0123456789");
    expect(await cursor()).toBeNull();
    expect(await salesSummary()).toEqual({ customers: 0, sales: null });
  });

  it("a 403 only for the Products expansion degrades to a warning; the run succeeds", async () => {
    sim.addFault({ kind: "html403", count: 1, match: { contains: "Products(" } });
    const run = await callFunction({ trigger: "manual" });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body.status).toBe("succeeded");
    expect(String((run.body.warnings as string[])[0])).toContain("Products expansion");
    const noProducts = sim.requests().filter((r) => r.url.startsWith("/Deals") && !r.url.includes("Products("));
    expect(noProducts.length).toBeGreaterThan(0);
  });
});
