// One invocation of the sync: claim the lease, walk the pass from its saved position — a full
// pass in Id ranges paged concurrently, an incremental pass by one keyset — storing each page in
// its own transaction, then finish the pass in slices. The run ends succeeded (pass published),
// partial (time or CPU budget spent; the pass resumes later, also mid-finish), or failed (with a
// hint; nothing published, cursor unchanged). Returns the HTTP status and body the handler sends.
import { describeConfig, type Config } from "../config/config.ts";
import { parseDealPageToRows } from "../db/deal-payload.ts";
import { DatabaseError, type ClientStats as DbClientStats, type GrantedClaim, type RunSummary, statsArg, type SyncDb } from "../db/rpc.ts";
import type { SyncRequest } from "./request.ts";
import type { PloomesClient } from "../ploomes/client.ts";
import { PloomesHttpError } from "../ploomes/errors.ts";
import type { DealPage } from "../ploomes/pages.ts";
import { linkSignals, realScheduleTimeout, type ScheduleTimeout } from "../ploomes/timing.ts";
import { createBudget, pageDeadline, type Budget, type WorkerClock } from "./budget.ts";
import { describeFailure } from "./failure.ts";
import { finishInSlices } from "./finish.ts";
import { whileBeating } from "./heartbeat.ts";
import { type Lane, MAX_PAGES_WITHOUT_CPU_CLOCK, STOP_REASONS, walkLanes, type WalkEnd } from "./lanes.ts";
import { walkDocuments } from "./document-walk.ts";
import { planLineItems } from "./line-item-source.ts";
import { createPassWalk } from "./pass-walk.ts";
import { passStart, type PassStart } from "./positions.ts";
import { sourceIdentity } from "./source.ts";

const HTTP_FORBIDDEN = 403;
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

/** The client's counters that the run records (db/rpc.ts's ClientStats picks them). */
function dbStats(ploomes: PloomesClient): DbClientStats {
  return statsArg(ploomes.stats());
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
        error: failure.error, hint: failure.hint, ploomesStatus: failure.ploomesStatus,
        durationMs: deps.now() - startedAtMs,
        ...(recordError ? { recordError } : {}),
      },
    };
  }
}

async function runPass(deps: RunnerDeps, claim: GrantedClaim, startedAtMs: number, leaseSeconds: number): Promise<SyncOutcome> {
  const { config, db, ploomes, log } = deps;
  const budget = createBudget({
    startedAtMs, budgetMs: config.sync.timeBudgetMs, requestTimeoutMs: config.ploomes.requestTimeoutMs,
    worker: deps.worker, cpuBudgetMs: config.sync.cpuBudgetMs, maxPagesWithoutCpuClock: MAX_PAGES_WITHOUT_CPU_CLOCK,
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
      const walked = await whileBeating(heartbeat, () => walkDealsAndLines(deps, claim, budget, run.signal, leaseSeconds));
      if (walked.kind === "stopped") return await endPartial(walked.reason);
    }
    const summary = await finishInSlices({
      db, runId: claim.runId, stats: () => dbStats(ploomes), budget, now: deps.now,
      maxRejectRatio: config.sync.maxRejectRatio, maxDeleteRatio: config.sync.maxDeleteRatio,
    });
    if (summary === null) return await endPartial(`${STOP_REASONS.time}, while finishing the pass`);
    const cpu = invocationCpu(deps.worker, budget.cpuAtStartMs);
    log({ event: "run-end", runId: claim.runId, status: summary.status, pages: summary.pages, customersChanged: summary.customersChanged, ...cpu });
    return outcomeOf(summary, startedAtMs, deps.now(), cpu);
  } finally {
    run.dispose();
  }
}

/**
 * Decides (once per pass) where line items come from, then walks the deals and — when line items
 * come from orders or quotes — those at the same time: each walk has its own lanes and position,
 * the token bucket gates both, and the first error stops both. A resumed walk that had ended ends
 * again at once (a full pass's ranges are all done) or after its confirming requests (incremental).
 */
async function walkDealsAndLines(deps: RunnerDeps, claim: GrantedClaim, budget: Budget, runSignal: AbortSignal, leaseSeconds: number): Promise<WalkEnd> {
  const { config, db, ploomes, log } = deps;
  const probe = { client: ploomes, signal: runSignal, deadlineMs: () => pageDeadline(budget, deps.now()) };
  const lines = await planLineItems(db, claim.runId, { configured: config.ploomes.lineItemsSource, mode: claim.mode }, probe);
  if (lines.decidedNow) log({ event: "line-items", runId: claim.runId, source: lines.source, reason: lines.reason });

  const together = linkSignals([runSignal]);
  let firstError: { error: unknown } | null = null;
  const stopOthers = (error: unknown): never => {
    firstError ??= { error };
    together.controller.abort(error);
    throw error;
  };
  // (Deals are walked with Products only when they are the source, so a 403 from this walk's
  // fallback never meets one from an orders or quotes walk.)
  const walks = [walkPass(deps, claim, budget, together.signal, leaseSeconds, lines.source === "deals").catch(stopOthers)];
  if (!claim.dryRun && (lines.source === "orders" || lines.source === "quotes")) {
    const walkDeps = { db, ploomes, now: deps.now, log, cpuUsedMs: () => deps.worker.cpuUsedMs(), stats: () => dbStats(ploomes) };
    walks.push(walkDocuments(walkDeps, {
      runId: claim.runId, kind: lines.source, mode: claim.mode, position: lines.linesPosition, since: claim.since,
      pageSize: config.ploomes.pageSize, requestsPerMinute: config.ploomes.requestsPerMinute, leaseSeconds,
      ...(lines.maxId === undefined ? {} : { knownMaxId: lines.maxId }),
    }, budget, together.signal).catch(stopOthers));
  }
  try {
    // Every walk settles (an aborted one after its page in hand is dealt with) before the run goes on.
    const settled = await Promise.allSettled(walks);
    if (firstError !== null) throw (firstError as { error: unknown }).error;
    const ends = settled.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
    return ends.find((end) => end.kind === "stopped") ?? { kind: "ended" };
  } finally {
    together.dispose();
  }
}

/**
 * Walks the pass's lanes — every open one at once, after a first page alone when a new full pass
 * must cut its ranges or a Products fallback must be confirmed — and retries without the
 * Products expansion when Ploomes refuses it.
 */
async function walkPass(
  deps: RunnerDeps, claim: GrantedClaim, budget: Budget, runSignal: AbortSignal, leaseSeconds: number, wantsProducts: boolean,
): Promise<WalkEnd> {
  const { config, db, ploomes, log } = deps;
  let start: PassStart = passStart(claim);
  // Deals carry line items only when they are the pass's source (and Ploomes has not refused them).
  let includeProducts = wantsProducts && claim.productsAvailable;
  let productsFallbackTried = !includeProducts;
  let productsWarning: string | null = null;
  // The fallback is confirmed by the first answer without the expansion: a stored page, or the end.
  const recordProductsWarning = async (): Promise<void> => {
    if (productsWarning === null) return;
    await db.disableProducts(claim.runId, productsWarning);
    log({ event: "products-disabled", runId: claim.runId });
    productsWarning = null;
  };

  for (;;) {
    // One attempt per query shape: a Products fallback starts the lanes again where they stood.
    const attempt = linkSignals([runSignal]);
    const walk = createPassWalk(start, {
      client: ploomes, pageSize: config.ploomes.pageSize, includeProducts, requestsPerMinute: config.ploomes.requestsPerMinute,
      signal: attempt.signal, deadlineMs: () => pageDeadline(budget, deps.now()),
    });
    const products = includeProducts;
    const hooks = {
      ended: (lane: Lane) => walk.ended(lane),
      store: async (lane: Lane, page: DealPage<unknown>, fetchMs: number) => {
        const position = await walk.positionAfter(lane, page, fetchMs);
        // Validated and mapped in one step to the rows sync_ingest_page reads (db/deal-payload.ts).
        const { rows, rejects } = parseDealPageToRows(page.values, products);
        const stored = await db.ingestPage({
          runId: claim.runId, rows, position, range: lane.range, rejects, warnings: page.warnings,
          stats: dbStats(ploomes), leaseSeconds,
        });
        walk.commit(position);
        await recordProductsWarning();
        log({
          event: "page", runId: claim.runId, page: budget.pagesDone + 1, range: lane.range, deals: stored.stored,
          rejected: stored.rejected, fetchMs, ...(page.warnings.length > 0 ? { warnings: page.warnings } : {}),
        });
      },
    };
    const context = {
      budget, now: deps.now, cpuUsedMs: () => deps.worker.cpuUsedMs(), signal: attempt.signal,
      abort: (reason: unknown) => attempt.controller.abort(reason),
    };
    try {
      // A retry without Products replaces the refused request, which the budget had allowed: it
      // goes regardless, or the warning would be lost and the next run would meet the same 403.
      const retrying = productsWarning !== null;
      // One page alone first when its answer decides what follows: a new full pass cuts its
      // ranges by it, a retry without Products confirms the fallback. A resumed pass's ranges
      // start at once (a 403 there ends every lane and comes back here all the same).
      if (retrying || (start.mode === "full" && start.ranges === null)) {
        const probe = await walkLanes(walk.lanes().slice(0, 1), { ...context, pageLimit: 1, firstPageAllowed: retrying }, hooks);
        if (probe.kind === "ended") await recordProductsWarning();
        if (probe.kind === "stopped") return probe;
      }
      return await walkLanes(walk.lanes(), context, hooks);
    } catch (error) {
      if (error instanceof PloomesHttpError && error.status === HTTP_FORBIDDEN && includeProducts && !productsFallbackTried) {
        // Ploomes uses 403 for refused expansions and for bad keys alike: retry without the
        // Products expansion; if that works, it was the expansion (a warning, not a failure).
        productsFallbackTried = true;
        includeProducts = false;
        productsWarning = `Ploomes refused the Products expansion (${error.message}); this pass continues without line items, so products and custom-pricing metrics keep their last known values.`;
        start = walk.current();
        continue;
      }
      throw error;
    } finally {
      attempt.dispose();
    }
  }
}
