// Finishing a pass: sync_finish_pass does a bounded slice of work per call (guards, sweep,
// recompute, refresh; see the migration 20261201000800_finish_in_steps.sql) and answers
// `running` until the pass is published, so no statement grows with the account. This calls it
// until it is done, or until the time budget says the next call might not end in time: then the
// run ends partial and the continuation resumes the finish.
import type { ClientStats, FinishStep, SyncDb } from "../db/rpc.ts";
import { type Budget, PAGE_ESTIMATE_MARGIN } from "./budget.ts";

export interface FinishOptions {
  readonly db: SyncDb;
  readonly runId: number;
  readonly stats: () => ClientStats;
  readonly maxRejectRatio: number;
  readonly maxDeleteRatio: number;
  readonly budget: Budget;
  readonly now: () => number;
}

/** The final run summary, or null when the budget ran out before the finish was done. */
export async function finishInSlices(options: FinishOptions): Promise<FinishStep | null> {
  const { db, budget, now } = options;
  let slowestCallMs = 0;
  for (let calls = 0;; calls += 1) {
    // The first call always goes: a finish must make progress even on a spent budget.
    if (calls > 0 && now() + slowestCallMs * PAGE_ESTIMATE_MARGIN > budget.deadlineMs) return null;
    const startedAt = now();
    const step = await db.finishPass(options.runId, options.stats(), options.maxRejectRatio, options.maxDeleteRatio);
    slowestCallMs = Math.max(slowestCallMs, now() - startedAt);
    if (step.status !== "running") return step;
  }
}
