// The bad-input matrix (tests/support/bad-input-cases.ts) against the real stack: gateway, Deno
// function, SQL API and a Ploomes simulator. For every case: the run ends as the case says
// (succeeded with the bad deal rejected or a warning, or failed with a hint), no row outside the
// touched deals and their customers changes, no request reaches a foreign host, and after the bad
// input is removed the next run converges to mirror = source. A one-line summary is written for
// `npm test` to print.
import { mkdirSync, writeFileSync } from "node:fs";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { LOCAL_DIR, MATRIX_SUMMARY_FILE } from "../../local/stack/paths.ts";
import { BAD_INPUT_CASES, type CaseContext, MATRIX_REQUEST_TIMEOUT_MS } from "../support/bad-input-cases.ts";
import {
  changedIds,
  compareWithSource,
  contactsOf,
  type ForeignHost,
  readStoredState,
  startForeignHost,
} from "../support/bad-input-harness.ts";
import { connectDb } from "../support/stack.ts";
import { configureFunction, resetSyncState, restoreFunctionEnv, startTestSimulator } from "../support/sync-harness.ts";
import { callFunction } from "../../scripts/lib/gateway-sync.ts";

/** Small pages over a small dataset: every case pages several times, and quickly. */
const MATRIX_ENV = { PLOOMES_PAGE_SIZE: "100", PLOOMES_REQUEST_TIMEOUT_MS: String(MATRIX_REQUEST_TIMEOUT_MS) };
/** The matrix sends a few hundred requests; the account's rate limit is not what it tests. */
const GENEROUS_RATE_LIMIT = 100_000;

let db: pg.Client;
let sim: Simulator;
let foreign: ForeignHost;
let ctx: CaseContext;
const summary = { cases: 0, converged: 0, rowsLost: 0 };

beforeAll(async () => {
  db = await connectDb();
  await resetSyncState(db);
  sim = await startTestSimulator({ seed: 29, contacts: 60, products: 20, deals: 250 });
  sim.updateSettings({ rateLimitPerMinute: GENEROUS_RATE_LIMIT });
  foreign = await startForeignHost();
  const configure = (overrides: Record<string, string | null>) =>
    configureFunction(sim, { ...MATRIX_ENV, ...overrides });
  ctx = { sim, db, foreign, invoke: (body) => callFunction(body), configure };
  configure({});
  const first = await callFunction({ mode: "full", trigger: "manual" });
  expect(first.body, JSON.stringify(first.body)).toMatchObject({ status: "succeeded", mode: "full" });
});

afterAll(async () => {
  mkdirSync(LOCAL_DIR, { recursive: true });
  writeFileSync(MATRIX_SUMMARY_FILE, JSON.stringify({ ...summary, total: BAD_INPUT_CASES.length }));
  restoreFunctionEnv();
  await foreign.stop();
  await sim.stop();
  await db.end();
});

describe("bad-input matrix", () => {
  for (const testCase of BAD_INPUT_CASES) {
    it(testCase.name, async () => {
      const sourceBefore = sim.snapshot();
      const before = await readStoredState(db);
      const touched = await testCase.apply(ctx);
      const sourceBad = sim.snapshot();

      const run = testCase.run
        ? await testCase.run(ctx, touched)
        : await ctx.invoke(testCase.request ?? { trigger: "manual" });
      const want = testCase.expect(ctx, touched);
      const body = run.body;
      expect(body["status"], JSON.stringify(body)).toBe(want.status);
      if (want.status === "failed") {
        expect(String(body["error"])).toMatch(want.error ?? /./);
        expect(String(body["hint"] ?? "")).not.toBe("");
      }
      if (want.warning) expect(JSON.stringify(body["warnings"])).toMatch(want.warning);
      if (want.rejected) {
        const { id, field } = want.rejected;
        expect(body["dealsRejected"]).toBe(1);
        const rejected = await db.query("select deal_id::float8 as id, field from ploomes_sync.rejected_deals");
        expect(rejected.rows).toEqual([{ id, field }]);
        const logged = await db.query<{ rejects: unknown[] }>("select rejects from ploomes_sync.runs where id = $1", [
          body["runId"],
        ]);
        expect(logged.rows[0]?.rejects).toContainEqual(expect.objectContaining({ id, field }));
        const health = await db.query<{ rejected_deals: number }>("select rejected_deals from public.sync_health");
        expect(health.rows[0]?.rejected_deals).toBe(1);
      } else if (want.status !== "failed") {
        expect(body["dealsRejected"]).toBe(0);
      }

      // Nothing outside the touched deals (and their customers, before or after) changed.
      const after = await readStoredState(db);
      const touchedDeals = new Set(touched);
      const touchedCustomers = contactsOf(touched, sourceBefore, sourceBad, sim.snapshot());
      expect(changedIds(before.deals, after.deals).filter((id) => !touchedDeals.has(id))).toEqual([]);
      expect(changedIds(before.customers, after.customers).filter((id) => !touchedCustomers.has(id))).toEqual([]);
      expect(foreign.requests, "a request reached the foreign host").toEqual([]);

      await testCase.heal(ctx, touched);
      const healed = await ctx.invoke(testCase.healRequest ?? { mode: "full", trigger: "manual" });
      expect(healed.body, JSON.stringify(healed.body)).toMatchObject({ status: "succeeded", dealsRejected: 0 });
      const convergence = await compareWithSource(db, sim);
      summary.cases += 1;
      summary.rowsLost += convergence.rowsLost;
      expect(convergence).toEqual({ rowsLost: 0, dealsDiffering: [], customersDiffering: [], rejectedLeft: 0 });
      summary.converged += 1;
    });
  }
});
