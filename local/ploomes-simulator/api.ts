// The Ploomes-shaped API: maps a path to an entity set, runs the OData query on it and wraps
// the page in the envelope `{"@odata.context", "value", "@odata.nextLink"?}`. Paging follows the
// settings: at most pageSize rows, and what happens when $top is larger or missing.

import { ENTITY_TYPES, type Row, type TypeName } from "./data/model.ts";
import type { Store } from "./data/store.ts";
import { badRequest } from "./errors.ts";
import { type Answer, json } from "./http-util.ts";
import { bindQuery } from "./odata/bind.ts";
import { planQuery, runPlan, shapeRow } from "./odata/execute.ts";
import { parseQueryOptions } from "./odata/query-options.ts";
import type { SimState } from "./state.ts";

interface EntitySet {
  readonly type: TypeName;
  /** Rows sorted by Id. */
  rows(store: Store, account: { readonly id: number; readonly name: string }): readonly Row[];
}

const ENTITY_SETS: Readonly<Record<string, EntitySet>> = {
  Deals: { type: "Deal", rows: (s) => s.deals.all() },
  Contacts: { type: "Contact", rows: (s) => s.contacts.all() },
  Products: { type: "Product", rows: (s) => s.products.all() },
  "Deals@Status": { type: "DealStatus", rows: (s) => s.statuses.all() },
  "Deals@Stages": { type: "Stage", rows: (s) => s.stages.all() },
  "Deals@Pipelines": { type: "Pipeline", rows: (s) => s.pipelines.all() },
  "Deals@LossReasons": { type: "LossReason", rows: (s) => s.lossReasons.all() },
  Account: { type: "Account", rows: (_s, account) => [{ Id: account.id, Name: account.name }] },
  // Tombstones [obs: the endpoint exists in a postman collection; the shape {Id, LastUpdateDate} is inf].
  "Deals/GetDeletedDeals": { type: "DeletedDeal", rows: (s) => s.deletedDeals.all() },
};

/** `/Deals`, `/Deals@Stages`, `/Deals(500000001)` or `/Deals/GetDeletedDeals`. */
const PATH_PATTERN = /^\/([A-Za-z]+(?:@[A-Za-z]+|\/GetDeletedDeals)?)(?:\((\d+)\))?$/;

export interface ApiRequest {
  /** Decoded path, e.g. `/Deals@Stages`. */
  readonly path: string;
  readonly params: URLSearchParams;
  /** Where this request was sent, e.g. `http://127.0.0.1:54340`; nextLinks point here. */
  readonly baseUrl: string;
  readonly account: string;
}

export function answerApi(state: SimState, request: ApiRequest): Answer {
  const match = PATH_PATTERN.exec(request.path);
  const setName = match?.[1];
  const set = setName === undefined ? undefined : ENTITY_SETS[setName];
  if (!match || setName === undefined || !set) return notFound(request.path);

  const settings = state.settings.get();
  const store = state.store;
  const type = ENTITY_TYPES[set.type];
  const options = parseQueryOptions(request.params);
  const query = bindQuery(type, options);
  const plan = planQuery(query, store);

  let rows = set.rows(store, { id: state.keys.accountId(request.account), name: request.account });
  const key = match[2];
  if (key !== undefined) {
    const row = rows.find((r) => r.Id === Number(key));
    if (!row) return notFound(request.path);
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
      throw badRequest(`The limit of '${pageSize}' for Top query has been exceeded. The value from the incoming request is '${query.top}'.`);
    }
    mayLink = settings.topOverflow === "nextLink";
  } else {
    limit = query.top;
  }
  const withCount = query.count && settings.supportsCount;
  const window = runPlan(plan, rows, { sortedById: true, limit, needTotal: withCount });

  const body: Record<string, unknown> = { "@odata.context": `${settings.contextBaseUrl ?? request.baseUrl}/$metadata#${setName}` };
  if (withCount) body["@odata.count"] = window.total;
  body.value = window.rows.map((row) => shapeRow(plan, row, store));
  const remainingTop = query.top === null ? null : query.top - window.rows.length;
  if (mayLink && window.more && (remainingTop === null || remainingTop > 0)) {
    const next = new URLSearchParams(request.params);
    next.set("$skip", String((query.skip ?? 0) + window.rows.length));
    if (remainingTop !== null) next.set("$top", String(remainingTop));
    body["@odata.nextLink"] = `${request.baseUrl}${encodeURI(request.path)}?${next.toString()}`;
  }
  return json(200, body);
}

function notFound(path: string): Answer {
  return json(404, { error: { code: "", message: `No HTTP resource was found that matches the request URI '${path}'.` } });
}
