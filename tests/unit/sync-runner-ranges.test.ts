// runSync with a full pass in Id ranges and the finish in slices. Lanes walk concurrently, so the
// fake Ploomes answers by each request's $filter (byFilter), never by arrival order; assertions
// on stored pages look at each range on its own. Range bounds are worked out by hand from
// ⌈(latency + 250 ms) × rate / 60 000⌉ ranges (at most 8) and equal spans above the first page.
import { describe, expect, it } from "vitest";
import type { Env } from "../../supabase/functions/_shared/config/config.ts";
import type { IdRange } from "../../supabase/functions/_shared/sync/ranges.ts";
import {
  byFilter,
  deals,
  finishAnswers,
  finishRunning,
  grantedClaim,
  MAX_ID_QUERY,
  maxIdAnswer,
  NO_FILTER,
  page,
  passEnd,
  requestKey,
  runSummary,
} from "./sync-fakes.ts";
import type { IngestCall } from "./sync-fakes.ts";
import { RUN_ID, setup, STATS_AFTER } from "./sync-runner-setup.ts";

const PAGES_OF_10: Env = { PLOOMES_PAGE_SIZE: "10" };
const MAX_ID_PATH = "/Deals?$orderby=Id%20desc&$top=1&$select=Id";

const rangesOf = (call: IngestCall | undefined): IdRange[] => {
  const ranges = (call?.position as { ranges?: IdRange[] } | undefined)?.ranges;
  if (ranges === undefined) throw new Error(`not a ranges position: ${JSON.stringify(call?.position)}`);
  return ranges;
};
/** A range without its done flag (whether a neighbour had ended by then depends on timing). */
const span = ({ from, to, after }: IdRange) => ({ from, to, after });

describe("runSync: a new full pass on a slow API walks Id ranges concurrently", () => {
  // 1 500 ms answers at the default 90/min: ⌈(1 500 + 250) × 90 / 60 000⌉ = ⌈2.625⌉ = 3 ranges.
  // First page: Ids 1..10. Highest Id 100: (10, 100] holds 9 pages of 10 ≥ 3, step ⌈90 / 3⌉ = 30
  // → ranges (·, 40] (after 10), (40, 70], (70, ·).
  const script = () =>
    byFilter({
      [NO_FILTER]: [page(deals(1, 10))],
      [MAX_ID_QUERY]: [maxIdAnswer(100)],
      // Range 0: a full page, a short one, then one empty answer ends it.
      "Id gt 10 and Id le 40": [page(deals(11, 20))],
      "Id gt 20 and Id le 40": [page(deals(21, 25))],
      "Id gt 25 and Id le 40": [page([])],
      // Range 1: a full page, then two empty answers (after a full page one is not enough).
      "Id gt 40 and Id le 70": [page(deals(41, 50))],
      "Id gt 50 and Id le 70": [page([]), page([])],
      // Range 2, open-ended: a short page, then one empty answer.
      "Id gt 70": [page(deals(71, 75))],
      "Id gt 75": [page([])],
    });

  it("asks for the highest Id once, right after the first page, and every range to its end", async () => {
    const routes = script();
    const { db, ploomes, run } = setup({ env: PAGES_OF_10, steps: routes.steps, msPerRequest: 1_500 });
    const outcome = await run();

    expect(outcome.status).toBe(200);
    expect(outcome.body["status"]).toBe("succeeded");
    expect(routes.unused()).toEqual({});
    expect(ploomes.requests).toHaveLength(10);
    expect(ploomes.requests.filter((request) => requestKey(request) === MAX_ID_QUERY)).toHaveLength(1);
    expect(ploomes.requests[0]?.path).toContain("$orderby=Id&");
    expect(ploomes.requests[1]?.path).toBe(MAX_ID_PATH);
    expect(db.fns()).toEqual([
      "claim",
      "ingestPage",
      "ingestPage",
      "ingestPage",
      "ingestPage",
      "ingestPage",
      "finishPass",
    ]);
    expect(db.callsTo("finishPass")[0]?.stats).toEqual(STATS_AFTER(10));
  });

  it("stores the first page with the cut ranges, then each page with its range index, each range moving on its own", async () => {
    const routes = script();
    const { db, run } = setup({ env: PAGES_OF_10, steps: routes.steps, msPerRequest: 1_500 });
    await run();
    const calls = db.callsTo("ingestPage");

    const [first, ...rest] = calls;
    expect(first?.range).toBe(0);
    expect(first?.rows.map((row) => row.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(first?.position).toEqual({
      ranges: [
        { from: null, to: 40, after: 10, done: false },
        { from: 40, to: 70, after: null, done: false },
        { from: 70, to: null, after: null, done: false },
      ],
    });

    // Per range, its pages in order: the rows, and the range's `after` at the page's last Id.
    const byRange = (range: number) => rest.filter((call) => call.range === range);
    expect(byRange(0).map((call) => call.rows.map((row) => row.id))).toEqual([
      [11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
      [21, 22, 23, 24, 25],
    ]);
    expect(byRange(0).map((call) => rangesOf(call)[0]?.after)).toEqual([20, 25]);
    expect(byRange(1).map((call) => call.rows.map((row) => row.id))).toEqual([[
      41,
      42,
      43,
      44,
      45,
      46,
      47,
      48,
      49,
      50,
    ]]);
    expect(byRange(1).map((call) => rangesOf(call)[1]?.after)).toEqual([50]);
    expect(byRange(2).map((call) => call.rows.map((row) => row.id))).toEqual([[71, 72, 73, 74, 75]]);
    expect(byRange(2).map((call) => rangesOf(call)[2]?.after)).toEqual([75]);
    expect(rest).toHaveLength(4);

    // Each stored page moves its own range only; the others stand where the previous page left them.
    for (let index = 1; index < calls.length; index += 1) {
      const before = rangesOf(calls[index - 1]);
      const after = rangesOf(calls[index]);
      const moved = calls[index]?.range;
      after.forEach((range, i) => {
        expect({ from: range.from, to: range.to }).toEqual({ from: before[i]?.from, to: before[i]?.to });
        if (i !== moved) expect(range.after).toBe(before[i]?.after);
      });
    }
    expect(rangesOf(calls.at(-1)).map(span)).toEqual([
      { from: null, to: 40, after: 25 },
      { from: 40, to: 70, after: 50 },
      { from: 70, to: null, after: 75 },
    ]);
  });

  it("the ranges follow the latency: 416 ms is one range (no highest-Id request), 417 ms two", async () => {
    // ⌈(416 + 250) × 90 / 60 000⌉ = ⌈0.999⌉ = 1; ⌈(417 + 250) × 90 / 60 000⌉ = ⌈1.0005⌉ = 2.
    // Two ranges over (10, 100]: step ⌈90 / 2⌉ = 45 → (·, 55] (after 10), (55, ·).
    const one = byFilter({ [NO_FILTER]: [page(deals(1, 10))], "Id gt 10": passEnd() });
    const fast = setup({ env: PAGES_OF_10, steps: one.steps, msPerRequest: 416 });
    await fast.run();
    expect(one.unused()).toEqual({});
    expect(fast.ploomes.requests).toHaveLength(3);
    expect(fast.db.callsTo("ingestPage")[0]?.position).toEqual({
      ranges: [{ from: null, to: null, after: 10, done: false }],
    });

    const two = byFilter({
      [NO_FILTER]: [page(deals(1, 10))],
      [MAX_ID_QUERY]: [maxIdAnswer(100)],
      "Id gt 10 and Id le 55": passEnd(),
      "Id gt 55": passEnd(),
    });
    const slower = setup({ env: PAGES_OF_10, steps: two.steps, msPerRequest: 417 });
    const outcome = await slower.run();
    expect(two.unused()).toEqual({});
    expect(slower.db.callsTo("ingestPage")[0]?.position).toEqual({
      ranges: [
        { from: null, to: 55, after: 10, done: false },
        { from: 55, to: null, after: null, done: false },
      ],
    });
    expect(outcome.body["status"]).toBe("succeeded");
  });
});

describe("runSync: resuming a full pass in ranges", () => {
  // Range 0 is done, range 1 stood at 50, range 2 was never reached.
  const STORED: IdRange[] = [
    { from: null, to: 40, after: 25, done: true },
    { from: 40, to: 70, after: 50, done: false },
    { from: 70, to: null, after: null, done: false },
  ];

  it("asks only the open ranges, each from where it stood (`Id gt after and Id le to`), and never for the highest Id", async () => {
    const routes = byFilter({
      "Id gt 50 and Id le 70": [page(deals(51, 60))],
      "Id gt 60 and Id le 70": [page([]), page([])],
      "Id gt 70": [page(deals(71, 73))],
      "Id gt 73": [page([])],
    });
    const { db, ploomes, run } = setup({
      env: PAGES_OF_10,
      claim: grantedClaim({ runId: RUN_ID, mode: "full", resumed: true, position: { ranges: STORED } }),
      steps: routes.steps,
      msPerRequest: 1_500, // slow, but the ranges are already cut
    });
    const outcome = await run();

    expect(outcome.body["status"]).toBe("succeeded");
    expect(routes.unused()).toEqual({});
    expect(ploomes.requests.map(requestKey).sort()).toEqual(
      ["Id gt 50 and Id le 70", "Id gt 60 and Id le 70", "Id gt 60 and Id le 70", "Id gt 70", "Id gt 73"].sort(),
    );
    // The first open range goes first, alone (the probe).
    const [probeRequest] = ploomes.requests;
    if (probeRequest === undefined) throw new Error("no request");
    expect(requestKey(probeRequest)).toBe("Id gt 50 and Id le 70");

    const [probe, second] = db.callsTo("ingestPage");
    expect(probe?.range).toBe(1);
    expect(probe?.position).toEqual({
      ranges: [
        { from: null, to: 40, after: 25, done: true },
        { from: 40, to: 70, after: 60, done: false },
        { from: 70, to: null, after: null, done: false },
      ],
    });
    expect(second?.range).toBe(2);
    expect(rangesOf(second).map(span)).toEqual([
      { from: null, to: 40, after: 25 },
      { from: 40, to: 70, after: 60 },
      { from: 70, to: null, after: 73 },
    ]);
    expect(rangesOf(second)[0]?.done).toBe(true);
    expect(db.callsTo("ingestPage")).toHaveLength(2);
  });

  it("a pass whose ranges are all done goes straight to the finish", async () => {
    const done = STORED.map((range) => ({ ...range, done: true }));
    const { db, ploomes, run } = setup({
      claim: grantedClaim({ runId: RUN_ID, mode: "full", resumed: true, position: { ranges: done } }),
    });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(0);
    expect(db.fns()).toEqual(["claim", "finishPass"]);
    expect(outcome.body["status"]).toBe("succeeded");
  });
});

describe("runSync: the finish in slices", () => {
  const done = runSummary({ runId: RUN_ID, status: "succeeded", pages: 1 });

  it("calls finishPass again while it answers running: running, running, succeeded → three calls", async () => {
    const { db, run, events } = setup({
      steps: passEnd(),
      db: {
        finishPass: finishAnswers(finishRunning({ finishing: "sweep" }), finishRunning({ finishing: "refresh" }), done),
      },
    });
    const outcome = await run();
    expect(db.fns()).toEqual(["claim", "finishPass", "finishPass", "finishPass"]);
    expect(db.callsTo("finishPass").map((call) => call.stats)).toEqual([
      STATS_AFTER(2),
      STATS_AFTER(2),
      STATS_AFTER(2),
    ]);
    expect(outcome.status).toBe(200);
    expect(outcome.body["status"]).toBe("succeeded");
    expect(events.filter((event) => event["event"] === "run-end")).toHaveLength(1);
  });

  it("a claim of a pass that is finishing makes no Ploomes request: only finish calls", async () => {
    const { db, ploomes, run } = setup({
      claim: grantedClaim({
        runId: RUN_ID,
        mode: "full",
        resumed: true,
        finishing: true,
        position: { ranges: [{ from: null, to: null, after: 500, done: true }] },
      }),
      db: { finishPass: finishAnswers(finishRunning(), done) },
    });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(0);
    expect(db.fns()).toEqual(["claim", "finishPass", "finishPass"]);
    expect(outcome.body["status"]).toBe("succeeded");
  });

  it("stops calling when the next call might pass the budget's deadline: the run ends partial", async () => {
    // Budget 1 000 ms, each call 400 ms: call 1 ends at 400 (400 + 1.5 × 400 = 1 000 ≤ 1 000 → call
    // again); call 2 ends at 800 (800 + 600 > 1 000) → partial, the finish resumes next run.
    const { db, run, events } = setup({
      env: { SYNC_TIME_BUDGET_MS: "1000" },
      claim: grantedClaim({
        runId: RUN_ID,
        finishing: true,
        resumed: true,
        position: { ranges: [{ from: null, to: null, after: 5, done: true }] },
      }),
      db: { finishPass: finishAnswers(finishRunning()) },
      finishMs: 400,
    });
    const outcome = await run();
    expect(db.fns()).toEqual(["claim", "finishPass", "finishPass", "endPartial"]);
    expect(outcome.status).toBe(200);
    expect(outcome.body["status"]).toBe("partial");
    expect(outcome.body["durationMs"]).toBe(800);
    expect(outcome.body["stoppedBy"]).toBe(
      "time budget (SYNC_TIME_BUDGET_MS or the worker's remaining wall clock), while finishing the pass",
    );
    expect(events).toContainEqual(expect.objectContaining({ event: "run-partial", runId: RUN_ID }));
  });

  it("the first finish call goes even on a spent budget; the next waits for another run", async () => {
    const { db, run } = setup({
      env: { SYNC_TIME_BUDGET_MS: "1000" },
      claimMs: 5_000,
      claim: grantedClaim({
        runId: RUN_ID,
        finishing: true,
        resumed: true,
        position: { ranges: [{ from: null, to: null, after: 5, done: true }] },
      }),
      db: { finishPass: finishAnswers(finishRunning()) },
    });
    const outcome = await run();
    expect(db.fns()).toEqual(["claim", "finishPass", "endPartial"]);
    expect(outcome.body["status"]).toBe("partial");
  });
});
