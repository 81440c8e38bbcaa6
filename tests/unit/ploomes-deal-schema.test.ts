import { describe, expect, it } from "vitest";
import { parseDealPage, toDealRow } from "../../supabase/functions/_shared/ploomes/deal-schema.ts";
import { EVERYTHING_WRONG, MALFORMED_CASES } from "./ploomes-deal-cases.ts";
import { fixture, rejectOf } from "./ploomes-deal-fixture.ts";

describe("parseDealPage", () => {
  it("accepts the fixture, ignoring unknown keys", () => {
    const { deals, rejects } = parseDealPage([fixture()]);
    expect(rejects).toEqual([]);
    expect(deals).toHaveLength(1);
    expect(deals[0]).not.toHaveProperty("Title");
    expect(deals[0]?.LastUpdateDate).toBe("2024-04-02T09:10:11.9571234-03:00");
  });

  it("accepts null contact, null finish date and a missing Products list", () => {
    const { Products: _dropped, ...withoutProducts } = fixture({
      Contact: null,
      FinishDate: null,
      ContactId: null,
      Amount: null,
    });
    const { deals, rejects } = parseDealPage([withoutProducts]);
    expect(rejects).toEqual([]);
    expect(deals).toHaveLength(1);
  });

  it("splits a page into deals and rejects, keeping the order", () => {
    const { deals, rejects } = parseDealPage([
      fixture({ Id: 1 }),
      fixture({ Id: 2, StatusId: "2" }),
      fixture({ Id: 3 }),
    ]);
    expect(deals.map((deal) => deal.Id)).toEqual([1, 3]);
    expect(rejects).toEqual([{ id: 2, field: "StatusId", reason: expect.stringMatching(/^StatusId: /) }]);
  });

  it.each(MALFORMED_CASES)("rejects %s with its path", (_label, overrides, id, field, reason) => {
    const reject = rejectOf(fixture(overrides));
    expect(reject.id).toBe(id);
    expect(reject.field).toBe(field);
    expect(reject.reason).toMatch(reason);
  });

  it("rejects non-objects with a root path and keeps reasons ≤ 200 chars", () => {
    const notADeal = rejectOf("not a deal");
    expect(notADeal.id).toBeNull();
    expect(notADeal.field).toBe("(deal)");
    expect(notADeal.reason).toMatch(/^\(deal\): /);
    const everythingWrong = rejectOf(EVERYTHING_WRONG);
    expect(everythingWrong.id).toBe(5);
    // The field is the first issue's, in the schema's order.
    expect(everythingWrong.field).toBe("ContactId");
    expect(everythingWrong.reason.length).toBeLessThanOrEqual(200);
    expect(everythingWrong.reason.endsWith("…")).toBe(true);
  });
});

describe("toDealRow", () => {
  it("maps to the camelCase row, raw dates, line items with catalog price", () => {
    const { deals } = parseDealPage([fixture()]);
    const deal = deals[0];
    if (deal === undefined) throw new Error("fixture rejected");
    expect(toDealRow(deal, true)).toEqual({
      id: 500000001,
      contactId: 101000001,
      contactName: "ACME LTDA",
      contactTypeId: 1,
      contactCnpj: "11.222.333/0001-81",
      contactCpf: null,
      statusId: 2,
      amount: 15234.5,
      createDate: "2024-03-07T12:39:44.957-03:00",
      finishDate: "2024-04-02T09:10:11.2-03:00",
      lastUpdateDate: "2024-04-02T09:10:11.9571234-03:00",
      lineItems: [
        { productId: 700001, quantity: 2, unitPrice: 100, discount: 10, total: 180, catalogUnitPrice: 110 },
        { productId: null, quantity: 1.5, unitPrice: 20, discount: null, total: 30, catalogUnitPrice: null },
      ],
    });
  });

  it("line items are null without the expansion, [] when expanded but absent", () => {
    const { Products: _dropped, ...withoutProducts } = fixture();
    const { deals } = parseDealPage([withoutProducts]);
    const deal = deals[0];
    if (deal === undefined) throw new Error("fixture rejected");
    expect(toDealRow(deal, false).lineItems).toBeNull();
    expect(toDealRow(deal, true).lineItems).toEqual([]);
  });

  it("falls back to the deal's ContactName when there is no contact", () => {
    const { deals } = parseDealPage([fixture({ Contact: null })]);
    const deal = deals[0];
    if (deal === undefined) throw new Error("fixture rejected");
    expect(toDealRow(deal, true)).toMatchObject({
      contactName: "ACME LTDA (deal copy)",
      contactTypeId: null,
      contactCnpj: null,
      contactCpf: null,
    });
  });
});
