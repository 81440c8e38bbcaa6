// Where a pass reads line items (docs/metrics.md, "Where line items come from"). An incremental
// pass keeps the source in force, so a customer's product metrics never mix two sources; a full
// pass takes PLOOMES_LINE_ITEMS_SOURCE, and `auto` decides with a few cheap requests: the deal
// `Products` expansion when Ploomes accepts it and the latest won deals carry lines, otherwise
// orders, otherwise quotes, otherwise none. Ploomes answers 403 both to a refused expansion and to
// a bad key, so a 403 to the deals probe is told apart by the same request without the expansion.
import type { LineItemsSetting } from "../config/config.ts";
import type { LineItemsChoice, LineItemsPlan, LineItemsSource, SyncDb } from "../db/rpc.ts";
import type { PloomesClient } from "../ploomes/client.ts";
import { DOCUMENT_COLLECTIONS, type DocumentKind } from "../ploomes/documents.ts";
import { PloomesHttpError } from "../ploomes/errors.ts";
import { isRecord } from "../ploomes/json.ts";
import { buildLineItemsExpand, buildQuery, DEALS_PATH } from "../ploomes/odata.ts";
import { idOf } from "../ploomes/pages.ts";

/** Latest records each probe looks at: enough to see lines in an account that uses them. */
export const PROBE_SAMPLE = 50;
const HTTP_FORBIDDEN = 403;
const HTTP_NOT_FOUND = 404;
/** Deal status "won" (docs/metrics.md). */
const STATUS_WON = 2;

export interface ProbeOptions {
  readonly client: Pick<PloomesClient, "getPage">;
  readonly signal: AbortSignal;
  readonly deadlineMs: () => number;
}

export interface SourceRequest {
  readonly configured: LineItemsSetting;
  readonly mode: "full" | "incremental";
  /** The source the published metrics were computed with. */
  readonly inForce: LineItemsSource;
}

/** The choice for a pass, probing Ploomes only for a full pass under `auto`. */
export async function chooseLineItemsSource(
  request: SourceRequest,
  probe: ProbeOptions,
): Promise<LineItemsChoice & { readonly maxId?: number }> {
  const { configured, mode, inForce } = request;
  if (mode === "incremental") {
    const waits = configured !== "auto" && configured !== inForce;
    return {
      source: inForce,
      reason: `in force since the last full pass (an incremental pass never changes the source)`,
      ...(waits
        ? {
          warning:
            `PLOOMES_LINE_ITEMS_SOURCE=${configured} takes effect at the next full pass; this incremental pass keeps ` +
            `${inForce}. To switch now, run a full pass: select public.trigger_customer_sales_sync('full');`,
        }
        : {}),
    };
  }
  if (configured !== "auto") return { source: configured, reason: `PLOOMES_LINE_ITEMS_SOURCE=${configured}` };
  return await probeLineItems(probe);
}

/** `auto`: the first place whose latest records carry line items, and why. */
export async function probeLineItems(options: ProbeOptions): Promise<LineItemsChoice & { readonly maxId?: number }> {
  const notes: string[] = [];
  const deals = await probeDeals(options);
  if (deals.withLines > 0) {
    return {
      source: "deals",
      reason: `auto: ${deals.withLines} of the ${deals.sampled} latest won deals carry line items (deal Products)`,
    };
  }
  notes.push(deals.note);
  for (const kind of ["orders", "quotes"] as const satisfies readonly DocumentKind[]) {
    const found = await probeDocuments(kind, options);
    if (found.withLines > 0) {
      return {
        source: kind,
        reason: `auto: ${notes.join("; ")}; ${found.withLines} of the ${found.sampled} latest ${kind} carry line items`,
        ...(found.maxId === undefined ? {} : { maxId: found.maxId }),
      };
    }
    notes.push(found.note);
  }
  return { source: "none", reason: `auto: no line items found: ${notes.join("; ")}` };
}

interface ProbeResult {
  readonly sampled: number;
  readonly withLines: number;
  readonly note: string;
  /** The highest Id seen (the probe asks for the latest by Id), when any. */
  readonly maxId?: number;
}

function linesIn(rows: readonly unknown[]): number {
  return rows.filter((row) => isRecord(row) && Array.isArray(row["Products"]) && row["Products"].length > 0).length;
}

async function probeDeals(options: ProbeOptions): Promise<ProbeResult> {
  const latestWon: [string, string][] = [
    ["$filter", `StatusId eq ${STATUS_WON}`],
    ["$orderby", "Id desc"],
    ["$top", String(PROBE_SAMPLE)],
    ["$select", "Id"],
  ];
  const path = buildQuery(DEALS_PATH, [...latestWon, ["$expand", buildLineItemsExpand()]]);
  try {
    const page = await options.client.getPage(path, { signal: options.signal, deadlineMs: options.deadlineMs() });
    const withLines = linesIn(page.value);
    const note = page.value.length === 0
      ? "there are no won deals to look at"
      : `the deal Products expansion is accepted but none of the ${page.value.length} latest won deals carries line items`;
    return { sampled: page.value.length, withLines, note };
  } catch (error) {
    if (!(error instanceof PloomesHttpError) || error.status !== HTTP_FORBIDDEN) throw error;
    // The same request without the expansion: a 403 here too is the key or the query, not the
    // expansion, and is the pass's error.
    await options.client.getPage(buildQuery(DEALS_PATH, latestWon), {
      signal: options.signal,
      deadlineMs: options.deadlineMs(),
    });
    return { sampled: 0, withLines: 0, note: "Ploomes refused the deal Products expansion (403)" };
  }
}

async function probeDocuments(kind: DocumentKind, options: ProbeOptions): Promise<ProbeResult> {
  const collection = DOCUMENT_COLLECTIONS[kind];
  const path = buildQuery(collection.path, [
    ["$orderby", "Id desc"],
    ["$top", String(PROBE_SAMPLE)],
    ["$select", "Id"],
    ["$expand", buildLineItemsExpand()],
  ]);
  try {
    const page = await options.client.getPage(path, { signal: options.signal, deadlineMs: options.deadlineMs() });
    const note = page.value.length === 0
      ? `there are no ${kind}`
      : `none of the ${page.value.length} latest ${kind} carries line items`;
    const maxId = idOf(page.value[0]);
    return { sampled: page.value.length, withLines: linesIn(page.value), note, ...(maxId === null ? {} : { maxId }) };
  } catch (error) {
    // An account without the orders or quotes module may refuse or not know the collection.
    if (error instanceof PloomesHttpError && (error.status === HTTP_FORBIDDEN || error.status === HTTP_NOT_FOUND)) {
      return { sampled: 0, withLines: 0, note: `Ploomes answered ${error.status} to ${collection.path}` };
    }
    throw error;
  }
}

/** The run's line-item plan with its source decided: the pass's recorded choice, or a new one recorded now. */
export async function planLineItems(
  db: Pick<SyncDb, "lineItems">,
  runId: number,
  request: Omit<SourceRequest, "inForce">,
  probe: ProbeOptions,
): Promise<
  LineItemsPlan & { readonly source: LineItemsSource; readonly decidedNow: boolean; readonly maxId?: number }
> {
  const plan = await db.lineItems(runId);
  if (plan.source !== null) return { ...plan, source: plan.source, decidedNow: false };
  const choice = await chooseLineItemsSource({ ...request, inForce: plan.inForce }, probe);
  const { maxId, ...recordedChoice } = choice;
  const recorded = await db.lineItems(runId, recordedChoice);
  // A dry run has no pass to record on: its choice is on its run only.
  return {
    ...recorded,
    source: recorded.source ?? choice.source,
    reason: recorded.reason ?? choice.reason,
    decidedNow: true,
    // The probe's highest Id of the chosen orders or quotes cuts their ranges without asking again.
    ...(maxId === undefined ? {} : { maxId }),
  };
}
