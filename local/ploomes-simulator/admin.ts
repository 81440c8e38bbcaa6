// The admin API under `/__sim/` — a path the real API never uses. It lets tests and demos read
// the raw data (to compute expected results on their own), change it between pages, schedule
// faults and release held requests, serve raw (malformed) values through row overrides, read the
// request log and the webhook delivery log, flip behaviour settings and reset everything. Answers are plain
// JSON, not the OData envelope; no User-Key, no rate limit, not logged.

import type { IncomingMessage } from "node:http";
import { ENTITY_KINDS, type EntityKind } from "./data/store.ts";
import { isPlainObject } from "./data/validate.ts";
import { AdminError } from "./errors.ts";
import { type Answer, json, parseJsonBody, readBody } from "./http-util.ts";
import { parseOverrideKind } from "./overrides.ts";
import { type SimState, updateEntity } from "./state.ts";

const ENDPOINTS = [
  "GET    /__sim/snapshot                 raw data: contacts, products, deals, orders and quotes (with Products), deleted, lookups",
  "POST   /__sim/{deals|contacts|products}   insert (body: fields; Id optional) → 201 + stored row",
  "GET    /__sim/{deals|contacts|products}/:id",
  "PATCH  /__sim/{deals|contacts|products}/:id   update (body: fields, deals may replace Products); ?bumpLastUpdateDate=false keeps LastUpdateDate",
  "DELETE /__sim/{deals|contacts|products}/:id   delete; deals show up in snapshot.deleted and /Deals/GetDeletedDeals",
  "POST   /__sim/{orders|quotes}          insert (body: {DealId, Products: [{ProductId, Quantity, UnitPrice, Discount, Total}], …}) → 201; ContactId from the deal",
  "GET    /__sim/{orders|quotes}/:id",
  "PATCH  /__sim/{orders|quotes}/:id      update (fields and/or Products, which replace the lines); bumps LastUpdateDate unless ?bumpLastUpdateDate=false",
  "DELETE /__sim/{orders|quotes}/:id      delete the document and its lines (no tombstone)",
  "GET|POST|DELETE /__sim/faults         list | schedule {kind,count,status?,latencyMs?,retryAfterSeconds?,location?,ids?,match?} | clear",
  "GET    /__sim/faults/held              {held: n}: requests waiting in a hold fault",
  "POST   /__sim/faults/release           let every held request go on → {released: n}",
  "GET|DELETE /__sim/overrides           raw row overrides [{kind, id, fields}] | clear all",
  'PUT|DELETE /__sim/overrides/{deals|contacts|products|orders|quotes}/:id   serve these raw fields on that row ({"$remove": true} deletes a key) | drop it',
  "GET|DELETE /__sim/requests            request log | clear it",
  "GET|PATCH /__sim/settings             behaviour settings",
  "GET|POST /__sim/keys                  User-Keys | add {key, account}",
  "GET    /__sim/webhooks/deliveries      webhook delivery log [{registrationId, dealId, action, attempt, status, error, at}]",
  "POST   /__sim/reset                    back to the seeded state",
];

/** `route` is the path after `/__sim`, e.g. `/deals/500000001`. */
export async function handleAdmin(
  state: SimState,
  req: IncomingMessage,
  route: string,
  query: URLSearchParams,
): Promise<Answer> {
  const method = req.method ?? "GET";
  try {
    const body = method === "POST" || method === "PATCH" || method === "PUT"
      ? parseJsonBody(await readBody(req))
      : undefined;
    return dispatch(state, method, route, query, body);
  } catch (error) {
    if (error instanceof AdminError) return json(error.status, { error: error.message, problems: error.problems });
    throw error;
  }
}

function dispatch(state: SimState, method: string, route: string, query: URLSearchParams, body: unknown): Answer {
  const [, first = "", second, ...rest] = route.split("/");
  if (first === "overrides") {
    return overrideRoute(state, method, route.split("/").slice(2), body) ?? routeNotFound(method, route);
  }
  switch (`${method} ${route}`) {
    case "GET /faults/held":
      return json(200, { held: state.held.count() });
    case "POST /faults/release":
      return json(200, { released: state.held.releaseAll() });
    case "GET /webhooks/deliveries":
      return json(200, state.webhooks.deliveries());
  }
  if (rest.length > 0) return routeNotFound(method, route);
  const endpoint = `${method} ${first}${second === undefined ? "" : "/:id"}`;
  switch (endpoint) {
    case "GET ":
      return json(200, { endpoints: ENDPOINTS });
    case "GET health":
      // The local stack checks that the process answering on the port is the one it started.
      return json(200, { ok: true, pid: process.pid });
    case "GET snapshot":
      return json(200, state.store.snapshot());
    case "POST reset":
      state.reset();
      return json(200, { reset: true });
    case "GET settings":
      return json(200, state.settings.get());
    case "PATCH settings":
      return json(200, state.settings.update(body));
    case "GET faults":
      return json(200, state.faults.pending());
    case "POST faults":
      return json(201, state.faults.add(body));
    case "DELETE faults":
      state.faults.clear();
      return json(200, { cleared: true });
    case "GET requests":
      return json(200, state.log.list());
    case "DELETE requests":
      state.log.clear();
      return json(200, { cleared: true });
    case "GET keys":
      return json(200, state.keys.list());
    case "POST keys":
      return addKey(state, body);
  }
  const kind = ENTITY_KINDS.find((k) => k === first);
  if (!kind) return routeNotFound(method, route);
  return entityRoute(state, method, kind, second, query, body) ?? routeNotFound(method, route);
}

function entityRoute(
  state: SimState,
  method: string,
  kind: EntityKind,
  idText: string | undefined,
  query: URLSearchParams,
  body: unknown,
): Answer | undefined {
  if (idText === undefined) return method === "POST" ? json(201, state.store.insert(kind, body)) : undefined;
  const id = numericId(idText);
  switch (method) {
    case "GET":
      return json(200, state.store.get(kind, id));
    case "PATCH": {
      const { fields, bump } = takeBumpFlag(body, query);
      return json(200, updateEntity(state, kind, id, fields, bump));
    }
    case "DELETE":
      return json(200, state.store.remove(kind, id));
    default:
      return undefined;
  }
}

function numericId(text: string): number {
  if (!/^\d+$/.test(text)) throw new AdminError(400, `'${text}' is not a numeric Id`);
  return Number(text);
}

/** `/overrides` (segments []) and `/overrides/{kind}/:id`. */
function overrideRoute(
  state: SimState,
  method: string,
  segments: readonly string[],
  body: unknown,
): Answer | undefined {
  if (segments.length === 0) {
    if (method === "GET") return json(200, state.overrides.list());
    if (method !== "DELETE") return undefined;
    state.overrides.clear();
    return json(200, { cleared: true });
  }
  const [kindText, idText] = segments;
  if (segments.length !== 2 || kindText === undefined || idText === undefined) return undefined;
  if (method !== "PUT" && method !== "DELETE") return undefined;
  const kind = parseOverrideKind(kindText);
  const id = numericId(idText);
  if (method === "PUT") return json(200, state.overrides.set(kind, id, body));
  const removed = state.overrides.remove(kind, id);
  if (removed === undefined) throw new AdminError(404, `no override for ${kind} ${id}`);
  return json(200, removed);
}

/**
 * `bumpLastUpdateDate` may come as a query parameter or a body field (default true); the body
 * wins. It is not an entity field, so it is taken out before validation.
 */
function takeBumpFlag(body: unknown, query: URLSearchParams): { fields: unknown; bump: boolean } {
  const fromQuery = query.get("bumpLastUpdateDate");
  if (fromQuery !== null && fromQuery !== "true" && fromQuery !== "false") {
    throw new AdminError(400, `bumpLastUpdateDate must be true or false, got '${fromQuery}'`);
  }
  let bump = fromQuery !== "false";
  if (!isPlainObject(body) || !("bumpLastUpdateDate" in body)) return { fields: body, bump };
  const { bumpLastUpdateDate, ...fields } = body;
  if (typeof bumpLastUpdateDate !== "boolean") throw new AdminError(400, "bumpLastUpdateDate must be a boolean");
  bump = bumpLastUpdateDate;
  return { fields, bump };
}

function addKey(state: SimState, body: unknown): Answer {
  if (
    !isPlainObject(body) || typeof body.key !== "string" || typeof body.account !== "string" || body.key === "" ||
    body.account === ""
  ) {
    throw new AdminError(400, 'the body must be {"key": string, "account": string}');
  }
  state.keys.add({ key: body.key, account: body.account });
  return json(201, { key: body.key, account: body.account });
}

function routeNotFound(method: string, route: string): Answer {
  return json(404, { error: `no admin endpoint ${method} /__sim${route}; GET /__sim lists them` });
}
