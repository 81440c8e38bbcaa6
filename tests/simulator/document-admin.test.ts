// The admin API for orders and quotes: create, read, patch (fields and/or lines) and delete, with
// LastUpdateDate stamped by the simulator's clock so an incremental walk sees every change, the
// changes showing in /Orders, /Quotes and their @Products sets, and the same 400/404/409 answers
// as for deals.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Simulator, Snapshot } from "../../local/ploomes-simulator/index.ts";
import { admin, compareDates, fetchSnapshot, getPage, ids, num, type Rec, startTestSimulator, str } from "./helpers.ts";

let sim: Simulator;
let pristine: Snapshot;

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 29, deals: 400 });
  pristine = await fetchSnapshot(sim);
});
afterAll(() => sim.stop());
beforeEach(async () => {
  await admin(sim, "POST", "/reset");
});

/** The latest date anywhere in the data, by the tests' own comparison. */
function latestDate(snap: Snapshot): string {
  const rows = [...snap.deals, ...snap.contacts, ...snap.products, ...snap.orders, ...snap.quotes] as Rec[];
  const dates = rows
    .flatMap((r) => ["Date", "CreateDate", "StartDate", "FinishDate", "LastUpdateDate"].map((k) => r[k]))
    .filter((v): v is string => typeof v === "string");
  return dates.reduce((a, b) => (compareDates(a, b) >= 0 ? a : b));
}

const product = (index: number): Rec => pristine.products[index] as Rec;
const wonDeal = (): Rec => (pristine.deals as Rec[]).find((d) => d.StatusId === 2 && d.ContactId !== null) as Rec;
const lines = (row: unknown): Rec[] => (row as Rec).Products as Rec[];

describe.each(["orders", "quotes"] as const)("/__sim/%s", (kind) => {
  const set = kind === "orders" ? "/Orders" : "/Quotes";
  const parent = kind === "orders" ? "OrderId" : "QuoteId";
  const create = (body: Rec) => admin(sim, "POST", `/${kind}`, body);

  it("creates a document for a deal: Id, customer, lines and stamp assigned", async () => {
    const deal = wonDeal();
    const { status, json } = await create({
      DealId: deal.Id,
      Products: [
        { ProductId: product(0).Id, Quantity: 2, UnitPrice: 10, Discount: 10, Total: 18 },
        { ProductId: product(1).Id, Quantity: 3 },
      ],
    });
    expect(status).toBe(201);
    const stored = json as Rec;
    expect(num(stored.Id)).toBeGreaterThan(Math.max(...(pristine[kind] as Rec[]).map((r) => num(r.Id))));
    expect(stored).toMatchObject({
      DealId: deal.Id,
      ContactId: deal.ContactId,
      PersonId: deal.PersonId,
      Amount: 18 + num(lines(stored)[1]?.Total),
    });
    expect(compareDates(str(stored.LastUpdateDate), latestDate(pristine))).toBeGreaterThan(0);
    expect(lines(stored).map((l) => [l[parent], l.DealId, l.ContactId, l.ProductName, l.UnitPrice, l.Total])).toEqual([
      [stored.Id, deal.Id, deal.ContactId, product(0).Name, 10, 18],
      [
        stored.Id,
        deal.Id,
        deal.ContactId,
        product(1).Name,
        product(1).UnitPrice,
        Math.round(3 * num(product(1).UnitPrice) * 100) / 100,
      ],
    ]);
    // Visible to an incremental walk, by Id, in the lines set and through admin GET.
    const since = await getPage(sim, set, { $filter: `LastUpdateDate gt ${latestDate(pristine)}`, $select: "Id" });
    expect(since.value).toEqual([{ Id: stored.Id }]);
    const served = await getPage(sim, `${set}@Products`, { $filter: `${parent} eq ${num(stored.Id)}`, $select: "Id" });
    expect(ids(served.value)).toEqual(lines(stored).map((l) => num(l.Id)));
    expect((await admin(sim, "GET", `/${kind}/${num(stored.Id)}`)).json).toEqual(stored);
  });

  it("patches fields (bumping LastUpdateDate) and replaces lines", async () => {
    const target = (pristine[kind] as Rec[])[5] as Rec;
    const patched = (await admin(sim, "PATCH", `/${kind}/${num(target.Id)}`, { Discount: 5 })).json as Rec;
    expect(patched.Discount).toBe(5);
    expect(lines(patched)).toEqual(lines(target));
    expect(compareDates(str(patched.LastUpdateDate), latestDate(pristine))).toBeGreaterThan(0);

    const replaced = (await admin(sim, "PATCH", `/${kind}/${num(target.Id)}`, {
      Products: [{ ProductId: product(2).Id, Quantity: 4, UnitPrice: 2.5 }],
    })).json as Rec;
    expect(compareDates(str(replaced.LastUpdateDate), str(patched.LastUpdateDate))).toBeGreaterThan(0);
    expect(lines(replaced).map((l) => [l.ProductId, l.Quantity, l.UnitPrice, l.Discount, l.Total])).toEqual([[
      product(2).Id,
      4,
      2.5,
      0,
      10,
    ]]);
    expect(replaced.Amount).toBe(10);
    const all = await getPage(sim, `${set}@Products`, { $filter: `${parent} eq ${num(target.Id)}`, $select: "Id" });
    expect(ids(all.value)).toEqual(lines(replaced).map((l) => num(l.Id)));
    const expanded = await getPage(sim, set, {
      $filter: `Id eq ${num(target.Id)}`,
      $select: "Id,Amount",
      $expand: "Products($select=Total)",
    });
    expect(expanded.value).toEqual([{ Id: target.Id, Amount: 10, Products: [{ Total: 10 }] }]);

    const kept = (await admin(sim, "PATCH", `/${kind}/${num(target.Id)}?bumpLastUpdateDate=false`, { Discount: 1 }))
      .json as Rec;
    expect(kept.LastUpdateDate).toBe(replaced.LastUpdateDate);
  });

  it("moves a document to another deal: its customer and its lines follow", async () => {
    const target = (pristine[kind] as Rec[])[0] as Rec;
    const other = (pristine.deals as Rec[]).find((d) =>
      d.ContactId !== null && d.ContactId !== target.ContactId
    ) as Rec;
    const moved = (await admin(sim, "PATCH", `/${kind}/${num(target.Id)}`, { DealId: other.Id })).json as Rec;
    expect(moved).toMatchObject({ DealId: other.Id, ContactId: other.ContactId });
    expect(lines(moved).every((l) => l.DealId === other.Id && l.ContactId === other.ContactId)).toBe(true);
  });

  it("deletes a document and its lines from every set", async () => {
    const target = (pristine[kind] as Rec[])[7] as Rec;
    const { status, json } = await admin(sim, "DELETE", `/${kind}/${num(target.Id)}`);
    expect(status).toBe(200);
    expect(json).toEqual(target);
    expect((await getPage(sim, set, { $filter: `Id eq ${num(target.Id)}` })).value).toEqual([]);
    expect((await getPage(sim, `${set}@Products`, { $filter: `${parent} eq ${num(target.Id)}` })).value).toEqual([]);
    const after = await fetchSnapshot(sim);
    expect((after[kind] as Rec[]).some((r) => r.Id === target.Id)).toBe(false);
    expect((after[kind] as Rec[]).flatMap(lines).some((l) => l[parent] === target.Id)).toBe(false);
    expect((await admin(sim, "DELETE", `/${kind}/${num(target.Id)}`)).status).toBe(404);
    expect((await admin(sim, "GET", `/${kind}/${num(target.Id)}`)).status).toBe(404);
  });

  it("refuses bad bodies, listing the problems", async () => {
    const deal = wonDeal();
    const cases: [Rec, number][] = [
      [{}, 400],
      [{ DealId: 1 }, 400],
      [{ DealId: deal.Id, Win: true, Amount: "10" }, 400],
      [{ DealId: deal.Id, Products: [{ ProductId: 1 }] }, 400],
      [{ DealId: deal.Id, Products: [{ ProductId: product(0).Id, Discount: 150 }] }, 400],
      [{ DealId: deal.Id, Products: "none" }, 400],
      [{ Id: num((pristine[kind] as Rec[])[0]?.Id), DealId: deal.Id }, 409],
    ];
    for (const [body, expected] of cases) {
      const { status, json } = await create(body);
      expect(status, JSON.stringify(body)).toBe(expected);
      expect(typeof (json as Rec).error).toBe("string");
    }
    const { json } = await create({ DealId: deal.Id, Win: true, Amount: "10" });
    expect((json as { problems: string[] }).problems).toHaveLength(2);
  });
});

describe("quote fields", () => {
  it("default to a first, last, pending review with a new quote number; explicit values are kept", async () => {
    const deal = wonDeal();
    const numbers = (pristine.quotes as Rec[]).map((q) => num(q.QuoteNumber));
    const fresh = (await admin(sim, "POST", "/quotes", { DealId: deal.Id })).json as Rec;
    expect(fresh).toMatchObject({
      ReviewNumber: 1,
      LastReview: true,
      ApprovalStatusId: 1,
      QuoteNumber: Math.max(...numbers) + 1,
      Products: [],
    });
    const review = (await admin(sim, "POST", "/quotes", {
      DealId: deal.Id,
      QuoteNumber: fresh.QuoteNumber,
      ReviewNumber: 2,
      ApprovalStatusId: 2,
    })).json as Rec;
    expect(review).toMatchObject({ QuoteNumber: fresh.QuoteNumber, ReviewNumber: 2, ApprovalStatusId: 2 });
    const refused = await admin(sim, "PATCH", `/quotes/${num(review.Id)}`, { ApprovalStatusId: 9, ReviewNumber: 0 });
    expect(refused.status).toBe(400);
    expect((refused.json as { problems: string[] }).problems).toHaveLength(2);
  });
});

describe("around the documents", () => {
  it("deleting a deal leaves its orders and quotes; their Deal expansion is then null", async () => {
    const order = (pristine.orders as Rec[])[0] as Rec;
    expect((await admin(sim, "DELETE", `/deals/${num(order.DealId)}`)).status).toBe(200);
    const after = await fetchSnapshot(sim);
    expect(after.orders).toEqual(pristine.orders);
    expect(after.quotes).toEqual(pristine.quotes);
    const page = await getPage(sim, "/Orders", {
      $filter: `Id eq ${num(order.Id)}`,
      $select: "Id",
      $expand: "Deal($select=Id)",
    });
    expect(page.value).toEqual([{ Id: order.Id, Deal: null }]);
  });

  it("lists the endpoints, serves overrides on orders, and resets", async () => {
    const endpoints = ((await admin(sim, "GET", "")).json as { endpoints: string[] }).endpoints;
    expect(endpoints.some((e) => e.includes("/__sim/{orders|quotes}"))).toBe(true);
    const order = (pristine.orders as Rec[])[1] as Rec;
    expect((await admin(sim, "PUT", `/overrides/orders/${num(order.Id)}`, { Amount: "1.234,56" })).status).toBe(200);
    expect((await getPage(sim, "/Orders", { $filter: `Id eq ${num(order.Id)}`, $select: "Amount" })).value).toEqual([{
      Amount: "1.234,56",
    }]);
    sim.insert("orders", { DealId: order.DealId });
    sim.update("quotes", num((pristine.quotes as Rec[])[0]?.Id), { LastReview: false });
    sim.remove("orders", num(order.Id));
    sim.reset();
    expect(sim.snapshot()).toEqual(pristine);
  });
});
