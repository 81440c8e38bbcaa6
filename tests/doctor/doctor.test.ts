// `npm run doctor` against the local stack, broken the ways the seed project broke in real life,
// one at a time: each break must make the doctor exit 1 failing exactly the check that names it,
// with the fix; putting it right must make every check ok again. Runs with the schedule live
// (the doctor checks it), the sync job moved twelve hours away so that it never fires meanwhile.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { requireStackKeys } from "../../local/stack/keys.ts";
import { DB_URL, GATEWAY_URL } from "../../local/stack/paths.ts";
import { callFunction, passToEnd } from "../../scripts/lib/gateway-sync.ts";
import { type DoctorReport, doctorReport, runDoctor } from "../support/doctor.ts";
import { connectDb, setVaultSecret, waitFor } from "../support/stack.ts";
import { configureFunction, resetSyncState, restoreFunctionEnv, startTestSimulator } from "../support/sync-harness.ts";

const SYNC_JOB = "sync-customer-sales";
const PRODUCTION_SCHEDULE = "0 */6 * * *";
/** One page of deals: a pass completes in one or two invocations. */
const DATASET = { seed: 31, contacts: 40, products: 12, deals: 280 };
const MAX_INVOCATIONS = 5;
/** pg_net's worker sends a queued request within a second or two; a small sync takes a few more. */
const DELIVERY_TIMEOUT_MS = 60_000;

let db: pg.Client;
let sim: Simulator;

/** Daily, twelve hours from now (UTC, pg_cron's clock): a period the doctor reads (1 day) that never fires here. */
function dailyFarFromNow(): string {
  const now = new Date();
  return `${now.getUTCMinutes()} ${(now.getUTCHours() + 12) % 24} * * *`;
}

async function syncToTheEnd(): Promise<void> {
  const calls = await passToEnd({ trigger: "manual", mode: "auto" }, MAX_INVOCATIONS);
  expect(calls.at(-1)?.body["status"], JSON.stringify(calls.at(-1)?.body)).toBe("succeeded");
}

/** Queues a sync the way pg_cron does (through pg_net); returns the request id. */
async function queueSync(): Promise<string> {
  const { rows } = await db.query<{ id: string }>("select public.trigger_customer_sales_sync()::text as id");
  return rows[0]?.id ?? "";
}

async function answerTo(requestId: string): Promise<number | null> {
  return waitFor(`pg_net's answer to request ${requestId}`, DELIVERY_TIMEOUT_MS, async () => {
    const { rows } = await db.query<{ status_code: number | null }>(
      "select status_code from net._http_response where id = $1",
      [requestId],
    );
    return rows[0] ? rows[0].status_code : undefined;
  });
}

/** Asserts the doctor fails on exactly `id`, and returns that check. */
function expectOnlyFailure(doctor: DoctorReport, id: string) {
  expect(doctor.withStatus("fail"), JSON.stringify(doctor.report.checks, null, 2)).toEqual([id]);
  expect(doctor.code).toBe(1);
  return doctor.check(id);
}

async function expectHealthy(): Promise<DoctorReport> {
  const doctor = await doctorReport();
  const notOk = doctor.report.checks.filter((c) => c.status !== "ok");
  expect(notOk).toEqual([]);
  expect(doctor.code).toBe(0);
  return doctor;
}

beforeAll(async () => {
  db = await connectDb();
  sim = await startTestSimulator(DATASET);
  await db.query(
    "select cron.alter_job(jobid, active := true) from cron.job where jobname like 'sync-customer-sales%'",
  );
  await db.query("select cron.alter_job(jobid, schedule := $2) from cron.job where jobname = $1", [
    SYNC_JOB,
    dailyFarFromNow(),
  ]);
});

beforeEach(async () => {
  sim.reset();
  configureFunction(sim);
  await setVaultSecret(db, "project_url", GATEWAY_URL);
  await setVaultSecret(db, "cron_secret", requireStackKeys().CRON_SECRET);
  await resetSyncState(db);
  // Job runs of earlier suites (which break the schedule on purpose) are not this stack's state.
  await db.query(
    "delete from cron.job_run_details where jobid in (select jobid from cron.job where jobname like 'sync-customer-sales%')",
  );
  await syncToTheEnd();
});

afterAll(async () => {
  await db.query("select cron.alter_job(jobid, schedule := $2) from cron.job where jobname = $1", [
    SYNC_JOB,
    PRODUCTION_SCHEDULE,
  ]);
  await setVaultSecret(db, "project_url", GATEWAY_URL);
  await setVaultSecret(db, "cron_secret", requireStackKeys().CRON_SECRET);
  restoreFunctionEnv();
  await sim.stop();
  await db.end();
});

describe("a healthy stack", () => {
  it("passes every check, from the database up, and exits 0", async () => {
    const doctor = await expectHealthy();
    const layers = doctor.report.checks.map((c) => c.layer);
    expect([...new Set(layers)]).toEqual(["database", "schema", "schedule", "delivery", "function", "ploomes", "data"]);
    expect(layers).toEqual([...layers].sort((a, b) => LAYER_ORDER.indexOf(a) - LAYER_ORDER.indexOf(b)));
    expect(doctor.check("data.freshness").summary).toContain("the schedule runs every 1 day");
    expect(doctor.check("function.config").summary).toContain(`Ploomes at ${sim.url}`);
  });

  it("prints one line per check and no secret", async () => {
    const run = await runDoctor([]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines[0]).toBe("sync-customer-sales doctor: local stack");
    expect(lines.at(-1)).toBe("23 ok, 0 warning(s), 0 failure(s), 0 skipped");
    expect(lines.slice(1, -1).every((line) => line.startsWith("ok    "))).toBe(true);
    expect(run.stdout).not.toContain(requireStackKeys().CRON_SECRET);
    expect(run.stdout).not.toContain(sim.apiKey);
  });
});

const LAYER_ORDER = ["database", "schema", "schedule", "delivery", "function", "ploomes", "data"];

describe("each failure of the seed's guide, reproduced", () => {
  it("PLOOME_API_KEY, a misspelled secret: function.config names it, as the function reports it", async () => {
    configureFunction(sim, { PLOOMES_API_KEY: null, PLOOME_API_KEY: sim.apiKey });
    const check = expectOnlyFailure(await doctorReport(), "function.config");
    expect(check.summary).toContain("PLOOMES_API_KEY is not set, but PLOOME_API_KEY is");
    expect(check.fix).toContain("npm start");
    // A check records nothing: the data layer saw no failed run.
    const { rows } = await db.query("select 1 from ploomes_sync.runs where status = 'failed'");
    expect(rows).toEqual([]);

    configureFunction(sim);
    await expectHealthy();
  });

  it("a customer_sales column renamed by hand: schema.customer_sales gives the rename back", async () => {
    await db.query("alter table public.customer_sales rename column total_revenue to revenue_total");
    const check = expectOnlyFailure(await doctorReport(), "schema.customer_sales");
    expect(check.summary).toBe(
      "column total_revenue (numeric(15,2)) is missing; revenue_total looks like it, renamed",
    );
    expect(check.fix).toBe(
      "alter table public.customer_sales rename column revenue_total to total_revenue; " +
        "Then select public.trigger_customer_sales_sync('full');",
    );

    await db.query(check.fix?.split(" Then ")[0] ?? "");
    await expectHealthy();
  });

  it("a 403 for a key without access: ploomes.key, told apart by a query that names no field", async () => {
    sim.updateSettings({ authFailureStatus: 403 });
    configureFunction(sim, { PLOOMES_API_KEY: "a-user-key-this-account-does-not-know" });
    const check = expectOnlyFailure(await doctorReport(), "ploomes.key");
    expect(check.summary).toContain("→ 403 even for $select=Id: the key has no access to deals (not a field name)");
    expect(check.fix).toContain("PLOOMES_API_KEY");

    configureFunction(sim);
    await expectHealthy();
  });

  it("a 401 for a key Ploomes does not accept: ploomes.key", async () => {
    configureFunction(sim, { PLOOMES_API_KEY: "a-user-key-this-account-does-not-know" });
    const check = expectOnlyFailure(await doctorReport(), "ploomes.key");
    expect(check.summary).toContain("→ 401: Ploomes does not accept the key");

    configureFunction(sim);
    await expectHealthy();
  });

  it("a 403 for a field Ploomes no longer knows: ploomes.query names the field, the key passes", async () => {
    sim.updateSettings({ unknownProperties: ["Deal.ContactName"] });
    const doctor = await doctorReport();
    const check = expectOnlyFailure(doctor, "ploomes.query");
    expect(doctor.check("ploomes.key").status).toBe("ok");
    expect(check.summary).toContain("the key is fine, the deal field ContactName is unknown to Ploomes");
    expect(check.fix).toContain("supabase/functions/_shared/ploomes/odata.ts");

    sim.updateSettings({ unknownProperties: [] });
    await expectHealthy();
  });

  it("a contact field Ploomes no longer knows is named too", async () => {
    sim.updateSettings({ unknownProperties: ["Contact.CPF"] });
    const check = expectOnlyFailure(await doctorReport(), "ploomes.query");
    expect(check.summary).toContain("the contact field CPF");
  });

  it("the webhook receiver without its key: function.webhook", async () => {
    configureFunction(sim, { PLOOMES_WEBHOOK_KEY: null });
    const check = expectOnlyFailure(await doctorReport(), "function.webhook");
    expect(check.summary).toContain("answers 500 without a key, where the receiver answers 401");
    expect(check.summary).toContain("PLOOMES_WEBHOOK_KEY is not set");

    configureFunction(sim);
    await expectHealthy();
  });

  it("Vault cron_secret differs from the function's CRON_SECRET: function.secret", async () => {
    await setVaultSecret(db, "cron_secret", "x".repeat(48));
    const check = expectOnlyFailure(await doctorReport(), "function.secret");
    expect(check.summary).toBe(
      "the function refused Vault cron_secret (401): pg_cron's requests are refused too " +
        "(Vault cron_secret differs from the function's CRON_SECRET)",
    );
    expect(check.fix).toContain("npm run stack:up");

    await setVaultSecret(db, "cron_secret", requireStackKeys().CRON_SECRET);
    await expectHealthy();
  });

  it("pg_net's last answer a 401: delivery.responses explains it (and function.secret finds the cause)", async () => {
    await setVaultSecret(db, "cron_secret", "y".repeat(48));
    const refused = await answerTo(await queueSync());
    expect(refused).toBe(401);
    const doctor = await doctorReport();
    expect(doctor.withStatus("fail")).toEqual(["delivery.responses", "function.secret"]);
    expect(doctor.check("delivery.responses").summary).toMatch(
      /^latest answer \(request \d+, manual, \S+\): 401: the function refused the cron secret$/,
    );
    expect(doctor.check("delivery.responses").fix).toContain("vault.update_secret");

    await setVaultSecret(db, "cron_secret", requireStackKeys().CRON_SECRET);
    expect(await answerTo(await queueSync())).toBe(200);
    await expectHealthy();
  });

  it("Vault project_url missing: schedule.vault, with the SQL that stores it", async () => {
    await setVaultSecret(db, "project_url", null);
    const check = expectOnlyFailure(await doctorReport(), "schedule.vault");
    expect(check.summary).toContain("Vault secret project_url is missing or empty");
    expect(check.fix).toContain("select vault.create_secret('https://<project-ref>.supabase.co', 'project_url');");

    await setVaultSecret(db, "project_url", GATEWAY_URL);
    await expectHealthy();
  });

  it("the sync job inactive: schedule.jobs, whose SQL fix works as printed", async () => {
    await db.query("select cron.alter_job(jobid, active := false) from cron.job where jobname = $1", [SYNC_JOB]);
    const check = expectOnlyFailure(await doctorReport(), "schedule.jobs");
    expect(check.summary).toBe("job sync-customer-sales is inactive");
    expect(check.fix).toBe(
      "select cron.alter_job(jobid, active := true) from cron.job where jobname = 'sync-customer-sales';",
    );

    await db.query(check.fix ?? "");
    await expectHealthy();
  });

  it("the function not deployed where Vault project_url points: function.reachable", async () => {
    // Another project's address: it answers, but has no function sync-customer-sales.
    const otherProject = createServer((_request, response) => response.writeHead(404).end("Function not found"));
    await new Promise<void>((resolve) => otherProject.listen(0, "127.0.0.1", resolve));
    const otherUrl = `http://127.0.0.1:${(otherProject.address() as AddressInfo).port}`;
    try {
      await setVaultSecret(db, "project_url", otherUrl);
      const doctor = await doctorReport();
      const check = expectOnlyFailure(doctor, "function.reachable");
      expect(check.summary).toBe(
        `${otherUrl}/functions/v1/sync-customer-sales answers 404: the function is not deployed there`,
      );
      expect(check.fix).toBe("npx supabase functions deploy sync-customer-sales");
      expect(doctor.check("function.secret").status).toBe("skip");
    } finally {
      otherProject.close();
    }

    await setVaultSecret(db, "project_url", GATEWAY_URL);
    await expectHealthy();
  });

  it("nothing answering at Vault project_url: function.reachable says why", async () => {
    // RFC 6761: the .invalid domain never resolves.
    await setVaultSecret(db, "project_url", "http://sync-customer-sales.invalid");
    const check = expectOnlyFailure(await doctorReport(), "function.reachable");
    expect(check.summary).toMatch(
      /^cannot reach http:\/\/sync-customer-sales\.invalid\/functions\/v1\/sync-customer-sales: .*(ENOTFOUND|EAI_AGAIN)/,
    );
  });

  it("runs failing repeatedly: data.runs, with the last error and its hint", async () => {
    configureFunction(sim, { PLOOMES_API_KEY: "a-user-key-this-account-does-not-know" });
    for (let i = 0; i < 2; i += 1) expect((await callFunction({ trigger: "manual" })).status).toBe(502);
    configureFunction(sim); // the cause is gone; the record of it is what the doctor reads
    const check = expectOnlyFailure(await doctorReport(), "data.runs");
    expect(check.summary).toMatch(/^2 sync runs failed in a row, the last at .*; last error: .*→ 401/);
    expect(check.fix).toContain("PLOOMES_API_KEY");

    await syncToTheEnd();
    await expectHealthy();
  });

  it("data older than two schedule periods: data.freshness", async () => {
    const shift = "interval '49 hours'";
    await db.query(
      `update ploomes_sync.runs set started_at = started_at - ${shift}, finished_at = finished_at - ${shift}`,
    );
    await db.query(`update public.customer_sales set last_sync_at = last_sync_at - ${shift}`);
    const check = expectOnlyFailure(await doctorReport(), "data.freshness");
    expect(check.summary).toMatch(/^no successful sync since \S+ \(2 days ago; the schedule runs every 1 day\)$/);

    await syncToTheEnd();
    await expectHealthy();
  });
});

describe("the data layer's other findings", () => {
  it("the mass-delete guard tripped: data.mass_delete, with the SQL that allows it once", async () => {
    await db.query(
      `insert into ploomes_sync.runs (trigger, requested_mode, mode, status, started_at, finished_at, http_status, error, error_hint)
       values ('cron', 'auto', 'full', 'failed', now(), now(), 502,
               'this full pass would delete 150 of the 280 mirrored deals (53.6%), above SYNC_MAX_DELETE_RATIO = 0.1',
               'If these deals really are gone from Ploomes, allow it once in SQL: select public.sync_allow_mass_delete();')`,
    );
    const doctor = await doctorReport();
    const check = expectOnlyFailure(doctor, "data.mass_delete");
    expect(check.summary).toBe(
      "the mass-delete guard stopped a full pass before deleting anything; last error: this full pass would delete " +
        "150 of the 280 mirrored deals (53.6%), above SYNC_MAX_DELETE_RATIO = 0.1",
    );
    expect(check.fix).toContain("select public.sync_allow_mass_delete();");
    expect(doctor.check("data.runs").status).toBe("warn"); // one failure is not yet "failing"

    await syncToTheEnd();
    await expectHealthy();
  });

  it("a rejected deal and a dead run's expired lease are warnings: exit 0", async () => {
    await db.query(
      "insert into ploomes_sync.rejected_deals (deal_id, field, reason) values (999001, 'Amount', 'out of range')",
    );
    const { rows } = await db.query<{ id: string }>(
      `insert into ploomes_sync.runs (trigger, requested_mode, status, started_at)
       values ('cron', 'auto', 'running', now() - interval '5 minutes') returning id::text`,
    );
    await db.query(
      "update ploomes_sync.state set lease_run_id = $1, lease_expires_at = now() - interval '1 minute' where singleton",
      [rows[0]?.id],
    );
    const doctor = await doctorReport();
    expect(doctor.withStatus("warn")).toEqual(["data.lease", "data.rejects"]);
    expect(doctor.withStatus("fail")).toEqual([]);
    expect(doctor.code).toBe(0);
    expect(doctor.check("data.rejects").summary).toMatch(/^1 deal\(s\) rejected/);
    expect(doctor.check("data.lease").summary).toMatch(
      new RegExp(`^run ${rows[0]?.id} \\(running\\) left a lease that expired`),
    );
  });
});

describe("a hosted project (SUPABASE_DB_URL)", () => {
  const hosted = () => ({
    SUPABASE_DB_URL: DB_URL,
    SUPABASE_URL: GATEWAY_URL,
    PLOOMES_API_KEY: sim.apiKey,
    PLOOMES_BASE_URL: sim.url,
  });

  it("checks the same way from the URLs and secrets it is given", async () => {
    const doctor = await doctorReport(hosted());
    expect(doctor.report.target).toBe("hosted");
    expect(doctor.report.checks.filter((c) => c.status !== "ok")).toEqual([]);
    expect(doctor.code).toBe(0);
  });

  it("without PLOOMES_API_KEY skips the Ploomes checks and says how to run them", async () => {
    const { PLOOMES_API_KEY: _unused, ...withoutKey } = hosted();
    const doctor = await doctorReport(withoutKey);
    expect(doctor.withStatus("skip")).toEqual(["ploomes.key", "ploomes.query"]);
    expect(doctor.check("ploomes.key").summary).toContain("PLOOMES_API_KEY=… npm run doctor");
    expect(doctor.code).toBe(0);
  });

  it("a wrong database password fails database.connection and never prints it", async () => {
    const wrong = "a-wrong-password-for-this-test";
    const url = new URL(DB_URL);
    url.password = wrong;
    const run = await runDoctor([], { ...hosted(), SUPABASE_DB_URL: url.toString() });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL {2}database\.connection +cannot connect to postgresql:\/\/postgres:\*\*\*@/m);
    expect(run.stdout).not.toContain(wrong);
  });
});
