// Where the local stack keeps its state, and the ports/credentials it exposes. The ports and
// credentials are Supabase's local defaults (`supabase start`), so docs and snippets work on both.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const LOCAL_DIR = join(PROJECT_ROOT, ".local");
export const LOGS_DIR = join(LOCAL_DIR, "logs");
export const RUN_DIR = join(LOCAL_DIR, "run");
export const PG_DIR = join(LOCAL_DIR, "pg");
export const STACK_ENV_FILE = join(LOCAL_DIR, "stack.env");
/** The bad-input matrix's one-line summary ({cases, converged, rowsLost, total}), printed by `npm test`. */
export const MATRIX_SUMMARY_FILE = join(LOCAL_DIR, "bad-input-matrix.json");
/** Env handed to Edge Functions served by the gateway (like `supabase functions serve --env-file`). */
export const FUNCTIONS_ENV_FILE = join(LOCAL_DIR, "functions.env");

export const COMPAT_DIR = join(PROJECT_ROOT, "local", "compat");
export const PG_NET_EXTENSION_DIR = join(COMPAT_DIR, "pg_net");
export const MIGRATIONS_DIR = join(PROJECT_ROOT, "supabase", "migrations");
export const FUNCTIONS_DIR = join(PROJECT_ROOT, "supabase", "functions");

export const PG_VERSION = "15";
export const PG_BIN_DIR = `/usr/lib/postgresql/${PG_VERSION}/bin`;
export const DB_HOST = "127.0.0.1";
export const DB_PORT = 54322;
export const DB_USER = "postgres";
export const DB_PASSWORD = "postgres";
export const DB_NAME = "postgres";
export const DB_URL = `postgresql://${DB_USER}:${DB_PASSWORD}@${DB_HOST}:${DB_PORT}/${DB_NAME}`;
/**
 * The cluster's superuser, as on hosted Supabase: it owns the extensions and runs the compat layer.
 * Migrations, tests and the gateway use DB_URL (`postgres`, not a superuser) — never this one.
 * The password is the local default of `supabase start`.
 */
export const DB_ADMIN_USER = "supabase_admin";
export const DB_ADMIN_PASSWORD = "postgres";
export const DB_ADMIN_URL = `postgresql://${DB_ADMIN_USER}:${DB_ADMIN_PASSWORD}@${DB_HOST}:${DB_PORT}/${DB_NAME}`;

export const GATEWAY_HOST = "127.0.0.1";
export const GATEWAY_PORT = 54321;
export const GATEWAY_URL = `http://${GATEWAY_HOST}:${GATEWAY_PORT}`;

export function binPath(name: string): string {
  return join(PROJECT_ROOT, "node_modules", ".bin", name);
}
