// The time budget: with a small SYNC_TIME_BUDGET_MS a pass ends `partial`, each following
// invocation resumes from the saved position (every Id range where it stood), and the finished
// table equals the table of an uninterrupted pass.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { connectDb } from "../support/stack.ts";
import {
  configureFunction,
  type Invocation,
  resetSyncState,
  restoreFunctionEnv,
  startTestSimulator,
} from "../support/sync-harness.ts";
import { callFunction } from "../../scripts/lib/gateway-sync.ts";

/** Slow pages and a short budget: a pass of 4 pages cannot fit into one invocation. */
const LATENCY_MS = 400;
const BUDGET_MS = 1_000;
const MAX_INVOCATIONS = 20;

let db: pg.Client;
let sim: Simulator;

interface StoredRange {
  from: number | null;
  to: number | null;
  after: number | null;
  done: boolean;
}

/** The Id ranges of the pass in progress, as stored; null before its first page. */
async function storedRanges(): Promise<StoredRange[] | null> {
  const { rows } = await db.query<{ position: { ranges?: StoredRange[] } | null }>(
    "select p.position from ploomes_sync.state s join ploomes_sync.passes p on p.id = s.current_pass_id",
  );
  return rows[0]?.position?.ranges ?? null;
}

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
    let dealsSoFar = 0;
    let rangesSeen = 0;
    let rangesApart = false;
    for (let i = 0; runs.at(-1)?.body.status !== "succeeded"; i += 1) {
      if (i >= MAX_INVOCATIONS) throw new Error(`not finished after ${MAX_INVOCATIONS} invocations`);
      const stored = await storedRanges();
      sim.clearRequests();
      const run = await callFunction({ trigger: i === 0 ? "manual" : "continue" });
      expect(run.status, JSON.stringify(run.body)).toBe(200);
      const first = decodeURIComponent(sim.requests().find((r) => r.url.startsWith("/Deals"))?.url ?? "");
      // Each invocation starts where the stored position says: the first open range, right
      // after the last deal stored in it (or after its lower bound).
      const open = stored?.find((range) => !range.done);
      if (open === undefined) expect(first).not.toContain("Id gt");
      else {
        const after = open.after ?? open.from;
        if (after !== null) expect(first).toContain(`Id gt ${after}`);
        if (open.to !== null) expect(first).toContain(`Id le ${open.to}`);
      }
      expect(run.body.resumed).toBe(i > 0);
      dealsSoFar += run.body.dealsFetched as number;
      rangesSeen = Math.max(rangesSeen, stored?.length ?? 0);
      // A resume with its ranges at different positions (one further on, or done, than another).
      if (new Set(stored?.map((range) => (range.done ? "done" : String(range.after)))).size > 1) rangesApart = true;
      runs.push(run);
    }
    // 400 ms of latency at the tests' 100 requests/min: the pass walked more than one range.
    expect(rangesSeen).toBeGreaterThan(1);
    expect(rangesApart).toBe(true);
    const statuses = runs.map((r) => r.body.status);
    expect(statuses.slice(0, -1).every((s) => s === "partial")).toBe(true);
    expect(statuses.length).toBeGreaterThan(1);
    expect(new Set(runs.map((r) => r.body.passId)).size).toBe(1);
    expect(dealsSoFar).toBe(ids.length);
    const resumedTable = await table();

    // The same data, synced in one go.
    await resetSyncState(db);
    sim.updateSettings({ latencyMs: 0 });
    configureFunction(sim);
    const single = await callFunction({ trigger: "manual" });
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
