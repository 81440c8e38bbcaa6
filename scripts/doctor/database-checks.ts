// The bottom layer: can we reach the database, are the repository's migrations applied, and are the
// platform pieces the schedule stands on there (pg_cron, pg_net, Vault).
import { readdirSync } from "node:fs";
import pg from "pg";
import { MIGRATIONS_DIR } from "../../local/stack/paths.ts";
import { type Check, type DoctorContext, fail, ok, skip, warn } from "./check.ts";

/** A database that does not answer within this long is reported as unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;
/** No doctor query may run longer than this (the database may be loaded). */
const STATEMENT_TIMEOUT_MS = 15_000;

export const NO_DATABASE = "skipped: no database connection (see database.connection)";

export function pushCommand(context: DoctorContext): string {
  return context.target.kind === "local" ? "npm run stack:up" : 'npx supabase db push --db-url "$SUPABASE_DB_URL"';
}

const connection: Check = {
  id: "database.connection",
  async run(context) {
    const client = new pg.Client({
      connectionString: context.target.dbUrl,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      application_name: "sync-customer-sales doctor",
    });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      const message = error instanceof Error ? error.message : String(error);
      return fail(
        `cannot connect to ${context.target.dbLabel}: ${message}`,
        context.target.kind === "local"
          ? "npm run stack:up"
          : "Check SUPABASE_DB_URL: Dashboard > Connect > Session pooler (postgresql://postgres.<ref>:<password>@…:5432/postgres)",
      );
    }
    context.db = client;
    const { rows } = await client.query<{ version: string; user: string }>(
      "select current_setting('server_version') as version, current_user as user",
    );
    return ok(`${context.target.dbLabel}: Postgres ${rows[0]?.version}, connected as ${rows[0]?.user}`);
  },
};

const migrations: Check = {
  id: "database.migrations",
  async run(context) {
    if (!context.db) return skip(NO_DATABASE);
    const files = readdirSync(MIGRATIONS_DIR).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
    const table = await context.db.query<{ present: boolean }>(
      "select to_regclass('supabase_migrations.schema_migrations') is not null as present",
    );
    if (!table.rows[0]?.present) {
      return fail(
        "no migration was ever applied (supabase_migrations.schema_migrations is missing)",
        pushCommand(context),
      );
    }
    const { rows } = await context.db.query<{ version: string }>(
      "select version from supabase_migrations.schema_migrations",
    );
    const applied = new Set(rows.map((r) => r.version));
    const known = new Set(files.map((f) => f.split("_")[0]));
    const missing = files.filter((f) => !applied.has(f.split("_")[0] ?? ""));
    const unknown = [...applied].filter((v) => !known.has(v)).sort();
    if (missing.length > 0) {
      return fail(
        `${missing.length} of ${files.length} migrations not applied: ${missing.join(", ")}`,
        pushCommand(context),
      );
    }
    if (unknown.length > 0) {
      return warn(
        `all ${files.length} migrations applied, and ${unknown.length} this checkout does not have: ${
          unknown.join(", ")
        }`,
        "Update this checkout (git pull): the database runs a newer version than these files describe.",
      );
    }
    return ok(`all ${files.length} migrations applied (latest ${files[files.length - 1]})`);
  },
};

/** What the schedule needs, by the functions it calls. */
const PLATFORM_PARTS = [
  { name: "pg_cron", probe: "cron.schedule", enable: "create extension if not exists pg_cron;" },
  { name: "pg_net", probe: "net.http_post", enable: "create extension if not exists pg_net with schema extensions;" },
  { name: "Vault", probe: "vault.create_secret", enable: "create extension if not exists supabase_vault;" },
] as const;

const extensions: Check = {
  id: "database.extensions",
  async run(context) {
    if (!context.db) return skip(NO_DATABASE);
    const { rows } = await context.db.query<{ name: string; present: boolean }>(
      `select p.name, exists (select 1 from pg_proc f join pg_namespace n on n.oid = f.pronamespace
                               where n.nspname || '.' || f.proname = p.probe) as present
         from unnest($1::text[], $2::text[]) as p(name, probe)`,
      [PLATFORM_PARTS.map((p) => p.name), PLATFORM_PARTS.map((p) => p.probe)],
    );
    const absent = PLATFORM_PARTS.filter((part) => !rows.find((r) => r.name === part.name)?.present);
    if (absent.length > 0) {
      return fail(
        `missing: ${absent.map((p) => p.name).join(", ")}`,
        `Dashboard > Database > Extensions, or: ${absent.map((p) => p.enable).join(" ")} Then ${pushCommand(context)}.`,
      );
    }
    return ok(`${PLATFORM_PARTS.map((p) => p.name).join(", ")} present`);
  },
};

export const DATABASE_CHECKS: readonly Check[] = [connection, migrations, extensions];
