// Brings the database to the state a Supabase project would be in: the compat layer (roles,
// the extensions Supabase pre-creates, auth, Vault and pg_net stand-ins) applied as the superuser
// supabase_admin, then this project's migrations pushed by the real Supabase CLI as `postgres`
// (not a superuser, as on hosted Supabase), then the Vault values the schedule reads.
import { copyFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { binPath, COMPAT_DIR, DB_ADMIN_URL, DB_URL, GATEWAY_URL, PG_NET_EXTENSION_DIR, PROJECT_ROOT } from "./paths.ts";
import { isRoot, run, type RunResult } from "./shell.ts";

/** The compat layer reports what it changed on an existing cluster with `raise notice 'upgrade: …'`. */
const UPGRADE_NOTICE = /NOTICE:\s+(upgrade: .*)/g;

function psqlAs(url: string, args: readonly string[], input?: string): RunResult {
  return run("psql", [url, "-v", "ON_ERROR_STOP=1", "-X", "-q", ...args], input === undefined ? {} : { input });
}

/** psql as `postgres`, the role migrations, tests and the SQL editor use. */
export function psql(args: readonly string[], input?: string): string {
  return psqlAs(DB_URL, args, input).stdout;
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
    throw new Error(
      `the pg_net stand-in is not installed in ${extensionDir}. Run as root, then retry:\n  sudo sh -c '${copies}'`,
    );
  }
  for (const f of stale) copyFileSync(join(PG_NET_EXTENSION_DIR, f), join(extensionDir, f));
}

export interface CompatResult {
  /** What it upgraded on a cluster made by an older checkout (nothing on the next run). */
  upgrades: string[];
  /** pg_cron was recreated: its scheduler only sees the new job table after a restart of Postgres. */
  restartNeeded: boolean;
}

/** Applies local/compat/*.sql in order, as the superuser supabase_admin (what Supabase pre-creates). */
export function applyCompatLayer(): CompatResult {
  const files = readdirSync(COMPAT_DIR).filter((f) => f.endsWith(".sql")).sort();
  const upgrades: string[] = [];
  for (const f of files) {
    const { stderr } = psqlAs(DB_ADMIN_URL, ["-f", join(COMPAT_DIR, f)]);
    for (const match of stderr.matchAll(UPGRADE_NOTICE)) if (match[1]) upgrades.push(match[1]);
  }
  return { upgrades, restartNeeded: upgrades.some((line) => line.includes("pg_cron")) };
}

/**
 * `supabase db push` with the real CLI: the same command users run against a hosted project, and
 * like there it connects as `postgres` — a migration that needs a superuser fails here too.
 */
export function pushMigrations(): string {
  const result = run(binPath("supabase"), ["db", "push", "--db-url", DB_URL, "--yes"], { cwd: PROJECT_ROOT });
  return `${result.stdout}${result.stderr}`.trim();
}

/** Creates or updates a Vault secret by name (the stand-in has the real Vault's functions). */
export function upsertVaultSecret(name: string, value: string): void {
  // The SQL goes through stdin, so the secret never shows in the process list.
  psql(
    [],
    `
    select case
      when exists (select 1 from vault.secrets where name = ${sqlLiteral(name)})
        then (select vault.update_secret(id, ${sqlLiteral(value)}) from vault.secrets where name = ${
      sqlLiteral(name)
    })::text
      else vault.create_secret(${sqlLiteral(value)}, ${sqlLiteral(name)})::text
    end;`,
  );
}

export function storeScheduleSecrets(cronSecret: string): void {
  upsertVaultSecret("project_url", GATEWAY_URL);
  upsertVaultSecret("cron_secret", cronSecret);
}
