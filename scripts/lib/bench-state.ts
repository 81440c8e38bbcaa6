// The bench's clean slate: the sync's state, mirror and customer_sales emptied as on a freshly
// migrated project (TRUNCATE rather than the tests' DELETE: the bench's mirrors hold a million rows).
import pg from "pg";
import { DB_URL } from "../../local/stack/paths.ts";

export async function resetSyncState(db: pg.Client): Promise<void> {
  await db.query(
    `update ploomes_sync.state set cursor = null, current_pass_id = null, last_full_pass_at = null, lease_run_id = null,
                                             lease_expires_at = null, source = null, mass_delete_allowed_at = null;
    truncate public.customer_sales, ploomes_sync.deals, ploomes_sync.dirty_customers, ploomes_sync.rejected_deals, ploomes_sync.pass_gone;
    delete from ploomes_sync.runs; delete from ploomes_sync.passes;`,
  );
}

/** resetSyncState on a connection of its own. */
export async function resetLocalSyncState(): Promise<void> {
  const db = new pg.Client({ connectionString: DB_URL });
  await db.connect();
  try {
    await resetSyncState(db);
  } finally {
    await db.end();
  }
}
