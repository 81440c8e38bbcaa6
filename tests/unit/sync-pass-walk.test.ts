// createPassWalk: the position book of a pass and its lanes. A new full pass cuts its ranges on
// its first page (asking for the highest Id only when more than one range pays off); a stored
// page moves only its own range; a range that ends stays ended. Requests go to the scripted fake
// Ploomes of sync-fakes.ts, answered by $filter.
import { describe, expect, it } from "vitest";
import { PloomesInvalidResponseError } from "../../supabase/functions/_shared/ploomes/errors.ts";
import type { DealPage } from "../../supabase/functions/_shared/ploomes/pages.ts";
import { createPassWalk, type PassWalk } from "../../supabase/functions/_shared/sync/pass-walk.ts";
import type { PassStart } from "../../supabase/functions/_shared/sync/positions.ts";
import type { IdRange } from "../../supabase/functions/_shared/sync/ranges.ts";
import { byFilter, createFakePloomes, deals, MAX_ID_QUERY, maxIdAnswer, page, T0 } from "./sync-fakes.ts";
import type { PageStep } from "./sync-fakes.ts";

const MAX_ID_PATH = "/Deals?$orderby=Id%20desc&$top=1&$select=Id";

function walkOf(start: PassStart, routes: Record<string, readonly PageStep[]> = {}) {
  const script = byFilter(routes);
  const ploomes = createFakePloomes(script.steps);
  const walk = createPassWalk(start, {
    client: ploomes,
    pageSize: 10,
    includeProducts: true,
    requestsPerMinute: 90,
    signal: new AbortController().signal,
    deadlineMs: () => T0 + 60_000,
  });
  return { walk, ploomes, script };
}

/** A page as the pager yields it: rows up to `lastId`. */
const pageUpTo = (lastId: number): DealPage<unknown> => ({
  values: deals(lastId, lastId),
  nextPosition: { lastId },
  url: "https://example.test/Deals",
  warnings: [],
});

const rangesOf = (walk: PassWalk): IdRange[] | null => {
  const current = walk.current();
  if (current.mode !== "full") throw new Error("expected a full pass");
  return current.ranges;
};

describe("createPassWalk: a new full pass", () => {
  it("a first page that arrived fast keeps one range, without asking for the highest Id", async () => {
    // 400 ms at 90/min: ⌈650 × 90 / 60 000⌉ = ⌈0.975⌉ = 1.
    const { walk, ploomes } = walkOf({ mode: "full", ranges: null });
    const [lane] = walk.lanes();
    expect(lane?.range).toBe(0);
    if (lane === undefined) throw new Error("no lane");
    const position = await walk.positionAfter(lane, pageUpTo(10), 400);
    expect(position).toEqual({ ranges: [{ from: null, to: null, after: 10, done: false }] });
    expect(ploomes.requests).toHaveLength(0);
    walk.commit(position);
    // The span did not change: the same lane (and its paging state) goes on.
    expect(walk.lanes()).toEqual([lane]);
    expect(walk.lanes()[0]).toBe(lane);
  });

  it("a slow first page: one request for the highest Id, then the ranges cut at hand-computed bounds", async () => {
    // 1 500 ms at 90/min: ⌈1 750 × 90 / 60 000⌉ = ⌈2.625⌉ = 3 ranges. Highest Id 100:
    // (10, 100] → step ⌈90 / 3⌉ = 30 → bounds 40, 70.
    const { walk, ploomes } = walkOf({ mode: "full", ranges: null }, { [MAX_ID_QUERY]: [maxIdAnswer(100)] });
    const [probe] = walk.lanes();
    if (probe === undefined) throw new Error("no lane");
    const position = await walk.positionAfter(probe, pageUpTo(10), 1_500);
    expect(ploomes.requests.map((request) => request.path)).toEqual([MAX_ID_PATH]);
    expect(position).toEqual({
      ranges: [
        { from: null, to: 40, after: 10, done: false },
        { from: 40, to: 70, after: null, done: false },
        { from: 70, to: null, after: null, done: false },
      ],
    });
    walk.commit(position);
    const lanes = walk.lanes();
    expect(lanes.map((lane) => lane.range)).toEqual([0, 1, 2]);
    // Range 0's span changed (it had none): a new lane, starting after the first page.
    expect(lanes[0]).not.toBe(probe);
  });

  it("no deals at all behind the first page (an empty answer for the highest Id): one range", async () => {
    const { walk } = walkOf({ mode: "full", ranges: null }, { [MAX_ID_QUERY]: [page([])] });
    const [probe] = walk.lanes();
    if (probe === undefined) throw new Error("no lane");
    expect(await walk.positionAfter(probe, pageUpTo(10), 1_500)).toEqual({
      ranges: [{ from: null, to: null, after: 10, done: false }],
    });
  });

  it("a highest Id that is not a safe integer is an invalid response", async () => {
    const { walk } = walkOf({ mode: "full", ranges: null }, { [MAX_ID_QUERY]: [page([{ Id: "100" }])] });
    const [probe] = walk.lanes();
    if (probe === undefined) throw new Error("no lane");
    await expect(walk.positionAfter(probe, pageUpTo(10), 1_500)).rejects.toBeInstanceOf(PloomesInvalidResponseError);
  });
});

describe("createPassWalk: a full pass in ranges", () => {
  const RANGES: IdRange[] = [
    { from: null, to: 40, after: 40, done: true },
    { from: 40, to: 70, after: 52, done: false },
    { from: 70, to: null, after: null, done: false },
  ];

  it("lanes only for open ranges; a page moves only its own range", async () => {
    const { walk, ploomes } = walkOf({ mode: "full", ranges: RANGES });
    const lanes = walk.lanes();
    expect(lanes.map((lane) => lane.range)).toEqual([1, 2]);
    const [middle, last] = lanes;
    if (middle === undefined || last === undefined) throw new Error("no lanes");
    const afterLast = await walk.positionAfter(last, pageUpTo(75), 2_000);
    expect(afterLast).toEqual({
      ranges: [
        { from: null, to: 40, after: 40, done: true },
        { from: 40, to: 70, after: 52, done: false },
        { from: 70, to: null, after: 75, done: false },
      ],
    });
    expect(ploomes.requests).toHaveLength(0); // ranges exist: no highest-Id request, whatever the latency
    walk.commit(afterLast);
    expect(await walk.positionAfter(middle, pageUpTo(60), 10)).toEqual({
      ranges: [
        { from: null, to: 40, after: 40, done: true },
        { from: 40, to: 70, after: 60, done: false },
        { from: 70, to: null, after: 75, done: false },
      ],
    });
    // Spans unchanged: the same lanes go on.
    expect(walk.lanes()[0]).toBe(middle);
    expect(walk.lanes()[1]).toBe(last);
  });

  it("a range that ends while another lane's page is being stored stays ended", async () => {
    const { walk } = walkOf({ mode: "full", ranges: RANGES });
    const [middle, last] = walk.lanes();
    if (middle === undefined || last === undefined) throw new Error("no lanes");
    // Lane 2's page: its position is taken before its store; meanwhile lane 1 ends.
    const position = await walk.positionAfter(last, pageUpTo(75), 10);
    walk.ended(middle);
    walk.commit(position);
    expect(rangesOf(walk)).toEqual([
      { from: null, to: 40, after: 40, done: true },
      { from: 40, to: 70, after: 52, done: true },
      { from: 70, to: null, after: 75, done: false },
    ]);
    expect(walk.lanes().map((lane) => lane.range)).toEqual([2]);
    // The next page carries the end along.
    expect(await walk.positionAfter(last, pageUpTo(80), 10)).toEqual({
      ranges: [
        { from: null, to: 40, after: 40, done: true },
        { from: 40, to: 70, after: 52, done: true },
        { from: 70, to: null, after: 80, done: false },
      ],
    });
  });
});

describe("createPassWalk: an incremental pass", () => {
  it("one lane without a range; the position is the page's keyset", async () => {
    const { walk } = walkOf({ mode: "incremental", position: { since: "2024-05-01T00:00:00Z" } });
    const [lane] = walk.lanes();
    expect(lane?.range).toBeNull();
    if (lane === undefined) throw new Error("no lane");
    const next = { lastUpdateDate: "2024-05-01T12:00:00Z", lastId: 9 };
    const position = await walk.positionAfter(lane, { ...pageUpTo(9), nextPosition: next }, 5_000);
    expect(position).toEqual(next);
    walk.commit(position);
    expect(walk.current()).toEqual({ mode: "incremental", position: next });
    walk.ended(lane);
    expect(walk.lanes()).toEqual([]);
  });
});
