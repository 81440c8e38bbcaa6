// Incremental passes: after deals change in Ploomes (status, amount, contact, line items) and new
// ones appear, the next run reads only the changed page(s), updates exactly the affected
// customers and leaves every other row — including its updated_at — untouched.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { expectedCustomerSales } from "../support/expected-sales.ts";
import { connectDb } from "../support/stack.ts";
import { configureFunction, resetSyncState, restoreFunctionEnv, startTestSimulator } from "../support/sync-harness.ts";
import { callFunction } from "../../scripts/lib/gateway-sync.ts";

let db: pg.Client;
let sim: Simulator;

type Raw = Record<string, unknown>;
interface Row {
  customer_id: string;
  total_deals: number;
  won_deals: number;
  total_sales: string;
  total_revenue: string;
  products_purchased: string[];
  updated_at: Date;
}

async function rowsById(): Promise<Map<number, Row>> {
  const { rows } = await db.query<Row>(
    "select customer_id, total_deals, won_deals, total_sales, total_revenue, products_purchased, updated_at from public.customer_sales",
  );
  return new Map(rows.map((r) => [Number(r.customer_id), r]));
}

function dealsRequests(): string[] {
  return sim.requests().filter((r) => r.url.startsWith("/Deals")).map((r) => r.url);
}

beforeAll(async () => {
  db = await connectDb();
  await resetSyncState(db);
  sim = await startTestSimulator();
  configureFunction(sim);
  const first = await callFunction({ trigger: "manual" });
  expect(first.body).toMatchObject({ status: "succeeded", mode: "full" });
});

afterAll(async () => {
  restoreFunctionEnv();
  await sim.stop();
  await db.end();
});

describe("incremental pass", () => {
  it("reads only the changed deals and updates exactly the affected customers", async () => {
    const before = await rowsById();
    const deals = sim.snapshot().deals as Raw[];
    const withContact = deals.filter((d) => typeof d.ContactId === "number");
    const open = withContact.find((d) => d.StatusId === 1);
    const won = withContact.filter((d) => d.StatusId === 2 && (d.Products as Raw[]).length > 0);
    const [amountDeal, itemsDeal] = won;
    const mover = withContact.find((d) =>
      d.StatusId === 2 && d.Id !== itemsDeal?.Id &&
      ![open, amountDeal, itemsDeal].some((x) => x?.ContactId === d.ContactId)
    );
    const target = withContact.find((d) =>
      ![open, amountDeal, itemsDeal, mover].some((x) => x?.ContactId === d.ContactId)
    );
    if (!open || !amountDeal || !itemsDeal || !mover || !target) {
      throw new Error("dataset lacks the deals this test needs");
    }
    const product = sim.snapshot().products[0] as Raw;

    sim.update("deals", open.Id as number, { StatusId: 2 });
    sim.update("deals", amountDeal.Id as number, { Amount: (amountDeal.Amount as number) + 1000.55 });
    sim.update("deals", itemsDeal.Id as number, {
      Products: [{ ProductId: product.Id, Quantity: 3, UnitPrice: 10.5, Discount: 0 }],
    });
    sim.update("deals", mover.Id as number, { ContactId: target.ContactId });
    const inserted = sim.insert("deals", { ContactId: target.ContactId, StatusId: 2, Amount: 777.77 });
    const affected = new Set([open, amountDeal, itemsDeal, mover, target].map((d) => d.ContactId as number));

    sim.clearRequests();
    const run = await callFunction({ trigger: "manual" });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body).toMatchObject({ status: "succeeded", mode: "incremental", dealsRejected: 0 });
    // 5 changed deals fit in one page; being shorter than $top, one empty answer after it
    // proves the end. Both requests are filtered on LastUpdateDate.
    expect(dealsRequests()).toHaveLength(2);
    for (const url of dealsRequests()) expect(url).toContain("LastUpdateDate");
    expect(run.body.dealsFetched).toBe(5);

    const after = await rowsById();
    const expected = expectedCustomerSales(sim.snapshot());
    const changed = [...after.values()].filter((r) =>
      r.updated_at.getTime() !== before.get(Number(r.customer_id))?.updated_at.getTime()
    );
    expect(new Set(changed.map((r) => Number(r.customer_id)))).toEqual(affected);
    expect(run.body.customersChanged).toBe(affected.size);
    for (const id of affected) {
      const want = expected.get(id);
      expect({ ...after.get(id), updated_at: undefined, customer_id: undefined }).toEqual({
        total_deals: want?.total_deals,
        won_deals: want?.won_deals,
        total_sales: want?.total_sales,
        total_revenue: want?.total_revenue,
        products_purchased: want?.products_purchased.map(String),
        updated_at: undefined,
        customer_id: undefined,
      });
    }
    expect(after.get(target.ContactId as number)?.total_deals).toBe(
      (before.get(target.ContactId as number)?.total_deals ?? 0) + 2,
    );
    expect(inserted.Id).toBeGreaterThan(0);
  });

  it("a run with nothing new changes zero rows", async () => {
    const before = await rowsById();
    const run = await callFunction({ trigger: "manual" });
    expect(run.body).toMatchObject({ status: "succeeded", mode: "incremental", customersChanged: 0 });
    expect(await rowsById()).toEqual(before); // updated_at included: no row was rewritten
  });
});
