// The Ploomes-shaped API: maps a path to an entity set, runs the OData query on it and wraps
// the page in the envelope `{"@odata.context", "value", "@odata.nextLink"?}`. Paging follows the
// settings: at most pageSize rows, and what happens when $top is larger or missing. Served rows
// of deals, contacts, products, orders and quotes get their raw overrides (overrides.ts) after
// shaping; page faults (emptyPage, nextLink, prependRows) arrive as a PageTamper and change the
// served page only.
// The `lineItemsOn` setting (line-items-on.ts) decides which of the places that hold line items —
// deals, orders, quotes — this request sees. The `unknownProperties` setting removes names from
// the model the query is bound to (odata/bind.ts): they are refused when named and not served.

import { lowerBoundById } from "./data/collection.ts";
import { idOf, type Row, type TypeName } from "./data/model.ts";
import type { DocumentKind, EntityKind, Store } from "./data/store.ts";
import { badRequest } from "./errors.ts";
import { type Answer, json } from "./http-util.ts";
import { checkDealExpansion, servesDocuments, sourceFor } from "./line-items-on.ts";
import { bindQuery, modelWithout } from "./odata/bind.ts";
import { planQuery, runPlan, shapeRow } from "./odata/execute.ts";
import { parseQueryOptions } from "./odata/query-options.ts";
import { applyOverride } from "./overrides.ts";
import type { SimState } from "./state.ts";

interface EntitySet {
  readonly type: TypeName;
  /** The admin kind whose row overrides apply to this set's rows; lookups and tombstones have none. */
  readonly kind?: EntityKind;
  /** Sets of orders or quotes (and their lines), which the `lineItemsOn` setting may empty. */
  readonly documents?: DocumentKind;
  /** Rows sorted by Id. */
  rows(store: Store, account: { readonly id: number; readonly name: string }): readonly Row[];
}

const ENTITY_SETS: Readonly<Record<string, EntitySet>> = {
  Deals: { type: "Deal", kind: "deals", rows: (s) => s.deals.all() },
  Contacts: { type: "Contact", kind: "contacts", rows: (s) => s.contacts.all() },
  Products: { type: "Product", kind: "products", rows: (s) => s.products.all() },
  "Deals@Status": { type: "DealStatus", rows: (s) => s.statuses.all() },
  "Deals@Stages": { type: "Stage", rows: (s) => s.stages.all() },
  "Deals@Pipelines": { type: "Pipeline", rows: (s) => s.pipelines.all() },
  "Deals@LossReasons": { type: "LossReason", rows: (s) => s.lossReasons.all() },
  Account: { type: "Account", rows: (_s, account) => [{ Id: account.id, Name: account.name }] },
  // Tombstones [obs: the endpoint exists in a postman collection; the shape {Id, LastUpdateDate} is inf].
  "Deals/GetDeletedDeals": { type: "DeletedDeal", rows: (s) => s.deletedDeals.all() },
  Orders: { type: "Order", kind: "orders", documents: "orders", rows: (s) => s.orders.rows.all() },
  "Orders@Products": { type: "OrderProduct", documents: "orders", rows: (s) => s.orders.lines.all() },
  Quotes: { type: "Quote", kind: "quotes", documents: "quotes", rows: (s) => s.quotes.rows.all() },
  "Quotes@Products": { type: "QuoteProduct", documents: "quotes", rows: (s) => s.quotes.lines.all() },
};

/** `/Deals`, `/Deals@Stages`, `/Orders@Products`, `/Deals(500000001)` or `/Deals/GetDeletedDeals`. */
const PATH_PATTERN = /^\/([A-Za-z]+(?:@[A-Za-z]+|\/GetDeletedDeals)?)(?:\((\d+)\))?$/;

export interface ApiRequest {
  /** Decoded path, e.g. `/Deals@Stages`. */
  readonly path: string;
  readonly params: URLSearchParams;
  /** Where this request was sent, e.g. `http://127.0.0.1:54340`; nextLinks point here. */
  readonly baseUrl: string;
  readonly account: string;
}

/**
 * What a page fault changes in a 200 answer (faults.ts; the default changes nothing). Errors
 * (400, 403, 404) are never tampered with.
 */
export interface PageTamper {
  /**
   * prependRows: rows of the same set, by Id, shaped like the page and put before it — a server
   * that repeats rows across pages. They are extra: $top, $skip and the nextLink ignore them.
   */
  readonly extraLeadingIds?: readonly number[];
  /** emptyPage: `value: []` and no nextLink, the rest of the envelope as usual. */
  readonly emptyValue?: boolean;
  /** nextLink: `@odata.nextLink` set to this, added or replacing the real one. */
  readonly nextLink?: string;
}

export interface ApiAnswer {
  readonly answer: Answer;
  /** For the request log, e.g. prepended Ids that do not exist. */
  readonly note?: string;
}

export function answerApi(state: SimState, request: ApiRequest, tamper: PageTamper = {}): ApiAnswer {
  const match = PATH_PATTERN.exec(request.path);
  const setName = match?.[1];
  const set = setName === undefined ? undefined : ENTITY_SETS[setName];
  if (!match || setName === undefined || !set) return { answer: notFound(request.path) };

  const settings = state.settings.get();
  const store = state.store;
  const source = sourceFor(store, settings.lineItemsOn);
  const options = parseQueryOptions(request.params);
  const query = bindQuery(set.type, options, modelWithout(settings.unknownProperties));
  checkDealExpansion(settings.lineItemsOn, query);
  const plan = planQuery(query, source);

  // An account that keeps no lines in this kind of document answers its sets empty, as a real
  // account that does not use orders (or quotes) would.
  const hidden = set.documents !== undefined && !servesDocuments(settings.lineItemsOn, set.documents);
  const allRows = hidden ? [] : set.rows(store, { id: state.keys.accountId(request.account), name: request.account });
  let rows = allRows;
  const key = match[2];
  if (key !== undefined) {
    const row = rows.find((r) => r.Id === Number(key));
    if (!row) return { answer: notFound(request.path) };
    rows = [row];
  }

  // Paging: $top ≤ pageSize is honoured; a larger or missing $top gets one page, plus a
  // nextLink when the settings say so.
  const pageSize = settings.pageSize;
  let limit = pageSize;
  let mayLink = false;
  if (query.top === null) {
    mayLink = settings.missingTop === "nextLink";
  } else if (query.top > pageSize) {
    if (settings.topOverflow === "error400") {
      throw badRequest(
        `The limit of '${pageSize}' for Top query has been exceeded. The value from the incoming request is '${query.top}'.`,
      );
    }
    mayLink = settings.topOverflow === "nextLink";
  } else {
    limit = query.top;
  }
  const withCount = query.count && settings.supportsCount;
  const window = runPlan(plan, rows, { sortedById: true, limit, needTotal: withCount });

  const body: Record<string, unknown> = {
    "@odata.context": `${settings.contextBaseUrl ?? request.baseUrl}/$metadata#${setName}`,
  };
  if (withCount) body["@odata.count"] = window.total;
  // Overrides change what is served, never which rows or in what order: the window above was
  // chosen on the stored values.
  const serve = (row: Row) => {
    const shaped = shapeRow(plan, row, source);
    return set.kind === undefined ? shaped : applyOverride(shaped, state.overrides.get(set.kind, idOf(row)));
  };
  const leading = leadingRows(allRows, tamper.extraLeadingIds ?? [], setName);
  body.value = tamper.emptyValue ? [] : [...leading.rows, ...window.rows].map(serve);
  const remainingTop = query.top === null ? null : query.top - window.rows.length;
  if (!tamper.emptyValue && mayLink && window.more && (remainingTop === null || remainingTop > 0)) {
    const next = new URLSearchParams(request.params);
    next.set("$skip", String((query.skip ?? 0) + window.rows.length));
    if (remainingTop !== null) next.set("$top", String(remainingTop));
    body["@odata.nextLink"] = `${request.baseUrl}${encodeURI(request.path)}?${next.toString()}`;
  }
  if (tamper.nextLink !== undefined) body["@odata.nextLink"] = tamper.nextLink;
  return { answer: json(200, body), ...(leading.note === undefined ? {} : { note: leading.note }) };
}

/**
 * The rows a prependRows fault names, in its order (repeats kept). Ids the set does not have are
 * skipped and named in the log note, so a mistyped Id shows up instead of silently testing nothing.
 */
function leadingRows(rows: readonly Row[], ids: readonly number[], setName: string): { rows: Row[]; note?: string } {
  const found: Row[] = [];
  const missing: number[] = [];
  for (const id of ids) {
    const row = rows[lowerBoundById(rows, id)];
    if (row !== undefined && idOf(row) === id) found.push(row);
    else missing.push(id);
  }
  return missing.length === 0
    ? { rows: found }
    : { rows: found, note: `prependRows: no ${setName} row with Id ${missing.join(", ")} (skipped)` };
}

/**
 * A row of a set as that set serves it without query options (every property, none expanded, the
 * `unknownProperties` left out, the row's override on): what webhooks send as `New` and `Old`.
 */
export function servedRow(state: SimState, setName: string, row: Row): Record<string, unknown> {
  const set = ENTITY_SETS[setName];
  if (!set) throw new Error(`no entity set ${setName}`);
  const settings = state.settings.get();
  const source = sourceFor(state.store, settings.lineItemsOn);
  const query = bindQuery(set.type, parseQueryOptions(new URLSearchParams()), modelWithout(settings.unknownProperties));
  const shaped = shapeRow(planQuery(query, source), row, source);
  return set.kind === undefined ? shaped : applyOverride(shaped, state.overrides.get(set.kind, idOf(row)));
}

/** The 404 of ASP.NET routing, for any path or key the API does not have. */
export function notFound(path: string): Answer {
  return json(404, {
    error: { code: "", message: `No HTTP resource was found that matches the request URI '${path}'.` },
  });
}
