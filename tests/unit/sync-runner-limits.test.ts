// runSync: the time budget, the Products-expansion fallback, and failures.
import { describe, expect, it } from "vitest";
import { DatabaseError } from "../../supabase/functions/_shared/db/rpc.ts";
import { BudgetExceededError } from "../../supabase/functions/_shared/ploomes/errors.ts";
import {
  deal,
  deals,
  fails,
  grantedClaim,
  maxIdAnswer,
  page,
  passEnd,
  refusingProducts,
  runSummary,
  shortPageEnd,
  T0,
} from "./sync-fakes.ts";
import { http, REQUEST, RUN_ID, setup, STATS_AFTER } from "./sync-runner-setup.ts";
import type { Env } from "../../supabase/functions/_shared/config/config.ts";
import type { RunnerDeps } from "../../supabase/functions/_shared/sync/runner.ts";
import { runSync } from "../../supabase/functions/_shared/sync/runner.ts";
import { createFakeDb, createFakePloomes, createFakeWorker, createManualClock, makeConfig } from "./sync-fakes.ts";
import type { PageStep } from "./sync-fakes.ts";

describe("runSync: time budget", () => {
  // SYNC_TIME_BUDGET_MS = 1000 (its minimum), pages of 2 deals, every page script long enough
  // that only the budget can stop the run.
  const BUDGET_ENV: Env = { SYNC_TIME_BUDGET_MS: "1000", PLOOMES_PAGE_SIZE: "2" };
  const fullPages = (count: number): PageStep[] =>
    Array.from({ length: count }, (_, index) => page(deals(2 * index + 1, 2 * index + 2)));

  it("stops after the page that exhausts the estimate and ends the run partial", async () => {
    // 300 ms pages, estimate 450: page 2 starts at 300 (750 ≤ 1000); page 3 would start at
    // 600 (1050 > 1000) → stop after 2 pages.
    const { db, ploomes, run, events } = setup({ env: BUDGET_ENV, steps: fullPages(10), msPerRequest: 300 });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(2);
    expect(db.fns()).toEqual(["claim", "ingestPage", "ingestPage", "endPartial"]);
    expect(db.callsTo("endPartial")).toEqual([{ fn: "endPartial", runId: RUN_ID, stats: STATS_AFTER(2) }]);
    expect(outcome.status).toBe(200);
    expect(outcome.body["status"]).toBe("partial");
    expect(outcome.body["durationMs"]).toBe(600);
    expect(outcome.body["stoppedBy"]).toMatch(/^time budget/);
    expect(events).toContainEqual(
      expect.objectContaining({
        event: "run-partial",
        runId: RUN_ID,
        pages: 2,
        reason: expect.stringMatching(/^time budget/),
      }),
    );
  });

  it("hands the first page a full request timeout and later pages the budget's deadline", async () => {
    const { ploomes, run } = setup({ env: BUDGET_ENV, steps: fullPages(10), msPerRequest: 300 });
    await run();
    expect(ploomes.requests.map((request) => request.deadlineMs)).toEqual([T0 + 30_000, T0 + 1_000]);
    expect(ploomes.requests.map((request) => request.atMs)).toEqual([T0, T0 + 300]);
    expect(ploomes.filterOf(1)).toBe("Id gt 2");
  });

  it("fetches a page that lands exactly on the deadline, but not one that would pass it", async () => {
    // 400 ms: estimate 600, next page at 400 → 1000 ≤ 1000 → fetched; then at 800 → stop.
    const exact = setup({ env: BUDGET_ENV, steps: fullPages(10), msPerRequest: 400 });
    await exact.run();
    expect(exact.ploomes.requests).toHaveLength(2);
    // 401 ms: estimate 601.5, next page at 401 → 1002.5 > 1000 → stop after one.
    const over = setup({ env: BUDGET_ENV, steps: fullPages(10), msPerRequest: 401 });
    await over.run();
    expect(over.ploomes.requests).toHaveLength(1);
    expect(over.db.fns()).toEqual(["claim", "ingestPage", "endPartial"]);
  });

  it("never estimates a page below 50 ms: 10 ms pages stop after exactly 96", async () => {
    // After k pages the clock is at 10k; another is fetched while 10k + 50 ≤ 1000, i.e. k ≤ 95.
    const { db, ploomes, run } = setup({
      env: { SYNC_TIME_BUDGET_MS: "1000", PLOOMES_PAGE_SIZE: "1" },
      steps: Array.from({ length: 200 }, (_, index) => page([deal(index + 1)])),
      msPerRequest: 10,
    });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(96);
    expect(db.callsTo("ingestPage")).toHaveLength(96);
    expect(db.callsTo("endPartial")).toHaveLength(1);
    expect(outcome.body["durationMs"]).toBe(960);
  });

  it("counts the time spent storing a page", async () => {
    // Fetch 100 ms + store 200 ms = 300 ms per page → same arithmetic as the 300 ms case.
    const { db, run } = setup({ env: BUDGET_ENV, steps: fullPages(10), msPerRequest: 100, ingestMs: 200 });
    const outcome = await run();
    expect(db.callsTo("ingestPage")).toHaveLength(2);
    expect(outcome.body["status"]).toBe("partial");
    expect(outcome.body["durationMs"]).toBe(600);
  });

  it("always fetches one page, even when the budget is gone before the first one", async () => {
    const { db, ploomes, run } = setup({ env: BUDGET_ENV, steps: fullPages(10), claimMs: 5_000, msPerRequest: 300 });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(1);
    // First page: max(T0 + 1000, T0 + 5000 + 30 000).
    expect(ploomes.requests[0]?.deadlineMs).toBe(T0 + 35_000);
    expect(db.fns()).toEqual(["claim", "ingestPage", "endPartial"]);
    expect(outcome.status).toBe(200);
    expect(outcome.body["status"]).toBe("partial");
  });

  it("always fetches one page, even when that page alone takes longer than the budget", async () => {
    // At 5 requests/min a 5 s answer needs one range (⌈(5 000 + 250) × 5 / 60 000⌉ = ⌈0.44⌉ = 1).
    const env: Env = { ...BUDGET_ENV, PLOOMES_REQUESTS_PER_MINUTE: "5" };
    const { db, ploomes, run } = setup({ env, steps: fullPages(10), msPerRequest: 5_000 });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(1);
    expect(db.fns()).toEqual(["claim", "ingestPage", "endPartial"]);
    expect(outcome.body["durationMs"]).toBe(5_000);
  });

  it("a slow first page of a new pass still cuts its ranges (one highest-Id request), then the budget ends the run", async () => {
    // 5 s at the default 90/min: ⌈(5 000 + 250) × 90 / 60 000⌉ = ⌈7.9⌉ = 8 ranges wanted, so the
    // highest Id is asked (9). (2, 9] holds ⌊7 / 2⌋ = 3 pages of 2 → 3 ranges, ⌈7 / 3⌉ = 3 Ids
    // each: (·, 5], (5, 8], (8, ·). Then 10 s are gone: partial.
    const { db, ploomes, run } = setup({
      env: BUDGET_ENV,
      steps: [page(deals(1, 2)), maxIdAnswer(9)],
      msPerRequest: 5_000,
    });
    const outcome = await run();
    expect(ploomes.requests.map((request) => request.path)).toHaveLength(2);
    expect(ploomes.requests[1]?.path).toBe("/Deals?$orderby=Id%20desc&$top=1&$select=Id");
    expect(db.fns()).toEqual(["claim", "ingestPage", "endPartial"]);
    expect(db.callsTo("ingestPage")[0]?.position).toEqual({
      ranges: [
        { from: null, to: 5, after: 2, done: false },
        { from: 5, to: 8, after: null, done: false },
        { from: 8, to: null, after: null, done: false },
      ],
    });
    expect(outcome.body["durationMs"]).toBe(10_000);
  });

  it("a pass whose end is confirmed within the budget finishes instead of ending partial", async () => {
    // 100 ms requests: page 1 ends at 100, the short page 2 at 200; at 200 + 150 ≤ 1000 the
    // empty answer after it is fetched (200 → 300) and the pass is complete.
    const { db, ploomes, run } = setup({
      env: BUDGET_ENV,
      steps: [page(deals(1, 2)), page([deal(3)]), ...shortPageEnd()],
      msPerRequest: 100,
    });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(3);
    expect(db.fns()).toEqual(["claim", "ingestPage", "ingestPage", "finishPass"]);
    expect(outcome.body["status"]).toBe("succeeded");
  });

  it("a short page is not taken for the end: when the budget runs out after it, the run ends partial", async () => {
    // 300 ms requests: the short page 2 ends at 600; 600 + 450 > 1000 → partial, nothing finished.
    const { db, ploomes, run } = setup({
      env: BUDGET_ENV,
      steps: [page(deals(1, 2)), page([deal(3)]), ...passEnd()],
      msPerRequest: 300,
    });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(2);
    expect(db.fns()).toEqual(["claim", "ingestPage", "ingestPage", "endPartial"]);
    expect(outcome.body["status"]).toBe("partial");
  });

  it("a BudgetExceededError from the client after a stored page ends the run partial", async () => {
    const budgetError = new BudgetExceededError("throttle wait of 5000 ms", T0 + 1_000, 5_000, {});
    const { db, run } = setup({ env: { PLOOMES_PAGE_SIZE: "2" }, steps: [page(deals(1, 2)), fails(budgetError)] });
    const outcome = await run();
    expect(db.fns()).toEqual(["claim", "ingestPage", "endPartial"]);
    expect(outcome.status).toBe(200);
    expect(outcome.body["status"]).toBe("partial");
  });

  it("a BudgetExceededError on the very first page fails the run (502): no progress was made", async () => {
    const budgetError = new BudgetExceededError("throttle wait of 90000 ms", T0 + 30_000, 90_000, {});
    const { db, run } = setup({ steps: [fails(budgetError)] });
    const outcome = await run();
    expect(db.fns()).toEqual(["claim", "failRun"]);
    expect(db.callsTo("failRun")[0]?.httpStatus).toBe(502);
    expect(outcome.status).toBe(502);
  });
});

describe("runSync: Products expansion fallback", () => {
  it("retries a 403 without Products, records the warning once, and stores rows with lineItems null", async () => {
    const forbidden = http(403, "Your request has been forbidden");
    const { db, ploomes, run, eventNames } = setup({
      steps: [refusingProducts(forbidden, deals(1, 3)), refusingProducts(forbidden, deals(1, 3)), ...shortPageEnd()],
    });
    const outcome = await run();

    expect(ploomes.requests).toHaveLength(3);
    expect(ploomes.requests.slice(2).every((request) => !request.path.includes("Products("))).toBe(true);
    expect(ploomes.requests[0]?.path).toContain("Products(");
    expect(ploomes.requests[1]?.path).not.toContain("Products(");
    expect(ploomes.requests[1]?.path).toContain("Contact(");
    expect(ploomes.filterOf(1)).toBeNull(); // same start position

    // The warning is recorded once the retry's page is stored.
    expect(db.fns()).toEqual(["claim", "ingestPage", "disableProducts", "finishPass"]);
    const disabled = db.callsTo("disableProducts");
    expect(disabled).toHaveLength(1);
    expect(disabled[0]?.runId).toBe(RUN_ID);
    expect(disabled[0]?.warning).toContain("Products expansion");
    expect(disabled[0]?.warning).toContain(forbidden.message);
    expect(db.callsTo("ingestPage")[0]?.rows.map((row) => row.line_items)).toEqual([null, null, null]);
    expect(outcome.status).toBe(200);
    expect(eventNames()).toContain("products-disabled");
  });

  it("falls back mid-pass from the last stored position; earlier rows keep their line items", async () => {
    const forbidden = http(403);
    const { db, ploomes, run } = setup({
      env: { PLOOMES_PAGE_SIZE: "2" },
      steps: [page(deals(1, 2)), fails(forbidden), refusingProducts(forbidden, [deal(3)]), ...shortPageEnd()],
    });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(4);
    expect(ploomes.filterOf(1)).toBe("Id gt 2");
    expect(ploomes.filterOf(2)).toBe("Id gt 2");
    expect(ploomes.filterOf(3)).toBe("Id gt 3");
    expect(ploomes.requests[2]?.path).not.toContain("Products(");
    const [first, second] = db.callsTo("ingestPage");
    expect(first?.rows.every((row) => row.line_items !== null)).toBe(true);
    expect(second?.rows.map((row) => row.line_items)).toEqual([null]);
    expect(db.callsTo("disableProducts")).toHaveLength(1);
    expect(outcome.status).toBe(200);
  });

  it("fails the run with 502 (ploomesStatus 403) when the retry without Products is refused too", async () => {
    const first = http(403, "forbidden with products");
    const second = http(403, "forbidden without products");
    const { db, ploomes, run } = setup({ steps: [fails(first), fails(second)] });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(2);
    expect(ploomes.requests[1]?.path).not.toContain("Products(");
    expect(db.fns()).toEqual(["claim", "failRun"]);
    expect(db.callsTo("failRun")).toEqual([
      {
        fn: "failRun",
        runId: RUN_ID,
        error: second.message,
        hint: second.hint,
        httpStatus: 502,
        stats: STATS_AFTER(2),
      },
    ]);
    expect(outcome.status).toBe(502);
    expect(outcome.body).toMatchObject({
      status: "failed",
      ploomesStatus: 403,
      error: second.message,
      hint: second.hint,
    });
  });

  it("does not retry a 403 when products are already known to be unavailable", async () => {
    const forbidden = http(403);
    const { db, ploomes, run } = setup({
      claim: grantedClaim({ runId: RUN_ID, productsAvailable: false }),
      steps: [fails(forbidden), page(deals(1, 2))],
    });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(1);
    expect(ploomes.requests[0]?.path).not.toContain("Products(");
    expect(db.fns()).toEqual(["claim", "failRun"]);
    expect(outcome.status).toBe(502);
  });

  it("without Products available from the start, rows carry lineItems null and no warning is recorded", async () => {
    const { db, run } = setup({
      claim: grantedClaim({ runId: RUN_ID, productsAvailable: false }),
      steps: [page(deals(1, 2)), ...shortPageEnd()],
    });
    const outcome = await run();
    expect(outcome.status).toBe(200);
    expect(db.callsTo("disableProducts")).toHaveLength(0);
    expect(db.callsTo("ingestPage")[0]?.rows.map((row) => row.line_items)).toEqual([null, null]);
  });

  // Regression: after a mid-pass 403 the budget check used to end the run before the retry
  // without Products, so the warning was lost and the next invocation hit the same 403.
  it("records the Products warning even when the budget ends the run right after the 403", async () => {
    const forbidden = http(403);
    // Page 1: 400 ms (estimate 600), page 2 starts at 400 (1000 ≤ 1000). Its request is refused
    // after another 400 ms → at 800 the budget (800 + 600 > 1000) ends the run before the retry.
    const { db, run } = setup({
      env: { SYNC_TIME_BUDGET_MS: "1000", PLOOMES_PAGE_SIZE: "2" },
      steps: [page(deals(1, 2)), fails(forbidden), page(deals(3, 4))],
      msPerRequest: 400,
    });
    const outcome = await run();
    expect(outcome.body["status"]).toBe("partial");
    expect(db.callsTo("disableProducts")).toHaveLength(1);
    // The retry went out at 800 (after the 403) and its page was stored.
    expect(db.fns()).toEqual(["claim", "ingestPage", "ingestPage", "disableProducts", "endPartial"]);
  });

  it("records the Products warning when the retry without Products answers the end of the pass", async () => {
    // Page size 2: a full page, then the next page's request is refused with Products; without
    // them Ploomes answers two empty pages: the fallback worked, the pass is complete.
    const forbidden = http(403);
    const { db, ploomes, run } = setup({
      env: { PLOOMES_PAGE_SIZE: "2" },
      steps: [page(deals(1, 2)), fails(forbidden), refusingProducts(forbidden, []), page([])],
    });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(4);
    expect(ploomes.requests.slice(2).every((request) => !request.path.includes("Products("))).toBe(true);
    expect(db.fns()).toEqual(["claim", "ingestPage", "disableProducts", "finishPass"]);
    expect(outcome.body["status"]).toBe("succeeded");
  });
});

describe("runSync: failures", () => {
  it("a 401 from Ploomes fails the run with 502 and Ploomes' status and hint", async () => {
    const unauthorized = http(401, '{"Message":"Invalid User-Key"}');
    const { db, ploomes, run, eventNames } = setup({ steps: [fails(unauthorized)], msPerRequest: 50 });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(1); // no Products fallback for a 401
    expect(db.callsTo("failRun")).toEqual([
      {
        fn: "failRun",
        runId: RUN_ID,
        error: unauthorized.message,
        hint: unauthorized.hint,
        httpStatus: 502,
        stats: STATS_AFTER(1),
      },
    ]);
    expect(outcome.status).toBe(502);
    expect(outcome.body).toMatchObject({
      runId: RUN_ID,
      status: "failed",
      error: unauthorized.message,
      ploomesStatus: 401,
      durationMs: 50,
    });
    expect(outcome.body["hint"]).toContain("PLOOMES_API_KEY");
    expect(outcome.body).not.toHaveProperty("recordError");
    expect(eventNames()).toEqual(["run-start", "run-failed"]);
  });

  it("a lost lease (DatabaseError PT409) from ingestPage answers 409", async () => {
    const lost = new DatabaseError("sync_ingest_page", "PT409", "run 7 no longer holds the lease", "run 8 took over");
    const { db, run } = setup({
      steps: [page(deals(1, 2))],
      db: {
        ingestPage: () => {
          throw lost;
        },
      },
    });
    const outcome = await run();
    expect(db.fns()).toEqual(["claim", "ingestPage", "failRun"]);
    expect(db.callsTo("failRun")[0]?.httpStatus).toBe(409);
    expect(outcome.status).toBe(409);
    expect(outcome.body).toMatchObject({ error: lost.message, hint: "run 8 took over", ploomesStatus: null });
  });

  it("another database error from ingestPage answers 500", async () => {
    const broken = new DatabaseError("sync_ingest_page", "23505", "duplicate key", null);
    const { run } = setup({
      steps: [page(deals(1, 2))],
      db: {
        ingestPage: () => {
          throw broken;
        },
      },
    });
    const outcome = await run();
    expect(outcome.status).toBe(500);
    expect(outcome.body["error"]).toBe(broken.message);
  });

  it("when failRun itself throws, the answer still carries the original error, plus recordError", async () => {
    const unauthorized = http(401);
    const { db, run } = setup({
      steps: [fails(unauthorized)],
      db: {
        failRun: () => {
          throw new Error("connection reset");
        },
      },
    });
    const outcome = await run();
    expect(db.callsTo("failRun")).toHaveLength(1);
    expect(outcome.status).toBe(502);
    expect(outcome.body).toEqual({
      runId: RUN_ID,
      status: "failed",
      error: unauthorized.message,
      hint: unauthorized.hint,
      ploomesStatus: 401,
      durationMs: 0,
      recordError: "unexpected error: Error: connection reset",
    });
  });

  it("a lost lease both in ingestPage and in failRun still answers 409 with the recording error", async () => {
    const lost = new DatabaseError("sync_ingest_page", "PT409", "lease lost", null);
    const lostAgain = new DatabaseError("sync_fail_run", "PT409", "lease lost", null);
    const { run } = setup({
      steps: [page(deals(1, 2))],
      db: {
        ingestPage: () => {
          throw lost;
        },
        failRun: () => {
          throw lostAgain;
        },
      },
    });
    const outcome = await run();
    expect(outcome.status).toBe(409);
    expect(outcome.body["error"]).toBe("database call sync_ingest_page failed (PT409): lease lost");
    expect(outcome.body["recordError"]).toBe("database call sync_fail_run failed (PT409): lease lost");
  });

  it("the failed run's summary from failRun is the base of the body", async () => {
    const summary = runSummary({ runId: RUN_ID, status: "failed", pages: 1, warnings: ["w"] });
    const unauthorized = http(401);
    const { run } = setup({
      env: { PLOOMES_PAGE_SIZE: "2" },
      steps: [page(deals(1, 2)), fails(unauthorized)],
      db: { failRun: () => summary },
    });
    const outcome = await run();
    expect(outcome.body).toEqual({
      ...summary,
      error: unauthorized.message,
      hint: unauthorized.hint,
      ploomesStatus: 401,
      durationMs: 0,
    });
  });

  it("an error from claim itself propagates (no run to record it on)", async () => {
    const down = new DatabaseError("sync_claim", "08006", "connection failure", null);
    const clock = createManualClock();
    const db = createFakeDb();
    db.claim = async () => {
      throw down;
    };
    const deps: RunnerDeps = {
      config: makeConfig(),
      db,
      ploomes: createFakePloomes([]),
      now: clock.now,
      log: () => undefined,
      worker: createFakeWorker(clock.now()),
    };
    await expect(runSync(deps, REQUEST)).rejects.toBe(down);
  });
});
