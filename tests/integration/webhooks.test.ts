// Near-real-time through the real path: the simulator calls the ploomes-webhook function on every
// deal change, the receiver queues the deal, the queue wakes the sync through pg_net, and an
// incremental pass brings customer_sales in step — with no cron run. Faults of delivery
// (duplicates, reordering, drops) must converge to the source; a forged or wrong call must not.
import type pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { requireStackKeys } from "../../local/stack/keys.ts";
import { callFunction, passToEnd } from "../../scripts/lib/gateway-sync.ts";
import { expectedCustomerSales } from "../support/expected-sales.ts";
import { connectDb } from "../support/stack.ts";
import { configureFunction, resetSyncState, restoreFunctionEnv, startTestSimulator } from "../support/sync-harness.ts";
import { RECEIVER_URL, registerReceiver } from "../support/webhook-harness.ts";
import { settleWebhooks } from "../../scripts/lib/webhook-drain.ts";

/** Enough deals for a burst of 1 000 distinct ones. */
const DATASET = { seed: 51, contacts: 300, products: 40, deals: 1_500 };
const SETTLE_TIMEOUT_MS = 90_000;
const MAX_INVOCATIONS = 10;
const WON = 2;
/** The acceptance bound for a burst of 1 000 update events over 1 000 deals. */
const BURST_EVENTS = 1_000;
const BURST_MAX_REQUESTS = 10;

let db: pg.Client;
let sim: Simulator;

type Raw = Record<string, unknown>;

interface SalesRow {
  customer_id: string;
  total_sales: string;
  total_deals: number;
  won_deals: number;
}

/** Customers whose sales columns differ from what the simulator's data says, as readable lines. */
async function mismatches(): Promise<string[]> {
  const expected = expectedCustomerSales(sim.snapshot(), "deals");
  const { rows } = await db.query<SalesRow>(
    "select customer_id, total_sales::text, total_deals, won_deals from public.customer_sales",
  );
  const actual = new Map(rows.map((r) => [Number(r.customer_id), r]));
  const problems: string[] = [];
  for (const [id, want] of expected) {
    const got = actual.get(id);
    const have = got ? `${got.total_sales}/${got.total_deals}/${got.won_deals}` : "missing";
    const should = `${want.total_sales}/${want.total_deals}/${want.won_deals}`;
    if (have !== should) problems.push(`customer ${id}: ${have}, expected ${should}`);
  }
  for (const id of actual.keys()) if (!expected.has(id)) problems.push(`customer ${id}: present, expected none`);
  return problems;
}

function wonDeals(count: number): Raw[] {
  return sim.snapshot().deals.filter((d) => d.StatusId === WON).slice(0, count);
}

async function runsByTrigger(): Promise<Record<string, number>> {
  const { rows } = await db.query<{ trigger: string; n: number }>(
    "select trigger, count(*)::integer as n from ploomes_sync.runs group by trigger",
  );
  return Object.fromEntries(rows.map((r) => [r.trigger, r.n]));
}

async function queued(): Promise<number> {
  const { rows } = await db.query<{ n: number }>("select count(*)::integer as n from ploomes_sync.webhook_events");
  return rows[0]?.n ?? -1;
}

function dealsRequestsSince(index: number): number {
  return sim.requests().slice(index).filter((r) => r.url.startsWith("/Deals")).length;
}

beforeAll(async () => {
  db = await connectDb();
  sim = await startTestSimulator(DATASET);
});

beforeEach(async () => {
  sim.reset();
  configureFunction(sim);
  await resetSyncState(db);
  const first = await passToEnd({ trigger: "manual", mode: "full" }, MAX_INVOCATIONS);
  expect(first.at(-1)?.body["status"]).toBe("succeeded");
  await registerReceiver(sim);
  sim.clearRequests();
});

afterAll(async () => {
  await resetSyncState(db);
  restoreFunctionEnv();
  await sim.stop();
  await db.end();
});

describe("a deal change reaches customer_sales through the webhook", () => {
  it("a won deal's new amount shows in its customer's total_sales, from a run the webhook woke", async () => {
    const deal = wonDeals(1)[0];
    if (!deal) throw new Error("the dataset has no won deal");
    sim.update("deals", Number(deal.Id), { Amount: 98_765.43 });
    await settleWebhooks(db, sim, SETTLE_TIMEOUT_MS);

    expect(await mismatches()).toEqual([]);
    const { rows } = await db.query<{ total_sales: string }>(
      "select total_sales::text from public.customer_sales where customer_id = $1",
      [deal.ContactId],
    );
    expect(rows[0]?.total_sales).toBe(expectedCustomerSales(sim.snapshot()).get(Number(deal.ContactId))?.total_sales);
    const triggers = await runsByTrigger();
    expect(triggers["webhook"]).toBeGreaterThanOrEqual(1);
    expect(triggers["cron"]).toBeUndefined();
  });

  it("a deleted deal leaves the mirror once Ploomes no longer has it, and its customer is recomputed", async () => {
    const deal = wonDeals(1)[0];
    if (!deal) throw new Error("the dataset has no won deal");
    sim.remove("deals", Number(deal.Id));
    await settleWebhooks(db, sim, SETTLE_TIMEOUT_MS);

    const { rows } = await db.query("select 1 from ploomes_sync.deals where deal_id = $1", [deal.Id]);
    expect(rows).toEqual([]);
    expect(await mismatches()).toEqual([]);
  });

  it("a forged delete of a deal Ploomes still has changes nothing", async () => {
    const deal = wonDeals(1)[0];
    if (!deal) throw new Error("the dataset has no won deal");
    const response = await fetch(RECEIVER_URL, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ Old: { Id: deal.Id }, New: null, ValidationKey: requireStackKeys().PLOOMES_WEBHOOK_KEY }),
    });
    expect(response.status).toBe(200);
    await settleWebhooks(db, sim, SETTLE_TIMEOUT_MS);

    const { rows } = await db.query("select 1 from ploomes_sync.deals where deal_id = $1", [deal.Id]);
    expect(rows).toHaveLength(1);
    expect(await mismatches()).toEqual([]);
  });
});

describe("what must not be trusted or lost", () => {
  it("a wrong validation key gets 401 and stores nothing", async () => {
    const deal = wonDeals(1)[0];
    const response = await fetch(RECEIVER_URL, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ EntityId: 2, New: { Id: deal?.Id }, Old: { Id: deal?.Id }, ValidationKey: "not-the-key" }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: "unauthorized" });
    expect(await queued()).toBe(0);
    expect(await runsByTrigger()).toEqual({ manual: expect.any(Number) });
  });

  it("duplicated and reordered deliveries converge to the source", async () => {
    sim.updateSettings({ webhookDuplicate: true, webhookOutOfOrder: true });
    const deals = wonDeals(5);
    for (const [i, deal] of deals.entries()) {
      sim.update("deals", Number(deal.Id), { Amount: 1_000 + i });
      sim.update("deals", Number(deal.Id), { Amount: 2_000 + i });
    }
    await settleWebhooks(db, sim, SETTLE_TIMEOUT_MS);
    expect(await mismatches()).toEqual([]);
  });

  it("a dropped delivery is caught by the next incremental run", async () => {
    sim.updateSettings({ webhookDropEvery: 1 });
    const deal = wonDeals(1)[0];
    if (!deal) throw new Error("the dataset has no won deal");
    sim.update("deals", Number(deal.Id), { Amount: 55_555.55 });
    await settleWebhooks(db, sim, SETTLE_TIMEOUT_MS);
    expect((await mismatches()).length).toBeGreaterThan(0); // nobody was told

    const run = await callFunction({ trigger: "cron", mode: "incremental" });
    expect(run.body["status"]).toBe("succeeded");
    expect(await mismatches()).toEqual([]);
  });

  it(`a burst of ${BURST_EVENTS} update events over ${BURST_EVENTS} deals costs at most ${BURST_MAX_REQUESTS} Ploomes requests`, async () => {
    const requestsBefore = sim.requests().length;
    const deals = sim.snapshot().deals.slice(0, BURST_EVENTS);
    expect(deals).toHaveLength(BURST_EVENTS);
    for (const deal of deals) sim.update("deals", Number(deal.Id), { Amount: Number(deal.Amount ?? 0) + 1 });
    await settleWebhooks(db, sim, SETTLE_TIMEOUT_MS);

    expect(await mismatches()).toEqual([]);
    expect(dealsRequestsSince(requestsBefore)).toBeLessThanOrEqual(BURST_MAX_REQUESTS);
  });
});
