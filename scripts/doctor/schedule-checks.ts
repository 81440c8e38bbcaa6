// The schedule layer: the Vault secrets the jobs read, the pg_cron jobs themselves (present,
// active, their schedules) and how their last runs ended. A pg_cron "succeeded" only means the
// request was queued; what happened to it is the delivery layer's question.
import { type Check, fail, ok, skip, warn } from "./check.ts";
import { NO_DATABASE } from "./database-checks.ts";

/** The function refuses a CRON_SECRET shorter than this (supabase/functions/_shared/config). */
const MIN_CRON_SECRET_LENGTH = 32;

/** The jobs the migrations schedule, with the SQL that re-creates each one. */
export const EXPECTED_JOBS = [
  {
    name: "sync-customer-sales",
    create:
      `select cron.schedule('sync-customer-sales', '0 */6 * * *', $$select ploomes_sync.send_sync_request('cron')$$);`,
  },
  {
    name: "sync-customer-sales-continue",
    create:
      `select cron.schedule('sync-customer-sales-continue', '* * * * *', $$select ploomes_sync.continue_partial_pass()$$);`,
  },
  {
    name: "sync-customer-sales-cleanup",
    create:
      `select cron.schedule('sync-customer-sales-cleanup', '17 3 * * *', $$delete from cron.job_run_details where end_time < now() - interval '7 days'; select ploomes_sync.prune_runs();$$);`,
  },
  {
    name: "sync-customer-sales-alerts",
    create:
      `select cron.schedule('sync-customer-sales-alerts', '*/5 * * * *', $$select ploomes_sync.evaluate_alerts()$$);`,
  },
] as const;

function storeSecretSql(name: string, placeholder: string): string {
  return `select vault.create_secret('${placeholder}', '${name}');`;
}

const vault: Check = {
  id: "schedule.vault",
  async run(context) {
    if (!context.db) return skip(NO_DATABASE);
    const { rows } = await context.db.query<{ name: string; value: string | null }>(
      `select n.name, (select nullif(btrim(ds.decrypted_secret), '') from vault.decrypted_secrets ds where ds.name = n.name
                        order by ds.created_at desc limit 1) as value
         from unnest(array['project_url', 'cron_secret']) as n(name)`,
    );
    const value = (name: string) => rows.find((r) => r.name === name)?.value ?? null;
    context.projectUrl = value("project_url");
    context.vaultCronSecret = value("cron_secret");
    const problems: string[] = [];
    const fixes: string[] = [];
    const localFix = context.target.kind === "local" ? " (locally: npm run stack:up stores both)" : "";
    if (context.projectUrl === null) {
      problems.push("Vault secret project_url is missing or empty: every scheduled sync fails before it is sent");
      fixes.push(storeSecretSql("project_url", "https://<project-ref>.supabase.co"));
    } else if (!/^https?:\/\/[^/\s]+/.test(context.projectUrl)) {
      problems.push(`Vault project_url is not an http(s) URL: ${context.projectUrl}`);
      fixes.push(
        "select vault.update_secret(id, 'https://<project-ref>.supabase.co') from vault.secrets where name = 'project_url';",
      );
    }
    if (context.vaultCronSecret === null) {
      problems.push("Vault secret cron_secret is missing or empty: every scheduled sync fails before it is sent");
      fixes.push(storeSecretSql("cron_secret", "<the function's CRON_SECRET>"));
    } else if (context.vaultCronSecret.length < MIN_CRON_SECRET_LENGTH) {
      problems.push(`Vault cron_secret is shorter than the ${MIN_CRON_SECRET_LENGTH} characters the function requires`);
      fixes.push(
        "Generate one (openssl rand -hex 24), set it as the function's CRON_SECRET and in Vault (docs/deploy.md).",
      );
    }
    if (problems.length > 0) return fail(problems.join("; "), `${fixes.join(" ")}${localFix}`);
    return ok(
      `project_url = ${context.projectUrl}; cron_secret stored (${context.vaultCronSecret?.length} characters, not shown)`,
    );
  },
};

const jobs: Check = {
  id: "schedule.jobs",
  async run(context) {
    if (!context.db) return skip(NO_DATABASE);
    const { rows } = await context.db.query<{ jobname: string; schedule: string; active: boolean }>(
      "select jobname, schedule, active from cron.job where jobname = any($1::text[])",
      [EXPECTED_JOBS.map((j) => j.name)],
    );
    const missing = EXPECTED_JOBS.filter((job) => !rows.some((r) => r.jobname === job.name));
    const inactive = rows.filter((r) => !r.active).map((r) => r.jobname).sort();
    if (missing.length > 0 || inactive.length > 0) {
      const problems = [
        ...missing.map((job) => `job ${job.name} is missing`),
        ...inactive.map((name) => `job ${name} is inactive`),
      ];
      const fixes = [
        ...missing.map((job) => job.create),
        ...inactive.map((name) =>
          `select cron.alter_job(jobid, active := true) from cron.job where jobname = '${name}';`
        ),
      ];
      return fail(problems.join("; "), fixes.join(" "));
    }
    const listed = EXPECTED_JOBS.map((job) => `${job.name} '${rows.find((r) => r.jobname === job.name)?.schedule}'`);
    return ok(`${EXPECTED_JOBS.length} jobs active: ${listed.join(", ")}`);
  },
};

const jobRuns: Check = {
  id: "schedule.job_runs",
  async run(context) {
    if (!context.db) return skip(NO_DATABASE);
    const { rows } = await context.db.query<{ jobname: string; status: string; message: string | null; at: Date }>(
      `select distinct on (j.jobname) j.jobname, d.status, d.return_message as message, d.start_time as at
         from cron.job_run_details d join cron.job j on j.jobid = d.jobid
        where j.jobname = any($1::text[])
        order by j.jobname, d.start_time desc`,
      [EXPECTED_JOBS.map((j) => j.name)],
    );
    if (rows.length === 0) return ok("no job has run yet (cron.job_run_details is empty for them)");
    const failed = rows.filter((r) => r.status === "failed");
    if (failed.length > 0) {
      return fail(
        failed.map((r) => `the last run of ${r.jobname} (${r.at.toISOString()}) failed: ${r.message ?? "no message"}`)
          .join("; "),
        failedJobFix(failed.map((r) => r.message ?? "")),
      );
    }
    const stillRunning = rows.filter((r) => r.status === "running" || r.status === "starting");
    const summary = rows.map((r) => `${r.jobname} ${r.status} at ${r.at.toISOString()}`).join(", ");
    if (stillRunning.length > 0) {
      return warn(
        `last runs: ${summary}`,
        "A job still running is normal for a second; if it stays, see pg_cron's cron.max_running_jobs and the database log.",
      );
    }
    return ok(`last runs: ${summary}`);
  },
};

/** The fix for the job failures we know; anything else is read in the message itself. */
function failedJobFix(messages: readonly string[]): string {
  if (messages.some((m) => m.includes("Vault secret"))) {
    return "Store the Vault secret the message names (see schedule.vault); the next tick then sends the request.";
  }
  return "Run the job's command by hand in the SQL editor to see the full error: select command from cron.job where jobname = '<job>';";
}

export const SCHEDULE_CHECKS: readonly Check[] = [vault, jobs, jobRuns];
