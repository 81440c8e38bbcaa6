// One invocation of the sync: claim the lease, walk Ploomes pages from the pass's saved position,
// store each page in its own transaction, and end the run — succeeded (pass complete and
// published), partial (time budget spent; the pass resumes later), or failed (with a hint;
// nothing published, cursor unchanged). Returns the HTTP status and body the handler sends.
import { describeConfig, type Config } from "../config/config.ts";
import { DatabaseError, type ClientStats as DbClientStats, type GrantedClaim, type RunSummary, type SyncDb } from "../db/rpc.ts";
import type { SyncRequest } from "../http/request-body.ts";
import type { PloomesClient } from "../ploomes/client.ts";
import { parseDealPage, toDealRow } from "../ploomes/deal-schema.ts";
import { BudgetExceededError, PloomesHttpError } from "../ploomes/errors.ts";
import type { FullPosition, IncrementalPosition } from "../ploomes/odata.ts";
import { fetchDealPages, type DealPage } from "../ploomes/pages.ts";
import { linkSignals, realScheduleTimeout, type ScheduleTimeout } from "../ploomes/timing.ts";
import { createBudget, pageDeadline, recordPage, stopReason, type Budget, type StopReason, type WorkerClock } from "./budget.ts";
import { describeFailure } from "./failure.ts";
import { whileBeating } from "./heartbeat.ts";
import { passStart } from "./positions.ts";
import { sourceIdentity } from "./source.ts";

const HTTP_FORBIDDEN = 403;
/** Without a CPU clock: pages per invocation that stay well under 1 s of CPU (~12–20 ms a page). */
const MAX_PAGES_WITHOUT_CPU_CLOCK = 40;
/** What a `partial` run says about why it stopped. */
const STOP_REASONS: Readonly<Record<StopReason, string>> = {
  time: "time budget (SYNC_TIME_BUDGET_MS or the worker's remaining wall clock)",
  cpu: "CPU budget (SYNC_CPU_BUDGET_MS for this invocation, and 2 s per worker, where the Edge Runtime kills it)",
  pages: `page cap without a CPU clock (${MAX_PAGES_WITHOUT_CPU_CLOCK} pages)`,
};
/** A lease outlives a silent holder by two request timeouts (docs/operations.md), then may be taken over. */
const LEASE_PAGE_TIMEOUTS = 2;

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
}

export interface SyncOutcome {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

type Position = FullPosition | IncrementalPosition;

function dbStats(ploomes: PloomesClient): DbClientStats {
  const s = ploomes.stats();
  return { requests: s.requests, retries: s.retries, throttledWaits: s.throttledWaits };
}

/** CPU this invocation used, when the runtime can tell. */
function invocationCpu(worker: WorkerClock, cpuAtStart: number | null): { cpuMs?: number } {
  const now = worker.cpuUsedMs();
  return now === null || cpuAtStart === null ? {} : { cpuMs: Math.round(now - cpuAtStart) };
}

function outcomeOf(summary: RunSummary, startedAtMs: number, now: number, extra: Record<string, unknown> = {}): SyncOutcome {
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
        runId: claim.runId, status: "skipped", error: `another run (${claim.holderRunId}) is in progress`,
        holderRunId: claim.holderRunId, leaseExpiresAt: claim.leaseExpiresAt,
        hint: "Only one sync runs at a time; this request did nothing. The running pass continues on its own.",
      },
    };
  }
  // The settings in force (secrets shown only by length), so a log line answers "with what?".
  log({ event: "run-start", runId: claim.runId, mode: claim.mode, resumed: claim.resumed, dryRun: claim.dryRun, trigger: request.trigger, settings: describeConfig(config) });
  try {
    return await walkPass(deps, claim, startedAtMs, leaseSeconds);
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
        error: failure.error, hint: failure.hint, ploomesStatus: failure.ploomesStatus,
        durationMs: deps.now() - startedAtMs,
        ...(recordError ? { recordError } : {}),
      },
    };
  }
}

async function walkPass(deps: RunnerDeps, claim: GrantedClaim, startedAtMs: number, leaseSeconds: number): Promise<SyncOutcome> {
  const { config, db, ploomes, log } = deps;
  const start = passStart(claim);
  const budget: Budget = createBudget({
    startedAtMs, budgetMs: config.sync.timeBudgetMs, requestTimeoutMs: config.ploomes.requestTimeoutMs,
    worker: deps.worker, cpuBudgetMs: config.sync.cpuBudgetMs, maxPagesWithoutCpuClock: MAX_PAGES_WITHOUT_CPU_CLOCK,
  });
  // Aborted by the caller, or by a heartbeat that finds the lease taken over.
  const run = linkSignals([deps.signal]);
  let position: Position = start.position;
  let includeProducts = claim.productsAvailable;
  let productsFallbackTried = !includeProducts;
  let productsWarning: string | null = null;
  let pages: AsyncGenerator<DealPage<Position>, void, undefined> | null = null;
  let pagesDeadline = 0;
  // Pages stored so far stay; the pass stays in progress at its saved position.
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
    for (;;) {
      const now = deps.now();
      const cpuBeforePage = deps.worker.cpuUsedMs();
      // While a Products-expansion 403 awaits confirmation, the retry belongs to the same page.
      const stop = productsWarning === null ? stopReason(budget, now) : null;
      if (stop !== null) return await endPartial(STOP_REASONS[stop]);
      // The pager is rebuilt when its deadline changes (after the first page) or its query does
      // (products fallback); it resumes from the last stored position either way.
      const deadline = pageDeadline(budget, now);
      if (pages === null || deadline !== pagesDeadline) {
        pagesDeadline = deadline;
        pages = fetchDealPages({
          client: ploomes, mode: start.mode, position, pageSize: config.ploomes.pageSize, includeProducts,
          signal: run.signal, deadlineMs: deadline,
        });
      }

      let next: IteratorResult<DealPage<Position>, void>;
      try {
        const pager = pages;
        next = await whileBeating(heartbeat, () => pager.next());
      } catch (error) {
        if (error instanceof PloomesHttpError && error.status === HTTP_FORBIDDEN && includeProducts && !productsFallbackTried) {
          // Ploomes uses 403 for refused expansions and for bad keys alike: retry without the
          // Products expansion; if that works, it was the expansion (a warning, not a failure).
          productsFallbackTried = true;
          includeProducts = false;
          productsWarning = `Ploomes refused the Products expansion (${error.message}); this pass continues without line items, so products and custom-pricing metrics keep their last known values.`;
          pages = null;
          continue;
        }
        if (error instanceof BudgetExceededError && budget.pagesDone > 0) return await endPartial(`${STOP_REASONS.time}, reached while waiting on Ploomes`);
        throw error;
      }
      if (productsWarning !== null) {
        await db.disableProducts(claim.runId, productsWarning);
        log({ event: "products-disabled", runId: claim.runId });
        productsWarning = null;
      }
      // The pager ends only on a confirmed empty page: the pass is complete.
      if (next.done) break;

      const page = next.value;
      const { deals, rejects } = parseDealPage(page.values);
      const rows = deals.map((deal) => toDealRow(deal, includeProducts));
      const stored = await db.ingestPage(claim.runId, rows, page.nextPosition, rejects, page.warnings, dbStats(ploomes), leaseSeconds);
      position = page.nextPosition;
      const cpuAfter = deps.worker.cpuUsedMs();
      recordPage(budget, deps.now() - now, cpuAfter === null || cpuBeforePage === null ? null : cpuAfter - cpuBeforePage);
      log({
        event: "page", runId: claim.runId, page: budget.pagesDone, deals: stored.stored, rejected: stored.rejected,
        ms: deps.now() - now, ...(page.warnings.length > 0 ? { warnings: page.warnings } : {}),
      });
    }
  } finally {
    run.dispose();
  }

  const summary = await db.finishPass(claim.runId, dbStats(ploomes), config.sync.maxRejectRatio, config.sync.maxDeleteRatio);
  const cpu = invocationCpu(deps.worker, budget.cpuAtStartMs);
  log({ event: "run-end", runId: claim.runId, status: summary.status, pages: summary.pages, customersChanged: summary.customersChanged, ...cpu });
  return outcomeOf(summary, startedAtMs, deps.now(), cpu);
}
