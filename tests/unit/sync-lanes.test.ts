// walkLanes: lanes page concurrently, their pages are stored one at a time, the first error stops
// every lane and is the walk's error, and a budget stop is reported once every lane has settled.
// Lanes here are scripted generators: each answer is a function the test controls (a page now, a
// page when the test resolves it, the end, or an error); nothing waits on real time.
import { describe, expect, it } from "vitest";
import { BudgetExceededError } from "../../supabase/functions/_shared/ploomes/errors.ts";
import type { DealPage } from "../../supabase/functions/_shared/ploomes/pages.ts";
import { createBudget, recordPage } from "../../supabase/functions/_shared/sync/budget.ts";
import {
  type Lane,
  type LaneHooks,
  STOP_REASONS,
  type WalkContext,
  walkLanes,
} from "../../supabase/functions/_shared/sync/lanes.ts";
import { createFakeWorker, createManualClock, T0 } from "./sync-fakes.ts";

/** Lets every pending promise callback run. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}
function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  let reject: (reason: unknown) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const dealPage = (lastId: number): DealPage<unknown> => ({
  values: [{ Id: lastId }],
  nextPosition: { lastId },
  url: `https://example.test/Deals?after=${lastId}`,
  warnings: [],
});

/** One answer of a lane: a page, or null for the end; may reject. */
type Answer = () => Promise<DealPage<unknown> | null>;
const now = (lastId: number): Answer => () => Promise.resolve(dealPage(lastId));
const end: Answer = () => Promise.resolve(null);

interface ScriptedLane {
  readonly lane: Lane;
  /** How many pages the walk asked this lane for. */
  asked(): number;
}

function scriptedLane(range: number | null, answers: readonly Answer[]): ScriptedLane {
  let asked = 0;
  async function* pages(): AsyncGenerator<DealPage<unknown>, void, undefined> {
    for (;;) {
      const answer = answers[asked];
      asked += 1;
      if (answer === undefined) throw new Error(`lane ${String(range)} asked for answer #${asked} beyond its script`);
      const page = await answer();
      if (page === null) return;
      yield page;
    }
  }
  return { lane: { range, pages: pages() }, asked: () => asked };
}

/** A lane with a page of Id `first`, `first + 1`, … for as long as it is asked. */
function endlessLane(range: number, first: number): ScriptedLane {
  let asked = 0;
  async function* pages(): AsyncGenerator<DealPage<unknown>, void, undefined> {
    for (;;) {
      asked += 1;
      yield dealPage(first + asked - 1);
    }
  }
  return { lane: { range, pages: pages() }, asked: () => asked };
}

/** Rejects with the signal's reason once it aborts (a request cut by the walk's abort). */
const untilAborted = (signal: AbortSignal): Answer => () =>
  new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });

interface Harness {
  readonly context: WalkContext;
  readonly clock: ReturnType<typeof createManualClock>;
  readonly controller: AbortController;
  /** Every stored page as `range:lastId`, in the order stored. */
  readonly stored: string[];
  readonly fetchMs: number[];
  readonly ended: (number | null)[];
  hooks(store?: (lane: Lane, page: DealPage<unknown>) => Promise<void>): LaneHooks;
}

/** A walk context on a manual clock: 1 000 ms budget by default, CPU clock at 0 (or none). */
function harness(
  options: { budgetMs?: number; withCpuClock?: boolean; maxPagesWithoutCpuClock?: number } = {},
): Harness {
  const clock = createManualClock(T0);
  const worker = createFakeWorker(T0, options.withCpuClock ?? true);
  const budget = createBudget({
    startedAtMs: T0,
    budgetMs: options.budgetMs ?? 1_000,
    requestTimeoutMs: 30_000,
    worker,
    cpuBudgetMs: 800,
    maxPagesWithoutCpuClock: options.maxPagesWithoutCpuClock ?? 40,
  });
  const controller = new AbortController();
  const stored: string[] = [];
  const fetchMs: number[] = [];
  const ended: (number | null)[] = [];
  return {
    context: {
      budget,
      now: clock.now,
      cpuUsedMs: () => worker.cpuUsedMs(),
      signal: controller.signal,
      abort: (reason) => controller.abort(reason),
    },
    clock,
    controller,
    stored,
    fetchMs,
    ended,
    hooks: (store) => ({
      store: async (lane, page, ms) => {
        await store?.(lane, page);
        stored.push(`${String(lane.range)}:${String((page.nextPosition as { lastId: number }).lastId)}`);
        fetchMs.push(ms);
      },
      ended: (lane) => {
        ended.push(lane.range);
      },
    }),
  };
}

describe("walkLanes: storing", () => {
  it("stores pages one at a time, even when two lanes' pages land together", async () => {
    const h = harness({ budgetMs: 120_000 });
    const a = scriptedLane(0, [now(10), end]);
    const b = scriptedLane(1, [now(50), end]);
    const gates: Deferred<void>[] = [];
    let storing = 0;
    let mostAtOnce = 0;
    const walk = walkLanes(
      [a.lane, b.lane],
      h.context,
      h.hooks(async () => {
        storing += 1;
        mostAtOnce = Math.max(mostAtOnce, storing);
        const gate = deferred<void>();
        gates.push(gate);
        await gate.promise;
        storing -= 1;
      }),
    );

    await flush();
    // Both pages have landed; only one store has begun.
    expect(a.asked() + b.asked()).toBe(2);
    expect(gates).toHaveLength(1);
    gates[0]?.resolve();
    await flush();
    expect(gates).toHaveLength(2);
    expect(h.stored).toHaveLength(1);
    gates[1]?.resolve();

    expect(await walk).toEqual({ kind: "ended" });
    expect(mostAtOnce).toBe(1);
    expect([...h.stored].sort()).toEqual(["0:10", "1:50"]);
    expect([...h.ended].sort()).toEqual([0, 1]);
  });

  it("hands each store the time its page took to arrive", async () => {
    const h = harness({ budgetMs: 120_000 });
    const slowAnswer: Answer = async () => {
      h.clock.advance(700);
      return dealPage(1);
    };
    const lane = scriptedLane(null, [slowAnswer, end]);
    expect(await walkLanes([lane.lane], h.context, h.hooks())).toEqual({ kind: "ended" });
    expect(h.fetchMs).toEqual([700]);
    expect(h.context.budget.slowestPageMs).toBe(700);
    expect(h.context.budget.pagesDone).toBe(1);
  });

  it("no lanes: the walk has ended", async () => {
    const h = harness();
    expect(await walkLanes([], h.context, h.hooks())).toEqual({ kind: "ended" });
  });
});

describe("walkLanes: errors", () => {
  it("the first error aborts the other lanes and is thrown; their abort is not reported", async () => {
    const h = harness({ budgetMs: 120_000 });
    const refused = new Error("403 from lane 0");
    const a = scriptedLane(0, [() => Promise.reject(refused)]);
    const b = scriptedLane(1, [untilAborted(h.controller.signal)]);
    await expect(walkLanes([a.lane, b.lane], h.context, h.hooks())).rejects.toBe(refused);
    expect(h.controller.signal.reason).toBe(refused);
    expect(b.asked()).toBe(1);
    expect(h.stored).toEqual([]);
  });

  it("a page that lands after another lane failed is not stored", async () => {
    const h = harness({ budgetMs: 120_000 });
    const refused = new Error("403 from lane 0");
    const late = deferred<DealPage<unknown> | null>();
    const failing = deferred<DealPage<unknown> | null>();
    const a = scriptedLane(0, [() => failing.promise]);
    const b = scriptedLane(1, [() => late.promise]);
    const walk = walkLanes([a.lane, b.lane], h.context, h.hooks());
    await flush();
    failing.reject(refused);
    await flush();
    late.resolve(dealPage(77));
    await expect(walk).rejects.toBe(refused);
    expect(h.stored).toEqual([]);
  });

  it("an error in a store stops the other lanes too", async () => {
    const h = harness({ budgetMs: 120_000 });
    const broken = new Error("database down");
    const a = scriptedLane(0, [now(10), now(20)]);
    const b = scriptedLane(1, [untilAborted(h.controller.signal)]);
    const walk = walkLanes(
      [a.lane, b.lane],
      h.context,
      h.hooks(async () => {
        throw broken;
      }),
    );
    await expect(walk).rejects.toBe(broken);
    expect(a.asked()).toBe(1);
    expect(h.controller.signal.reason).toBe(broken);
  });

  it("a walk aborted from outside (a lost lease) throws the abort's reason", async () => {
    const h = harness({ budgetMs: 120_000 });
    const lost = new Error("lease lost");
    const a = scriptedLane(0, [untilAborted(h.controller.signal)]);
    const b = scriptedLane(1, [untilAborted(h.controller.signal)]);
    const walk = walkLanes([a.lane, b.lane], h.context, h.hooks());
    await flush();
    h.controller.abort(lost);
    await expect(walk).rejects.toBe(lost);
  });
});

describe("walkLanes: the budget", () => {
  it("a lane that runs out of time stops; the walk reports why once every lane has settled", async () => {
    // Budget 1 000 ms; a page before took 400 (estimate 600). Lane 0's page lands at once and
    // its store takes 500 ms: at 500, 500 + 600 > 1 000 → lane 0 stops. Lane 1's page is still
    // on its way: the walk waits for it, stores it, and only then answers.
    const h = harness({ budgetMs: 1_000 });
    recordPage(h.context.budget, 400, null);
    const late = deferred<DealPage<unknown> | null>();
    const a = scriptedLane(0, [now(10)]); // a second answer would be an error
    const b = scriptedLane(1, [() => late.promise]);
    let settled = false;
    const walk = walkLanes(
      [a.lane, b.lane],
      h.context,
      h.hooks(async (lane) => {
        if (lane.range === 0) h.clock.advance(500);
      }),
    ).finally(() => {
      settled = true;
    });

    await flush();
    expect(h.stored).toEqual(["0:10"]);
    expect(settled).toBe(false);
    late.resolve(dealPage(50));

    expect(await walk).toEqual({ kind: "stopped", reason: STOP_REASONS.time });
    expect(h.stored).toEqual(["0:10", "1:50"]);
    expect([a.asked(), b.asked()]).toEqual([1, 1]);
    expect(h.context.budget.pagesDone).toBe(3);
  });

  it("without a CPU clock the page cap counts the pages still in flight", async () => {
    // Cap 3, one page done before. Both lanes start (1 + 0 < 3, 1 + 1 < 3). After lane 0's page
    // is stored, 2 done + 1 in flight (lane 1's, waiting to be stored) = 3 → lane 0 stops; lane 1
    // stops after its store (3 done). Counting only pages done, lane 0 would have fetched again.
    const h = harness({ budgetMs: 120_000, withCpuClock: false, maxPagesWithoutCpuClock: 3 });
    recordPage(h.context.budget, 10, null);
    const a = scriptedLane(0, [now(10), now(20)]);
    const b = scriptedLane(1, [now(50), now(60)]);
    const result = await walkLanes([a.lane, b.lane], h.context, h.hooks(flush));
    expect(result).toEqual({ kind: "stopped", reason: STOP_REASONS.pages });
    expect([a.asked(), b.asked()]).toEqual([1, 1]);
    expect([...h.stored].sort()).toEqual(["0:10", "1:50"]);
  });

  it("a BudgetExceededError after a stored page stops the walk; before any, it is the walk's error", async () => {
    const wait = new BudgetExceededError("throttle wait of 5000 ms", T0 + 1_000, 5_000, {});
    const afterPages = harness({ budgetMs: 120_000 });
    recordPage(afterPages.context.budget, 10, null);
    const lane = scriptedLane(0, [() => Promise.reject(wait)]);
    expect(await walkLanes([lane.lane], afterPages.context, afterPages.hooks())).toEqual({
      kind: "stopped",
      reason: `${STOP_REASONS.time}, reached while waiting on Ploomes`,
    });

    const first = harness({ budgetMs: 120_000 });
    const firstLane = scriptedLane(0, [() => Promise.reject(wait)]);
    await expect(walkLanes([firstLane.lane], first.context, first.hooks())).rejects.toBe(wait);
  });

  it("firstPageAllowed lets one page go on a spent budget (a retry of an allowed request), then stops", async () => {
    // A page took 400 (estimate 600); the clock is at 800: 800 + 600 > 1 000.
    const spent = () => {
      const h = harness({ budgetMs: 1_000 });
      recordPage(h.context.budget, 400, null);
      h.clock.advance(800);
      return h;
    };
    const refused = spent();
    const lane = scriptedLane(0, [now(10), now(20)]);
    expect(await walkLanes([lane.lane], refused.context, refused.hooks())).toEqual({
      kind: "stopped",
      reason: STOP_REASONS.time,
    });
    expect(lane.asked()).toBe(0);

    const allowed = spent();
    const retried = scriptedLane(0, [now(10), now(20)]);
    expect(await walkLanes([retried.lane], { ...allowed.context, firstPageAllowed: true }, allowed.hooks())).toEqual({
      kind: "stopped",
      reason: STOP_REASONS.time,
    });
    expect(retried.asked()).toBe(1);
    expect(allowed.stored).toEqual(["0:10"]);
  });
});

describe("walkLanes: pageLimit", () => {
  it("pageLimit 1 over two lanes: one page in all, then `limit`", async () => {
    const h = harness({ budgetMs: 120_000 });
    const a = endlessLane(0, 1);
    const b = endlessLane(1, 1_000);
    expect(await walkLanes([a.lane, b.lane], { ...h.context, pageLimit: 1 }, h.hooks())).toEqual({ kind: "limit" });
    expect(a.asked() + b.asked()).toBe(1);
    expect(h.stored).toEqual(["0:1"]);
  });

  it("pageLimit 3 on one lane: three pages stored, then `limit`", async () => {
    const h = harness({ budgetMs: 120_000 });
    const a = endlessLane(0, 1);
    expect(await walkLanes([a.lane], { ...h.context, pageLimit: 3 }, h.hooks())).toEqual({ kind: "limit" });
    expect(h.stored).toEqual(["0:1", "0:2", "0:3"]);
  });

  it("a lane that ends within the limit: `ended`, not `limit`", async () => {
    const h = harness({ budgetMs: 120_000 });
    const a = scriptedLane(0, [end]);
    expect(await walkLanes([a.lane], { ...h.context, pageLimit: 1 }, h.hooks())).toEqual({ kind: "ended" });
    expect(h.ended).toEqual([0]);
  });
});
