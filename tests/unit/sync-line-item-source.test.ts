// Where a pass reads line items: chooseLineItemsSource (incremental keeps the source in force,
// a full pass takes the setting, `auto` probes Ploomes), probeLineItems' requests and reasons,
// and planLineItems (a recorded choice stands; an undecided one is recorded once). Ploomes is the
// scripted fake of sync-fakes.ts (one step per request, in order); every expected path, reason
// and warning is written out by hand.
import { describe, expect, it } from "vitest";
import type { LineItemsChoice, LineItemsPlan } from "../../supabase/functions/_shared/db/rpc.ts";
import { PloomesHttpError } from "../../supabase/functions/_shared/ploomes/errors.ts";
import {
  chooseLineItemsSource,
  planLineItems,
  probeLineItems,
} from "../../supabase/functions/_shared/sync/line-item-source.ts";
import type { ProbeOptions } from "../../supabase/functions/_shared/sync/line-item-source.ts";
import { createFakeDb, createFakePloomes, fails, page, PLOOMES_BASE, T0 } from "./sync-fakes.ts";
import type { FakePloomes, PageStep } from "./sync-fakes.ts";

const RUN_ID = 7;
const DEADLINE = T0 + 45_000;

/** The line-items $expand, written out (deals, orders and quotes alike). */
const LINES_EXPAND =
  "Products($select=Id,ProductId,Quantity,UnitPrice,Discount,Total;$expand=Product($select=Id,UnitPrice))";
const DEALS_PROBE = `/Deals?$filter=StatusId eq 2&$orderby=Id desc&$top=50&$select=Id&$expand=${LINES_EXPAND}`;
/** The retry after a 403 to the deals probe: the same request without $expand. */
const DEALS_RETRY = "/Deals?$filter=StatusId eq 2&$orderby=Id desc&$top=50&$select=Id";
const ORDERS_PROBE = `/Orders?$orderby=Id desc&$top=50&$select=Id&$expand=${LINES_EXPAND}`;
const QUOTES_PROBE = `/Quotes?$orderby=Id desc&$top=50&$select=Id&$expand=${LINES_EXPAND}`;

const LINE = {
  Id: 1,
  ProductId: 77,
  Quantity: 2,
  UnitPrice: 10,
  Discount: 0,
  Total: 20,
  Product: { Id: 77, UnitPrice: 10 },
};
const withLines = (id: number) => ({ Id: id, Products: [LINE] });
const withoutLines = (id: number) => ({ Id: id, Products: [] });

function httpError(status: number, path: string): PloomesHttpError {
  return new PloomesHttpError(status, `{"error":"${status}"}`, {
    method: "GET",
    url: `${PLOOMES_BASE}${path}`,
    displayUrl: path,
  });
}

function probeWith(steps: readonly PageStep[]): { ploomes: FakePloomes; options: ProbeOptions; signal: AbortSignal } {
  const ploomes = createFakePloomes(steps);
  const signal = new AbortController().signal;
  return { ploomes, signal, options: { client: ploomes, signal, deadlineMs: () => DEADLINE } };
}

const decodedPaths = (ploomes: FakePloomes): string[] =>
  ploomes.requests.map((request) => decodeURIComponent(request.path));

describe("chooseLineItemsSource: an incremental pass keeps the source in force", () => {
  const KEPT = "in force since the last full pass (an incremental pass never changes the source)";

  it("auto: the source in force, no warning, no request", async () => {
    const { ploomes, options } = probeWith([]);
    const choice = await chooseLineItemsSource({ configured: "auto", mode: "incremental", inForce: "orders" }, options);
    expect(choice).toStrictEqual({ source: "orders", reason: KEPT });
    expect(ploomes.requests).toHaveLength(0);
  });

  it("an explicit setting equal to the source in force: no warning", async () => {
    const { ploomes, options } = probeWith([]);
    const choice = await chooseLineItemsSource(
      { configured: "quotes", mode: "incremental", inForce: "quotes" },
      options,
    );
    expect(choice).toStrictEqual({ source: "quotes", reason: KEPT });
    expect(ploomes.requests).toHaveLength(0);
  });

  it("an explicit setting that differs: the source in force, with a warning naming both and how to switch now", async () => {
    const { ploomes, options } = probeWith([]);
    const choice = await chooseLineItemsSource(
      { configured: "quotes", mode: "incremental", inForce: "deals" },
      options,
    );
    expect(choice).toStrictEqual({
      source: "deals",
      reason: KEPT,
      warning:
        "PLOOMES_LINE_ITEMS_SOURCE=quotes takes effect at the next full pass; this incremental pass keeps deals. " +
        "To switch now, run a full pass: select public.trigger_customer_sales_sync('full');",
    });
    expect(ploomes.requests).toHaveLength(0);
  });

  it("none configured while orders are in force: still orders, with the warning", async () => {
    const { options } = probeWith([]);
    const choice = await chooseLineItemsSource({ configured: "none", mode: "incremental", inForce: "orders" }, options);
    expect(choice.source).toBe("orders");
    expect(choice.warning).toBe(
      "PLOOMES_LINE_ITEMS_SOURCE=none takes effect at the next full pass; this incremental pass keeps orders. " +
        "To switch now, run a full pass: select public.trigger_customer_sales_sync('full');",
    );
  });
});

describe("chooseLineItemsSource: a full pass", () => {
  it.each(
    [
      ["deals", "PLOOMES_LINE_ITEMS_SOURCE=deals"],
      ["orders", "PLOOMES_LINE_ITEMS_SOURCE=orders"],
      ["quotes", "PLOOMES_LINE_ITEMS_SOURCE=quotes"],
      ["none", "PLOOMES_LINE_ITEMS_SOURCE=none"],
    ] as const,
  )("explicit %s: taken as is, whatever is in force, without a request", async (configured, reason) => {
    const { ploomes, options } = probeWith([]);
    const choice = await chooseLineItemsSource({ configured, mode: "full", inForce: "deals" }, options);
    expect(choice).toStrictEqual({ source: configured, reason });
    expect(ploomes.requests).toHaveLength(0);
  });

  it("auto: probes (deals first) even when something else is in force", async () => {
    const { ploomes, options } = probeWith([page([withLines(9), withLines(8)])]);
    const choice = await chooseLineItemsSource({ configured: "auto", mode: "full", inForce: "quotes" }, options);
    expect(choice).toStrictEqual({
      source: "deals",
      reason: "auto: 2 of the 2 latest won deals carry line items (deal Products)",
    });
    expect(decodedPaths(ploomes)).toEqual([DEALS_PROBE]);
  });
});

describe("probeLineItems (auto)", () => {
  it("deals: the latest won deals carry Products → deals, after one request", async () => {
    const { ploomes, options, signal } = probeWith([
      page([withLines(30), withoutLines(29), { Id: 28 }, withLines(27)]),
    ]);
    const choice = await probeLineItems(options);
    expect(choice).toStrictEqual({
      source: "deals",
      reason: "auto: 2 of the 4 latest won deals carry line items (deal Products)",
    });
    expect(decodedPaths(ploomes)).toEqual([DEALS_PROBE]);
    // The raw path: OData punctuation literal, spaces as %20.
    expect(ploomes.requests[0]?.path).toBe(
      "/Deals?$filter=StatusId%20eq%202&$orderby=Id%20desc&$top=50&$select=Id" +
        "&$expand=Products($select=Id,ProductId,Quantity,UnitPrice,Discount,Total;$expand=Product($select=Id,UnitPrice))",
    );
    expect(ploomes.paramOf(0, "$filter")).toBe("StatusId eq 2");
    expect(ploomes.paramOf(0, "$orderby")).toBe("Id desc");
    expect(ploomes.paramOf(0, "$top")).toBe("50");
    expect(ploomes.paramOf(0, "$expand")).toBe(LINES_EXPAND);
    expect(ploomes.requests[0]?.deadlineMs).toBe(DEADLINE);
    expect(ploomes.requests[0]?.signal).toBe(signal);
  });

  it("rows that are not records, or whose Products is not a non-empty list, carry no lines", async () => {
    const { ploomes, options } = probeWith([
      page([null, "x", { Id: 5, Products: "lines" }, { Id: 4, Products: null }, withoutLines(3)]),
      page([withLines(12)]),
    ]);
    const choice = await probeLineItems(options);
    expect(choice).toStrictEqual({
      source: "orders",
      reason: "auto: the deal Products expansion is accepted but none of the 5 latest won deals carries line items; " +
        "1 of the 1 latest orders carry line items",
      // The highest order Id the probe saw (its rows come latest first), for the orders walk's ranges.
      maxId: 12,
    });
    expect(decodedPaths(ploomes)).toEqual([DEALS_PROBE, ORDERS_PROBE]);
  });

  it("deals 403, the same request without $expand answers: the expansion was refused → orders probed", async () => {
    const { ploomes, options } = probeWith([
      fails(httpError(403, "/Deals")),
      page([{ Id: 30 }, { Id: 29 }]),
      page([withLines(12), withoutLines(11)]),
    ]);
    const choice = await probeLineItems(options);
    expect(choice).toStrictEqual({
      source: "orders",
      reason: "auto: Ploomes refused the deal Products expansion (403); 1 of the 2 latest orders carry line items",
      maxId: 12,
    });
    expect(decodedPaths(ploomes)).toEqual([DEALS_PROBE, DEALS_RETRY, ORDERS_PROBE]);
    expect(ploomes.paramOf(1, "$expand")).toBeNull();
    expect(ploomes.requests.map((request) => request.deadlineMs)).toEqual([DEADLINE, DEADLINE, DEADLINE]);
  });

  it("deals 403 and the retry without $expand 403 too: the key (not the expansion) → that error, nothing else asked", async () => {
    const badKey = httpError(403, "/Deals");
    const { ploomes, options } = probeWith([fails(httpError(403, "/Deals")), fails(badKey)]);
    await expect(probeLineItems(options)).rejects.toBe(badKey);
    expect(decodedPaths(ploomes)).toEqual([DEALS_PROBE, DEALS_RETRY]);
  });

  it("deals refused, then the retry fails otherwise (500): that error propagates", async () => {
    const serverError = httpError(500, "/Deals");
    const { ploomes, options } = probeWith([fails(httpError(403, "/Deals")), fails(serverError)]);
    await expect(probeLineItems(options)).rejects.toBe(serverError);
    expect(ploomes.requests).toHaveLength(2);
  });

  it.each([401, 404, 500])("deals %i (not 403): propagates at once, without a retry", async (status) => {
    const error = httpError(status, "/Deals");
    const { ploomes, options } = probeWith([fails(error)]);
    await expect(probeLineItems(options)).rejects.toBe(error);
    expect(decodedPaths(ploomes)).toEqual([DEALS_PROBE]);
  });

  it("a network-level error on the deals probe propagates", async () => {
    const error = new TypeError("fetch failed");
    const { options } = probeWith([fails(error)]);
    await expect(probeLineItems(options)).rejects.toBe(error);
  });

  it("deals without lines, no orders at all → quotes", async () => {
    const { ploomes, options } = probeWith([
      page([withoutLines(30), { Id: 29 }]),
      page([]),
      page([withLines(7), withLines(6), withoutLines(5)]),
    ]);
    const choice = await probeLineItems(options);
    expect(choice).toStrictEqual({
      source: "quotes",
      reason: "auto: the deal Products expansion is accepted but none of the 2 latest won deals carries line items; " +
        "there are no orders; 2 of the 3 latest quotes carry line items",
      maxId: 7,
    });
    expect(decodedPaths(ploomes)).toEqual([DEALS_PROBE, ORDERS_PROBE, QUOTES_PROBE]);
  });

  it("orders without lines → quotes", async () => {
    const { ploomes, options } = probeWith([
      page([withoutLines(30)]),
      page([withoutLines(12), { Id: 11 }]),
      page([withLines(7)]),
    ]);
    const choice = await probeLineItems(options);
    expect(choice).toStrictEqual({
      source: "quotes",
      reason: "auto: the deal Products expansion is accepted but none of the 1 latest won deals carries line items; " +
        "none of the 2 latest orders carries line items; 1 of the 1 latest quotes carry line items",
      maxId: 7,
    });
    expect(decodedPaths(ploomes)).toEqual([DEALS_PROBE, ORDERS_PROBE, QUOTES_PROBE]);
  });

  it.each([404, 403])("orders %i (no orders module): noted, and quotes probed", async (status) => {
    const { ploomes, options } = probeWith([page([]), fails(httpError(status, "/Orders")), page([withLines(7)])]);
    const choice = await probeLineItems(options);
    expect(choice).toStrictEqual({
      source: "quotes",
      reason:
        `auto: there are no won deals to look at; Ploomes answered ${status} to /Orders; 1 of the 1 latest quotes carry line items`,
      maxId: 7,
    });
    expect(decodedPaths(ploomes)).toEqual([DEALS_PROBE, ORDERS_PROBE, QUOTES_PROBE]);
  });

  it("orders 500 is not a missing module: it propagates, quotes are not asked", async () => {
    const error = httpError(500, "/Orders");
    const { ploomes, options } = probeWith([page([]), fails(error)]);
    await expect(probeLineItems(options)).rejects.toBe(error);
    expect(decodedPaths(ploomes)).toEqual([DEALS_PROBE, ORDERS_PROBE]);
  });

  it("nothing anywhere → none, the reason naming each probe's finding in order", async () => {
    const { ploomes, options } = probeWith([
      fails(httpError(403, "/Deals")),
      page([{ Id: 3 }]),
      page([withoutLines(12), withoutLines(11), withoutLines(10)]),
      fails(httpError(404, "/Quotes")),
    ]);
    const choice = await probeLineItems(options);
    expect(choice).toStrictEqual({
      source: "none",
      reason: "auto: no line items found: Ploomes refused the deal Products expansion (403); " +
        "none of the 3 latest orders carries line items; Ploomes answered 404 to /Quotes",
    });
    expect(decodedPaths(ploomes)).toEqual([DEALS_PROBE, DEALS_RETRY, ORDERS_PROBE, QUOTES_PROBE]);
  });

  it("an empty account → none: no won deals, no orders, no quotes", async () => {
    const { ploomes, options } = probeWith([page([]), page([]), page([])]);
    const choice = await probeLineItems(options);
    expect(choice).toStrictEqual({
      source: "none",
      reason: "auto: no line items found: there are no won deals to look at; there are no orders; there are no quotes",
    });
    expect(ploomes.requests).toHaveLength(3);
  });
});

describe("planLineItems", () => {
  const PLAN_DECIDED: LineItemsPlan = {
    source: "orders",
    reason: "auto: recorded earlier",
    inForce: "deals",
    inForceReason: "PLOOMES_LINE_ITEMS_SOURCE=deals",
    linesPosition: { ranges: [{ from: null, to: null, after: 40, done: false }] },
  };
  const UNDECIDED: LineItemsPlan = {
    source: null,
    reason: null,
    inForce: "quotes",
    inForceReason: "auto: earlier",
    linesPosition: null,
  };

  /** A fake sync_line_items: `first` until a choice is recorded, then that choice (recordedAs overrides what it answers). */
  function lineItemsDb(first: LineItemsPlan, recordedAs?: (choice: LineItemsChoice) => LineItemsPlan) {
    return createFakeDb({
      lineItems: (_runId, choice) =>
        choice === undefined
          ? first
          : (recordedAs?.(choice) ?? { ...first, source: choice.source, reason: choice.reason }),
    });
  }

  it("a recorded source is returned as is, without probing or recording", async () => {
    const db = lineItemsDb(PLAN_DECIDED);
    const { ploomes, options } = probeWith([]);
    const plan = await planLineItems(db, RUN_ID, { configured: "auto", mode: "full" }, options);
    expect(plan).toStrictEqual({
      source: "orders",
      reason: "auto: recorded earlier",
      inForce: "deals",
      inForceReason: "PLOOMES_LINE_ITEMS_SOURCE=deals",
      linesPosition: { ranges: [{ from: null, to: null, after: 40, done: false }] },
      decidedNow: false,
    });
    expect(db.lineItemCalls).toEqual([{ runId: RUN_ID, choice: undefined }]);
    expect(ploomes.requests).toHaveLength(0);
    expect(db.calls).toEqual([]);
  });

  it("undecided, full + explicit: the choice is recorded with db.lineItems(runId, choice), decidedNow", async () => {
    const db = lineItemsDb(UNDECIDED);
    const { ploomes, options } = probeWith([]);
    const plan = await planLineItems(db, RUN_ID, { configured: "orders", mode: "full" }, options);
    expect(db.lineItemCalls).toEqual([
      { runId: RUN_ID, choice: undefined },
      { runId: RUN_ID, choice: { source: "orders", reason: "PLOOMES_LINE_ITEMS_SOURCE=orders" } },
    ]);
    expect(plan).toStrictEqual({
      source: "orders",
      reason: "PLOOMES_LINE_ITEMS_SOURCE=orders",
      inForce: "quotes",
      inForceReason: "auto: earlier",
      linesPosition: null,
      decidedNow: true,
    });
    expect(ploomes.requests).toHaveLength(0);
  });

  it("undecided, full + auto: probes, then records what the probe found", async () => {
    const db = lineItemsDb(UNDECIDED);
    const { ploomes, options } = probeWith([page([withoutLines(30)]), page([withLines(12)])]);
    const plan = await planLineItems(db, RUN_ID, { configured: "auto", mode: "full" }, options);
    const reason =
      "auto: the deal Products expansion is accepted but none of the 1 latest won deals carries line items; " +
      "1 of the 1 latest orders carry line items";
    expect(db.lineItemCalls).toEqual([
      { runId: RUN_ID, choice: undefined },
      { runId: RUN_ID, choice: { source: "orders", reason } },
    ]);
    expect(plan).toMatchObject({ source: "orders", reason, decidedNow: true });
    expect(decodedPaths(ploomes)).toEqual([DEALS_PROBE, ORDERS_PROBE]);
  });

  it("undecided, incremental: the source in force the plan reports is kept, the warning recorded with it", async () => {
    const db = lineItemsDb(UNDECIDED);
    const { ploomes, options } = probeWith([]);
    const plan = await planLineItems(db, RUN_ID, { configured: "deals", mode: "incremental" }, options);
    expect(db.lineItemCalls[1]).toEqual({
      runId: RUN_ID,
      choice: {
        source: "quotes",
        reason: "in force since the last full pass (an incremental pass never changes the source)",
        warning:
          "PLOOMES_LINE_ITEMS_SOURCE=deals takes effect at the next full pass; this incremental pass keeps quotes. " +
          "To switch now, run a full pass: select public.trigger_customer_sales_sync('full');",
      },
    });
    expect(plan).toMatchObject({ source: "quotes", decidedNow: true });
    expect(ploomes.requests).toHaveLength(0);
  });

  it("a dry run (nothing recorded on a pass: the plan stays undecided) takes the choice itself", async () => {
    const db = lineItemsDb(UNDECIDED, () => UNDECIDED);
    const { options } = probeWith([]);
    const plan = await planLineItems(db, RUN_ID, { configured: "none", mode: "full" }, options);
    expect(plan).toStrictEqual({
      source: "none",
      reason: "PLOOMES_LINE_ITEMS_SOURCE=none",
      inForce: "quotes",
      inForceReason: "auto: earlier",
      linesPosition: null,
      decidedNow: true,
    });
    expect(db.lineItemCalls).toHaveLength(2);
  });

  it("a probe error propagates and nothing is recorded", async () => {
    const db = lineItemsDb(UNDECIDED);
    const badKey = httpError(403, "/Deals");
    const { options } = probeWith([fails(httpError(403, "/Deals")), fails(badKey)]);
    await expect(planLineItems(db, RUN_ID, { configured: "auto", mode: "full" }, options)).rejects.toBe(badKey);
    expect(db.lineItemCalls).toEqual([{ runId: RUN_ID, choice: undefined }]);
  });
});
