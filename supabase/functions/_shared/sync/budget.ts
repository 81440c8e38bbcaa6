// Time-budget arithmetic for one invocation (pure). The Edge Runtime stops a request at 150 s of
// wall clock, so an invocation fetches pages only while the next one is expected to finish
// within SYNC_TIME_BUDGET_MS, then commits its position and answers `partial`.

/** Pages are never estimated faster than this, so a lucky fast page cannot lure us past the budget. */
export const MIN_PAGE_ESTIMATE_MS = 50;
/** Estimate = slowest page so far × this margin. */
export const PAGE_ESTIMATE_MARGIN = 1.5;

export interface Budget {
  readonly startedAtMs: number;
  readonly deadlineMs: number;
  readonly requestTimeoutMs: number;
  /** The slowest page seen so far (fetch + store), in ms. */
  slowestPageMs: number;
  pagesDone: number;
}

export function createBudget(startedAtMs: number, budgetMs: number, requestTimeoutMs: number): Budget {
  return { startedAtMs, deadlineMs: startedAtMs + budgetMs, requestTimeoutMs, slowestPageMs: 0, pagesDone: 0 };
}

export function recordPage(budget: Budget, durationMs: number): void {
  budget.slowestPageMs = Math.max(budget.slowestPageMs, durationMs);
  budget.pagesDone += 1;
}

/**
 * Whether to fetch another page. The first page of an invocation is always fetched: a budget
 * shorter than one page must still make progress, or a pass could never finish.
 */
export function shouldFetchNextPage(budget: Budget, nowMs: number): boolean {
  if (budget.pagesDone === 0) return true;
  const estimate = Math.max(budget.slowestPageMs * PAGE_ESTIMATE_MARGIN, MIN_PAGE_ESTIMATE_MS);
  return nowMs + estimate <= budget.deadlineMs;
}

/**
 * The deadline handed to the Ploomes client for the next page: the budget's, except for the
 * first page, which may use one full request timeout (see shouldFetchNextPage).
 */
export function pageDeadline(budget: Budget, nowMs: number): number {
  return budget.pagesDone === 0 ? Math.max(budget.deadlineMs, nowMs + budget.requestTimeoutMs) : budget.deadlineMs;
}
