// The pass being walked: its position — the Id ranges of a full pass, or the keyset of an
// incremental pass — and the lanes that page what is still open. A stored page moves one lane's
// part of the position; the position committed with each page is the whole of it, so a pass
// resumes with every range where it stood. A new full pass has no ranges yet: its first page
// (and, when more than one range pays off, one request for the highest Id) decide them.
import type { PloomesClient } from "../ploomes/client.ts";
import { PloomesInvalidResponseError } from "../ploomes/errors.ts";
import { buildMaxDealIdQuery, type Collection, type FullPosition, type IncrementalPosition } from "../ploomes/odata.ts";
import { type DealPage, fetchFullPages, fetchIncrementalPages, idOf } from "../ploomes/pages.ts";
import { HTTP_OK } from "../ploomes/response.ts";
import type { Lane } from "./lanes.ts";
import type { PassStart } from "./positions.ts";
import { cutRanges, type IdRange, rangesForLatency, rangeStart, WHOLE_ID_SPACE, withRange } from "./ranges.ts";

export interface PassWalkOptions {
  readonly client: Pick<PloomesClient, "getPage" | "getAbsolute" | "origin">;
  readonly pageSize: number;
  readonly includeProducts: boolean;
  /** The collection walked: Deals when not given, Orders or Quotes for line items. */
  readonly collection?: Collection;
  readonly requestsPerMinute: number;
  /** The collection's highest Id when already known (from the line-item probe): saves a request. */
  readonly knownMaxId?: number;
  readonly signal: AbortSignal;
  readonly deadlineMs: () => number;
}

export interface PassWalk {
  /** Lanes for what is still open. A lane whose span did not change is the same object (it keeps its paging state). */
  lanes(): Lane[];
  /** The position to store with `page` of `lane` (cuts a new full pass's ranges on its first page). */
  positionAfter(lane: Lane, page: DealPage<unknown>, fetchMs: number): Promise<unknown>;
  /** The position was stored. */
  commit(position: unknown): void;
  /** The lane answered its end. */
  ended(lane: Lane): void;
  /** Where to start again (e.g. without the Products expansion): the committed position. */
  current(): PassStart;
}

export function createPassWalk(start: PassStart, options: PassWalkOptions): PassWalk {
  return start.mode === "full" ? fullPassWalk(start.ranges, options) : incrementalPassWalk(start.position, options);
}

function common(options: PassWalkOptions) {
  return {
    client: options.client,
    pageSize: options.pageSize,
    includeProducts: options.includeProducts,
    collection: options.collection,
    signal: options.signal,
    deadlineMs: options.deadlineMs,
  };
}

function fullPassWalk(startRanges: IdRange[] | null, options: PassWalkOptions): PassWalk {
  let ranges = startRanges;
  const lanes = new Map<number, { to: number | null; lane: Lane }>();
  const laneFor = (index: number, range: IdRange): Lane => {
    const known = lanes.get(index);
    if (known !== undefined && known.to === range.to) return known.lane;
    const position: FullPosition = { lastId: rangeStart(range) };
    const lane: Lane = { range: index, pages: fetchFullPages({ ...common(options), position, upTo: range.to }) };
    lanes.set(index, { to: range.to, lane });
    return lane;
  };
  const lastIdOf = (page: DealPage<unknown>): number => {
    const lastId = (page.nextPosition as FullPosition).lastId;
    if (lastId === null) throw new Error("a full-pass page without a last Id");
    return lastId;
  };

  return {
    lanes: () => (ranges ?? [WHOLE_ID_SPACE]).flatMap((range, index) => (range.done ? [] : [laneFor(index, range)])),
    positionAfter: async (lane, page, fetchMs) => {
      const index = lane.range ?? 0;
      const lastId = lastIdOf(page);
      if (ranges === null) {
        const count = rangesForLatency(fetchMs, options.requestsPerMinute);
        const maxId = count > 1 ? (options.knownMaxId ?? await fetchMaxDealId(options)) : null;
        return { ranges: cutRanges(lastId, maxId, count, options.pageSize) };
      }
      const range = ranges[index];
      if (range === undefined) throw new Error(`no range ${index} in this pass`);
      return { ranges: withRange(ranges, index, { ...range, after: lastId }) };
    },
    commit: (position) => {
      // A lane may have ended while this page was being stored: its end stands.
      const ended = ranges ?? [];
      ranges = (position as { ranges: IdRange[] }).ranges.map((
        range,
        i,
      ) => (ended[i]?.done === true ? { ...range, done: true } : range));
    },
    ended: (lane) => {
      const index = lane.range ?? 0;
      const current = ranges ?? [WHOLE_ID_SPACE];
      const range = current[index];
      if (range !== undefined) ranges = withRange(current, index, { ...range, done: true });
    },
    current: () => ({ mode: "full", ranges }),
  };
}

function incrementalPassWalk(startPosition: IncrementalPosition, options: PassWalkOptions): PassWalk {
  let position = startPosition;
  let done = false;
  const lane: Lane = { range: null, pages: fetchIncrementalPages({ ...common(options), position }) };
  return {
    lanes: () => (done ? [] : [lane]),
    positionAfter: async (_lane, page) => page.nextPosition,
    commit: (stored) => {
      position = stored as IncrementalPosition;
    },
    ended: () => {
      done = true;
    },
    current: () => ({ mode: "incremental", position }),
  };
}

/** The highest Id of the collection, or null when it is empty. */
async function fetchMaxDealId(options: PassWalkOptions): Promise<number | null> {
  const page = await options.client.getPage(buildMaxDealIdQuery(options.collection), {
    signal: options.signal,
    deadlineMs: options.deadlineMs(),
  });
  const first = page.value[0];
  if (first === undefined) return null;
  const id = idOf(first);
  if (id === null) {
    throw new PloomesInvalidResponseError(
      HTTP_OK,
      `the highest Id of ${options.collection?.noun ?? "deals"} is not a safe integer`,
      "",
      { method: "GET", url: page.url },
    );
  }
  return id;
}
