// The hosted role split on the local cluster. On hosted Supabase `supabase_admin` is the superuser
// (it owns the extensions) and `postgres` is not: `supabase db push`, the SQL editor and pg_cron
// jobs run as postgres. Here too: this module makes sure the superuser `supabase_admin` exists
// before the compat layer runs as it (local/compat/00_roles.sql then demotes postgres), and
// reports which roles are superusers for `stack:status`.
//
// A cluster made by a checkout before this split has `postgres` as its bootstrap superuser and no
// supabase_admin: it is upgraded in place (supabase_admin created here; postgres demoted and the
// extensions re-owned by the compat layer). Every step is idempotent.
import { DB_ADMIN_PASSWORD, DB_ADMIN_URL, DB_ADMIN_USER, DB_URL } from "./paths.ts";
import { run, type RunResult, tryRun } from "./shell.ts";

/** What hosted Supabase gives supabase_admin (supabase/postgres migrations/db/migrations/00000000000000-initial-schema.sql). */
const ADMIN_ATTRIBUTES = "login superuser createdb createrole replication bypassrls";
const IS_SUPERUSER_SQL = "select rolsuper from pg_roles where rolname = current_user";

function sqlLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function query(url: string, sql: string): RunResult {
  return tryRun("psql", [url, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql]);
}

/** Creates supabase_admin on a cluster made by an older checkout; a no-op once it exists. */
export function ensureAdminRole(log: (line: string) => void): void {
  const admin = query(DB_ADMIN_URL, IS_SUPERUSER_SQL);
  if (admin.status === 0) {
    if (admin.stdout.trim() === "t") return;
    throw new Error(
      `the role ${DB_ADMIN_USER} exists but is not a superuser, so the compat layer cannot run as it.\n` +
        `Run \`npm run stack:reset\` to recreate the local database with hosted-like roles.`,
    );
  }
  const legacy = query(DB_URL, IS_SUPERUSER_SQL);
  if (legacy.status !== 0 || legacy.stdout.trim() !== "t") {
    throw new Error(
      `cannot connect as ${DB_ADMIN_USER} (${
        admin.stderr.trim() || "no answer"
      }), and postgres is not a superuser that could create it.\n` +
        `Run \`npm run stack:reset\` to recreate the local database with hosted-like roles.`,
    );
  }
  log(`this cluster predates the hosted-like roles: creating the superuser ${DB_ADMIN_USER}; postgres stops being one`);
  // Through stdin, so the password is not in the process list.
  run("psql", [DB_URL, "-X", "-q", "-v", "ON_ERROR_STOP=1"], {
    input: `create role ${DB_ADMIN_USER} with ${ADMIN_ATTRIBUTES} password ${sqlLiteral(DB_ADMIN_PASSWORD)};\n`,
  });
}

/** The superusers' names (for `stack:status`), or null when the database does not answer. */
export function superuserNames(): string[] | null {
  const result = query(DB_URL, "select string_agg(rolname, ',' order by rolname) from pg_roles where rolsuper");
  if (result.status !== 0) return null;
  return result.stdout.trim().split(",").filter((name) => name !== "");
}
