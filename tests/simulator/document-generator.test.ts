// The generated orders and quotes, checked on the raw snapshot with the tests' own code: a won
// deal's orders together carry exactly its lines, its approved (or last pending) review equals
// them while the first review does not, open deals get at most a pending quote, dates and ids
// look like Ploomes', and the same seed gives the same documents.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator, Snapshot } from "../../local/ploomes-simulator/index.ts";
import { compareDates, fetchSnapshot, num, type Rec, startTestSimulator, str } from "./helpers.ts";

const DEALS = 2500;
const WON = 2;
const OPEN = 1;
const PENDING = 1;
const APPROVED = 2;
const REJECTED = 3;
/** `-03:00`, whole seconds or 1–7 fractional digits without trailing zeros (as deal dates). */
const PLOOMES_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{0,6}[1-9])?-03:00$/;

let sim: Simulator;
let snap: Snapshot;

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 23, contacts: 600, products: 80, deals: DEALS });
  snap = await fetchSnapshot(sim);
});
afterAll(() => sim.stop());

const linesOf = (row: Rec): Rec[] => row.Products as Rec[];
/** Lines as a sorted multiset of what a sale is made of. */
const terms = (lines: readonly Rec[]): string[] =>
  lines.map((l) => [l.ProductId, l.Quantity, l.UnitPrice, l.Discount, l.Total].join("|")).sort();
const cents = (n: unknown): number => Math.round(num(n) * 100);

function byDeal(rows: readonly Rec[]): Map<number, Rec[]> {
  const map = new Map<number, Rec[]>();
  for (const row of rows) map.set(num(row.DealId), [...(map.get(num(row.DealId)) ?? []), row]);
  return map;
}

const dealsWithLines = (status: number) =>
  (snap.deals as Rec[]).filter((d) => d.StatusId === status && linesOf(d).length > 0);

describe("orders", () => {
  it("exist for exactly the won deals with lines: one, or two for about a third", () => {
    const orders = byDeal(snap.orders as Rec[]);
    const won = dealsWithLines(WON);
    expect([...orders.keys()].sort()).toEqual(won.map((d) => num(d.Id)).sort());
    const two = won.filter((d) => orders.get(num(d.Id))?.length === 2).length;
    expect(won.every((d) => [1, 2].includes(orders.get(num(d.Id))?.length ?? 0))).toBe(true);
    expect(two / won.length).toBeGreaterThan(0.2);
    expect(two / won.length).toBeLessThan(0.45);
  });

  it("carry, together, exactly the deal's lines, each order at least one", () => {
    const orders = byDeal(snap.orders as Rec[]);
    for (const deal of dealsWithLines(WON)) {
      const mine = orders.get(num(deal.Id)) ?? [];
      expect(terms(mine.flatMap(linesOf)), `deal ${String(deal.Id)}`).toEqual(terms(linesOf(deal)));
      for (const order of mine) {
        expect(linesOf(order).length).toBeGreaterThan(0);
        expect(order).toMatchObject({ ContactId: deal.ContactId, PersonId: deal.PersonId });
        expect(cents(order.Amount)).toBe(linesOf(order).reduce((sum, l) => sum + cents(l.Total), 0));
        expect(compareDates(str(order.CreateDate), str(deal.FinishDate))).toBeGreaterThanOrEqual(0);
      }
    }
  });
});

describe("quotes", () => {
  it("give every won deal with lines two reviews of one quote number; the last equals the deal's lines", () => {
    const quotes = byDeal(snap.quotes as Rec[]);
    let pendingHistories = 0;
    for (const deal of dealsWithLines(WON)) {
      const [first, second, ...more] = [...(quotes.get(num(deal.Id)) ?? [])].sort((a, b) =>
        num(a.ReviewNumber) - num(b.ReviewNumber)
      );
      expect(more).toEqual([]);
      if (!first || !second) throw new Error(`deal ${String(deal.Id)} lacks a review`);
      expect(first).toMatchObject({ ReviewNumber: 1, LastReview: false, QuoteNumber: second.QuoteNumber });
      expect(second).toMatchObject({ ReviewNumber: 2, LastReview: true });
      const statuses = [first.ApprovalStatusId, second.ApprovalStatusId];
      expect([[REJECTED, APPROVED], [PENDING, PENDING]]).toContainEqual(statuses);
      if (second.ApprovalStatusId === PENDING) pendingHistories += 1;
      expect(terms(linesOf(second))).toEqual(terms(linesOf(deal)));
      // Review 1 had other terms on every line: another unit price or another discount.
      expect(terms(linesOf(first))).not.toEqual(terms(linesOf(deal)));
      linesOf(first).forEach((line, i) => {
        const final = linesOf(deal)[i] as Rec;
        expect(line.ProductId).toBe(final.ProductId);
        expect(line.UnitPrice !== final.UnitPrice || line.Discount !== final.Discount).toBe(true);
      });
      expect(compareDates(str(second.LastUpdateDate), str(deal.FinishDate))).toBeLessThanOrEqual(0);
    }
    const share = pendingHistories / dealsWithLines(WON).length;
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.3);
  });

  it("give some open deals one pending last review equal to the deal's lines, and lost deals none", () => {
    const quotes = byDeal(snap.quotes as Rec[]);
    const open = dealsWithLines(OPEN);
    const quoted = open.filter((d) => quotes.has(num(d.Id)));
    expect(quoted.length).toBeGreaterThan(open.length * 0.2);
    expect(quoted.length).toBeLessThan(open.length * 0.6);
    for (const deal of quoted) {
      const mine = quotes.get(num(deal.Id)) ?? [];
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ ReviewNumber: 1, LastReview: true, ApprovalStatusId: PENDING });
      expect(terms(linesOf(mine[0] as Rec))).toEqual(terms(linesOf(deal)));
    }
    const lostIds = new Set((snap.deals as Rec[]).filter((d) => d.StatusId === 3).map((d) => num(d.Id)));
    expect((snap.quotes as Rec[]).some((q) => lostIds.has(num(q.DealId)))).toBe(false);
  });
});

describe.each(
  [
    { kind: "orders", firstId: 700_000_001, parent: "OrderId", date: "OrderDate" },
    { kind: "quotes", firstId: 800_000_001, parent: "QuoteId", date: "QuoteDate" },
  ] as const,
)("$kind and their lines", ({ kind, firstId, parent, date }) => {
  const rows = () => snap[kind] as Rec[];

  it("have their own ascending, unique ids; lines unique in the set and pointing at their document", () => {
    const documentIds = rows().map((r) => num(r.Id));
    expect(documentIds[0]).toBeGreaterThanOrEqual(firstId);
    expect(documentIds).toEqual([...new Set(documentIds)].sort((a, b) => a - b));
    const lineIds = rows().flatMap(linesOf).map((l) => num(l.Id));
    expect(new Set(lineIds).size).toBe(lineIds.length);
    const products = new Map(snap.products.map((p) => [num(p.Id), p.Name]));
    for (const row of rows()) {
      for (const line of linesOf(row)) {
        expect(line).toMatchObject({
          [parent]: row.Id,
          DealId: row.DealId,
          ContactId: row.ContactId,
          [date]: row.Date,
        });
        expect(line.ProductName).toBe(products.get(num(line.ProductId)));
      }
    }
  });

  it("have Ploomes-style dates before the epoch, created before last updated", () => {
    for (const row of rows()) {
      for (const key of ["Date", "CreateDate", "LastUpdateDate"]) {
        expect(str(row[key])).toMatch(PLOOMES_DATE);
        expect(compareDates(str(row[key]), snap.epoch)).toBeLessThan(0);
      }
      expect(compareDates(str(row.CreateDate), str(row.LastUpdateDate))).toBeLessThanOrEqual(0);
    }
  });
});

describe("determinism", () => {
  it("the same seed gives the same orders and quotes; another seed others", async () => {
    const options = { contacts: 200, products: 40, deals: 400 };
    const [a, b, c] = await Promise.all([
      startTestSimulator({ seed: 5, ...options }),
      startTestSimulator({ seed: 5, ...options }),
      startTestSimulator({ seed: 6, ...options }),
    ]);
    try {
      const [sa, sb, sc] = [a.snapshot(), b.snapshot(), c.snapshot()];
      expect(sa.orders.length).toBeGreaterThan(0);
      expect(JSON.stringify([sa.orders, sa.quotes])).toBe(JSON.stringify([sb.orders, sb.quotes]));
      expect(JSON.stringify(sa.orders)).not.toBe(JSON.stringify(sc.orders));
    } finally {
      await Promise.all([a.stop(), b.stop(), c.stop()]);
    }
  });
});
