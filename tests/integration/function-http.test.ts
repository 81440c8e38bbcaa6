// The Edge Function's HTTP contract (README "Triggering a sync", docs/operations.md), through the gateway and real Deno: secrets
// compared in constant time and failing closed, strict bodies, size limit, configuration errors
// that name the variable — and which outcomes leave a row in ploomes_sync.runs.
import type pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { connectDb } from "../support/stack.ts";
import { requireStackKeys } from "../../local/stack/keys.ts";
import {
  configureFunction,
  FUNCTION_URL,
  resetSyncState,
  restoreFunctionEnv,
  startTestSimulator,
} from "../support/sync-harness.ts";
import { callFunction } from "../../scripts/lib/gateway-sync.ts";

let db: pg.Client;
let sim: Simulator;

async function runCount(): Promise<number> {
  const { rows } = await db.query<{ n: number }>("select count(*)::int as n from ploomes_sync.runs");
  return rows[0]?.n ?? Number.NaN;
}

beforeAll(async () => {
  db = await connectDb();
  await resetSyncState(db);
  sim = await startTestSimulator({ seed: 3, contacts: 30, products: 10, deals: 120 });
});

beforeEach(() => configureFunction(sim));

afterAll(async () => {
  restoreFunctionEnv();
  await sim.stop();
  await db.end();
});

describe("authentication", () => {
  it("401 without a secret, with a wrong one, or with one differing only in its last character; no run row", async () => {
    const before = await runCount();
    const secret = requireStackKeys().CRON_SECRET;
    const almost = `${secret.slice(0, -1)}${secret.endsWith("x") ? "y" : "x"}`;
    for (const presented of [null, "wrong", almost, `${secret}x`]) {
      const response = await callFunction({}, { secret: presented });
      expect(response).toEqual({ status: 401, body: { error: "unauthorized" } });
    }
    expect(await runCount()).toBe(before);
  });

  it("accepts Authorization: Bearer <CRON_SECRET> and GET with query options", async () => {
    const response = await fetch(`${FUNCTION_URL}?mode=full&trigger=manual`, {
      headers: { authorization: `Bearer ${requireStackKeys().CRON_SECRET}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "succeeded", mode: "full" });
  });

  it("fails closed with 500 naming CRON_SECRET when it is unset or short", async () => {
    configureFunction(sim, { CRON_SECRET: null });
    const unset = await callFunction({}, { secret: "anything" });
    expect(unset.status).toBe(500);
    expect(String(unset.body.error)).toContain("CRON_SECRET");
    configureFunction(sim, { CRON_SECRET: "short-secret" });
    const short = await callFunction({}, { secret: "short-secret" });
    expect(short.status).toBe(500);
    expect(String(short.body.error)).toMatch(/CRON_SECRET must be at least 32 characters \(it has 12\)/);
    expect(JSON.stringify(short.body)).not.toContain("short-secret");
  });
});

describe("request body", () => {
  it("400 listing every problem for unknown keys and wrong types; no run row", async () => {
    const before = await runCount();
    const response = await callFunction({ mode: "weekly", dryRun: "yes", extra: 1 });
    expect(response.status).toBe(400);
    const problems = (response.body.problems as string[]).join("\n");
    expect(problems).toContain("mode");
    expect(problems).toContain("dryRun");
    expect(problems).toContain("extra");
    expect((await callFunction("{not json")).status).toBe(400);
    expect((await callFunction("[1]")).status).toBe(400);
    expect(await runCount()).toBe(before);
  });

  it("413 over 16 KiB; no run row", async () => {
    const before = await runCount();
    const response = await callFunction(JSON.stringify({ mode: "auto", pad: "x".repeat(17 * 1024) }));
    expect(response.status).toBe(413);
    expect(await runCount()).toBe(before);
  });

  it("405 for other methods", async () => {
    const response = await fetch(FUNCTION_URL, {
      method: "PUT",
      headers: { "x-cron-secret": requireStackKeys().CRON_SECRET },
    });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, POST");
  });
});

describe("configuration errors", () => {
  it("PLOOME_API_KEY instead of PLOOMES_API_KEY → 500 naming both, recorded as a failed run", async () => {
    configureFunction(sim, { PLOOMES_API_KEY: null, PLOOME_API_KEY: sim.apiKey });
    const response = await callFunction({ trigger: "manual" });
    expect(response.status).toBe(500);
    const error = String(response.body.error);
    expect(error).toContain("PLOOMES_API_KEY");
    expect(error).toContain("PLOOME_API_KEY");
    expect(JSON.stringify(response.body)).not.toContain(sim.apiKey);
    expect(response.body.recorded).toBe(true);
    const { rows } = await db.query("select status, http_status, error from ploomes_sync.runs where id = $1", [
      response.body.runId,
    ]);
    expect(rows[0]).toMatchObject({ status: "failed", http_status: 500 });
    expect(String(rows[0]?.error)).toContain("PLOOME_API_KEY");
    const health = await db.query("select consecutive_failures, last_failure_error from public.sync_health");
    expect(health.rows[0]?.consecutive_failures).toBeGreaterThanOrEqual(1);
    expect(String(health.rows[0]?.last_failure_error)).toContain("PLOOMES_API_KEY");
  });

  it("lists every problem at once", async () => {
    configureFunction(sim, {
      PLOOMES_API_KEY: null,
      PLOOMES_REQUESTS_PER_MINUTE: "lots",
      SYNC_TIME_BUDGET_MS: "999999",
    });
    const response = await callFunction({ trigger: "manual" });
    expect(response.status).toBe(500);
    const variables = (response.body.problems as { variable: string }[]).map((p) => p.variable).sort();
    expect(variables).toEqual(["PLOOMES_API_KEY", "PLOOMES_REQUESTS_PER_MINUTE", "SYNC_TIME_BUDGET_MS"]);
  });
});
