// What one invocation of the sync works with — configuration, SQL API, Ploomes client, clock,
// logger, worker clock — shared by the runner and the walks it starts (kept apart so neither
// imports the other).
import type { Config } from "../config/config.ts";
import { type ClientStats as DbClientStats, statsArg, type SyncDb } from "../db/rpc.ts";
import type { WebhookQueueDb } from "../db/webhook-rpc.ts";
import type { PloomesClient } from "../ploomes/client.ts";
import type { ScheduleTimeout } from "../ploomes/timing.ts";
import type { WorkerClock } from "./budget.ts";

export interface RunnerDeps {
  readonly config: Config;
  readonly db: SyncDb;
  readonly ploomes: PloomesClient;
  readonly now: () => number;
  readonly log: (event: Record<string, unknown>) => void;
  readonly signal?: AbortSignal;
  /** Timer for lease heartbeats; injectable so tests control time. */
  readonly schedule?: ScheduleTimeout;
  /** The worker's age and CPU (see worker-clock.ts). */
  readonly worker: WorkerClock;
  /** The webhook queue's deletions to confirm; absent: none are checked. */
  readonly webhookQueue?: WebhookQueueDb;
}

export interface SyncOutcome {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** The client's counters that the run records (db/rpc.ts's ClientStats picks them). */
export function dbStats(ploomes: PloomesClient): DbClientStats {
  return statsArg(ploomes.stats());
}
