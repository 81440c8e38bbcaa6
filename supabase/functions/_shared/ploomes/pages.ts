// Walks the Deals collection one page per `next()`: keyset paging on Id within an Id range (a
// full pass walks several ranges at once, see sync/ranges.ts) or on (LastUpdateDate, Id)
// (incremental pass), following `@odata.nextLink` when the server offers one on the configured
// origin. Each yielded page carries the keyset position after its last row,
// which the runner commits with the rows; nothing is fetched until the runner asks for the next
// page, so it can stop between pages when its time budget runs low.
// Rules that keep a misbehaving API from ending a pass early (a full pass that ends early
// deletes the deals it did not reach): a page shorter than $top proves nothing by itself, so
// paging goes on by keyset; one empty answer mid-pass may be a glitch. The walk ends on two empty
// answers in a row (the second our own keyset query), or on one empty answer to our own keyset
// query right after a short page — unless this walk has already seen a short page followed by
// more rows (the server caps pages below $top), when only two empty answers end it. A nextLink to
// another origin is not followed (the User-Key goes only to PLOOMES_BASE_URL); paging goes on by
// keyset instead. A page that does not move the keyset forward, rows out of order, or a
// repeated nextLink is an error, never an endless loop.

import type { PageResponse, PloomesClient } from "./client.ts";
import { PloomesInvalidResponseError, PloomesLoopError } from "./errors.ts";
import { compareDateTimes, isPloomesDateTime } from "./iso-date.ts";
import { isRecord } from "./json.ts";
import { buildFullDealsQuery, buildIncrementalDealsQuery, DEALS } from "./odata.ts";
import type { Collection, DealsQueryOptions, FullPosition, IncrementalPosition } from "./odata.ts";
import { HTTP_OK } from "./response.ts";
import { abortReason } from "./timing.ts";

export type PassMode = "full" | "incremental";

/** Empty answers in a row that end a pass: one more confirms that an empty page is the end. */
export const EMPTY_ANSWERS_TO_END = 2;

interface CommonOptions {
  readonly client: Pick<PloomesClient, "getPage" | "getAbsolute" | "origin">;
  readonly pageSize: number;
  readonly includeProducts: boolean;
  /** The collection to page (Deals when not given; Orders or Quotes for line items). */
  readonly collection?: Collection;
  readonly signal?: AbortSignal;
  /** Epoch ms, or a function read before each request (the budget may move it); waits never run past it. */
  readonly deadlineMs: number | (() => number);
}

export interface DealPage<P> {
  /** The rows as received (not yet validated), minus an immediate repeat of the previous Id. */
  readonly values: unknown[];
  /** Keyset position after the last row: store it with the rows to resume the pass here. */
  readonly nextPosition: P;
  /** The URL that produced this page (key-free). */
  readonly url: string;
  /** What the run should record about how Ploomes paged (ignored nextLink, empty page mid-pass). */
  readonly warnings: readonly string[];
}

/** How one pass mode builds queries, reads a row's key and orders positions. */
interface Keyset<P> {
  query(position: P, options: DealsQueryOptions): string;
  /** The position right after `row`, or null when the row lacks usable key fields. */
  positionOf(row: Record<string, unknown>): P | null;
  /** Whether `next` is strictly after `previous` (equal is allowed only after a `since` start). */
  advances(previous: P, next: P): boolean;
  /** Order of two row positions: negative, zero or positive. */
  compare(a: P, b: P): number;
  describe(position: P): string;
}

/** Keyset on Id, bounded above by `upTo` (inclusive; null = no bound). */
const fullKeyset = (upTo: number | null): Keyset<FullPosition> => ({
  query: (position, options) => buildFullDealsQuery(position, options, upTo),
  positionOf: (row) => {
    const id = idOf(row);
    return id === null ? null : { lastId: id };
  },
  advances: (previous, next) => previous.lastId === null || (next.lastId !== null && next.lastId > previous.lastId),
  compare: (a, b) => {
    const idA = a.lastId ?? Number.NEGATIVE_INFINITY;
    const idB = b.lastId ?? Number.NEGATIVE_INFINITY;
    return idA === idB ? 0 : idA < idB ? -1 : 1;
  },
  describe: (position) => (position.lastId === null ? "the start" : `Id ${position.lastId}`),
});

const incrementalKeyset: Keyset<IncrementalPosition> = {
  query: buildIncrementalDealsQuery,
  positionOf: (row) => {
    const id = idOf(row);
    const date = row["LastUpdateDate"];
    return id === null || typeof date !== "string" || !isPloomesDateTime(date)
      ? null
      : { lastUpdateDate: date, lastId: id };
  },
  advances: (previous, next) => {
    if ("since" in previous) return "since" in next || compareDateTimes(next.lastUpdateDate, previous.since) >= 0;
    return incrementalKeyset.compare(previous, next) < 0;
  },
  compare: (a, b) => {
    const [dateA, idA] = "since" in a ? [a.since, Number.NEGATIVE_INFINITY] : [a.lastUpdateDate, a.lastId];
    const [dateB, idB] = "since" in b ? [b.since, Number.NEGATIVE_INFINITY] : [b.lastUpdateDate, b.lastId];
    const byDate = compareDateTimes(dateA, dateB);
    if (byDate !== 0) return byDate;
    return idA === idB ? 0 : idA < idB ? -1 : 1;
  },
  describe: (position) =>
    "since" in position
      ? `LastUpdateDate ≥ ${position.since}`
      : `(LastUpdateDate ${position.lastUpdateDate}, Id ${position.lastId})`,
};

/** A row's Id when it is a safe integer, else null. */
export function idOf(row: unknown): number | null {
  if (!isRecord(row)) return null;
  const id = row["Id"];
  return typeof id === "number" && Number.isSafeInteger(id) ? id : null;
}

/** Pages of deals for one full-pass range (`Id gt lastId`, `Id le upTo`); ends when the range is done. */
export function fetchFullPages(
  options: CommonOptions & { readonly position: FullPosition; readonly upTo?: number | null },
): AsyncGenerator<DealPage<FullPosition>, void, undefined> {
  return walk(fullKeyset(options.upTo ?? null), options.position, options);
}

/** Pages of deals for an incremental pass, starting after `position`; ends when the pass is complete. */
export function fetchIncrementalPages(
  options: CommonOptions & { readonly position: IncrementalPosition },
): AsyncGenerator<DealPage<IncrementalPosition>, void, undefined> {
  return walk(incrementalKeyset, options.position, options);
}

type NextRequest = { readonly path: string } | { readonly absoluteUrl: string };

async function* walk<P>(
  keyset: Keyset<P>,
  start: P,
  options: CommonOptions,
): AsyncGenerator<DealPage<P>, void, undefined> {
  const { client, pageSize, includeProducts, signal, collection } = options;
  const noun = (collection ?? DEALS).noun;
  const deadline = options.deadlineMs;
  const queryOptions: DealsQueryOptions = { pageSize, includeProducts, collection };
  const keysetRequest = (after: P): NextRequest => ({ path: keyset.query(after, queryOptions) });
  const followedLinks = new Set<string>();
  let position = start;
  let request: NextRequest = keysetRequest(position);
  let previousId: number | null = null;
  let emptyAnswers = 0;
  // Whether the last page with rows was shorter than $top, and whether a short page has been
  // followed by more rows in this walk (then short pages prove nothing: the server caps them).
  let lastPageShort = false;
  let pagesCappedBelowTop = false;

  for (;;) {
    if (signal?.aborted) throw abortReason(signal);
    const requestOptions = { signal, deadlineMs: typeof deadline === "number" ? deadline : deadline() };
    const askedByKeyset = "path" in request;
    const page: PageResponse = "path" in request
      ? await client.getPage(request.path, requestOptions)
      : await client.getAbsolute(request.absoluteUrl, requestOptions);
    if (page.value.length === 0) {
      emptyAnswers += 1;
      if (emptyAnswers >= EMPTY_ANSWERS_TO_END) return;
      if (askedByKeyset && lastPageShort && !pagesCappedBelowTop) return;
      // Confirm the end with our own keyset query before anything can be swept.
      request = keysetRequest(position);
      continue;
    }
    const warnings: string[] = [];
    if (emptyAnswers > 0) {
      warnings.push(
        `Ploomes answered an empty page after ${keyset.describe(position)} and then more ${noun}; ` +
          "the pass went on (an empty page ends a pass only when the next request confirms it)",
      );
    }
    emptyAnswers = 0;
    if (lastPageShort) pagesCappedBelowTop = true;
    lastPageShort = page.value.length < pageSize;

    const context = { method: "GET", url: page.url };
    const keyed = page.value.flatMap((row) => {
      const key = isRecord(row) ? keyset.positionOf(row) : null;
      return key === null ? [] : [key];
    });
    const lastKey = keyed.at(-1);
    if (lastKey === undefined) {
      throw new PloomesInvalidResponseError(
        HTTP_OK,
        // The row's field names and types, never its values (they carry customer data).
        `none of the ${page.value.length} rows has a usable Id/LastUpdateDate, so paging cannot continue ` +
          `(first row: ${describeFields(page.value[0])})`,
        "",
        context,
      );
    }
    for (let index = 1; index < keyed.length; index += 1) {
      const before = keyed[index - 1];
      const key = keyed[index];
      if (before !== undefined && key !== undefined && keyset.compare(before, key) > 0) {
        throw new PloomesLoopError(
          `rows out of order (${keyset.describe(key)} came after ${
            keyset.describe(before)
          }); keyset paging would skip ${noun}`,
          context,
        );
      }
    }
    if (!keyset.advances(position, lastKey)) {
      throw new PloomesLoopError(
        `the page ends at ${keyset.describe(lastKey)}, which is not after ${keyset.describe(position)}`,
        context,
      );
    }

    const values = page.value.filter((row) => {
      const id = idOf(row);
      const repeat = id !== null && id === previousId;
      if (id !== null) previousId = id;
      return !repeat;
    });
    position = lastKey;

    // Decide the continuation now, but fetch it only when the runner asks for the next page.
    // Without a usable nextLink the keyset goes on, whatever the page's length.
    let next = keysetRequest(position);
    if (page.nextLink !== null) {
      const link = resolveNextLink(page.nextLink, page.url, client.origin);
      if ("ignored" in link) {
        warnings.push(link.ignored);
      } else {
        if (followedLinks.has(link.absoluteUrl) || link.absoluteUrl === page.url) {
          throw new PloomesLoopError(`@odata.nextLink repeats an earlier request: ${link.absoluteUrl}`, context);
        }
        followedLinks.add(link.absoluteUrl);
        next = link;
      }
    }

    yield { values, nextPosition: position, url: page.url, warnings };
    request = next;
  }
}

/** A nextLink on the configured origin is followed; any other is ignored with a warning. */
function resolveNextLink(
  nextLink: string,
  pageUrl: string,
  origin: string,
): { absoluteUrl: string } | { ignored: string } {
  const target = URL.canParse(nextLink) ? new URL(nextLink) : new URL(nextLink, pageUrl);
  if (target.origin === origin) return { absoluteUrl: target.href };
  return {
    ignored: `Ploomes sent an @odata.nextLink to ${target.origin}, not PLOOMES_BASE_URL's origin ${origin}: ` +
      "it was not followed (the User-Key goes only to PLOOMES_BASE_URL) and paging went on by keyset. " +
      "If Ploomes moved the account to that host, set PLOOMES_BASE_URL to it.",
  };
}

/** `{Id: number, Name: string, …}`: the shape of a row without its values. */
function describeFields(row: unknown): string {
  if (!isRecord(row)) return row === null ? "null" : typeof row;
  const fields = Object.entries(row).map(([key, value]) => `${key}: ${value === null ? "null" : typeof value}`);
  return `{${fields.join(", ")}}`;
}
