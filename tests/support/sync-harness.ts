// Drives the real sync path for tests: a Ploomes simulator in this process, the function's env
// written to .local/functions.env (the gateway restarts the Deno function when it changes), and
// invocations through the gateway — the same route pg_net and supabase-js take.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type pg from "pg";
import { startSimulator, type Simulator, type SimulatorOptions } from "../../local/ploomes-simulator/index.ts";
import { FUNCTIONS_ENV_FILE, PROJECT_ROOT } from "../../local/stack/paths.ts";
import { join } from "node:path";
import { GATEWAY_URL, stackKeys } from "./stack.ts";

export const FUNCTION_URL = `${GATEWAY_URL}/functions/v1/sync-customer-sales`;

/** Defaults that keep tests quick against the simulator; each test may override. */
const TEST_ENV: Record<string, string> = {
  PLOOMES_REQUESTS_PER_MINUTE: "120",
  PLOOMES_REQUEST_TIMEOUT_MS: "5000",
};

let savedEnvFile: string | null | undefined;

/** Writes the function's env (Ploomes settings + the stack's CRON_SECRET + overrides). */
export function configureFunction(sim: Simulator | null, overrides: Record<string, string | null> = {}): void {
  if (savedEnvFile === undefined) savedEnvFile = existsSync(FUNCTIONS_ENV_FILE) ? readFileSync(FUNCTIONS_ENV_FILE, "utf8") : null;
  const env: Record<string, string | null> = {
    ...(sim ? { PLOOMES_BASE_URL: sim.url, PLOOMES_API_KEY: sim.apiKey } : {}),
    CRON_SECRET: stackKeys().CRON_SECRET,
    ...TEST_ENV,
    ...overrides,
  };
  const lines = Object.entries(env).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v}`);
  writeFileSync(FUNCTIONS_ENV_FILE, `${lines.join("\n")}\n`);
}

/** Puts back whatever .local/functions.env held before the tests. */
export function restoreFunctionEnv(): void {
  if (savedEnvFile === undefined) return;
  if (savedEnvFile === null) rmSync(FUNCTIONS_ENV_FILE, { force: true });
  else writeFileSync(FUNCTIONS_ENV_FILE, savedEnvFile);
  savedEnvFile = undefined;
}

export interface Invocation {
  status: number;
  body: Record<string, unknown>;
}

export async function invokeSync(
  body: Record<string, unknown> | string = { trigger: "manual" },
  options: { secret?: string | null; method?: "POST" | "GET"; headers?: Record<string, string> } = {},
): Promise<Invocation> {
  const secret = options.secret === undefined ? stackKeys().CRON_SECRET : options.secret;
  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  if (secret !== null) headers["x-cron-secret"] = secret;
  const method = options.method ?? "POST";
  const response = await fetch(FUNCTION_URL, {
    method,
    headers,
    body: method === "GET" ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { raw: text }; // non-JSON answers are kept verbatim for the assertion message
  }
  return { status: response.status, body: parsed };
}

/** Runs invocations until the pass completes (partial runs resume), at most `maxRuns`. */
export async function syncUntilDone(body: Record<string, unknown>, maxRuns: number): Promise<Invocation[]> {
  const runs: Invocation[] = [];
  for (let i = 0; i < maxRuns; i += 1) {
    const run = await invokeSync(i === 0 ? body : { trigger: "continue" });
    runs.push(run);
    if (run.status !== 200 || run.body.status !== "partial") return runs;
  }
  throw new Error(`the pass did not complete within ${maxRuns} invocations`);
}

/** Empties the sync's state and customer_sales, as on a freshly migrated project (the same SQL the pgTAP files use). */
export async function resetSyncState(db: pg.Client): Promise<void> {
  await db.query(readFileSync(join(PROJECT_ROOT, "supabase", "tests", "support", "reset_sync_state.sql"), "utf8"));
}

/** Several thousand deals: enough pages to exercise paging, quick to sync. */
export const DATASET: SimulatorOptions = { seed: 7, contacts: 400, products: 60, deals: 3000 };

export async function startTestSimulator(options: SimulatorOptions = DATASET): Promise<Simulator> {
  return startSimulator({ port: 0, ...options });
}
