// A full pass walks the Id space in ranges, paged concurrently (pure). Ranges are cut once, when
// the pass starts: the first page (Ids up to p) and the highest Id M are known, and (p, M] is cut
// into equal spans, the last range open-ended so deals created during the pass are read too.
// Their number covers the request latency at the rate limit: with ⌈(latency + slack) × rate⌉
// requests in flight the token bucket, not the latency, sets the pace (slack: storing a page and
// the latency's spread), within MAX_RANGES. Each range ends like a sequential pass does
// (pages.ts), which costs one or two requests, so no more ranges are cut than that pace needs: a
// fast API gets one range, a sequential walk.

/** One range: Ids in (from, to] (null = unbounded), read up to `after` (null = not started). */
export interface IdRange {
  readonly from: number | null;
  readonly to: number | null;
  readonly after: number | null;
  /** The range answered its end; kept so a resumed pass does not ask again. */
  readonly done: boolean;
}

/** A full pass's position, as stored with each page: every range's own keyset position. */
export interface RangesPosition {
  readonly ranges: readonly IdRange[];
}

/** Ranges walked at once at most: more would only queue on the token bucket. */
export const MAX_RANGES = 8;
/** Time a lane spends on a page besides the request (storing it), plus room for slower answers. */
export const LANE_SLACK_MS = 250;
const MS_PER_MINUTE = 60_000;

/** Requests in flight that cover `latencyMs` at `requestsPerMinute`: ⌈(latency + slack) × rate⌉, within 1..MAX_RANGES. */
export function rangesForLatency(latencyMs: number, requestsPerMinute: number): number {
  const needed = Math.ceil(((Math.max(0, latencyMs) + LANE_SLACK_MS) * requestsPerMinute) / MS_PER_MINUTE);
  return Math.min(MAX_RANGES, Math.max(1, needed));
}

/** The single range of a pass that knows nothing yet: the whole Id space. */
export const WHOLE_ID_SPACE: IdRange = { from: null, to: null, after: null, done: false };

/**
 * Cuts the rest of the Id space after a first page that ended at `firstLastId`, up to the
 * highest Id `maxId`, into `count` ranges of at least one page of Ids each. The first range keeps
 * the first page's position; the last is open-ended.
 */
export function cutRanges(firstLastId: number, maxId: number | null, count: number, pageSize: number): IdRange[] {
  const span = maxId === null ? 0 : maxId - firstLastId;
  const cuts = Math.max(1, Math.min(count, Math.floor(span / pageSize)));
  if (cuts === 1) return [{ from: null, to: null, after: firstLastId, done: false }];
  const step = Math.ceil(span / cuts);
  const bounds = Array.from({ length: cuts - 1 }, (_, i) => firstLastId + step * (i + 1));
  return bounds.map((to, i): IdRange => ({
    from: i === 0 ? null : (bounds[i - 1] ?? null),
    to,
    after: i === 0 ? firstLastId : null,
    done: false,
  }))
    .concat([{ from: bounds.at(-1) ?? null, to: null, after: null, done: false }]);
}

/** Where a range's next page starts: after its last stored Id, else after its lower bound. */
export function rangeStart(range: IdRange): number | null {
  return range.after ?? range.from;
}

/** The ranges with range `index` replaced. */
export function withRange(ranges: readonly IdRange[], index: number, range: IdRange): IdRange[] {
  return ranges.map((current, i) => (i === index ? range : current));
}

/** A stored full-pass position, checked: ranges that cover the Id space, or null when there are none. */
export function parseRangesPosition(stored: unknown): IdRange[] | null {
  if (stored === null || stored === undefined) return null;
  const ranges = typeof stored === "object" && "ranges" in stored ? (stored as { ranges: unknown }).ranges : undefined;
  if (!Array.isArray(ranges) || ranges.length === 0) {
    throw new Error(`a full pass's stored position has no Id ranges: ${JSON.stringify(stored).slice(0, 200)}`);
  }
  const parsed = ranges.map((value, i) => {
    const r = value as Partial<Record<keyof IdRange, unknown>>;
    const idOrNull = (x: unknown) =>
      x === null || x === undefined || (typeof x === "number" && Number.isSafeInteger(x));
    if (!idOrNull(r.from) || !idOrNull(r.to) || !idOrNull(r.after)) {
      throw new Error(
        `range ${i} of the stored position is not {from, to, after}: ${JSON.stringify(value).slice(0, 200)}`,
      );
    }
    return {
      from: (r.from ?? null) as number | null,
      to: (r.to ?? null) as number | null,
      after: (r.after ?? null) as number | null,
      done: r.done === true,
    };
  });
  // From the start to no end, each range starting where the previous one ends, bounds increasing.
  const last = parsed.length - 1;
  const covers = parsed.every((r, i) =>
    (i === 0 ? r.from === null : r.from !== null && r.from === parsed[i - 1]?.to) &&
    (i === last ? r.to === null : r.to !== null && (r.from === null || r.to > r.from))
  );
  if (!covers) {
    throw new Error(`the stored Id ranges do not cover the Id space: ${JSON.stringify(stored).slice(0, 200)}`);
  }
  return parsed;
}
