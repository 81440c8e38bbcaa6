// The walks of a pass: the deals (with the fallback without line items when Ploomes refuses the
// Products expansion) and, when line items come from orders or quotes, those alongside — each page
// validated and stored with the walk's position. The runner starts them and finishes the pass.
import { parseDealPageToRows } from "../db/deal-payload.ts";
import type { GrantedClaim } from "../db/rpc.ts";
import { PloomesHttpError } from "../ploomes/errors.ts";
import type { DealPage } from "../ploomes/pages.ts";
import { linkSignals } from "../ploomes/timing.ts";
import { type Budget, pageDeadline } from "./budget.ts";
import { dbStats, type RunnerDeps } from "./deps.ts";
import { walkDocuments } from "./document-walk.ts";
import { type Lane, type WalkEnd, walkLanes } from "./lanes.ts";
import { planLineItems } from "./line-item-source.ts";
import { createPassWalk } from "./pass-walk.ts";
import { type PassStart, passStart } from "./positions.ts";

const HTTP_FORBIDDEN = 403;

/**
 * Decides (once per pass) where line items come from, then walks the deals and — when line items
 * come from orders or quotes — those at the same time: each walk has its own lanes and position,
 * the token bucket gates both, and the first error stops both. A resumed walk that had ended ends
 * again at once (a full pass's ranges are all done) or after its confirming requests (incremental).
 */
export async function walkDealsAndLines(
  deps: RunnerDeps,
  claim: GrantedClaim,
  budget: Budget,
  runSignal: AbortSignal,
  leaseSeconds: number,
): Promise<WalkEnd> {
  const { config, db, ploomes, log } = deps;
  const probe = { client: ploomes, signal: runSignal, deadlineMs: () => pageDeadline(budget, deps.now()) };
  const lines = await planLineItems(
    db,
    claim.runId,
    { configured: config.ploomes.lineItemsSource, mode: claim.mode },
    probe,
  );
  if (lines.decidedNow) log({ event: "line-items", runId: claim.runId, source: lines.source, reason: lines.reason });

  const together = linkSignals([runSignal]);
  let firstError: { error: unknown } | null = null;
  const stopOthers = (error: unknown): never => {
    firstError ??= { error };
    together.controller.abort(error);
    throw error;
  };
  // (Deals are walked with Products only when they are the source, so a 403 from this walk's
  // fallback never meets one from an orders or quotes walk.)
  const walks = [
    walkPass(deps, claim, budget, together.signal, leaseSeconds, lines.source === "deals").catch(stopOthers),
  ];
  if (!claim.dryRun && (lines.source === "orders" || lines.source === "quotes")) {
    const walkDeps = {
      db,
      ploomes,
      now: deps.now,
      log,
      cpuUsedMs: () => deps.worker.cpuUsedMs(),
      stats: () => dbStats(ploomes),
    };
    walks.push(
      walkDocuments(
        walkDeps,
        {
          runId: claim.runId,
          kind: lines.source,
          mode: claim.mode,
          position: lines.linesPosition,
          since: claim.since,
          pageSize: config.ploomes.pageSize,
          requestsPerMinute: config.ploomes.requestsPerMinute,
          leaseSeconds,
          ...(lines.maxId === undefined ? {} : { knownMaxId: lines.maxId }),
        },
        budget,
        together.signal,
      ).catch(stopOthers),
    );
  }
  try {
    // Every walk settles (an aborted one after its page in hand is dealt with) before the run goes on.
    const settled = await Promise.allSettled(walks);
    if (firstError !== null) throw (firstError as { error: unknown }).error;
    const ends = settled.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
    return ends.find((end) => end.kind === "stopped") ?? { kind: "ended" };
  } finally {
    together.dispose();
  }
}

/**
 * Walks the pass's lanes — every open one at once, after a first page alone when a new full pass
 * must cut its ranges or a Products fallback must be confirmed — and retries without the
 * Products expansion when Ploomes refuses it.
 */
async function walkPass(
  deps: RunnerDeps,
  claim: GrantedClaim,
  budget: Budget,
  runSignal: AbortSignal,
  leaseSeconds: number,
  wantsProducts: boolean,
): Promise<WalkEnd> {
  const { config, db, ploomes, log } = deps;
  let start: PassStart = passStart(claim);
  // Deals carry line items only when they are the pass's source (and Ploomes has not refused them).
  let includeProducts = wantsProducts && claim.productsAvailable;
  let productsFallbackTried = !includeProducts;
  let productsWarning: string | null = null;
  // The fallback is confirmed by the first answer without the expansion: a stored page, or the end.
  const recordProductsWarning = async (): Promise<void> => {
    if (productsWarning === null) return;
    await db.disableProducts(claim.runId, productsWarning);
    log({ event: "products-disabled", runId: claim.runId });
    productsWarning = null;
  };

  for (;;) {
    // One attempt per query shape: a Products fallback starts the lanes again where they stood.
    const attempt = linkSignals([runSignal]);
    const walk = createPassWalk(start, {
      client: ploomes,
      pageSize: config.ploomes.pageSize,
      includeProducts,
      requestsPerMinute: config.ploomes.requestsPerMinute,
      signal: attempt.signal,
      deadlineMs: () => pageDeadline(budget, deps.now()),
    });
    const products = includeProducts;
    const hooks = {
      ended: (lane: Lane) => walk.ended(lane),
      store: async (lane: Lane, page: DealPage<unknown>, fetchMs: number) => {
        const position = await walk.positionAfter(lane, page, fetchMs);
        // Validated and mapped in one step to the rows sync_ingest_page reads (db/deal-payload.ts).
        const { rows, rejects } = parseDealPageToRows(page.values, products);
        const stored = await db.ingestPage({
          runId: claim.runId,
          rows,
          position,
          range: lane.range,
          rejects,
          warnings: page.warnings,
          stats: dbStats(ploomes),
          leaseSeconds,
        });
        walk.commit(position);
        await recordProductsWarning();
        log({
          event: "page",
          runId: claim.runId,
          page: budget.pagesDone + 1,
          range: lane.range,
          deals: stored.stored,
          rejected: stored.rejected,
          fetchMs,
          ...(page.warnings.length > 0 ? { warnings: page.warnings } : {}),
        });
      },
    };
    const context = {
      budget,
      now: deps.now,
      cpuUsedMs: () => deps.worker.cpuUsedMs(),
      signal: attempt.signal,
      abort: (reason: unknown) => attempt.controller.abort(reason),
    };
    try {
      // A retry without Products replaces the refused request, which the budget had allowed: it
      // goes regardless, or the warning would be lost and the next run would meet the same 403.
      const retrying = productsWarning !== null;
      // One page alone first when its answer decides what follows: a new full pass cuts its
      // ranges by it, a retry without Products confirms the fallback. A resumed pass's ranges
      // start at once (a 403 there ends every lane and comes back here all the same).
      if (retrying || (start.mode === "full" && start.ranges === null)) {
        const probe = await walkLanes(walk.lanes().slice(0, 1), {
          ...context,
          pageLimit: 1,
          firstPageAllowed: retrying,
        }, hooks);
        if (probe.kind === "ended") await recordProductsWarning();
        if (probe.kind === "stopped") return probe;
      }
      return await walkLanes(walk.lanes(), context, hooks);
    } catch (error) {
      if (
        error instanceof PloomesHttpError && error.status === HTTP_FORBIDDEN && includeProducts &&
        !productsFallbackTried
      ) {
        // Ploomes uses 403 for refused expansions and for bad keys alike: retry without the
        // Products expansion; if that works, it was the expansion (a warning, not a failure).
        productsFallbackTried = true;
        includeProducts = false;
        productsWarning =
          `Ploomes refused the Products expansion (${error.message}); this pass continues without line items, so products and custom-pricing metrics keep their last known values.`;
        start = walk.current();
        continue;
      }
      throw error;
    } finally {
      attempt.dispose();
    }
  }
}
