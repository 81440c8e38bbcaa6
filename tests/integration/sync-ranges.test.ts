// A full pass in concurrent Id ranges, through the real function, gateway and database: with
// Ploomes answering slowly, the pass cuts its Id space into ranges and pages them at once.
// Deals created, changed and deleted in one range while the others are in flight end up exactly
// as Ploomes has them; a 429 storm with ranges in flight holds every range back, and no request
// ever exceeds the token bucket.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { expectedCustomerSales } from "../support/expected-sales.ts";
import { connectDb, waitFor } from "../support/stack.ts";
import {
  configureFunction,
  type Invocation,
  resetSyncState,
  restoreFunctionEnv,
  startTestSimulator,
} from "../support/sync-harness.ts";
import { callFunction } from "../../scripts/lib/gateway-sync.ts";

/** With this latency at the tests' 100 requests/min, a pass cuts ⌈(1000 + 250) × 100 / 60 000⌉ = 3 ranges. */
const LATENCY_MS = 1_000;
const RANGES = 3;
const REQUESTS_PER_MINUTE = 100;
/** The client's burst at 100/min: min(5 s worth = 8, (120 − 100) / 2 = 10). */
const BURST = 8;
const HOLD_ALL = 1_000;
const WAIT_MS = 60_000;
const MAX_INVOCATIONS = 10;

interface StoredRange {
  from: number | null;
  to: number | null;
  after: number | null;
  done: boolean;
}

let db: pg.Client;
let sim: Simulator;

beforeAll(async () => {
  db = await connectDb();
  sim = await startTestSimulator({ seed: 11, contacts: 200, products: 40, deals: 3000 });
});

afterAll(async () => {
  restoreFunctionEnv();
  await sim.stop();
  await db.end();
});

async function storedRanges(): Promise<StoredRange[] | undefined> {
  const { rows } = await db.query<{ position: { ranges?: StoredRange[] } | null }>(
    "select p.position from ploomes_sync.state s join ploomes_sync.passes p on p.id = s.current_pass_id",
  );
  return rows[0]?.position?.ranges;
}

/** Runs the continuation after `first` until the pass is no longer partial (a cold worker may stop on CPU). */
async function untilDone(first: Invocation): Promise<{ last: Invocation; runs: Invocation[] }> {
  const runs = [first];
  while (runs.at(-1)?.body.status === "partial") {
    if (runs.length > MAX_INVOCATIONS) throw new Error(`still partial after ${MAX_INVOCATIONS} invocations`);
    runs.push(await callFunction({ trigger: "continue" }));
  }
  const last = runs.at(-1);
  if (last === undefined) throw new Error("no invocation");
  return { last, runs };
}
const total = (runs: Invocation[], key: string): number =>
  runs.reduce((sum, run) => sum + Number(run.body[key] ?? 0), 0);

/** customer_sales as the metrics columns, compared with the independent computation from the simulator. */
async function expectTableToMatchSimulator(): Promise<void> {
  const expected = expectedCustomerSales(sim.snapshot());
  const { rows } = await db.query<
    { customer_id: string; total_sales: string; total_deals: number; won_deals: number; total_revenue: string }
  >(
    "select customer_id, total_sales, total_deals, won_deals, total_revenue from public.customer_sales order by customer_id",
  );
  expect(rows.map((r) => Number(r.customer_id))).toEqual([...expected.keys()].sort((a, b) => a - b));
  for (const row of rows) {
    const want = expected.get(Number(row.customer_id));
    expect({
      total_sales: row.total_sales,
      total_deals: row.total_deals,
      won_deals: row.won_deals,
      total_revenue: row.total_revenue,
    }, `customer ${row.customer_id}`).toEqual({
      total_sales: want?.total_sales,
      total_deals: want?.total_deals,
      won_deals: want?.won_deals,
      total_revenue: want?.total_revenue,
    });
  }
  const { rows: mirror } = await db.query<{ deal_id: string }>(
    "select deal_id from ploomes_sync.deals order by deal_id",
  );
  expect(mirror.map((r) => Number(r.deal_id))).toEqual(
    sim.snapshot().deals.map((d) => d.Id as number).sort((a, b) => a - b),
  );
}

const first429 = (log: readonly { status: number }[]): number => log.findIndex((r) => r.status === 429);

describe("a full pass in concurrent Id ranges", () => {
  it("a deal inserted, updated and deleted in a range while the other ranges are in flight ends up as Ploomes has it", async () => {
    await resetSyncState(db);
    sim.updateSettings({ latencyMs: LATENCY_MS });
    configureFunction(sim);
    // A first full pass, so the mirror has every deal and the second pass must delete.
    const { last: first } = await untilDone(await callFunction({ mode: "full", trigger: "manual" }));
    expect(first.body, JSON.stringify(first.body)).toMatchObject({ status: "succeeded" });
    const firstRanges = await db.query<{ position: { ranges: StoredRange[] } }>(
      "select p.position from ploomes_sync.passes p where p.id = $1",
      [first.body.passId],
    );
    expect(firstRanges.rows[0]?.position.ranges).toHaveLength(RANGES);

    // Every request after the first page (each carries an `Id gt`) is held: the lanes are all in flight.
    sim.addFault({ kind: "hold", count: HOLD_ALL, latencyMs: WAIT_MS, match: { contains: "Id gt" } });
    const run = callFunction({ mode: "full", trigger: "manual" });
    await waitFor(
      "a request of every range in flight",
      WAIT_MS,
      async () => (sim.heldCount() === RANGES ? true : undefined),
    );
    const ranges = await storedRanges();
    if (ranges === undefined) throw new Error("the pass stored no ranges with its first page");
    expect(ranges).toHaveLength(RANGES);

    // In the middle range, not read yet: one deal changes, another disappears; a new deal gets the
    // highest Id, in the open-ended last range.
    const middle = ranges[1];
    if (middle === undefined || middle.from === null || middle.to === null) {
      throw new Error(`no bounded middle range: ${JSON.stringify(ranges)}`);
    }
    const inMiddle = sim.snapshot().deals.map((d) => d.Id as number).filter((id) =>
      id > (middle.from ?? 0) && id <= (middle.to ?? 0)
    );
    const [changed, deleted] = inMiddle;
    if (changed === undefined || deleted === undefined) throw new Error("the middle range holds fewer than two deals");
    sim.update("deals", changed, { StatusId: 2, Amount: 4321.09 });
    sim.remove("deals", deleted);
    const created = sim.insert("deals", { ContactId: sim.get("deals", changed).ContactId, StatusId: 2, Amount: 55.5 });
    expect(created.Id as number).toBeGreaterThan(Math.max(...inMiddle));

    sim.clearFaults();
    sim.releaseHeld();
    const { last, runs } = await untilDone(await run);
    expect(last.body, JSON.stringify(last.body)).toMatchObject({ status: "succeeded", mode: "full" });
    expect(total(runs, "dealsDeleted")).toBe(1);
    await expectTableToMatchSimulator();
  });

  it("a 429 storm with ranges in flight: every range holds back for Retry-After, and no request exceeds the bucket", async () => {
    await resetSyncState(db);
    sim.updateSettings({ latencyMs: LATENCY_MS });
    configureFunction(sim, { PLOOMES_REQUESTS_PER_MINUTE: String(REQUESTS_PER_MINUTE) });
    // After the first page (and the highest-Id request): one 429 asking for 2 s while the other
    // ranges are in flight, then a storm of four asking for 1 s.
    sim.addFault({ kind: "retryAfter429", count: 1, retryAfterSeconds: 2, match: { contains: "Id gt" } });
    sim.addFault({ kind: "retryAfter429", count: 4, retryAfterSeconds: 1, match: { contains: "Id gt" } });
    sim.clearRequests();
    const { last: run, runs } = await untilDone(await callFunction({ mode: "full", trigger: "manual" }));
    expect(run.body, JSON.stringify(run.body)).toMatchObject({ status: "succeeded", mode: "full" });
    expect(total(runs, "retries")).toBeGreaterThanOrEqual(5);
    const ranges = await db.query<{ position: { ranges: StoredRange[] } }>(
      "select p.position from ploomes_sync.passes p where p.id = $1",
      [run.body.passId],
    );
    expect(ranges.rows[0]?.position.ranges.length).toBeGreaterThan(1);
    await expectTableToMatchSimulator();

    const log = sim.requests().filter((r) => r.url.startsWith("/Deals")).map((r) => ({
      at: Date.parse(r.at),
      status: r.status,
    }));
    // The bucket: any k consecutive requests span at least (k − burst) token intervals (1 ms of clock slack each).
    const intervalMs = 60_000 / REQUESTS_PER_MINUTE;
    for (let i = 0; i < log.length; i += 1) {
      for (let j = i + BURST; j < log.length; j += 1) {
        const span = (log[j]?.at ?? 0) - (log[i]?.at ?? 0);
        expect(span, `requests ${i}..${j}`).toBeGreaterThanOrEqual((j - i - BURST) * intervalMs - (j - i));
      }
    }
    // Retry-After holds back every range: after a 429 was answered, no request arrives until its
    // Retry-After has passed (100 ms of slack at each end for requests already on their way).
    const answered429 = log.flatMap((
      r,
      i,
    ) => (r.status === 429 ? [{ at: r.at + LATENCY_MS, waitMs: i === first429(log) ? 2_000 : 1_000 }] : []));
    expect(answered429).toHaveLength(5);
    for (const { at, waitMs } of answered429) {
      const during = log.filter((r) => r.at > at + 100 && r.at < at + waitMs - 100);
      expect(during, `requests arriving within the Retry-After after ${new Date(at).toISOString()}`).toEqual([]);
    }
  });
});
