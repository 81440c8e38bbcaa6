// A full pass over several thousand simulated deals: customer_sales must equal the aggregates
// computed independently from the simulator's snapshot (tests/support/expected-sales.ts), for
// every column; a second run with no change in Ploomes changes nothing.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { expectedCustomerSales } from "../support/expected-sales.ts";
import { connectDb } from "../support/stack.ts";
import { configureFunction, resetSyncState, restoreFunctionEnv, startTestSimulator } from "../support/sync-harness.ts";
import { callFunction } from "../../scripts/lib/gateway-sync.ts";

const DAY_MS = 86_400_000;
let db: pg.Client;
let sim: Simulator;

interface SalesRow {
  customer_id: string;
  customer_name: string;
  customer_cnpj: string | null;
  total_sales: string;
  total_deals: number;
  won_deals: number;
  open_deals: number;
  lost_deals: number;
  total_revenue: string;
  average_deal_value: string;
  products_purchased: string[];
  total_products: number;
  first_purchase_date: Date | null;
  last_purchase_date: Date | null;
  days_since_last_purchase: number | null;
  has_custom_pricing: boolean;
  pricing_history_count: number;
  last_sync_at: Date;
  created_at: Date;
  updated_at: Date;
}

async function salesRows(): Promise<SalesRow[]> {
  return (await db.query<SalesRow>("select * from public.customer_sales order by customer_id")).rows;
}

beforeAll(async () => {
  db = await connectDb();
  await resetSyncState(db);
  sim = await startTestSimulator();
  configureFunction(sim);
});

afterAll(async () => {
  restoreFunctionEnv();
  await sim.stop();
  await db.end();
});

describe("full pass", () => {
  it("fills customer_sales with exactly the expected metrics for every customer", async () => {
    const run = await callFunction({ trigger: "manual" });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body).toMatchObject({ status: "succeeded", mode: "full", dealsRejected: 0 });
    const snapshot = sim.snapshot();
    expect(run.body.dealsFetched).toBe(snapshot.deals.length);

    const expected = expectedCustomerSales(snapshot);
    const rows = await salesRows();
    expect(rows.map((r) => Number(r.customer_id))).toEqual([...expected.keys()].sort((a, b) => a - b));

    // Every row is confirmed at the moment the pass began publishing (docs/metrics.md, last_sync_at).
    const { rows: runRows } = await db.query<{ finish_at: Date }>(
      "select p.finish_at from ploomes_sync.runs r join ploomes_sync.passes p on p.id = r.pass_id where r.id = $1",
      [run.body.runId],
    );
    const refreshedAt = runRows[0]?.finish_at.getTime() ?? Number.NaN;
    for (const row of rows) {
      const want = expected.get(Number(row.customer_id));
      if (!want) throw new Error(`unexpected customer ${row.customer_id}`);
      expect({
        customer_name: row.customer_name,
        customer_cnpj: row.customer_cnpj,
        total_sales: row.total_sales,
        total_deals: row.total_deals,
        won_deals: row.won_deals,
        open_deals: row.open_deals,
        lost_deals: row.lost_deals,
        total_revenue: row.total_revenue,
        average_deal_value: row.average_deal_value,
        products_purchased: row.products_purchased.map(Number),
        total_products: row.total_products,
        has_custom_pricing: row.has_custom_pricing,
        pricing_history_count: row.pricing_history_count,
      }, `customer ${row.customer_id}`).toEqual({
        customer_name: want.customer_name,
        customer_cnpj: want.customer_cnpj,
        total_sales: want.total_sales,
        total_deals: want.total_deals,
        won_deals: want.won_deals,
        open_deals: want.open_deals,
        lost_deals: want.lost_deals,
        total_revenue: want.total_revenue,
        average_deal_value: want.average_deal_value,
        products_purchased: want.products_purchased,
        total_products: want.total_products,
        has_custom_pricing: want.has_custom_pricing,
        pricing_history_count: want.pricing_history_count,
      });
      // Postgres keeps microseconds and JS milliseconds: allow the 1 ms of rounding.
      for (
        const [actual, wanted] of [[row.first_purchase_date, want.first_purchase_ms], [
          row.last_purchase_date,
          want.last_purchase_ms,
        ]] as const
      ) {
        if (wanted === null) expect(actual).toBeNull();
        else expect(Math.abs((actual?.getTime() ?? Number.NaN) - wanted)).toBeLessThanOrEqual(1);
      }
      expect(row.days_since_last_purchase).toBe(
        want.last_purchase_ms === null ? null : Math.floor((refreshedAt - want.last_purchase_ms) / DAY_MS),
      );
      expect(row.last_sync_at.getTime()).toBe(refreshedAt);
    }
    // The dataset must exercise every rule, or the comparison above proves little.
    const all = [...expected.values()];
    expect(all.some((c) => c.won_deals === 0)).toBe(true);
    expect(all.some((c) => c.has_custom_pricing)).toBe(true);
    expect(all.some((c) => c.customer_cnpj?.length === 14)).toBe(true);
    expect(all.some((c) => c.customer_cnpj?.length === 11)).toBe(true);
    expect(snapshot.deals.some((d) => d.ContactId === null)).toBe(true);
    expect(snapshot.deals.some((d) => d.StatusId === 2 && (d.Products as unknown[]).length === 0)).toBe(true);
  });

  it("a second run with no change in Ploomes changes no metric and no updated_at", async () => {
    // Each completed run confirms every row: only last_sync_at (and days_since_last_purchase,
    // which follows it) may move.
    const metrics = (rows: SalesRow[]) =>
      rows.map(({ last_sync_at: _at, days_since_last_purchase: _days, ...rest }) => rest);
    const before = await salesRows();
    const run = await callFunction({ trigger: "manual" });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({
      status: "succeeded",
      mode: "incremental",
      customersChanged: 0,
      customersInserted: 0,
      customersUpdated: 0,
    });
    const after = await salesRows();
    expect(metrics(after)).toEqual(metrics(before));
    const { rows } = await db.query<{ finish_at: Date }>(
      "select p.finish_at from ploomes_sync.runs r join ploomes_sync.passes p on p.id = r.pass_id where r.id = $1",
      [run.body.runId],
    );
    expect(new Set(after.map((r) => r.last_sync_at.getTime()))).toEqual(new Set([rows[0]?.finish_at.getTime()]));
  });

  it("records every invocation in ploomes_sync.runs with its figures", async () => {
    const { rows } = await db.query(
      "select status, mode, trigger, pages, deals_fetched, http_status from ploomes_sync.runs order by id",
    );
    expect(rows).toEqual([
      { status: "succeeded", mode: "full", trigger: "manual", pages: 10, deals_fetched: 3000, http_status: 200 },
      { status: "succeeded", mode: "incremental", trigger: "manual", pages: 0, deals_fetched: 0, http_status: 200 },
    ]);
  });
});
