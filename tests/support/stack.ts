// Shared plumbing for tests that talk to the local stack: database clients and a bounded poll for
// asynchronous outcomes (pg_net, pg_cron) — a deadline, never a fixed sleep. (The stack's keys:
// local/stack/keys.ts.)
import pg from "pg";
import { DB_ADMIN_URL, DB_URL, GATEWAY_URL } from "../../local/stack/paths.ts";

export { DB_ADMIN_URL, DB_URL, GATEWAY_URL };

/** A client as `postgres` — like migrations and the SQL editor on hosted Supabase, not a superuser. */
export async function connectDb(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: DB_URL });
  await client.connect();
  return client;
}

/** A client as the superuser supabase_admin, for what only it may do (e.g. `alter system`). */
export async function connectAdminDb(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: DB_ADMIN_URL });
  await client.connect();
  return client;
}

/** Replaces a Vault secret by name (null: removes it), as a test breaks or repairs the schedule's secrets. */
export async function setVaultSecret(db: pg.Client, name: string, value: string | null): Promise<void> {
  await db.query("delete from vault.secrets where name = $1", [name]);
  if (value !== null) await db.query("select vault.create_secret($1, $2)", [value, name]);
}

const POLL_INTERVAL_MS = 100;

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}
