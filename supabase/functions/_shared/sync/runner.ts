// One invocation of the sync: claim the lease, walk the pass from its saved position — a full
// pass in Id ranges paged concurrently, an incremental pass by one keyset — storing each page in
// its own transaction, then finish the pass in slices. The run ends succeeded (pass published),
// partial (time or CPU budget spent; the pass resumes later, also mid-finish), or failed (with a
// hint; nothing published, cursor unchanged). Returns the HTTP status and body the handler sends.
import { describeConfig } from "../config/config.ts";
import { DatabaseError, type GrantedClaim, type RunSummary } from "../db/rpc.ts";
import { linkSignals, realScheduleTimeout } from "../ploomes/timing.ts";
import { type Budget, createBudget, stopReason, type WorkerClock } from "./budget.ts";
import { dbStats, type RunnerDeps, type SyncOutcome } from "./deps.ts";
import { describeFailure } from "./failure.ts";
import { finishInSlices } from "./finish.ts";
import { whileBeating } from "./heartbeat.ts";
import { MAX_PAGES_WITHOUT_CPU_CLOCK, STOP_REASONS } from "./lanes.ts";
import type { SyncRequest } from "./request.ts";
import { sourceIdentity } from "./source.ts";
import { walkDealsAndLines } from "./walks.ts";
import { confirmWebhookDeletions } from "./webhook-deletions.ts";

export type { RunnerDeps, SyncOutcome };

/** A lease outlives a silent holder by two request timeouts (docs/operations.md), then may be taken over. */
const LEASE_PAGE_TIMEOUTS = 2;

/** CPU this invocation used, when the runtime can tell. */
function invocationCpu(worker: WorkerClock, cpuAtStart: number | null): { cpuMs?: number } {
  const now = worker.cpuUsedMs();
  return now === null || cpuAtStart === null ? {} : { cpuMs: Math.round(now - cpuAtStart) };
}

function outcomeOf(
  summary: RunSummary,
  startedAtMs: number,
  now: number,
  extra: Record<string, unknown> = {},
): SyncOutcome {
  const status = summary.status === "failed" ? 502 : 200;
  return { status, body: { ...summary, durationMs: now - startedAtMs, ...extra } };
}

export async function runSync(deps: RunnerDeps, request: SyncRequest): Promise<SyncOutcome> {
  const { config, db, log } = deps;
  const startedAtMs = deps.now();
  const leaseSeconds = Math.ceil((LEASE_PAGE_TIMEOUTS * config.ploomes.requestTimeoutMs) / 1000);
  const claim = await db.claim({
    trigger: request.trigger,
    mode: request.mode,
    dryRun: request.dryRun,
    leaseSeconds,
    fullEveryHours: config.sync.fullEveryHours,
    overlapSeconds: config.sync.overlapSeconds,
    source: await sourceIdentity(config.ploomes.baseUrl, config.ploomes.apiKey),
  });
  if (!claim.claimed) {
    log({ event: "skipped", runId: claim.runId, holderRunId: claim.holderRunId });
    return {
      status: 409,
      body: {
        runId: claim.runId,
        status: "skipped",
        error: `another run (${claim.holderRunId}) is in progress`,
        holderRunId: claim.holderRunId,
        leaseExpiresAt: claim.leaseExpiresAt,
        hint: "Only one sync runs at a time; this request did nothing. The running pass continues on its own.",
      },
    };
  }
  // The settings in force (secrets shown only by length), so a log line answers "with what?".
  log({
    event: "run-start",
    runId: claim.runId,
    mode: claim.mode,
    resumed: claim.resumed,
    dryRun: claim.dryRun,
    trigger: request.trigger,
    settings: describeConfig(config),
  });
  try {
    return await runPass(deps, claim, startedAtMs, leaseSeconds);
  } catch (error) {
    const failure = describeFailure(error);
    log({ event: "run-failed", runId: claim.runId, error: failure.error });
    let summary: RunSummary | null = null;
    let recordError: string | null = null;
    try {
      summary = await db.failRun(claim.runId, failure.error, failure.hint, failure.status, dbStats(deps.ploomes));
    } catch (recordFailure) {
      // The original error is what the caller needs; the failed bookkeeping is reported with it.
      recordError = describeFailure(recordFailure).error;
    }
    return {
      status: failure.status,
      body: {
        ...(summary ?? { runId: claim.runId, status: "failed" }),
        error: failure.error,
        hint: failure.hint,
        ploomesStatus: failure.ploomesStatus,
        durationMs: deps.now() - startedAtMs,
        ...(recordError ? { recordError } : {}),
      },
    };
  }
}

/**
 * After an incremental walk, the deals webhooks announced deleted are looked up by Id (the walk
 * cannot see a deletion). Skipped by dry runs, full passes (their sweep proves every deletion) and
 * a run without time left: the announcements stay queued for the next run.
 */
async function checkAnnouncedDeletions(
  deps: RunnerDeps,
  claim: GrantedClaim,
  budget: Budget,
  signal: AbortSignal,
): Promise<void> {
  if (!deps.webhookQueue || claim.mode !== "incremental" || claim.dryRun) return;
  if (stopReason(budget, deps.now()) !== null) return;
  const checked = await confirmWebhookDeletions(deps.webhookQueue, deps.ploomes, claim.runId, {
    signal,
    deadlineMs: budget.deadlineMs,
  });
  if (checked.checked > 0) deps.log({ event: "webhook-deletions", runId: claim.runId, ...checked });
}

async function runPass(
  deps: RunnerDeps,
  claim: GrantedClaim,
  startedAtMs: number,
  leaseSeconds: number,
): Promise<SyncOutcome> {
  const { config, db, ploomes, log } = deps;
  const budget = createBudget({
    startedAtMs,
    budgetMs: config.sync.timeBudgetMs,
    requestTimeoutMs: config.ploomes.requestTimeoutMs,
    worker: deps.worker,
    cpuBudgetMs: config.sync.cpuBudgetMs,
    maxPagesWithoutCpuClock: MAX_PAGES_WITHOUT_CPU_CLOCK,
  });
  // Aborted by the caller, or by a heartbeat that finds the lease taken over.
  const run = linkSignals([deps.signal]);
  const endPartial = async (reason: string): Promise<SyncOutcome> => {
    const summary = await db.endPartial(claim.runId, dbStats(ploomes));
    const cpu = invocationCpu(deps.worker, budget.cpuAtStartMs);
    log({ event: "run-partial", runId: claim.runId, pages: budget.pagesDone, reason, ...cpu });
    return outcomeOf(summary, startedAtMs, deps.now(), { stoppedBy: reason, ...cpu });
  };
  const heartbeat = {
    leaseSeconds,
    beat: () => db.heartbeat(claim.runId, leaseSeconds, dbStats(ploomes)),
    isLeaseLost: (error: unknown) => error instanceof DatabaseError && error.leaseLost,
    onLost: (error: unknown) => run.controller.abort(error),
    onFailedBeat: (error: unknown) =>
      log({ event: "heartbeat-failed", runId: claim.runId, error: describeFailure(error).error }),
    schedule: deps.schedule ?? realScheduleTimeout,
  };

  try {
    // A pass whose finish has begun only has its finish left.
    if (claim.finishing !== true) {
      const walked = await whileBeating(
        heartbeat,
        () => walkDealsAndLines(deps, claim, budget, run.signal, leaseSeconds),
      );
      if (walked.kind === "stopped") return await endPartial(walked.reason);
      await checkAnnouncedDeletions(deps, claim, budget, run.signal);
    }
    const summary = await finishInSlices({
      db,
      runId: claim.runId,
      stats: () => dbStats(ploomes),
      budget,
      now: deps.now,
      maxRejectRatio: config.sync.maxRejectRatio,
      maxDeleteRatio: config.sync.maxDeleteRatio,
    });
    if (summary === null) return await endPartial(`${STOP_REASONS.time}, while finishing the pass`);
    const cpu = invocationCpu(deps.worker, budget.cpuAtStartMs);
    log({
      event: "run-end",
      runId: claim.runId,
      status: summary.status,
      pages: summary.pages,
      customersChanged: summary.customersChanged,
      ...cpu,
    });
    return outcomeOf(summary, startedAtMs, deps.now(), cpu);
  } finally {
    run.dispose();
  }
}
