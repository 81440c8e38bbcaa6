// End to end inside Postgres: real pg_cron ticks, the pg_net stand-in, the gateway and the real
// Deno function, against the simulator. Each trigger path must produce a 2xx in
// net._http_response AND a run in ploomes_sync.runs; failures must be visible, not "succeeded".
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { PROJECT_ROOT } from "../../local/stack/paths.ts";
import { connectDb, setVaultSecret, waitFor } from "../support/stack.ts";
import { requireStackKeys } from "../../local/stack/keys.ts";
import { configureFunction, resetSyncState, restoreFunctionEnv, startTestSimulator } from "../support/sync-harness.ts";

/** A per-minute job fires within a minute; the run itself takes a few seconds. */
const TICK_TIMEOUT_MS = 75_000;
const REQUEST_TIMEOUT_MS = 30_000;
const SYNC_JOB = "sync-customer-sales";
const PRODUCTION_SCHEDULE = "0 */6 * * *";

let db: pg.Client;
let sim: Simulator;

interface RunRow {
  id: string;
  trigger: string;
  status: string;
  mode: string;
  started_at: Date;
  finished_at: Date | null;
}

async function responseOf(requestId: string) {
  return waitFor(`pg_net response ${requestId}`, REQUEST_TIMEOUT_MS, async () => {
    const { rows } = await db.query<{ status_code: number | null; content: string | null; error_msg: string | null }>(
      "select status_code, content, error_msg from net._http_response where id = $1",
      [requestId],
    );
    return rows[0];
  });
}

/** Reschedules a job the way postgres may on hosted Supabase: cron.alter_job, keeping its command. */
async function setSchedule(job: string, schedule: string): Promise<void> {
  const { rows } = await db.query("select cron.alter_job(jobid, schedule := $2) from cron.job where jobname = $1", [
    job,
    schedule,
  ]);
  if (rows.length !== 1) {
    throw new Error(
      `expected one pg_cron job named ${job}, found ${rows.length}; run npm run stack:up to apply the schedule migration`,
    );
  }
}

function setCronSecret(value: string | null): Promise<void> {
  return setVaultSecret(db, "cron_secret", value);
}

beforeAll(async () => {
  db = await connectDb();
  // The integration suite pauses the jobs while it runs; here they must be live.
  await db.query(
    "select cron.alter_job(jobid, active := true) from cron.job where jobname like 'sync-customer-sales%'",
  );
  // 300 deals: one full page. A one-page-per-invocation pass stores it, ends partial, and needs
  // exactly one continuation, which confirms the end (two empty answers) and publishes.
  sim = await startTestSimulator({ seed: 21, contacts: 40, products: 12, deals: 300 });
});

beforeEach(async () => {
  await resetSyncState(db);
  sim.reset();
  configureFunction(sim);
  await setCronSecret(requireStackKeys().CRON_SECRET);
});

afterAll(async () => {
  await setSchedule(SYNC_JOB, PRODUCTION_SCHEDULE);
  await setCronSecret(requireStackKeys().CRON_SECRET);
  restoreFunctionEnv();
  await sim.stop();
  await db.end();
});

describe("pg_cron → pg_net → Edge Function", () => {
  it("the sync job, rescheduled to every minute, fires and syncs (200 in net._http_response, a cron run)", async () => {
    const since = new Date();
    await setSchedule(SYNC_JOB, "* * * * *");
    try {
      const run = await waitFor("a succeeded cron run", TICK_TIMEOUT_MS, async () => {
        const { rows } = await db.query<RunRow>(
          "select * from ploomes_sync.runs where trigger = 'cron' and status = 'succeeded' limit 1",
        );
        return rows[0];
      });
      expect(run.mode).toBe("full");
    } finally {
      await setSchedule(SYNC_JOB, PRODUCTION_SCHEDULE);
    }
    // The run is recorded before the function answers, and pg_net records the answer after that
    // (when its batch ends): wait for the response row itself.
    const response = await waitFor("a 200 for the cron request in net._http_response", REQUEST_TIMEOUT_MS, async () => {
      const { rows } = await db.query<{ status_code: number | null }>(
        'select status_code from net._http_response where created >= $1 and content like \'%"trigger":"cron"%\'',
        [since],
      );
      return rows.find((r) => r.status_code === 200);
    });
    expect(response.status_code).toBe(200);
    const { rows: sales } = await db.query<{ n: number }>("select count(*)::int as n from public.customer_sales");
    expect(sales[0]?.n).toBeGreaterThan(0);
    // pg_cron records the job's own outcome asynchronously too.
    const jobRun = await waitFor("the job's succeeded run in cron.job_run_details", REQUEST_TIMEOUT_MS, async () => {
      const { rows } = await db.query<{ status: string }>(
        `select d.status from cron.job_run_details d join cron.job j using (jobid)
          where j.jobname = $1 and d.start_time >= $2 and d.status = 'succeeded'`,
        [SYNC_JOB, since],
      );
      return rows[0];
    });
    expect(jobRun.status).toBe("succeeded");
  });

  it("select public.trigger_customer_sales_sync('full') returns a request id whose response is 200", async () => {
    const { rows } = await db.query<{ id: string }>("select public.trigger_customer_sales_sync('full') as id");
    const response = await responseOf(rows[0]?.id ?? "");
    expect(response.status_code).toBe(200);
    expect(JSON.parse(response.content ?? "{}")).toMatchObject({
      status: "succeeded",
      mode: "full",
      trigger: "manual",
    });
  });

  it("the raw net.http_post snippet from the README works verbatim", async () => {
    const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");
    const snippet = /<!-- snippet:net-http-post -->\s*```sql\n([\s\S]*?)```/.exec(readme)?.[1];
    if (!snippet) throw new Error("README.md lacks the <!-- snippet:net-http-post --> sql block");
    const { rows } = await db.query<{ request_id: string }>(snippet);
    const response = await responseOf(rows[0]?.request_id ?? "");
    expect(response.status_code).toBe(200);
    expect(JSON.parse(response.content ?? "{}")).toMatchObject({ status: "succeeded" });
  });

  it("a pass made partial by a small budget is finished by the continuation job, without overlapping runs", async () => {
    configureFunction(sim, { SYNC_TIME_BUDGET_MS: "1000" });
    sim.updateSettings({ latencyMs: 1_200 }); // one page per invocation
    const { rows } = await db.query<{ id: string }>("select public.trigger_customer_sales_sync('full') as id");
    const first = await responseOf(rows[0]?.id ?? "");
    expect(JSON.parse(first.content ?? "{}")).toMatchObject({ status: "partial" });
    const finished = await waitFor("the continuation to finish the pass", TICK_TIMEOUT_MS, async () => {
      const { rows: done } = await db.query<RunRow>(
        "select * from ploomes_sync.runs where trigger = 'continue' and status = 'succeeded'",
      );
      return done[0];
    });
    expect(finished.mode).toBe("full");
    const { rows: runs } = await db.query<RunRow>(
      "select * from ploomes_sync.runs where status <> 'skipped' order by id",
    );
    expect(new Set(runs.map((r) => r.status))).toEqual(new Set(["partial", "succeeded"]));
    for (let i = 1; i < runs.length; i += 1) {
      const previous = runs[i - 1];
      const current = runs[i];
      if (!previous?.finished_at || !current) throw new Error("a run has no end");
      expect(current.started_at.getTime()).toBeGreaterThanOrEqual(previous.finished_at.getTime());
    }
  });

  it("a wrong cron_secret in Vault gives a 401 in net._http_response and writes no run", async () => {
    await setCronSecret("x".repeat(48));
    const { rows: command } = await db.query<{ command: string }>("select command from cron.job where jobname = $1", [
      SYNC_JOB,
    ]);
    // The tick's exact command, run now instead of waiting for the clock.
    const { rows } = await db.query<{ id: string }>(`select (${command[0]?.command.replace(/^select /, "")}) as id`);
    const response = await responseOf(rows[0]?.id ?? "");
    expect(response.status_code).toBe(401);
    const { rows: runs } = await db.query("select id from ploomes_sync.runs");
    expect(runs).toEqual([]);
  });

  it("a missing cron_secret makes the job's run fail in cron.job_run_details, naming it", async () => {
    await setCronSecret(null);
    const since = new Date();
    await setSchedule(SYNC_JOB, "* * * * *");
    try {
      const failure = await waitFor("a failed job run", TICK_TIMEOUT_MS, async () => {
        const { rows } = await db.query<{ status: string; return_message: string }>(
          `select d.status, d.return_message from cron.job_run_details d join cron.job j using (jobid)
            where j.jobname = $1 and d.start_time >= $2 and d.status = 'failed'`,
          [SYNC_JOB, since],
        );
        return rows[0];
      });
      expect(failure.return_message).toContain('Vault secret "cron_secret" is missing');
    } finally {
      await setSchedule(SYNC_JOB, PRODUCTION_SCHEDULE);
    }
    const { rows: queued } = await db.query("select id from net.http_request_queue");
    expect(queued).toEqual([]);
  });
});
