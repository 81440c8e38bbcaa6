// The mass-delete guard: a complete full pass that would delete more than SYNC_MAX_DELETE_RATIO
// (0.1 by default) of the mirrored deals stops — nothing deleted, nothing published — and says
// how to confirm; `select public.sync_allow_mass_delete()` lets exactly one full pass through.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { compareWithSource, readStoredState } from "../support/bad-input-harness.ts";
import { connectDb } from "../support/stack.ts";
import { configureFunction, resetSyncState, restoreFunctionEnv, startTestSimulator } from "../support/sync-harness.ts";
import { callFunction } from "../../scripts/lib/gateway-sync.ts";

type Raw = Record<string, unknown>;
let db: pg.Client;
let sim: Simulator;

async function mirrorCount(): Promise<number> {
  const { rows } = await db.query<{ n: number }>("select count(*)::int as n from ploomes_sync.deals");
  return rows[0]?.n ?? Number.NaN;
}

/** Deletes every other deal in the simulator (50 %); returns how many. */
function deleteHalf(): number {
  const ids = (sim.snapshot().deals as Raw[]).map((d) => d.Id as number).filter((_, index) => index % 2 === 0);
  for (const id of ids) sim.remove("deals", id);
  return ids.length;
}

beforeAll(async () => {
  db = await connectDb();
  await resetSyncState(db);
  sim = await startTestSimulator({ seed: 17, contacts: 50, products: 20, deals: 400 });
  configureFunction(sim);
});

afterAll(async () => {
  restoreFunctionEnv();
  await sim.stop();
  await db.end();
});

describe("mass-delete guard", () => {
  it("the first full pass ever is exempt (an empty mirror has nothing to protect)", async () => {
    const first = await callFunction({ mode: "full", trigger: "manual" });
    expect(first.body).toMatchObject({ status: "succeeded", mode: "full" });
    expect(await mirrorCount()).toBe(400);
  });

  it("a full pass that would delete 50 % of the mirror stops with a hint; nothing is deleted or published", async () => {
    const removed = deleteHalf();
    const before = await readStoredState(db);
    const run = await callFunction({ mode: "full", trigger: "manual" });
    expect(run.status).toBe(502);
    expect(run.body).toMatchObject({ status: "failed", dealsDeleted: 0 });
    expect(String(run.body.error)).toContain(
      `would delete ${removed} of the 400 mirrored deals (50.0%), above SYNC_MAX_DELETE_RATIO = 0.1`,
    );
    expect(String(run.body.hint)).toContain("select public.sync_allow_mass_delete();");
    const after = await readStoredState(db);
    expect(after.deals).toEqual(before.deals);
    expect(after.customers).toEqual(before.customers);
    const health = await db.query<{ last_failure_error: string }>("select last_failure_error from public.sync_health");
    expect(health.rows[0]?.last_failure_error).toContain("SYNC_MAX_DELETE_RATIO");
  });

  it("an automatic run after the stop still refuses (the guard holds until confirmed)", async () => {
    const run = await callFunction({ mode: "full", trigger: "cron" });
    expect(run.body).toMatchObject({ status: "failed" });
    expect(await mirrorCount()).toBe(400);
  });

  it("the documented confirmation lets one full pass through, and the mirror converges", async () => {
    const allowed = await db.query<{ r: Record<string, unknown> }>("select public.sync_allow_mass_delete() as r");
    expect(allowed.rows[0]?.r).toHaveProperty("allowedAt");
    const run = await callFunction({ mode: "full", trigger: "manual" });
    expect(run.body).toMatchObject({ status: "succeeded", dealsDeleted: 200 });
    expect(JSON.stringify(run.body.warnings)).toContain("as allowed by sync_allow_mass_delete()");
    expect(await compareWithSource(db, sim)).toEqual({
      rowsLost: 0,
      dealsDiffering: [],
      customersDiffering: [],
      rejectedLeft: 0,
    });
  });

  it("the confirmation is spent: the next mass deletion stops again", async () => {
    const removed = deleteHalf();
    const run = await callFunction({ mode: "full", trigger: "manual" });
    expect(run.body).toMatchObject({ status: "failed", dealsDeleted: 0 });
    expect(String(run.body.error)).toContain(`would delete ${removed} of the 200 mirrored deals`);
    expect(await mirrorCount()).toBe(200);
  });

  it("deletions within the ratio need no confirmation", async () => {
    await db.query("select public.sync_allow_mass_delete()");
    expect((await callFunction({ mode: "full", trigger: "manual" })).body).toMatchObject({
      status: "succeeded",
      dealsDeleted: 100,
    });
    const ids = (sim.snapshot().deals as Raw[]).map((d) => d.Id as number).slice(0, 5);
    for (const id of ids) sim.remove("deals", id);
    // 5 of 100 = 5 %, under 10 %.
    expect((await callFunction({ mode: "full", trigger: "manual" })).body).toMatchObject({
      status: "succeeded",
      dealsDeleted: 5,
    });
  });
});
