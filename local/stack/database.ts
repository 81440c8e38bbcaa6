// Brings the database to the state a Supabase project would be in: the compat layer (roles,
// auth, extensions schema, Vault and pg_net stand-ins), then this project's migrations applied
// by the real Supabase CLI, then the Vault values the schedule reads.
import { copyFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { COMPAT_DIR, DB_URL, GATEWAY_URL, PG_NET_EXTENSION_DIR, PROJECT_ROOT, binPath } from "./paths.ts";
import { isRoot, run } from "./shell.ts";

export function psql(args: readonly string[], input?: string): string {
  return run("psql", [DB_URL, "-v", "ON_ERROR_STOP=1", "-X", "-q", ...args], input === undefined ? {} : { input }).stdout;
}

function sqlLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Copies the pg_net stand-in into this Postgres's extension folder, so migrations can say
 * `create extension pg_net with schema extensions` exactly as they do on Supabase.
 */
export function installPgNetStandIn(): void {
  const extensionDir = join(run("pg_config", ["--sharedir"]).stdout.trim(), "extension");
  const files = readdirSync(PG_NET_EXTENSION_DIR).filter((f) => f.endsWith(".control") || f.endsWith(".sql"));
  const stale = files.filter((f) => {
    const target = join(extensionDir, f);
    return !existsSync(target) || readFileSync(target, "utf8") !== readFileSync(join(PG_NET_EXTENSION_DIR, f), "utf8");
  });
  if (stale.length === 0) return;
  if (!isRoot()) {
    const copies = stale.map((f) => `cp ${join(PG_NET_EXTENSION_DIR, f)} ${extensionDir}/`).join(" && ");
    throw new Error(`the pg_net stand-in is not installed in ${extensionDir}. Run as root, then retry:\n  sudo sh -c '${copies}'`);
  }
  for (const f of stale) copyFileSync(join(PG_NET_EXTENSION_DIR, f), join(extensionDir, f));
}

export function applyCompatLayer(): void {
  const files = readdirSync(COMPAT_DIR).filter((f) => f.endsWith(".sql")).sort();
  for (const f of files) psql(["-f", join(COMPAT_DIR, f)]);
}

/** `supabase db push` with the real CLI: the same command users run against a hosted project. */
export function pushMigrations(): string {
  const result = run(binPath("supabase"), ["db", "push", "--db-url", DB_URL, "--yes"], { cwd: PROJECT_ROOT });
  return `${result.stdout}${result.stderr}`.trim();
}

/** Creates or updates a Vault secret by name (the stand-in has the real Vault's functions). */
export function upsertVaultSecret(name: string, value: string): void {
  // The SQL goes through stdin, so the secret never shows in the process list.
  psql([], `
    select case
      when exists (select 1 from vault.secrets where name = ${sqlLiteral(name)})
        then (select vault.update_secret(id, ${sqlLiteral(value)}) from vault.secrets where name = ${sqlLiteral(name)})::text
      else vault.create_secret(${sqlLiteral(value)}, ${sqlLiteral(name)})::text
    end;`);
}

export function storeScheduleSecrets(cronSecret: string): void {
  upsertVaultSecret("project_url", GATEWAY_URL);
  upsertVaultSecret("cron_secret", cronSecret);
}
