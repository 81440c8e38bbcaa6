// One run at a time: of two concurrent invocations one syncs and the other gets 409 (and is
// recorded as `skipped`); a holder that stopped heartbeating is taken over and marked failed.
import type pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { connectDb } from "../support/stack.ts";
import { configureFunction, resetSyncState, restoreFunctionEnv, startTestSimulator } from "../support/sync-harness.ts";
import { callFunction } from "../../scripts/lib/gateway-sync.ts";

/** Slow pages keep the first run busy for seconds, far longer than the second call takes to arrive. */
const LATENCY_MS = 500;
let db: pg.Client;
let sim: Simulator;

beforeAll(async () => {
  db = await connectDb();
  sim = await startTestSimulator({ seed: 4, contacts: 60, products: 15, deals: 900 });
});

beforeEach(async () => {
  await resetSyncState(db);
  sim.reset();
  configureFunction(sim);
});

afterAll(async () => {
  restoreFunctionEnv();
  await sim.stop();
  await db.end();
});

describe("lease", () => {
  it("two concurrent invocations: one runs, the other gets 409 and a skipped run row", async () => {
    await callFunction({ trigger: "manual", dryRun: true }); // boots the function before the race
    sim.updateSettings({ latencyMs: LATENCY_MS });
    const [a, b] = await Promise.all([callFunction({ trigger: "manual" }), callFunction({ trigger: "cron" })]);
    const byStatus = [a, b].sort((x, y) => x.status - y.status);
    expect(byStatus.map((r) => r.status)).toEqual([200, 409]);
    const [winner, loser] = byStatus;
    expect(winner?.body.status).toBe("succeeded");
    expect(loser?.body).toMatchObject({ status: "skipped", holderRunId: winner?.body.runId });
    const { rows } = await db.query("select status, http_status from ploomes_sync.runs where id = $1", [
      loser?.body.runId,
    ]);
    expect(rows[0]).toEqual({ status: "skipped", http_status: 409 });
  });

  it("a live lease refuses; an expired one is taken over and its holder marked failed", async () => {
    // A holder that claimed and then went silent (e.g. killed at the wall clock).
    const { rows: claimed } = await db.query<{ claim: { runId: number } }>(
      "select public.sync_claim('manual') as claim",
    );
    const silentRun = claimed[0]?.claim.runId;
    expect((await callFunction({ trigger: "manual" })).status).toBe(409);

    await db.query("update ploomes_sync.state set lease_expires_at = now() - interval '1 second'");
    const run = await callFunction({ trigger: "manual" });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    // It resumes the silent holder's pass rather than starting over.
    expect(run.body).toMatchObject({ status: "succeeded", resumed: true });
    const { rows } = await db.query("select status, error from ploomes_sync.runs where id = $1", [silentRun]);
    expect(rows[0]?.status).toBe("failed");
    expect(String(rows[0]?.error)).toContain("stopped heartbeating");
  });
});
