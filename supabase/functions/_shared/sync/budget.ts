// Time and CPU budget arithmetic for one invocation (pure). The Edge Runtime limits a *worker*,
// not a request: its 150 s wall clock runs from the worker's start (a request may land on a
// worker with ~75 s left), and it retires the worker (no new requests) once it has used 1 s of
// CPU and kills it (546) at 2 s, counting every request the worker served. So an invocation
// fetches pages only while the next one is expected to end before the smaller of
// SYNC_TIME_BUDGET_MS and the worker's remaining life (less a margin to answer), while its own
// CPU stays under SYNC_CPU_BUDGET_MS, and while the worker's total stays clear of the kill; then
// it commits its position and answers `partial`. (A worker that took a request has used under
// 1 s, so 0.8 s more stays under 2 s.)

/** Pages are never estimated faster than this, so a lucky fast page cannot lure us past the budget. */
export const MIN_PAGE_ESTIMATE_MS = 50;
/** Estimate = slowest page so far × this margin (time and CPU alike). */
export const PAGE_ESTIMATE_MARGIN = 1.5;
/** The Edge Runtime's wall clock per worker (Free plan; paid plans allow more, so this is safe). */
export const WORKER_WALL_CLOCK_MS = 150_000;
/** Kept free at the end of the worker's life: answering and committing the run. */
export const WORKER_END_MARGIN_MS = 10_000;
/** The worker's CPU at which the runtime kills it (546), less a margin for answering. */
export const WORKER_CPU_CEILING_MS = 2_000 - 300;

/** What the invocation knows about its worker. */
export interface WorkerClock {
  /** Epoch ms when the function's module was loaded (the worker's start, as close as we can tell). */
  readonly startedAtMs: number;
  /** CPU ms the worker has used since then, or null when the runtime offers no CPU clock. */
  cpuUsedMs(): number | null;
}

export interface BudgetOptions {
  readonly startedAtMs: number;
  readonly budgetMs: number;
  readonly requestTimeoutMs: number;
  readonly worker: WorkerClock;
  /** This invocation's CPU at which to stop (SYNC_CPU_BUDGET_MS). */
  readonly cpuBudgetMs: number;
  /** Pages per invocation when there is no CPU clock (a conservative stand-in for measuring). */
  readonly maxPagesWithoutCpuClock: number;
}

export interface Budget {
  readonly startedAtMs: number;
  /** The smaller of the time budget and the worker's remaining life. */
  readonly deadlineMs: number;
  /** When the worker will be stopped, less the margin: no wait may run past it. */
  readonly workerEndMs: number;
  readonly requestTimeoutMs: number;
  readonly worker: WorkerClock;
  /** The worker's CPU when this invocation started (null without a CPU clock). */
  readonly cpuAtStartMs: number | null;
  readonly cpuBudgetMs: number;
  readonly maxPagesWithoutCpuClock: number;
  /** The slowest page seen so far (fetch + store), in ms. */
  slowestPageMs: number;
  /** The most CPU one page has cost so far, in ms. */
  costliestPageCpuMs: number;
  pagesDone: number;
}

export type StopReason = "time" | "cpu" | "pages";

export function createBudget(options: BudgetOptions): Budget {
  const workerEndMs = options.worker.startedAtMs + WORKER_WALL_CLOCK_MS - WORKER_END_MARGIN_MS;
  return {
    startedAtMs: options.startedAtMs,
    deadlineMs: Math.min(options.startedAtMs + options.budgetMs, workerEndMs),
    workerEndMs,
    requestTimeoutMs: options.requestTimeoutMs,
    worker: options.worker,
    cpuAtStartMs: options.worker.cpuUsedMs(),
    cpuBudgetMs: options.cpuBudgetMs,
    maxPagesWithoutCpuClock: options.maxPagesWithoutCpuClock,
    slowestPageMs: 0,
    costliestPageCpuMs: 0,
    pagesDone: 0,
  };
}

export function recordPage(budget: Budget, durationMs: number, cpuMs: number | null): void {
  budget.slowestPageMs = Math.max(budget.slowestPageMs, durationMs);
  if (cpuMs !== null) budget.costliestPageCpuMs = Math.max(budget.costliestPageCpuMs, cpuMs);
  budget.pagesDone += 1;
}

/**
 * Why no further page may be fetched, or null to go on. The first page of an invocation is
 * always fetched: a budget shorter than one page must still make progress, or a pass could
 * never finish (one page costs a few ms of CPU, far from the runtime's hard limit). Pages still in
 * flight (lanes walking concurrently) will cost their CPU too, and count against the cap.
 */
export function stopReason(budget: Budget, nowMs: number, pagesInFlight = 0): StopReason | null {
  if (budget.pagesDone === 0) return null;
  const estimate = Math.max(budget.slowestPageMs * PAGE_ESTIMATE_MARGIN, MIN_PAGE_ESTIMATE_MS);
  if (nowMs + estimate > budget.deadlineMs) return "time";
  const workerCpu = budget.worker.cpuUsedMs();
  if (workerCpu === null || budget.cpuAtStartMs === null) {
    return budget.pagesDone + pagesInFlight >= budget.maxPagesWithoutCpuClock ? "pages" : null;
  }
  const nextPageCpu = budget.costliestPageCpuMs * PAGE_ESTIMATE_MARGIN * (1 + pagesInFlight);
  const overBudget = workerCpu - budget.cpuAtStartMs + nextPageCpu > budget.cpuBudgetMs;
  const nearKill = workerCpu + nextPageCpu > WORKER_CPU_CEILING_MS;
  return overBudget || nearKill ? "cpu" : null;
}

/**
 * The deadline handed to the Ploomes client for the next page: the budget's, except for the
 * first page, which may use one full request timeout (see stopReason) — but never past the
 * worker's end, where the runtime would kill the request.
 */
export function pageDeadline(budget: Budget, nowMs: number): number {
  if (budget.pagesDone > 0) return budget.deadlineMs;
  return Math.min(Math.max(budget.deadlineMs, nowMs + budget.requestTimeoutMs), budget.workerEndMs);
}
