// Walks a pass's lanes concurrently — the Id ranges of a full pass, or the single keyset of an
// incremental pass — and stores each page as it lands. Pages are stored one at a time (each store
// commits the whole pass position, so the stores must not overtake each other); requests overlap,
// and the Ploomes client's token bucket stays the only gate on the rate. Before each request a
// lane asks the budget whether the page (and the pages still in flight) can still end in time and
// within the CPU budget; when not, the lane stops and the walk reports why once every lane has
// settled. The first error stops every lane and is the walk's error.
import type { DealPage } from "../ploomes/pages.ts";
import { BudgetExceededError } from "../ploomes/errors.ts";
import { type Budget, recordPage, type StopReason, stopReason } from "./budget.ts";

/** Without a CPU clock: pages per invocation that stay well under 1 s of CPU (~12–20 ms a page). */
export const MAX_PAGES_WITHOUT_CPU_CLOCK = 40;

/** What a `partial` run says about why it stopped. */
export const STOP_REASONS: Readonly<Record<StopReason, string>> = {
  time: "time budget (SYNC_TIME_BUDGET_MS or the worker's remaining wall clock)",
  cpu: "CPU budget (SYNC_CPU_BUDGET_MS for this invocation, and 2 s per worker, where the Edge Runtime kills it)",
  pages: `page cap without a CPU clock (${MAX_PAGES_WITHOUT_CPU_CLOCK} pages)`,
};

export interface Lane {
  /** Full pass: the index of the range this lane walks (sent with each page). Incremental: null. */
  readonly range: number | null;
  readonly pages: AsyncGenerator<DealPage<unknown>, void, undefined>;
}

export interface LaneHooks {
  /** Stores one page of `lane`; never called concurrently. `fetchMs`: how long the page took to arrive. */
  store(lane: Lane, page: DealPage<unknown>, fetchMs: number): Promise<void>;
  /** The lane answered its end (no more pages in its span). */
  ended(lane: Lane): void;
}

export interface WalkContext {
  readonly budget: Budget;
  readonly now: () => number;
  readonly cpuUsedMs: () => number | null;
  readonly signal: AbortSignal;
  /** Stops the other lanes after an error (aborts the signal above). */
  readonly abort: (reason: unknown) => void;
  /** Stop after this many pages in all (the probe page of an invocation); no limit by default. */
  readonly pageLimit?: number;
  /**
   * The first page goes whatever the budget says: it replaces a request the budget already
   * allowed (the retry without the Products expansion after a 403).
   */
  readonly firstPageAllowed?: boolean;
}

/** `ended`: every lane answered its end. `limit`: pageLimit reached. Otherwise why the walk stopped. */
export type WalkEnd = { readonly kind: "ended" } | { readonly kind: "limit" } | {
  readonly kind: "stopped";
  readonly reason: string;
};

export async function walkLanes(lanes: readonly Lane[], context: WalkContext, hooks: LaneHooks): Promise<WalkEnd> {
  const { budget, now, signal } = context;
  let started = 0;
  // This walk's pages in flight, not those of a walk alongside (orders with deals): reserving CPU
  // for both made each invocation stop early and drain slowly (fullPass30k 1.30× the floor against
  // 1.08×), while the overshoot it risks — the other walk's pages — stays well inside the margin
  // between SYNC_CPU_BUDGET_MS (800 ms) and the runtime's 1 s retirement.
  let inFlight = 0;
  let limitReached = false;
  const stops: string[] = [];
  const errors: unknown[] = [];
  let storing: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(work: () => Promise<T>): Promise<T> => {
    const run = storing.then(work);
    storing = run.catch(() => undefined);
    return run;
  };

  const drive = async (lane: Lane): Promise<void> => {
    for (;;) {
      if (signal.aborted) return;
      if (context.pageLimit !== undefined && started >= context.pageLimit) {
        limitReached = true;
        return;
      }
      const startedAt = now();
      const stop = context.firstPageAllowed === true && started === 0 ? null : stopReason(budget, startedAt, inFlight);
      if (stop !== null) {
        stops.push(STOP_REASONS[stop]);
        return;
      }
      started += 1;
      inFlight += 1;
      try {
        const next = await lane.pages.next();
        if (next.done) {
          hooks.ended(lane);
          return;
        }
        const fetchMs = now() - startedAt;
        // A page that lands after another lane failed is not stored: the walk has already ended.
        const stored = await oneAtATime(async () => {
          if (signal.aborted) return false;
          await hooks.store(lane, next.value, fetchMs);
          return true;
        });
        if (!stored) return;
        recordPage(budget, now() - startedAt, averagePageCpu(budget, context.cpuUsedMs()));
      } catch (error) {
        if (signal.aborted && errors.length > 0) return; // a consequence of the first error
        if (error instanceof BudgetExceededError && budget.pagesDone > 0) {
          stops.push(`${STOP_REASONS.time}, reached while waiting on Ploomes`);
          return;
        }
        errors.push(error);
        context.abort(error);
        return;
      } finally {
        inFlight -= 1;
      }
    }
  };

  await Promise.all(lanes.map(drive));
  if (errors.length > 0) throw errors[0];
  if (signal.aborted) throw signal.reason;
  const firstStop = stops[0];
  if (firstStop !== undefined) return { kind: "stopped", reason: firstStop };
  return limitReached ? { kind: "limit" } : { kind: "ended" };
}

/**
 * CPU per page so far, including this one: with lanes in flight a page's own CPU cannot be told
 * from its neighbours', so the budget works with the average (times its margin).
 */
function averagePageCpu(budget: Budget, cpuNow: number | null): number | null {
  if (cpuNow === null || budget.cpuAtStartMs === null) return null;
  return (cpuNow - budget.cpuAtStartMs) / (budget.pagesDone + 1);
}
