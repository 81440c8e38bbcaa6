// The runner when line items come from orders or quotes: the deals are walked without the
// Products expansion and, AT THE SAME TIME, the orders (or quotes) are paged like deals — a new
// full walk's first page alone, Id ranges, an incremental walk from the pass's `since` — and
// stored with ingestDocuments before the finish. The first error of either walk stops the other
// and fails the run; a walk that stops for the budget makes the run partial. Requests of the two
// walks interleave, so every script is routed by collection and $filter (byPathAndFilter) and the
// assertions are per collection; where the order between the walks is the point, the test holds
// an answer with a promise it controls. The fake database's lineItems answers the run's plan.
// Also documentWalkStart's pure cases. Every expected path, row and position is written out by hand.
import { describe, expect, it } from "vitest";
import type { LineItemsChoice, LineItemsPlan } from "../../supabase/functions/_shared/db/rpc.ts";
import { PloomesHttpError } from "../../supabase/functions/_shared/ploomes/errors.ts";
import { documentWalkStart } from "../../supabase/functions/_shared/sync/document-walk.ts";
import type { DocumentWalkPlan } from "../../supabase/functions/_shared/sync/document-walk.ts";
import {
  createFakeWorker,
  deal,
  DEAL_LAST_UPDATE,
  deals,
  fails,
  FAKE_RETRIES,
  FAKE_THROTTLED_WAITS,
  grantedClaim,
  page,
  passEnd,
  PLOOMES_BASE,
  requestKey,
  shortPageEnd,
  T0,
  untilAborted,
} from "./sync-fakes.ts";
import type { DbFn, FakePloomes, ManualClock, PageStep, PloomesRequest } from "./sync-fakes.ts";
import { http, RUN_ID, setup, STATS_AFTER } from "./sync-runner-setup.ts";

const SINCE = "2024-04-30T23:55:00Z";
const ORDER_UPDATE = "2024-05-01T13:00:00.7654321-03:00";

const DEAL_SELECT = "$select=Id,ContactId,ContactName,StatusId,Amount,FinishDate,LastUpdateDate,CreateDate";
const CONTACT_ONLY = "$expand=Contact($select=Id,Name,TypeId,CNPJ,CPF)";
const LINES_EXPAND =
  "Products($select=Id,ProductId,Quantity,UnitPrice,Discount,Total;$expand=Product($select=Id,UnitPrice))";
const ORDER_SELECT = "$select=Id,DealId,LastUpdateDate";
const QUOTE_SELECT = "$select=Id,DealId,ReviewNumber,LastReview,ApprovalStatusId,LastUpdateDate";

/** An order as Ploomes returns it for the orders walk's $select/$expand. */
function order(id: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Id: id,
    DealId: 1,
    LastUpdateDate: ORDER_UPDATE,
    Products: [{
      Id: 90,
      ProductId: 77,
      Quantity: 3,
      UnitPrice: 10,
      Discount: 0,
      Total: 30,
      Product: { Id: 77, UnitPrice: 12 },
    }],
    ...overrides,
  };
}
const orders = (fromId: number, toId: number) => Array.from({ length: toId - fromId + 1 }, (_, i) => order(fromId + i));

/** The row of order(id) for sync_ingest_documents. */
const orderRow = (id: number) => ({
  id,
  deal_id: 1,
  review_number: null,
  last_review: null,
  approval_status_id: null,
  last_update_date: ORDER_UPDATE,
  last_update_raw: ORDER_UPDATE,
  line_items: [{ product_id: 77, quantity: 3, unit_price: 10, discount: 0, total: 30, catalog_unit_price: 12 }],
});

/** A sync_line_items answer: the pass's source already recorded, with the lines walk's position. */
const recorded =
  (source: LineItemsPlan["source"], linesPosition: LineItemsPlan["linesPosition"] = null) => (): LineItemsPlan => ({
    source,
    reason: `PLOOMES_LINE_ITEMS_SOURCE=${source}`,
    inForce: "deals",
    inForceReason: null,
    linesPosition,
  });

const decoded = (ploomes: FakePloomes): string[] => ploomes.requests.map((request) => decodeURIComponent(request.path));
const oneRange = (after: number) => ({ ranges: [{ from: null, to: null, after, done: false }] });

/** Like byFilter (sync-fakes.ts), keyed by the collection too: `/Orders Id gt 10 and Id le 40`. */
function byPathAndFilter(routes: Readonly<Record<string, readonly PageStep[]>>) {
  const queues = new Map(Object.entries(routes).map(([key, steps]) => [key, [...steps]]));
  const keyOf = (request: PloomesRequest) => `${new URL(request.path, PLOOMES_BASE).pathname} ${requestKey(request)}`;
  const router: PageStep = (request) => {
    const step = queues.get(keyOf(request))?.shift();
    if (step === undefined) throw new Error(`fake Ploomes: no answer scripted for ${keyOf(request)} (${request.path})`);
    return step(request);
  };
  const total = Object.values(routes).reduce((sum, steps) => sum + steps.length, 0);
  return {
    steps: Array.from({ length: total }, () => router),
    unused: () =>
      Object.fromEntries(
        [...queues].filter(([, steps]) => steps.length > 0).map(([key, steps]) => [key, steps.length]),
      ),
    keyOf,
  };
}

/** The requests made to one collection, in the order made, decoded. */
const pathsOf = (ploomes: FakePloomes, collection: "Deals" | "Orders" | "Quotes"): string[] =>
  decoded(ploomes).filter((path) => path.startsWith(`/${collection}?`));

/**
 * db.fns() with the stores of the two walks (which land in whichever order their pages do)
 * listed deals first, then documents; every other call keeps its place.
 */
function storesGrouped(fns: readonly DbFn[]): DbFn[] {
  const isStore = (fn: DbFn) => fn === "ingestPage" || fn === "ingestDocuments";
  const stores = fns.filter(isStore).sort((a, b) => (a === b ? 0 : a === "ingestPage" ? -1 : 1));
  let next = 0;
  return fns.map((fn) => (isStore(fn) ? (stores[next++] ?? fn) : fn));
}

/** Lets every pending promise callback run. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
}
function deferred(): Deferred {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

/** A step that answers with `then` once `gate` is open. */
const after = (gate: Deferred, then: PageStep): PageStep => async (request) => {
  await gate.promise;
  return then(request);
};
/** A step that opens `gate`, then answers with `then`. */
const opening = (gate: Deferred, then: PageStep): PageStep => (request) => {
  gate.resolve();
  return then(request);
};

/** A Ploomes error as the client raises it for a request to `path`. */
const ploomesError = (status: number, path: string, body: string): PloomesHttpError =>
  new PloomesHttpError(status, body, { method: "GET", url: `${PLOOMES_BASE}${path}`, displayUrl: path });

const DEALS_FIRST = `/Deals?$orderby=Id&$top=300&${DEAL_SELECT}&${CONTACT_ONLY}`;
const dealsAfter = (id: number) => `/Deals?$filter=Id gt ${id}&$orderby=Id&$top=300&${DEAL_SELECT}&${CONTACT_ONLY}`;
const ORDERS_FIRST = `/Orders?$orderby=Id&$top=300&${ORDER_SELECT}&$expand=${LINES_EXPAND}`;
const ordersAfter = (id: number) =>
  `/Orders?$filter=Id gt ${id}&$orderby=Id&$top=300&${ORDER_SELECT}&$expand=${LINES_EXPAND}`;

describe("runSync, line items from orders: a new full pass", () => {
  const script = () =>
    byPathAndFilter({
      // Deals: a short first page, then the one empty answer that ends it.
      "/Deals (no filter)": [page(deals(1, 3))],
      "/Deals Id gt 3": shortPageEnd(),
      // Orders: the same, on /Orders.
      "/Orders (no filter)": [page([order(11), order(12)])],
      "/Orders Id gt 12": shortPageEnd(),
    });

  it("walks the deals without the Products expansion and /Orders with it, then finishes", async () => {
    const routes = script();
    const { db, ploomes, run } = setup({ db: { lineItems: recorded("orders") }, steps: routes.steps });
    const outcome = await run();

    expect(outcome.status).toBe(200);
    expect(outcome.body["status"]).toBe("succeeded");
    expect(routes.unused()).toEqual({});
    expect(pathsOf(ploomes, "Deals")).toEqual([DEALS_FIRST, dealsAfter(3)]);
    expect(pathsOf(ploomes, "Orders")).toEqual([ORDERS_FIRST, ordersAfter(12)]);
    expect(ploomes.requests).toHaveLength(4);
    expect(storesGrouped(db.fns())).toEqual(["claim", "ingestPage", "ingestDocuments", "finishPass"]);
    expect(db.lineItemCalls).toEqual([{ runId: RUN_ID, choice: undefined }]);
  });

  it("stores the deals with line_items null (unknown, not none) and the orders with kind, rows and {ranges} position", async () => {
    const { db, ploomes, run } = setup({ db: { lineItems: recorded("orders") }, steps: script().steps });
    await run();

    const dealPages = db.callsTo("ingestPage");
    expect(dealPages).toHaveLength(1);
    expect(dealPages[0]?.rows.map((row) => [row.id, row.line_items])).toEqual([[1, null], [2, null], [3, null]]);
    expect(dealPages[0]?.position).toEqual(oneRange(3));
    expect(dealPages[0]?.range).toBe(0);

    // The client's counters as they stood at the store: how many requests both walks had made by
    // then depends on how they interleaved, so only its bounds are fixed (below).
    expect(db.callsTo("ingestDocuments")).toEqual([
      {
        fn: "ingestDocuments",
        runId: RUN_ID,
        kind: "orders",
        rows: [orderRow(11), orderRow(12)],
        position: oneRange(12),
        range: 0,
        rejects: [],
        warnings: [],
        stats: { requests: expect.any(Number), retries: FAKE_RETRIES, throttledWaits: FAKE_THROTTLED_WAITS },
        leaseSeconds: 60,
      },
    ]);
    // At least the orders page itself had been asked; the request after it is asked only once it is stored.
    const stored = db.callsTo("ingestDocuments")[0]?.stats.requests ?? 0;
    expect(stored).toBeGreaterThanOrEqual(decoded(ploomes).indexOf(ORDERS_FIRST) + 1);
    expect(stored).toBeLessThanOrEqual(decoded(ploomes).indexOf(ordersAfter(12)));
    expect(db.callsTo("finishPass")[0]?.stats).toEqual(STATS_AFTER(4));
  });

  it("logs each orders page with its entity and counts", async () => {
    const { events, eventNames, run } = setup({ db: { lineItems: recorded("orders") }, steps: script().steps });
    await run();
    expect(eventNames()).toEqual(["run-start", "page", "page", "run-end"]);
    const pages = events.filter((event) => event["event"] === "page");
    expect(pages.filter((event) => event["entity"] === "orders")).toEqual([
      expect.objectContaining({ event: "page", runId: RUN_ID, entity: "orders", range: 0, documents: 2, rejected: 0 }),
    ]);
    expect(pages.filter((event) => event["entity"] === undefined)).toEqual([
      expect.objectContaining({ event: "page", runId: RUN_ID, range: 0, deals: 3, rejected: 0 }),
    ]);
  });

  it("invalid orders are rejects of their page; the valid ones are stored", async () => {
    const bad = order(12, { Products: [{ ProductId: 7, Quantity: 1, UnitPrice: 10, Discount: 150, Total: 10 }] });
    const routes = byPathAndFilter({
      "/Deals (no filter)": [page(deals(1, 1))],
      "/Deals Id gt 1": shortPageEnd(),
      "/Orders (no filter)": [page([order(11), bad, order(13)])],
      "/Orders Id gt 13": shortPageEnd(),
    });
    const { db, run } = setup({ db: { lineItems: recorded("orders") }, steps: routes.steps });
    await run();
    expect(routes.unused()).toEqual({});
    const calls = db.callsTo("ingestDocuments");
    expect(calls).toHaveLength(1);
    expect(calls[0]?.rows.map((row) => row.id)).toEqual([11, 13]);
    expect(calls[0]?.rejects).toEqual([
      { id: 12, field: "Products.0.Discount", reason: "Products.0.Discount: Too big: expected number to be <=100" },
    ]);
    expect(calls[0]?.warnings).toEqual([]);
    // The position is the page's last Id, rejected or not.
    expect(calls[0]?.position).toEqual(oneRange(13));
  });

  it("no orders at all: two empty answers end the walk, nothing is stored for it", async () => {
    const routes = byPathAndFilter({
      "/Deals (no filter)": [page(deals(1, 2))],
      "/Deals Id gt 2": shortPageEnd(),
      "/Orders (no filter)": passEnd(),
    });
    const { db, ploomes, run } = setup({ db: { lineItems: recorded("orders") }, steps: routes.steps });
    const outcome = await run();
    expect(routes.unused()).toEqual({});
    expect(pathsOf(ploomes, "Orders")).toEqual([ORDERS_FIRST, ORDERS_FIRST]);
    expect(pathsOf(ploomes, "Deals")).toEqual([DEALS_FIRST, dealsAfter(2)]);
    expect(db.fns()).toEqual(["claim", "ingestPage", "finishPass"]);
    expect(outcome.body["status"]).toBe("succeeded");
  });

  it("quotes: /Quotes with the quote fields, stored with kind quotes", async () => {
    const quote = {
      Id: 21,
      DealId: 2,
      ReviewNumber: 1,
      LastReview: true,
      ApprovalStatusId: 2,
      LastUpdateDate: ORDER_UPDATE,
      Products: [],
    };
    const routes = byPathAndFilter({
      "/Deals (no filter)": [page(deals(1, 1))],
      "/Deals Id gt 1": shortPageEnd(),
      "/Quotes (no filter)": [page([quote])],
      "/Quotes Id gt 21": shortPageEnd(),
    });
    const { db, ploomes, run } = setup({ db: { lineItems: recorded("quotes") }, steps: routes.steps });
    await run();
    expect(routes.unused()).toEqual({});
    expect(pathsOf(ploomes, "Quotes")).toEqual([
      `/Quotes?$orderby=Id&$top=300&${QUOTE_SELECT}&$expand=${LINES_EXPAND}`,
      `/Quotes?$filter=Id gt 21&$orderby=Id&$top=300&${QUOTE_SELECT}&$expand=${LINES_EXPAND}`,
    ]);
    expect(pathsOf(ploomes, "Deals")).toEqual([DEALS_FIRST, dealsAfter(1)]);
    expect(pathsOf(ploomes, "Orders")).toEqual([]);
    const calls = db.callsTo("ingestDocuments");
    expect(calls).toHaveLength(1);
    expect(calls[0]?.kind).toBe("quotes");
    expect(calls[0]?.rows).toEqual([{
      id: 21,
      deal_id: 2,
      review_number: 1,
      last_review: true,
      approval_status_id: 2,
      last_update_date: ORDER_UPDATE,
      last_update_raw: ORDER_UPDATE,
      line_items: [],
    }]);
  });

  it("source deals: the deals carry the Products expansion and no other collection is asked", async () => {
    const { db, ploomes, run } = setup({
      db: { lineItems: recorded("deals") },
      steps: [page(deals(1, 1)), ...shortPageEnd()],
    });
    await run();
    expect(decoded(ploomes)[0]).toBe(
      `/Deals?$orderby=Id&$top=300&${DEAL_SELECT}&$expand=Contact($select=Id,Name,TypeId,CNPJ,CPF),${LINES_EXPAND}`,
    );
    expect(ploomes.requests).toHaveLength(2);
    expect(db.callsTo("ingestPage")[0]?.rows[0]?.line_items).toEqual([
      { product_id: 77, quantity: 2, unit_price: 10, discount: 5, total: 19, catalog_unit_price: 12 },
    ]);
    expect(db.fns()).toEqual(["claim", "ingestPage", "finishPass"]);
  });

  it("source none: the deals without Products, and nothing else", async () => {
    const { db, ploomes, run } = setup({
      db: { lineItems: recorded("none") },
      steps: [page(deals(1, 1)), ...shortPageEnd()],
    });
    await run();
    expect(decoded(ploomes)).toEqual([
      `/Deals?$orderby=Id&$top=300&${DEAL_SELECT}&${CONTACT_ONLY}`,
      `/Deals?$filter=Id gt 1&$orderby=Id&$top=300&${DEAL_SELECT}&${CONTACT_ONLY}`,
    ]);
    expect(db.callsTo("ingestPage")[0]?.rows[0]?.line_items).toBeNull();
    expect(db.fns()).toEqual(["claim", "ingestPage", "finishPass"]);
  });
});

describe("runSync, line items from orders: the two walks run at the same time", () => {
  it("while the first /Deals answer is held, the orders walk asks, stores and ends; then the deals walk goes on", async () => {
    const dealsAnswer = deferred();
    const ordersAskedTheirEnd = deferred();
    const routes = byPathAndFilter({
      "/Deals (no filter)": [after(dealsAnswer, page(deals(1, 3)))],
      "/Deals Id gt 3": shortPageEnd(),
      "/Orders (no filter)": [page([order(11), order(12)])],
      "/Orders Id gt 12": [opening(ordersAskedTheirEnd, page([]))],
    });
    const { db, ploomes, run } = setup({ db: { lineItems: recorded("orders") }, steps: routes.steps });
    const outcome = run();
    await ordersAskedTheirEnd.promise;
    await flush();

    // The deals walk has asked its first page and has no answer yet; the orders walk is done.
    expect(pathsOf(ploomes, "Deals")).toEqual([DEALS_FIRST]);
    expect(pathsOf(ploomes, "Orders")).toEqual([ORDERS_FIRST, ordersAfter(12)]);
    expect(db.fns()).toEqual(["claim", "ingestDocuments"]);

    dealsAnswer.resolve();
    const result = await outcome;
    expect(pathsOf(ploomes, "Deals")).toEqual([DEALS_FIRST, dealsAfter(3)]);
    expect(db.fns()).toEqual(["claim", "ingestDocuments", "ingestPage", "finishPass"]);
    expect(result.body["status"]).toBe("succeeded");
    expect(routes.unused()).toEqual({});
  });

  it("and the other way: while the first /Orders answer is held, the deals walk asks, stores and ends", async () => {
    const ordersAnswer = deferred();
    const dealsAskedTheirEnd = deferred();
    const routes = byPathAndFilter({
      "/Deals (no filter)": [page(deals(1, 3))],
      "/Deals Id gt 3": [opening(dealsAskedTheirEnd, page([]))],
      "/Orders (no filter)": [after(ordersAnswer, page([order(11), order(12)]))],
      "/Orders Id gt 12": shortPageEnd(),
    });
    const { db, ploomes, run } = setup({ db: { lineItems: recorded("orders") }, steps: routes.steps });
    const outcome = run();
    await dealsAskedTheirEnd.promise;
    await flush();

    expect(pathsOf(ploomes, "Orders")).toEqual([ORDERS_FIRST]);
    expect(pathsOf(ploomes, "Deals")).toEqual([DEALS_FIRST, dealsAfter(3)]);
    // The deals walk has ended, yet the run waits for the orders walk: no finish yet.
    expect(db.fns()).toEqual(["claim", "ingestPage"]);

    ordersAnswer.resolve();
    const result = await outcome;
    expect(pathsOf(ploomes, "Orders")).toEqual([ORDERS_FIRST, ordersAfter(12)]);
    expect(db.fns()).toEqual(["claim", "ingestPage", "ingestDocuments", "finishPass"]);
    expect(result.body["status"]).toBe("succeeded");
  });

  it("a 401 to the first /Orders page aborts the held /Deals request and fails the run with it (no finish)", async () => {
    const unauthorized = ploomesError(401, "/Orders", '{"error":{"message":"Unauthorized"}}');
    const routes = byPathAndFilter({
      "/Deals (no filter)": [untilAborted],
      "/Orders (no filter)": [fails(unauthorized)],
    });
    const { db, ploomes, run } = setup({ db: { lineItems: recorded("orders") }, steps: routes.steps });
    const outcome = await run();

    expect(outcome.status).toBe(502);
    expect(outcome.body).toMatchObject({ status: "failed", ploomesStatus: 401, error: unauthorized.message });
    expect(outcome.body["error"]).toMatch(/^Ploomes GET \/Orders → 401: /);
    expect(db.fns()).toEqual(["claim", "failRun"]);
    expect(db.callsTo("failRun")[0]).toMatchObject({ error: unauthorized.message, httpStatus: 502 });
    // The deals walk asked its first page only, and that request was aborted with the orders' error.
    expect(pathsOf(ploomes, "Deals")).toEqual([DEALS_FIRST]);
    expect(pathsOf(ploomes, "Orders")).toEqual([ORDERS_FIRST]);
    const dealsRequest = ploomes.requests.find((request) => request.path.startsWith("/Deals?"));
    expect(dealsRequest?.signal?.aborted).toBe(true);
    expect(dealsRequest?.signal?.reason).toBe(unauthorized);
  });

  it("a 500 (not retried) to /Orders while the deals walk is midway: its stored page stays, it asks nothing more, the run fails", async () => {
    const serverError = ploomesError(500, "/Orders", "Internal Server Error");
    const dealsAskedMore = deferred();
    const routes = byPathAndFilter({
      "/Deals (no filter)": [page(deals(1, 300))],
      // The deals walk's second page is in flight (never answered) when the orders walk fails.
      "/Deals Id gt 300": [opening(dealsAskedMore, untilAborted)],
      "/Orders (no filter)": [after(dealsAskedMore, fails(serverError))],
    });
    const { db, ploomes, run } = setup({ db: { lineItems: recorded("orders") }, steps: routes.steps });
    const outcome = await run();

    expect(outcome.status).toBe(502);
    expect(outcome.body).toMatchObject({ status: "failed", ploomesStatus: 500, error: serverError.message });
    expect(db.fns()).toEqual(["claim", "ingestPage", "failRun"]);
    expect(db.callsTo("ingestPage")[0]?.position).toEqual(oneRange(300));
    expect(pathsOf(ploomes, "Deals")).toEqual([DEALS_FIRST, dealsAfter(300)]);
    expect(pathsOf(ploomes, "Orders")).toEqual([ORDERS_FIRST]);
    expect(ploomes.requests).toHaveLength(3);
    const second = ploomes.requests.find((request) => decodeURIComponent(request.path) === dealsAfter(300));
    expect(second?.signal?.reason).toBe(serverError);
    expect(routes.unused()).toEqual({});
  });

  it("an error of the deals walk stops the orders walk the same way", async () => {
    const serverError = http(500, "Internal Server Error");
    const routes = byPathAndFilter({
      "/Deals (no filter)": [fails(serverError)],
      "/Orders (no filter)": [untilAborted],
    });
    const { db, ploomes, run } = setup({ db: { lineItems: recorded("orders") }, steps: routes.steps });
    const outcome = await run();

    expect(outcome.status).toBe(502);
    expect(outcome.body).toMatchObject({ status: "failed", ploomesStatus: 500, error: serverError.message });
    expect(db.fns()).toEqual(["claim", "failRun"]);
    expect(pathsOf(ploomes, "Orders")).toEqual([ORDERS_FIRST]);
    expect(ploomes.requests.find((request) => request.path.startsWith("/Orders?"))?.signal?.reason).toBe(serverError);
  });

  it("the orders walk stops for the CPU budget after the deals walk ended: the run is partial, no finish", async () => {
    // The deals' end request costs 1 000 ms of CPU (over SYNC_CPU_BUDGET_MS, 800); the first
    // /Orders answer lands after it. That first page is always fetched and stored; the next is not.
    const worker = createFakeWorker(T0);
    const dealsEnded = deferred();
    const routes = byPathAndFilter({
      "/Deals (no filter)": [page(deals(1, 3))],
      "/Deals Id gt 3": [(request) => {
        worker.burn(1_000);
        dealsEnded.resolve();
        return page([])(request);
      }],
      "/Orders (no filter)": [after(dealsEnded, page([order(11), order(12)]))],
    });
    const { db, ploomes, run } = setup({ db: { lineItems: recorded("orders") }, steps: routes.steps, worker });
    const outcome = await run();

    expect(outcome.status).toBe(200);
    expect(outcome.body["status"]).toBe("partial");
    expect(outcome.body["stoppedBy"]).toBe(
      "CPU budget (SYNC_CPU_BUDGET_MS for this invocation, and 2 s per worker, where the Edge Runtime kills it)",
    );
    expect(db.fns()).toEqual(["claim", "ingestPage", "ingestDocuments", "endPartial"]);
    expect(db.callsTo("ingestDocuments")[0]?.position).toEqual(oneRange(12));
    expect(pathsOf(ploomes, "Deals")).toEqual([DEALS_FIRST, dealsAfter(3)]);
    expect(pathsOf(ploomes, "Orders")).toEqual([ORDERS_FIRST]);
    expect(routes.unused()).toEqual({});
  });
});

describe("runSync, line items from orders: the first orders page alone cuts the ranges", () => {
  it("a slow /Orders: first page alone, the highest order Id, then each range on its own", async () => {
    // Deals answer at once (one range). The first orders page takes 1 500 ms at the default
    // 90/min: ⌈(1 500 + 250) × 90 / 60 000⌉ = 3 ranges. Orders 1..10, highest Id 100: (10, 100] at
    // step ⌈90 / 3⌉ = 30 → (·, 40] after 10, (40, 70], (70, ·). The clock is the walks' shared
    // one, so the orders page takes its time only once the deals' first page has been timed (when
    // the deals walk asks its second page); otherwise the deals would look slow too.
    // Assigned once the harness exists, after the steps that read it are built.
    // deno-lint-ignore prefer-const
    let clock: ManualClock | undefined;
    const dealsTimed = deferred();
    const slowly = (step: PageStep): PageStep =>
      after(dealsTimed, (request) => {
        clock?.advance(1_500);
        return step(request);
      });
    const routes = byPathAndFilter({
      "/Deals (no filter)": [page(deals(1, 3))],
      "/Deals Id gt 3": [opening(dealsTimed, page([]))],
      "/Orders (no filter)": [slowly(page(orders(1, 10)))],
      "/Orders (highest Id)": [page([{ Id: 100 }])],
      "/Orders Id gt 10 and Id le 40": [page(orders(11, 15))],
      "/Orders Id gt 15 and Id le 40": [page([])],
      "/Orders Id gt 40 and Id le 70": passEnd(),
      "/Orders Id gt 70": [page(orders(71, 72))],
      "/Orders Id gt 72": [page([])],
    });
    const harness = setup({
      env: { PLOOMES_PAGE_SIZE: "10" },
      db: { lineItems: recorded("orders") },
      steps: routes.steps,
    });
    clock = harness.clock;
    const outcome = await harness.run();

    expect(outcome.body["status"]).toBe("succeeded");
    expect(routes.unused()).toEqual({});
    expect(pathsOf(harness.ploomes, "Deals")).toEqual([
      `/Deals?$orderby=Id&$top=10&${DEAL_SELECT}&${CONTACT_ONLY}`,
      `/Deals?$filter=Id gt 3&$orderby=Id&$top=10&${DEAL_SELECT}&${CONTACT_ONLY}`,
    ]);
    // The first orders page alone, then the highest order Id (before it is stored), then the ranges.
    const ordersPaths = pathsOf(harness.ploomes, "Orders");
    expect(ordersPaths.slice(0, 2)).toEqual([
      `/Orders?$orderby=Id&$top=10&${ORDER_SELECT}&$expand=${LINES_EXPAND}`,
      "/Orders?$orderby=Id desc&$top=1&$select=Id",
    ]);
    expect(ordersPaths).toHaveLength(8);
    expect(harness.ploomes.requests).toHaveLength(10);

    const calls = harness.db.callsTo("ingestDocuments");
    expect(calls[0]?.range).toBe(0);
    expect(calls[0]?.rows.map((row) => row.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(calls[0]?.position).toEqual({
      ranges: [
        { from: null, to: 40, after: 10, done: false },
        { from: 40, to: 70, after: null, done: false },
        { from: 70, to: null, after: null, done: false },
      ],
    });
    const idsOfRange = (range: number) =>
      calls.slice(1).filter((call) => call.range === range).map((call) => call.rows.map((row) => row.id));
    expect(idsOfRange(0)).toEqual([[11, 12, 13, 14, 15]]);
    expect(idsOfRange(1)).toEqual([]);
    expect(idsOfRange(2)).toEqual([[71, 72]]);
    expect(calls).toHaveLength(3);
    // The deals stay one range.
    expect(harness.db.callsTo("ingestPage").map((call) => call.position)).toEqual([
      { ranges: [{ from: null, to: null, after: 3, done: false }] },
    ]);
    expect(harness.db.fns()).toEqual([
      "claim",
      "ingestPage",
      "ingestDocuments",
      "ingestDocuments",
      "ingestDocuments",
      "finishPass",
    ]);
  });
});

describe("runSync, line items from orders: a stored lines position", () => {
  it("full, the deals' ranges all done: the deals walk ends without a request; /Orders resumes after its range's last Id", async () => {
    const { db, ploomes, run } = setup({
      claim: grantedClaim({
        runId: RUN_ID,
        mode: "full",
        resumed: true,
        position: { ranges: [{ from: null, to: null, after: 900, done: true }] },
      }),
      db: { lineItems: recorded("orders", oneRange(50)) },
      steps: [page([order(51), order(52)]), ...shortPageEnd()],
    });
    const outcome = await run();
    expect(decoded(ploomes)).toEqual([
      `/Orders?$filter=Id gt 50&$orderby=Id&$top=300&${ORDER_SELECT}&$expand=${LINES_EXPAND}`,
      `/Orders?$filter=Id gt 52&$orderby=Id&$top=300&${ORDER_SELECT}&$expand=${LINES_EXPAND}`,
    ]);
    expect(db.fns()).toEqual(["claim", "ingestDocuments", "finishPass"]);
    expect(db.callsTo("ingestDocuments")[0]?.position).toEqual(oneRange(52));
    expect(outcome.body["status"]).toBe("succeeded");
  });

  it("full, the deals' own range still open: both walks resume, each after its own last Id", async () => {
    const routes = byPathAndFilter({
      "/Deals Id gt 5": [page(deals(6, 7))],
      "/Deals Id gt 7": shortPageEnd(),
      "/Orders Id gt 50": [page([order(51)])],
      "/Orders Id gt 51": shortPageEnd(),
    });
    const { db, ploomes, run } = setup({
      claim: grantedClaim({
        runId: RUN_ID,
        mode: "full",
        resumed: true,
        position: { ranges: [{ from: null, to: null, after: 5, done: false }] },
      }),
      db: { lineItems: recorded("orders", oneRange(50)) },
      steps: routes.steps,
    });
    const outcome = await run();
    expect(routes.unused()).toEqual({});
    expect(pathsOf(ploomes, "Deals")).toEqual([dealsAfter(5), dealsAfter(7)]);
    expect(pathsOf(ploomes, "Orders")).toEqual([ordersAfter(50), ordersAfter(51)]);
    expect(db.callsTo("ingestPage").map((call) => [call.range, call.position])).toEqual([[0, oneRange(7)]]);
    expect(db.callsTo("ingestDocuments").map((call) => [call.range, call.position])).toEqual([[0, oneRange(51)]]);
    expect(storesGrouped(db.fns())).toEqual(["claim", "ingestPage", "ingestDocuments", "finishPass"]);
    expect(outcome.body["status"]).toBe("succeeded");
  });

  it("incremental: the deals walk re-asks its keyset (two empty answers end it); /Orders resumes after its stored (LastUpdateDate, Id)", async () => {
    const dealsKeyset = `LastUpdateDate gt ${DEAL_LAST_UPDATE} or (LastUpdateDate eq ${DEAL_LAST_UPDATE} and Id gt 9)`;
    const ordersKeyset =
      "LastUpdateDate gt 2024-05-01T12:00:00.1234567-03:00 or (LastUpdateDate eq 2024-05-01T12:00:00.1234567-03:00 and Id gt 40)";
    const ordersAfter41 = `LastUpdateDate gt ${ORDER_UPDATE} or (LastUpdateDate eq ${ORDER_UPDATE} and Id gt 41)`;
    const routes = byPathAndFilter({
      [`/Deals ${dealsKeyset}`]: passEnd(),
      [`/Orders ${ordersKeyset}`]: [page([order(41)])],
      [`/Orders ${ordersAfter41}`]: shortPageEnd(),
    });
    const { db, ploomes, run } = setup({
      claim: grantedClaim({
        runId: RUN_ID,
        mode: "incremental",
        resumed: true,
        position: { lastUpdateDate: DEAL_LAST_UPDATE, lastId: 9 },
        since: SINCE,
      }),
      db: { lineItems: recorded("orders", { lastUpdateDate: "2024-05-01T12:00:00.1234567-03:00", lastId: 40 }) },
      steps: routes.steps,
    });
    const outcome = await run();
    expect(routes.unused()).toEqual({});
    const dealsPath =
      `/Deals?$filter=${dealsKeyset}&$orderby=LastUpdateDate,Id&$top=300&${DEAL_SELECT}&${CONTACT_ONLY}`;
    expect(pathsOf(ploomes, "Deals")).toEqual([dealsPath, dealsPath]);
    expect(pathsOf(ploomes, "Orders")).toEqual([
      `/Orders?$filter=${ordersKeyset}&$orderby=LastUpdateDate,Id&$top=300&${ORDER_SELECT}&$expand=${LINES_EXPAND}`,
      `/Orders?$filter=${ordersAfter41}&$orderby=LastUpdateDate,Id&$top=300&${ORDER_SELECT}&$expand=${LINES_EXPAND}`,
    ]);
    expect(db.fns()).toEqual(["claim", "ingestDocuments", "finishPass"]);
    expect(db.callsTo("ingestDocuments")[0]?.position).toEqual({ lastUpdateDate: ORDER_UPDATE, lastId: 41 });
    expect(outcome.body["status"]).toBe("succeeded");
  });
});

describe("runSync, line items from orders: an incremental pass", () => {
  it("walks the deals from since and the orders from the same since (LastUpdateDate ge <since>)", async () => {
    const dealsAfter5 = `LastUpdateDate gt ${DEAL_LAST_UPDATE} or (LastUpdateDate eq ${DEAL_LAST_UPDATE} and Id gt 5)`;
    const ordersAfter32 = `LastUpdateDate gt ${ORDER_UPDATE} or (LastUpdateDate eq ${ORDER_UPDATE} and Id gt 32)`;
    const routes = byPathAndFilter({
      "/Deals LastUpdateDate ge 2024-04-30T23:55:00Z": [page([deal(5)])],
      [`/Deals ${dealsAfter5}`]: shortPageEnd(),
      "/Orders LastUpdateDate ge 2024-04-30T23:55:00Z": [page([order(31), order(32)])],
      [`/Orders ${ordersAfter32}`]: shortPageEnd(),
    });
    const { db, ploomes, run } = setup({
      claim: grantedClaim({ runId: RUN_ID, mode: "incremental", position: null, since: SINCE }),
      db: { lineItems: recorded("orders") },
      steps: routes.steps,
    });
    const outcome = await run();
    expect(routes.unused()).toEqual({});
    expect(pathsOf(ploomes, "Deals")).toEqual([
      `/Deals?$filter=LastUpdateDate ge 2024-04-30T23:55:00Z&$orderby=LastUpdateDate,Id&$top=300&${DEAL_SELECT}&${CONTACT_ONLY}`,
      `/Deals?$filter=${dealsAfter5}&$orderby=LastUpdateDate,Id&$top=300&${DEAL_SELECT}&${CONTACT_ONLY}`,
    ]);
    expect(pathsOf(ploomes, "Orders")).toEqual([
      `/Orders?$filter=LastUpdateDate ge 2024-04-30T23:55:00Z&$orderby=LastUpdateDate,Id&$top=300&${ORDER_SELECT}&$expand=${LINES_EXPAND}`,
      `/Orders?$filter=${ordersAfter32}&$orderby=LastUpdateDate,Id&$top=300&${ORDER_SELECT}&$expand=${LINES_EXPAND}`,
    ]);
    expect(storesGrouped(db.fns())).toEqual(["claim", "ingestPage", "ingestDocuments", "finishPass"]);
    expect(db.callsTo("ingestPage")[0]?.position).toEqual({ lastUpdateDate: DEAL_LAST_UPDATE, lastId: 5 });
    const calls = db.callsTo("ingestDocuments");
    expect(calls).toHaveLength(1);
    expect(calls[0]?.kind).toBe("orders");
    expect(calls[0]?.range).toBeNull();
    expect(calls[0]?.position).toEqual({ lastUpdateDate: ORDER_UPDATE, lastId: 32 });
    expect(calls[0]?.rows).toEqual([orderRow(31), orderRow(32)]);
    expect(outcome.body["status"]).toBe("succeeded");
  });
});

describe("runSync, line items from orders: a dry run", () => {
  it("walks the deals but no orders", async () => {
    const { db, ploomes, run } = setup({
      claim: grantedClaim({ runId: RUN_ID, mode: "full", dryRun: true }),
      db: { lineItems: recorded("orders") },
      steps: [page(deals(1, 2)), ...shortPageEnd()],
    });
    const outcome = await run({ mode: "full", dryRun: true, trigger: "manual" });
    expect(ploomes.requests).toHaveLength(2);
    expect(ploomes.requests.every((request) => request.path.startsWith("/Deals?"))).toBe(true);
    expect(db.fns()).toEqual(["claim", "ingestPage", "finishPass"]);
    expect(outcome.status).toBe(200);
  });
});

describe("runSync: an undecided source under auto is probed, recorded and logged before the deals", () => {
  it("deals without lines, orders with lines → orders, then the deals walk and the orders walk", async () => {
    const undecided: LineItemsPlan = {
      source: null,
      reason: null,
      inForce: "deals",
      inForceReason: null,
      linesPosition: null,
    };
    const lineItems = (_runId: number, choice: LineItemsChoice | undefined): LineItemsPlan =>
      choice === undefined ? undecided : { ...undecided, source: choice.source, reason: choice.reason };
    const routes = byPathAndFilter({
      // The probes (latest records by Id desc), one after the other, before either walk.
      "/Deals (highest Id)": [page([{ Id: 3, Products: [] }])],
      "/Orders (highest Id)": [page([{ Id: 12, Products: [{ Id: 1 }] }])],
      "/Deals (no filter)": [page(deals(1, 1))],
      "/Deals Id gt 1": shortPageEnd(),
      "/Orders (no filter)": [page([order(12)])],
      "/Orders Id gt 12": shortPageEnd(),
    });
    const { db, ploomes, events, run } = setup({ db: { lineItems }, steps: routes.steps });
    const outcome = await run();
    const reason =
      "auto: the deal Products expansion is accepted but none of the 1 latest won deals carries line items; " +
      "1 of the 1 latest orders carry line items";
    expect(db.lineItemCalls).toEqual([
      { runId: RUN_ID, choice: undefined },
      { runId: RUN_ID, choice: { source: "orders", reason } },
    ]);
    expect(events).toContainEqual({ event: "line-items", runId: RUN_ID, source: "orders", reason });
    expect(routes.unused()).toEqual({});
    expect(decoded(ploomes).slice(0, 2)).toEqual([
      `/Deals?$filter=StatusId eq 2&$orderby=Id desc&$top=50&$select=Id&$expand=${LINES_EXPAND}`,
      `/Orders?$orderby=Id desc&$top=50&$select=Id&$expand=${LINES_EXPAND}`,
    ]);
    // Then the two walks; the deals without the Products expansion.
    expect(pathsOf(ploomes, "Deals").slice(1)).toEqual([DEALS_FIRST, dealsAfter(1)]);
    expect(pathsOf(ploomes, "Orders").slice(1)).toEqual([ORDERS_FIRST, ordersAfter(12)]);
    expect(ploomes.requests).toHaveLength(6);
    expect(storesGrouped(db.fns())).toEqual(["claim", "ingestPage", "ingestDocuments", "finishPass"]);
    expect(outcome.body["status"]).toBe("succeeded");
  });

  it("the orders probe's highest Id cuts the orders' ranges: the walk does not ask for it again", async () => {
    const undecided: LineItemsPlan = {
      source: null,
      reason: null,
      inForce: "deals",
      inForceReason: null,
      linesPosition: null,
    };
    const lineItems = (_runId: number, choice: LineItemsChoice | undefined): LineItemsPlan =>
      choice === undefined ? undecided : { ...undecided, source: choice.source, reason: choice.reason };
    // As in "a slow /Orders" above (3 ranges cut at 40 and 70), but the highest order Id, 100, is
    // the probe's first row: one answer for /Orders (highest Id) in all, a second request would fail the run.
    // Assigned once the harness exists, after the steps that read it are built.
    // deno-lint-ignore prefer-const
    let clock: ManualClock | undefined;
    const dealsTimed = deferred();
    const routes = byPathAndFilter({
      "/Deals (highest Id)": [page([{ Id: 3, Products: [] }])],
      "/Orders (highest Id)": [page([{ Id: 100, Products: [{ Id: 1 }] }])],
      "/Deals (no filter)": [page(deals(1, 3))],
      "/Deals Id gt 3": [opening(dealsTimed, page([]))],
      "/Orders (no filter)": [after(dealsTimed, (request) => {
        clock?.advance(1_500);
        return page(orders(1, 10))(request);
      })],
      // Every range empty (the first page was a full one: two empty answers end each range).
      "/Orders Id gt 10 and Id le 40": passEnd(),
      "/Orders Id gt 40 and Id le 70": passEnd(),
      "/Orders Id gt 70": passEnd(),
    });
    const harness = setup({ env: { PLOOMES_PAGE_SIZE: "10" }, db: { lineItems }, steps: routes.steps });
    clock = harness.clock;
    const outcome = await harness.run();

    expect(outcome.body["status"]).toBe("succeeded");
    expect(routes.unused()).toEqual({});
    expect(pathsOf(harness.ploomes, "Orders").filter((path) => path.includes("Id desc"))).toEqual([
      `/Orders?$orderby=Id desc&$top=50&$select=Id&$expand=${LINES_EXPAND}`,
    ]);
    expect(harness.db.callsTo("ingestDocuments")[0]?.position).toEqual({
      ranges: [
        { from: null, to: 40, after: 10, done: false },
        { from: 40, to: 70, after: null, done: false },
        { from: 70, to: null, after: null, done: false },
      ],
    });
  });

  it("a 403 to the probe and to its retry without $expand fails the run (a bad key), before any deal is walked", async () => {
    const undecided: LineItemsPlan = {
      source: null,
      reason: null,
      inForce: "deals",
      inForceReason: null,
      linesPosition: null,
    };
    const second = http(403, "forbidden without products");
    const { db, ploomes, run } = setup({
      db: { lineItems: () => undecided },
      steps: [fails(http(403, "forbidden with products")), fails(second)],
    });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(2);
    expect(db.fns()).toEqual(["claim", "failRun"]);
    expect(db.lineItemCalls).toHaveLength(1);
    expect(db.callsTo("failRun")[0]?.httpStatus).toBe(502);
    expect(outcome.status).toBe(502);
    expect(outcome.body).toMatchObject({ status: "failed", ploomesStatus: 403, error: second.message });
  });
});

describe("documentWalkStart", () => {
  const plan = (overrides: Partial<DocumentWalkPlan>): DocumentWalkPlan => ({
    runId: 7,
    kind: "orders",
    mode: "full",
    position: null,
    since: null,
    pageSize: 300,
    requestsPerMinute: 90,
    leaseSeconds: 60,
    ...overrides,
  });

  it("full, no position: a new walk whose ranges are cut after its first page", () => {
    expect(documentWalkStart(plan({ mode: "full", position: null, since: SINCE }))).toEqual({
      mode: "full",
      ranges: null,
    });
  });

  it("full, stored ranges: each where it stood (absent done = not done)", () => {
    const position = { ranges: [{ from: null, to: 40, after: 40, done: true }, { from: 40, to: null, after: 55 }] };
    expect(documentWalkStart(plan({ mode: "full", position }))).toEqual({
      mode: "full",
      ranges: [
        { from: null, to: 40, after: 40, done: true },
        { from: 40, to: null, after: 55, done: false },
      ],
    });
  });

  it("full, a position without ranges: refused, named", () => {
    expect(() => documentWalkStart(plan({ mode: "full", position: { lastId: 12 } }))).toThrow(
      'a full pass\'s stored position has no Id ranges: {"lastId":12}',
    );
  });

  it("incremental, a stored (lastUpdateDate, lastId): resumes there, since ignored", () => {
    const position = { lastUpdateDate: "2024-05-01T12:00:00.1234567-03:00", lastId: 40 };
    expect(documentWalkStart(plan({ mode: "incremental", position, since: SINCE }))).toEqual({
      mode: "incremental",
      position: { lastUpdateDate: "2024-05-01T12:00:00.1234567-03:00", lastId: 40 },
    });
  });

  it("incremental, no position: from the pass's since", () => {
    expect(documentWalkStart(plan({ mode: "incremental", position: null, since: SINCE }))).toEqual({
      mode: "incremental",
      position: { since: "2024-04-30T23:55:00Z" },
    });
  });

  it("incremental, a position without a numeric lastId: from since", () => {
    const position = { lastUpdateDate: "2024-05-01T12:00:00Z", lastId: null };
    expect(documentWalkStart(plan({ mode: "incremental", position, since: SINCE }))).toEqual({
      mode: "incremental",
      position: { since: "2024-04-30T23:55:00Z" },
    });
  });

  it("incremental, neither position nor since: an error naming the walk and the run", () => {
    expect(() =>
      documentWalkStart(plan({ runId: 12, kind: "quotes", mode: "incremental", position: null, since: null }))
    ).toThrow(
      "the quotes walk of run 12 has neither a saved position nor a start (since)",
    );
  });
});
