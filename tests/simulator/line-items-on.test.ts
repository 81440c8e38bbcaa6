// The `lineItemsOn` setting: where the account keeps its line items decides what the deal's
// `Products` expansion, /Orders, /Quotes and their @Products sets answer. The stored data is the
// same throughout; expected rows come from the snapshot.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LineItemsOn, Simulator, Snapshot } from "../../local/ploomes-simulator/index.ts";
import { admin, apiGet, fetchSnapshot, getPage, ids, num, type Rec, startTestSimulator } from "./helpers.ts";

let sim: Simulator;
let snap: Snapshot;

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 19, deals: 600 });
  snap = await fetchSnapshot(sim);
});
afterAll(() => sim.stop());
afterEach(async () => {
  await admin(sim, "PATCH", "/settings", { lineItemsOn: "everywhere" });
});

const PAGE = "300";
type DealLines = "served" | "empty" | "refused";

const CASES: readonly { value: LineItemsOn; dealLines: DealLines; orders: boolean; quotes: boolean }[] = [
  { value: "everywhere", dealLines: "served", orders: true, quotes: true },
  { value: "deals", dealLines: "served", orders: false, quotes: false },
  { value: "orders", dealLines: "empty", orders: true, quotes: false },
  { value: "quotes", dealLines: "empty", orders: false, quotes: true },
  { value: "refuseDealExpansion", dealLines: "refused", orders: true, quotes: true },
];

const lineIds = (row: Rec): Rec[] => (row.Products as Rec[]).map((l) => ({ Id: l.Id }));
const firstPage = (rows: readonly Rec[]): number[] => rows.slice(0, Number(PAGE)).map((r) => num(r.Id));

async function expectDocuments(set: "/Orders" | "/Quotes", rows: readonly Rec[], served: boolean): Promise<void> {
  const documents = await getPage(sim, set, { $top: PAGE, $select: "Id", $expand: "Products($select=Id)" });
  expect(documents.value, set).toEqual(
    served ? rows.slice(0, Number(PAGE)).map((r) => ({ Id: r.Id, Products: lineIds(r) })) : [],
  );
  const lines = await getPage(sim, `${set}@Products`, { $top: PAGE, $select: "Id" });
  const allLines = rows.flatMap((r) => r.Products as Rec[]).sort((a, b) => num(a.Id) - num(b.Id));
  expect(ids(lines.value), `${set}@Products`).toEqual(served ? firstPage(allLines) : []);
  // An emptied set still checks names: the account has the entity, it just keeps nothing there.
  expect((await apiGet(sim, `${set}?$select=Win`)).status).toBe(403);
}

describe.each(CASES)("lineItemsOn = $value", ({ value, dealLines, orders, quotes }) => {
  it("changes at run time through PATCH /__sim/settings", async () => {
    const { status, json } = await admin(sim, "PATCH", "/settings", { lineItemsOn: value });
    expect(status).toBe(200);
    expect((json as Rec).lineItemsOn).toBe(value);
  });

  it(`deal Products: ${dealLines}`, async () => {
    await admin(sim, "PATCH", "/settings", { lineItemsOn: value });
    const query = { $orderby: "Id", $top: PAGE, $select: "Id", $expand: "Products($select=Id)" };
    if (dealLines === "refused") {
      expect((await apiGet(sim, `/Deals?$expand=Products`)).status).toBe(403);
      expect((await apiGet(sim, `/Deals(${num(snap.deals[0]?.Id)})?$expand=Products($select=Id)`)).status).toBe(403);
      expect((await apiGet(sim, "/Deals?$expand=Contact($select=Id),Products($expand=Product)")).status).toBe(403);
      // Other expansions and the deals themselves are still served.
      expect((await getPage(sim, "/Deals", { $top: "5", $select: "Id", $expand: "Contact($select=Id)" })).value)
        .toHaveLength(5);
      return;
    }
    const page = await getPage(sim, "/Deals", query);
    const expected = snap.deals.slice(0, Number(PAGE)).map((d) => ({
      Id: d.Id,
      Products: dealLines === "served" ? lineIds(d) : [],
    }));
    expect(page.value).toEqual(expected);
    if (dealLines === "served") expect(expected.some((d) => d.Products.length > 0)).toBe(true);
  });

  it(`orders ${orders ? "served" : "empty"}, quotes ${quotes ? "served" : "empty"}`, async () => {
    await admin(sim, "PATCH", "/settings", { lineItemsOn: value });
    await expectDocuments("/Orders", snap.orders as Rec[], orders);
    await expectDocuments("/Quotes", snap.quotes as Rec[], quotes);
  });
});

describe("a deal reached through an order", () => {
  const order = () => snap.orders[0] as Rec;
  const deal = () => snap.deals.find((d) => d.Id === order().DealId) as Rec;
  const query = () =>
    `/Orders?$filter=Id eq ${num(order().Id)}&$select=Id&$expand=Deal($select=Id;$expand=Products($select=Id))`;

  it("shows the deal's lines, none, or is refused, as the setting says", async () => {
    const served = await apiGet(sim, query());
    expect((JSON.parse(served.text) as { value: Rec[] }).value).toEqual([{
      Id: order().Id,
      Deal: { Id: deal().Id, Products: lineIds(deal()) },
    }]);
    sim.updateSettings({ lineItemsOn: "orders" });
    const emptied = await apiGet(sim, query());
    expect((JSON.parse(emptied.text) as { value: Rec[] }).value).toEqual([{
      Id: order().Id,
      Deal: { Id: deal().Id, Products: [] },
    }]);
    sim.updateSettings({ lineItemsOn: "refuseDealExpansion" });
    expect((await apiGet(sim, query())).status).toBe(403);
    const log = sim.requests();
    expect(log[log.length - 1]?.note).toContain("lineItemsOn");
  });
});

describe("the setting itself", () => {
  it("defaults to everywhere, refuses unknown values and comes back on reset", async () => {
    expect(sim.settings().lineItemsOn).toBe("everywhere");
    const refused = await admin(sim, "PATCH", "/settings", { lineItemsOn: "invoices" });
    expect(refused.status).toBe(400);
    sim.updateSettings({ lineItemsOn: "deals" });
    sim.reset();
    expect(sim.settings().lineItemsOn).toBe("everywhere");
  });

  it("can be set at start", async () => {
    const started = await startTestSimulator({ seed: 19, deals: 50, settings: { lineItemsOn: "quotes" } });
    try {
      expect((await getPage(started, "/Orders", { $select: "Id" })).value).toEqual([]);
      expect((await getPage(started, "/Quotes", { $select: "Id" })).value.length).toBeGreaterThan(0);
    } finally {
      await started.stop();
    }
  });
});
