// The sync function under the Edge Runtime's limits, hosted by the local runtime (the gateway's
// FunctionHost) with limits shrunk so a small dataset reaches them:
// - with its CPU budget shrunk, a full pass completes through continuations, each invocation
//   stopping for CPU well before the runtime would retire or kill its worker (no 546);
// - with the runtime's CPU limit shrunk to 50 ms, the worker is killed mid-pass (546); the next
//   run takes the lease over, records the killed run as failed, and the pass completes from the
//   pages already stored;
// - the cron path (x-cron-secret, no JWT) works because supabase/config.toml sets verify_jwt =
//   false for the function; with it true the runtime answers 401 before the function runs.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { requireStackKeys } from "../../local/stack/keys.ts";
import { compareWithSource } from "../support/bad-input-harness.ts";
import { connectDb, waitFor } from "../support/stack.ts";
import { resetSyncState, startTestSimulator } from "../support/sync-harness.ts";
import { startTestHost, type TestHost } from "./edge-runtime-harness.ts";

const FUNCTION = "sync-customer-sales";
const HTTP_WORKER_KILLED = 546;
/** The runtime's retire/kill limits for the kill test, and a lease the takeover can wait out. */
const KILLING_LIMITS = { cpuSoftMs: 25, cpuHardMs: 50 };
const REQUEST_TIMEOUT_MS = 1000;
const MAX_INVOCATIONS = 30;

let db: pg.Client;
let sim: Simulator;
const hosts: TestHost[] = [];

function functionEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    PLOOMES_BASE_URL: sim.url,
    PLOOMES_API_KEY: sim.apiKey,
    CRON_SECRET: requireStackKeys().CRON_SECRET,
    PLOOMES_REQUESTS_PER_MINUTE: "100",
    PLOOMES_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    ...overrides,
  };
}

async function host(
  limits: Record<string, number>,
  env: Record<string, string>,
  configFile?: string,
): Promise<TestHost> {
  const started = await startTestHost({ limits, project: { env, configFile } });
  hosts.push(started);
  return started;
}

function invoke(on: TestHost, body: Record<string, unknown>) {
  return on.call(FUNCTION, {
    method: "POST",
    headers: { "content-type": "application/json", "x-cron-secret": requireStackKeys().CRON_SECRET },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  db = await connectDb();
  // 3 000 deals: 10 pages, far more CPU than 50 ms and than a 60 ms budget.
  sim = await startTestSimulator({ seed: 31, contacts: 200, products: 40, deals: 3000 });
  sim.updateSettings({ rateLimitPerMinute: 100_000 });
});

afterAll(async () => {
  for (const started of hosts) await started.close();
  await sim.stop();
  await db.end();
});

describe("the sync under the Edge Runtime's limits", () => {
  it("with SYNC_CPU_BUDGET_MS=60, a full pass completes through continuations without a 546", async () => {
    await resetSyncState(db);
    const runtime = await host({}, functionEnv({ SYNC_CPU_BUDGET_MS: "60" }));
    const outcomes: { status: number; body: Record<string, unknown> }[] = [];
    for (let i = 0; i < MAX_INVOCATIONS && outcomes.at(-1)?.body["status"] !== "succeeded"; i += 1) {
      outcomes.push(
        await invoke(runtime, { mode: i === 0 ? "full" : "auto", trigger: i === 0 ? "manual" : "continue" }),
      );
    }
    expect(outcomes.map((o) => o.status).filter((s) => s !== 200), JSON.stringify(outcomes.map((o) => o.body))).toEqual(
      [],
    );
    expect(outcomes.at(-1)?.body["status"]).toBe("succeeded");
    const partials = outcomes.filter((o) => o.body["status"] === "partial");
    expect(partials.length).toBeGreaterThan(0);
    for (const partial of partials) expect(String(partial.body["stoppedBy"])).toMatch(/^CPU budget/);
    // Every invocation reports its CPU, and none comes near the runtime's 1 s retirement.
    for (const o of outcomes) expect(o.body["cpuMs"]).toBeLessThan(1000);
    const workers = runtime.stats(FUNCTION)?.workers ?? [];
    expect(workers.length).toBeGreaterThan(0);
    for (const worker of workers) {
      expect(worker.endedBecause).not.toBe("CPUTime");
      expect(worker.retiredBecause).not.toBe("CPUTime");
    }
    expect(await compareWithSource(db, sim)).toEqual({
      rowsLost: 0,
      dealsDiffering: [],
      customersDiffering: [],
      rejectedLeft: 0,
    });
  });

  it("a worker killed at 50 ms of CPU (546) is taken over by the next run, and the pass completes", async () => {
    await resetSyncState(db);
    const strict = await host(KILLING_LIMITS, functionEnv());
    const killed = await invoke(strict, { mode: "full", trigger: "manual" });
    expect(killed.status, JSON.stringify(killed.body)).toBe(HTTP_WORKER_KILLED);
    expect(String(killed.body["message"])).toContain("CPUTime");
    const { rows: running } = await db.query<{ id: string; pages: number }>(
      "select id, pages from ploomes_sync.runs where status = 'running'",
    );
    expect(running).toHaveLength(1);
    const killedRunId = running[0]?.id;

    // The lease outlives a silent holder by two request timeouts; then the next run may take over.
    await waitFor("the killed run's lease to expire", 10_000, async () => {
      const { rows } = await db.query<{ expired: boolean }>(
        "select lease_expires_at < now() as expired from ploomes_sync.state",
      );
      return rows[0]?.expired ? true : undefined;
    });
    const relaxed = await host({}, functionEnv());
    const resumed = await invoke(relaxed, { trigger: "continue" });
    expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
    expect(resumed.body).toMatchObject({ status: "succeeded", mode: "full", resumed: true });
    const { rows: takenOver } = await db.query<{ status: string; error: string }>(
      "select status, error from ploomes_sync.runs where id = $1",
      [killedRunId],
    );
    expect(takenOver[0]).toMatchObject({ status: "failed", error: expect.stringContaining("stopped heartbeating") });
    expect(await compareWithSource(db, sim)).toEqual({
      rowsLost: 0,
      dealsDiffering: [],
      customersDiffering: [],
      rejectedLeft: 0,
    });
  });

  it("the cron path works because config.toml sets verify_jwt = false; with true it gets 401 and no run", async () => {
    await resetSyncState(db);
    const asDeployed = await host({}, functionEnv());
    expect((await invoke(asDeployed, { dryRun: true, trigger: "cron" })).status).toBe(200);

    const strictConfig = join(mkdtempSync(join(tmpdir(), "verify-jwt-")), "config.toml");
    writeFileSync(strictConfig, `[functions.${FUNCTION}]\nverify_jwt = true\n`);
    const withJwtCheck = await host({}, functionEnv(), strictConfig);
    const refused = await invoke(withJwtCheck, { dryRun: true, trigger: "cron" });
    expect(refused.status).toBe(401);
    const { rows } = await db.query<{ n: number }>("select count(*)::int as n from ploomes_sync.runs");
    expect(rows[0]?.n).toBe(1); // only the first, accepted call reached the function
  });
});
