// Line items wherever the account keeps them (docs/metrics.md, "Where line items come from"): with
// the simulator's account keeping them on deals, on orders, on quotes, or refusing the deal
// expansion, `auto` picks the right source and customer_sales equals the rows computed
// independently from the simulator's raw data for that source; switching sources converges; an
// order added to a won deal reaches the metrics on the next incremental run, and an order deleted
// in Ploomes leaves them at the next full pass.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { expectedCustomerSales } from "../support/expected-sales.ts";
import { connectDb } from "../support/stack.ts";
import {
  configureFunction,
  type Invocation,
  resetSyncState,
  restoreFunctionEnv,
  startTestSimulator,
} from "../support/sync-harness.ts";
import { callFunction } from "../../scripts/lib/gateway-sync.ts";

type Source = "deals" | "orders" | "quotes" | "none";
/** A pass of the test dataset needs two or three invocations at most; more means it is stuck. */
const MAX_INVOCATIONS = 8;

let db: pg.Client;
let sim: Simulator;

interface ProductRow {
  customer_id: string;
  total_revenue: string;
  products_purchased: string[];
  total_products: number;
  has_custom_pricing: boolean;
  pricing_history_count: number;
}

/** Invokes until the pass is no longer partial; returns the last answer. */
async function syncToEnd(mode: "full" | "auto" | "incremental"): Promise<Invocation> {
  let call = await callFunction({ trigger: "manual", mode });
  for (let i = 1; i < MAX_INVOCATIONS && call.status === 200 && call.body["status"] === "partial"; i += 1) {
    call = await callFunction({ trigger: "continue", mode: "auto" });
  }
  expect(call.status, JSON.stringify(call.body)).toBe(200);
  expect(call.body["status"], JSON.stringify(call.body)).toBe("succeeded");
  return call;
}

async function sourceInForce(): Promise<{ line_items_source: string; line_items_reason: string | null }> {
  const { rows } = await db.query<{ line_items_source: string; line_items_reason: string | null }>(
    "select line_items_source, line_items_reason from public.sync_health",
  );
  const row = rows[0];
  if (row === undefined) throw new Error("sync_health has no row");
  return row;
}

/** customer_sales' line-item columns equal the independent computation for `source`, for every customer. */
async function expectProductMetrics(source: Source): Promise<void> {
  const expected = expectedCustomerSales(sim.snapshot(), source);
  const { rows } = await db.query<ProductRow>(
    `select customer_id, total_revenue, products_purchased, total_products, has_custom_pricing, pricing_history_count
       from public.customer_sales order by customer_id`,
  );
  expect(rows.map((r) => Number(r.customer_id))).toEqual([...expected.keys()].sort((a, b) => a - b));
  const actual = rows.map((r) => ({
    customer_id: Number(r.customer_id),
    total_revenue: r.total_revenue,
    products_purchased: r.products_purchased.map(Number),
    total_products: r.total_products,
    has_custom_pricing: r.has_custom_pricing,
    pricing_history_count: r.pricing_history_count,
  }));
  const wanted = actual.map((r) => {
    const want = expected.get(r.customer_id);
    if (want === undefined) throw new Error(`unexpected customer ${r.customer_id}`);
    return {
      customer_id: r.customer_id,
      total_revenue: want.total_revenue,
      products_purchased: want.products_purchased,
      total_products: want.total_products,
      has_custom_pricing: want.has_custom_pricing,
      pricing_history_count: want.pricing_history_count,
    };
  });
  expect(actual).toEqual(wanted);
}

/** Product metrics are not empty (or the comparison above proves little). */
function expectNonEmptyProducts(source: Source): void {
  const customers = [...expectedCustomerSales(sim.snapshot(), source).values()];
  expect(customers.some((c) => c.total_products > 0)).toBe(true);
  expect(customers.some((c) => c.has_custom_pricing)).toBe(true);
}

beforeAll(async () => {
  db = await connectDb();
  sim = await startTestSimulator();
});

afterAll(async () => {
  restoreFunctionEnv();
  await sim.stop();
  await db.end();
});

describe("auto picks where the account keeps its line items", () => {
  const accounts = [
    { lineItemsOn: "deals", source: "deals" },
    { lineItemsOn: "orders", source: "orders" },
    { lineItemsOn: "quotes", source: "quotes" },
    { lineItemsOn: "refuseDealExpansion", source: "orders" },
  ] as const;
  for (const account of accounts) {
    it(`an account keeping them on ${account.lineItemsOn}: ${account.source}, metrics as computed from the raw data`, async () => {
      await resetSyncState(db);
      sim.reset();
      sim.updateSettings({ lineItemsOn: account.lineItemsOn });
      configureFunction(sim, { PLOOMES_LINE_ITEMS_SOURCE: "auto" });
      const run = await syncToEnd("full");
      expect(run.body["lineItemsSource"]).toBe(account.source);
      expect((await sourceInForce()).line_items_source).toBe(account.source);
      expect((await sourceInForce()).line_items_reason).toMatch(/^auto: /);
      expectNonEmptyProducts(account.source);
      await expectProductMetrics(account.source);
    });
  }
});

describe("switching sources", () => {
  it("a configured source waits for a full pass, which recomputes every customer under it", async () => {
    await resetSyncState(db);
    sim.reset();
    configureFunction(sim, { PLOOMES_LINE_ITEMS_SOURCE: "auto" });
    await syncToEnd("full");
    expect((await sourceInForce()).line_items_source).toBe("deals");

    configureFunction(sim, { PLOOMES_LINE_ITEMS_SOURCE: "quotes" });
    const incremental = await syncToEnd("incremental");
    expect(incremental.body["lineItemsSource"]).toBe("deals");
    expect(incremental.body["warnings"]).toContainEqual(
      expect.stringMatching(/^PLOOMES_LINE_ITEMS_SOURCE=quotes takes effect at the next full pass/),
    );
    await expectProductMetrics("deals");

    const full = await syncToEnd("full");
    expect(full.body["lineItemsSource"]).toBe("quotes");
    expect(full.body["warnings"]).toContainEqual(
      expect.stringMatching(/^line items now come from quotes \(before: deals\)/),
    );
    expect((await sourceInForce()).line_items_source).toBe("quotes");
    await expectProductMetrics("quotes");

    for (const source of ["orders", "none"] as const) {
      configureFunction(sim, { PLOOMES_LINE_ITEMS_SOURCE: source });
      await syncToEnd("full");
      expect((await sourceInForce()).line_items_source).toBe(source);
      await expectProductMetrics(source);
    }
  });
});

describe("orders, incrementally and swept", () => {
  it("an order added to a won deal counts on the next incremental run; a deleted one leaves at the next full pass", async () => {
    await resetSyncState(db);
    sim.reset();
    sim.updateSettings({ lineItemsOn: "orders" });
    configureFunction(sim, { PLOOMES_LINE_ITEMS_SOURCE: "auto" });
    await syncToEnd("full");
    expect((await sourceInForce()).line_items_source).toBe("orders");

    // A won deal with a contact, and a product its customer has not bought.
    const snapshot = sim.snapshot();
    const bought = expectedCustomerSales(snapshot, "orders");
    const deal = snapshot.deals.find((d) => d.StatusId === 2 && typeof d.ContactId === "number");
    if (deal === undefined || typeof deal.ContactId !== "number") {
      throw new Error("the dataset has no won deal with a contact");
    }
    const customerId = deal.ContactId;
    const product = snapshot.products.find((p) =>
      !(bought.get(customerId)?.products_purchased ?? []).includes(Number(p.Id))
    );
    if (product === undefined) throw new Error("the customer has bought every product");

    const order = sim.insert("orders", {
      DealId: deal.Id,
      Products: [{ ProductId: product.Id, Quantity: 1, UnitPrice: 10, Discount: 0, Total: 10 }],
    });
    const incremental = await syncToEnd("incremental");
    expect(incremental.body).toMatchObject({ mode: "incremental", lineItemsSource: "orders" });
    const added = await db.query<{ products_purchased: string[] }>(
      "select products_purchased from public.customer_sales where customer_id = $1",
      [customerId],
    );
    expect(added.rows[0]?.products_purchased.map(Number)).toContain(Number(product.Id));
    await expectProductMetrics("orders");

    sim.remove("orders", Number(order.Id));
    await syncToEnd("incremental");
    // Ploomes' /Orders never returns a deleted order: an incremental run cannot see it.
    const stillThere = await db.query<{ products_purchased: string[] }>(
      "select products_purchased from public.customer_sales where customer_id = $1",
      [customerId],
    );
    expect(stillThere.rows[0]?.products_purchased.map(Number)).toContain(Number(product.Id));

    const full = await syncToEnd("full");
    expect(full.body["documentsDeleted"]).toBe(1);
    const gone = await db.query<{ products_purchased: string[] }>(
      "select products_purchased from public.customer_sales where customer_id = $1",
      [customerId],
    );
    expect(gone.rows[0]?.products_purchased.map(Number)).not.toContain(Number(product.Id));
    await expectProductMetrics("orders");
  });
});
