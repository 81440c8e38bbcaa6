// Builds the runner's dependencies from the configuration: the supabase-js client for the SQL
// API (secret key, no session) and the Ploomes client. Kept apart from runner.ts so tests can
// hand the runner their own parts.
import type { Config, DatabaseAccess } from "../config/config.ts";
import { connectDatabase as connect } from "../db/connect.ts";
import { createSyncDb } from "../db/rpc.ts";
import { createWebhookQueueDb } from "../db/webhook-rpc.ts";
import { createPloomesClient } from "../ploomes/client.ts";
import type { SyncRequest } from "./request.ts";
import type { WorkerClock } from "./budget.ts";
import { runSync, type SyncOutcome } from "./runner.ts";

export type Logger = (event: Record<string, unknown>) => void;

/** One JSON line per event: the Edge Runtime's log viewer indexes them. */
export const jsonLineLogger: Logger = (event) =>
  console.log(JSON.stringify({ at: new Date().toISOString(), ...event }));

export async function recordConfigFailure(
  database: DatabaseAccess,
  request: SyncRequest,
  error: string,
  hint: string,
): Promise<number> {
  const summary = await createSyncDb(connect(database)).logFailure(request.trigger, request.mode, error, hint, 500);
  return summary.runId;
}

export function runSyncWithConfig(
  config: Config,
  request: SyncRequest,
  worker: WorkerClock,
  log: Logger = jsonLineLogger,
): Promise<SyncOutcome> {
  const supabase = connect(config.supabase);
  const ploomes = createPloomesClient({
    baseUrl: config.ploomes.baseUrl,
    apiKey: config.ploomes.apiKey,
    requestsPerMinute: config.ploomes.requestsPerMinute,
    requestTimeoutMs: config.ploomes.requestTimeoutMs,
    onEvent: (event) => log({ event: `ploomes-${event.type}`, ...event }),
  });
  return runSync({
    config,
    db: createSyncDb(supabase),
    webhookQueue: createWebhookQueueDb(supabase),
    ploomes,
    now: () => Date.now(),
    log,
    worker,
  }, request);
}
