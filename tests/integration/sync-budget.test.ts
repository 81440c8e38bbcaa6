// The time budget: with a small SYNC_TIME_BUDGET_MS a pass ends `partial`, each following
// invocation resumes from the saved keyset position, and the finished table equals the table
// of an uninterrupted pass.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { connectDb } from "../support/stack.ts";
import {
  configureFunction, invokeSync, resetSyncState, restoreFunctionEnv, startTestSimulator, type Invocation,
} from "../support/sync-harness.ts";

const PAGE = 300;
/** Slow pages and a short budget: a pass of 4 pages cannot fit into one invocation. */
const LATENCY_MS = 400;
const BUDGET_MS = 1_000;
const MAX_INVOCATIONS = 20;

let db: pg.Client;
let sim: Simulator;

async function table(): Promise<unknown[]> {
  const { rows } = await db.query(`
    select customer_id, customer_name, customer_cnpj, total_sales, total_deals, won_deals, open_deals, lost_deals,
           total_revenue, average_deal_value, products_purchased, total_products, first_purchase_date,
           last_purchase_date, has_custom_pricing, pricing_history_count
      from public.customer_sales order by customer_id`);
  return rows;
}

beforeAll(async () => {
  db = await connectDb();
  sim = await startTestSimulator({ seed: 5, contacts: 150, products: 40, deals: 1000 });
});

afterAll(async () => {
  restoreFunctionEnv();
  await sim.stop();
  await db.end();
});

describe("time budget and continuation", () => {
  it("ends partial, resumes from the saved position, and converges to the uninterrupted result", async () => {
    await resetSyncState(db);
    configureFunction(sim, { SYNC_TIME_BUDGET_MS: String(BUDGET_MS) });
    sim.updateSettings({ latencyMs: LATENCY_MS });
    const ids = (sim.snapshot().deals as { Id: number }[]).map((d) => d.Id).sort((a, b) => a - b);

    const runs: Invocation[] = [];
    let pagesSoFar = 0;
    for (let i = 0; runs.at(-1)?.body.status !== "succeeded"; i += 1) {
      if (i >= MAX_INVOCATIONS) throw new Error(`not finished after ${MAX_INVOCATIONS} invocations`);
      sim.clearRequests();
      const run = await invokeSync({ trigger: i === 0 ? "manual" : "continue" });
      expect(run.status, JSON.stringify(run.body)).toBe(200);
      const first = sim.requests().find((r) => r.url.startsWith("/Deals"))?.url ?? "";
      // Each invocation starts right after the last deal the previous one stored.
      if (pagesSoFar === 0) expect(decodeURIComponent(first)).not.toContain("Id gt");
      // (After the last data page, a run may only confirm the end: it starts after the last deal.)
      else expect(decodeURIComponent(first)).toContain(`Id gt ${ids[Math.min(pagesSoFar * PAGE, ids.length) - 1]}`);
      expect(run.body.resumed).toBe(i > 0);
      pagesSoFar += run.body.pages as number;
      runs.push(run);
    }
    const statuses = runs.map((r) => r.body.status);
    expect(statuses.slice(0, -1).every((s) => s === "partial")).toBe(true);
    expect(statuses.length).toBeGreaterThan(1);
    expect(new Set(runs.map((r) => r.body.passId)).size).toBe(1);
    expect(pagesSoFar).toBe(Math.ceil(ids.length / PAGE));
    const resumedTable = await table();

    // The same data, synced in one go.
    await resetSyncState(db);
    sim.updateSettings({ latencyMs: 0 });
    configureFunction(sim);
    const single = await invokeSync({ trigger: "manual" });
    expect(single.body).toMatchObject({ status: "succeeded", resumed: false });
    expect(await table()).toEqual(resumedTable);
  });

  it("never lets two runs hold the lease at once (run intervals do not overlap)", async () => {
    const { rows } = await db.query<{ overlaps: number }>(`
      select count(*)::int as overlaps from ploomes_sync.runs a join ploomes_sync.runs b on a.id < b.id
       where a.status <> 'skipped' and b.status <> 'skipped'
         and tstzrange(a.started_at, a.finished_at) && tstzrange(b.started_at, b.finished_at)`);
    expect(rows[0]).toEqual({ overlaps: 0 });
  });
});
