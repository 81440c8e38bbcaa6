// Deletions in Ploomes reach customer_sales only through a complete full pass (mark-and-sweep):
// deleted deals leave the mirror, their customers are recomputed, a customer left with no deal
// is deleted — and a full pass that is interrupted deletes nothing.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { expectedCustomerSales } from "../support/expected-sales.ts";
import { connectDb } from "../support/stack.ts";
import { configureFunction, resetSyncState, restoreFunctionEnv, startTestSimulator } from "../support/sync-harness.ts";
import { callFunction } from "../../scripts/lib/gateway-sync.ts";

type Raw = Record<string, unknown>;
let db: pg.Client;
let sim: Simulator;

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`select (${sql})::int as n`, params);
  return rows[0]?.n ?? Number.NaN;
}

beforeAll(async () => {
  db = await connectDb();
  await resetSyncState(db);
  sim = await startTestSimulator({ seed: 11, contacts: 120, products: 30, deals: 900 });
  configureFunction(sim);
  expect((await callFunction({ trigger: "manual" })).body).toMatchObject({ status: "succeeded", mode: "full" });
});

afterAll(async () => {
  restoreFunctionEnv();
  await sim.stop();
  await db.end();
});

describe("deletes", () => {
  const goneCustomer = { id: 0, dealIds: [] as number[] };
  let shrunkCustomer = 0;
  let removedDeal = 0;

  it("an interrupted full pass deletes nothing", async () => {
    const deals = sim.snapshot().deals as Raw[];
    const byContact = new Map<number, number[]>();
    for (const d of deals) {
      if (typeof d.ContactId !== "number") continue;
      byContact.set(d.ContactId, [...(byContact.get(d.ContactId) ?? []), d.Id as number]);
    }
    const [first, second] = [...byContact.entries()].filter(([, ids]) => ids.length >= 2);
    if (!first || !second) throw new Error("dataset lacks customers with two deals");
    goneCustomer.id = first[0];
    goneCustomer.dealIds = first[1];
    shrunkCustomer = second[0];
    removedDeal = second[1][0] ?? 0;
    for (const id of [...goneCustomer.dealIds, removedDeal]) sim.remove("deals", id);

    const salesBefore = (await db.query("select * from public.customer_sales order by customer_id")).rows;
    const mirrorBefore = await count("select count(*) from ploomes_sync.deals");
    // Page 2 fails for good: an HTML 403, and again without the Products expansion (so it is
    // not the expansion being refused). The pass stops after one stored page.
    sim.addFault({ kind: "html403", count: 2, match: { contains: "Id gt" } });
    const failed = await callFunction({ mode: "full", trigger: "manual" });
    expect(failed.status).toBe(502);
    expect(failed.body).toMatchObject({ status: "failed", ploomesStatus: 403, pages: 1 });
    expect(await count("select count(*) from ploomes_sync.deals")).toBe(mirrorBefore);
    expect((await db.query("select * from public.customer_sales order by customer_id")).rows).toEqual(salesBefore);
  });

  it("the resumed full pass completes, sweeps the deleted deals and recomputes their customers", async () => {
    const run = await callFunction({ mode: "full", trigger: "manual" });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body).toMatchObject({
      status: "succeeded",
      mode: "full",
      resumed: true,
      dealsDeleted: goneCustomer.dealIds.length + 1,
    });
    expect(
      await count("select count(*) from ploomes_sync.deals where deal_id = any($1::bigint[])", [[
        ...goneCustomer.dealIds,
        removedDeal,
      ]]),
    ).toBe(0);
    expect(await count("select count(*) from public.customer_sales where customer_id = $1", [goneCustomer.id])).toBe(0);

    const expected = expectedCustomerSales(sim.snapshot());
    expect(expected.has(goneCustomer.id)).toBe(false);
    const { rows } = await db.query<{ total_deals: number; total_sales: string }>(
      "select total_deals, total_sales from public.customer_sales where customer_id = $1",
      [shrunkCustomer],
    );
    expect(rows[0]).toEqual({
      total_deals: expected.get(shrunkCustomer)?.total_deals,
      total_sales: expected.get(shrunkCustomer)?.total_sales,
    });
    expect(await count("select count(*) from public.customer_sales")).toBe(expected.size);
  });
});
