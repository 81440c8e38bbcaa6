// dealSchema's storage bounds, one row per rule: the values just inside are accepted, the values
// just outside are rejected alone with the offending field. The rules and their limits, written
// out from docs/metrics.md ("What counts as a valid deal"), are in ploomes-deal-cases.ts.
import { describe, expect, it } from "vitest";
import { parseDealPage, toDealRow } from "../../supabase/functions/_shared/ploomes/deal-schema.ts";
import { BOUND_RULES, LINE, MAX_LINES, PLACE, type Place, SAFE_MAX, withLines } from "./ploomes-deal-cases.ts";
import { accepts, fixture, rejectOf } from "./ploomes-deal-fixture.ts";

const { top, contact } = PLACE;

describe("dealSchema: storage bounds", () => {
  for (const rule of BOUND_RULES) {
    it(`${rule.field}: accepts ${rule.inside.length} values just inside; rejects ${rule.outside.length} just outside`, () => {
      rule.inside.forEach((value, index) => {
        expect(accepts(rule.place(value)), `inside #${index}`).toBe(true);
      });
      rule.outside.forEach((value, index) => {
        const reject = rejectOf(rule.place(value));
        expect(reject.field, `outside #${index}`).toBe(rule.field);
        expect(reject.reason.startsWith(`${rule.field}: `), `outside #${index}: ${reject.reason}`).toBe(true);
      });
    });
  }

  it("a rejected deal keeps its id when the Id itself is usable", () => {
    expect(rejectOf(fixture({ Amount: -1 })).id).toBe(500000001);
    expect(rejectOf(fixture({ Id: 0 })).id).toBe(0);
    expect(rejectOf(fixture({ Id: SAFE_MAX + 1 })).id).toBeNull();
  });

  it("at most 10 000 line items", () => {
    expect(accepts(withLines(MAX_LINES))).toBe(true);
    const reject = rejectOf(withLines(MAX_LINES + 1));
    expect(reject.field).toBe("Products");
  });

  it("the field is the first issue's path; the reason lists them all", () => {
    const reject = rejectOf(fixture({ StatusId: 9, Amount: -1 }));
    expect(reject.field).toBe("StatusId");
    expect(reject.reason).toContain("StatusId: ");
    expect(reject.reason).toContain("Amount: ");
  });

  it("a reason names the rule, never the rejected value", () => {
    const values: [Place, unknown, string][] = [
      [top("ContactName"), "Maria Aparecida\u0000", "Maria"],
      [contact("Name"), `Joana ${"x".repeat(1000)}`, "Joana"],
      [contact("CPF"), "123.456.789-09\uD800", "123.456.789"],
      [top("Amount"), 123456789012345, "123456789012345"],
      [top("CreateDate"), "1850-07-04T00:00:00Z", "1850"],
    ];
    for (const [place, value, secret] of values) {
      expect(rejectOf(place(value)).reason).not.toContain(secret);
    }
  });

  it("null Quantity and UnitPrice are kept as null line values (the line still counts by its Total)", () => {
    const { deals, rejects } = parseDealPage([fixture({ Products: [{ ...LINE, Quantity: null, UnitPrice: null }] })]);
    expect(rejects).toEqual([]);
    const deal = deals[0];
    if (deal === undefined) throw new Error("fixture rejected");
    expect(toDealRow(deal, true).lineItems).toEqual([
      { productId: 700001, quantity: null, unitPrice: null, discount: 10, total: 180, catalogUnitPrice: 110 },
    ]);
  });

  it("one bad deal never fails its page", () => {
    const { deals, rejects } = parseDealPage([
      fixture({ Id: 1 }),
      fixture({ Id: 2, Discount: 5, Amount: 1e12 }),
      fixture({ Id: 3 }),
    ]);
    expect(deals.map((deal) => deal.Id)).toEqual([1, 3]);
    expect(rejects.map(({ id, field }) => ({ id, field }))).toEqual([{ id: 2, field: "Amount" }]);
  });
});
