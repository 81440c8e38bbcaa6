// vitest globalSetup for the integration suite: the project's pg_cron jobs are paused while it
// runs, so a scheduled tick (every 6 h, or the per-minute continuation) can never slip an extra
// run into a test; they are switched back on afterwards. The e2e suite exercises them for real.
// As postgres, which (as on hosted Supabase) may only read cron.job: jobs change through
// cron.alter_job, never a direct write to the table.
import pg from "pg";
import { DB_URL } from "../../local/stack/paths.ts";

async function setJobsActive(active: boolean): Promise<void> {
  const db = new pg.Client({ connectionString: DB_URL });
  await db.connect();
  try {
    await db.query(
      "select cron.alter_job(jobid, active := $1::boolean) from cron.job where jobname like 'sync-customer-sales%'",
      [active],
    );
  } finally {
    await db.end();
  }
}

export async function setup(): Promise<() => Promise<void>> {
  await setJobsActive(false);
  return () => setJobsActive(true);
}
