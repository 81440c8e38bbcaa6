// Drives the real sync path for tests: a Ploomes simulator in this process, the function's env
// written to .local/functions.env (the gateway restarts the Deno function when it changes), and
// invocations through the gateway — the same route pg_net and supabase-js take.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type pg from "pg";
import { type Simulator, type SimulatorOptions, startSimulator } from "../../local/ploomes-simulator/index.ts";
import { writeFunctionEnv } from "../../local/stack/function-env.ts";
import { FUNCTIONS_ENV_FILE, PROJECT_ROOT } from "../../local/stack/paths.ts";
import { join } from "node:path";
import { FUNCTION_PATH, type SyncCall } from "../../scripts/lib/gateway-sync.ts";
import { GATEWAY_URL } from "./stack.ts";
import { requireStackKeys } from "../../local/stack/keys.ts";

export const FUNCTION_URL = `${GATEWAY_URL}${FUNCTION_PATH}`;

/** Defaults that keep tests quick against the simulator; each test may override. */
const TEST_ENV: Record<string, string> = {
  // Below the account's 120, so each invocation gets a burst of 8 requests (small test passes
  // take no throttled waits); see ploomes/token-bucket.ts.
  PLOOMES_REQUESTS_PER_MINUTE: "100",
  PLOOMES_REQUEST_TIMEOUT_MS: "5000",
  // The line items the tests written before line-item sources expect, without auto's probe
  // requests (which would take the faults those tests script for the first deal pages).
  // tests/integration/sync-line-items.test.ts covers auto and the other sources.
  PLOOMES_LINE_ITEMS_SOURCE: "deals",
};

let savedEnvFile: string | null | undefined;

/** Writes the function's env (Ploomes settings + the stack's CRON_SECRET + overrides). */
export function configureFunction(sim: Simulator | null, overrides: Record<string, string | null> = {}): void {
  if (savedEnvFile === undefined) {
    savedEnvFile = existsSync(FUNCTIONS_ENV_FILE) ? readFileSync(FUNCTIONS_ENV_FILE, "utf8") : null;
  }
  const env: Record<string, string | null> = {
    ...(sim ? { PLOOMES_BASE_URL: sim.url, PLOOMES_API_KEY: sim.apiKey } : {}),
    CRON_SECRET: requireStackKeys().CRON_SECRET,
    PLOOMES_WEBHOOK_KEY: requireStackKeys().PLOOMES_WEBHOOK_KEY,
    ...TEST_ENV,
    ...overrides,
  };
  const set = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== null));
  writeFunctionEnv(set, "Written by the tests (tests/support/sync-harness.ts).");
}

/** Puts back whatever .local/functions.env held before the tests. */
export function restoreFunctionEnv(): void {
  if (savedEnvFile === undefined) return;
  if (savedEnvFile === null) rmSync(FUNCTIONS_ENV_FILE, { force: true });
  else writeFileSync(FUNCTIONS_ENV_FILE, savedEnvFile);
  savedEnvFile = undefined;
}

export type Invocation = SyncCall;

/** Empties the sync's state and customer_sales, as on a freshly migrated project (the same SQL the pgTAP files use). */
export async function resetSyncState(db: pg.Client): Promise<void> {
  await db.query(readFileSync(join(PROJECT_ROOT, "supabase", "tests", "support", "reset_sync_state.sql"), "utf8"));
}

/** Several thousand deals: enough pages to exercise paging, quick to sync. */
export const DATASET: SimulatorOptions = { seed: 7, contacts: 400, products: 60, deals: 3000 };

export async function startTestSimulator(options: SimulatorOptions = DATASET): Promise<Simulator> {
  return startSimulator({ port: 0, ...options });
}
