// dealSchema's storage bounds, one row per rule: the values just inside are accepted, the values
// just outside are rejected alone with the offending field. The limits are written out here
// (docs/metrics.md, "What counts as a valid deal"), not imported from deal-bounds.ts.
import { describe, expect, it } from "vitest";
import { parseDealPage, toDealRow } from "../../supabase/functions/_shared/ploomes/deal-schema.ts";
import { accepts, fixture, rejectOf } from "./ploomes-deal-fixture.ts";

type Place = (value: unknown) => Record<string, unknown>;

const CONTACT = { Id: 101000001, Name: "ACME LTDA", TypeId: 1, CNPJ: "11.222.333/0001-81", CPF: null };
const LINE = { Id: 1, ProductId: 700001, Quantity: 2, UnitPrice: 100, Discount: 10, Total: 180, Product: { Id: 700001, UnitPrice: 110 } };

const top = (field: string): Place => (value) => fixture({ [field]: value });
const contact = (field: string): Place => (value) => fixture({ Contact: { ...CONTACT, [field]: value } });
const line = (field: string): Place => (value) => fixture({ Products: [{ ...LINE, [field]: value }] });
const catalog = (field: string): Place => (value) =>
  fixture({ Products: [{ ...LINE, Product: { ...LINE.Product, [field]: value } }] });

const MONEY_MAX = 100_000_000_000; // R$ 100 billion
const JUST_OVER_MONEY = 100_000_000_000.01;
const SAFE_MAX = 2 ** 53 - 1;
const INT4_MAX = 2 ** 31 - 1;

interface Rule {
  readonly field: string;
  readonly place: Place;
  readonly inside: readonly unknown[];
  readonly outside: readonly unknown[];
}

const RULES: readonly Rule[] = [
  // Ids: positive safe integers (stored as bigint, exact in JavaScript).
  { field: "Id", place: top("Id"), inside: [1, SAFE_MAX], outside: [0, -1, SAFE_MAX + 1] },
  { field: "ContactId", place: top("ContactId"), inside: [1, SAFE_MAX, null], outside: [0, SAFE_MAX + 1] },
  { field: "Contact.Id", place: contact("Id"), inside: [1], outside: [0] },
  { field: "Products.0.Id", place: line("Id"), inside: [1, undefined], outside: [0] },
  { field: "Products.0.ProductId", place: line("ProductId"), inside: [1, null], outside: [0] },
  { field: "Products.0.Product.Id", place: catalog("Id"), inside: [1], outside: [0] },
  // Status: 1 open, 2 won, 3 lost.
  { field: "StatusId", place: top("StatusId"), inside: [1, 2, 3], outside: [0, 4] },
  // Money: 0 to R$ 100 billion.
  { field: "Amount", place: top("Amount"), inside: [0, MONEY_MAX, null], outside: [-0.01, JUST_OVER_MONEY] },
  { field: "Products.0.Total", place: line("Total"), inside: [0, MONEY_MAX], outside: [-0.01, JUST_OVER_MONEY, null] },
  { field: "Products.0.UnitPrice", place: line("UnitPrice"), inside: [0, MONEY_MAX, null], outside: [-0.01, JUST_OVER_MONEY] },
  {
    field: "Products.0.Product.UnitPrice",
    place: catalog("UnitPrice"),
    inside: [0, MONEY_MAX, null],
    outside: [-0.01, JUST_OVER_MONEY],
  },
  // Quantity 0 to 10⁹, Discount a percentage.
  { field: "Products.0.Quantity", place: line("Quantity"), inside: [0, 1_000_000_000, null], outside: [-0.001, 1_000_000_000.5] },
  { field: "Products.0.Discount", place: line("Discount"), inside: [0, 100, null], outside: [-0.01, 100.01] },
  // Postgres integer.
  { field: "Contact.TypeId", place: contact("TypeId"), inside: [INT4_MAX, null], outside: [INT4_MAX + 1] },
  // Dates: years 1900–2200 (0001-01-01 is .NET's "no date").
  ...["CreateDate", "LastUpdateDate", "FinishDate"].map((field): Rule => ({
    field,
    place: top(field),
    inside: ["1900-01-01T00:00:00Z", "2200-12-31T23:59:59.9999999-03:00"],
    outside: ["1899-12-31T23:59:59.9999999Z", "2201-01-01T00:00:00Z", "0001-01-01T00:00:00Z"],
  })),
];

/** Text: at most 1000 UTF-16 units, no NUL, no unpaired surrogate; a paired one (emoji) is fine. */
const TEXT_INSIDE = ["a".repeat(1000), "😀".repeat(500), "José da Conceição 😀", "", null];
const TEXT_OUTSIDE = ["a".repeat(1001), "Maria\u0000Silva", "x\uD83Dy", "x\uDE00", "\uD83D", "\uDE00\uD83D"];
const TEXT_RULES: readonly Rule[] = [
  { field: "ContactName", place: top("ContactName"), inside: TEXT_INSIDE, outside: TEXT_OUTSIDE },
  { field: "Contact.Name", place: contact("Name"), inside: TEXT_INSIDE, outside: TEXT_OUTSIDE },
  // CNPJ/CPF: any bounded text (a malformed document costs the customer its document, not the deal).
  {
    field: "Contact.CNPJ",
    place: contact("CNPJ"),
    inside: [...TEXT_INSIDE, "not a document", "123", "11222333000181"],
    outside: TEXT_OUTSIDE,
  },
  { field: "Contact.CPF", place: contact("CPF"), inside: [...TEXT_INSIDE, "000.000.000-0x", "CPF pendente"], outside: TEXT_OUTSIDE },
];

describe("dealSchema: storage bounds", () => {
  for (const rule of [...RULES, ...TEXT_RULES]) {
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
    const lines = (count: number) => Array.from({ length: count }, (_, index) => ({ ...LINE, Id: index + 1 }));
    expect(accepts(fixture({ Products: lines(10_000) }))).toBe(true);
    const reject = rejectOf(fixture({ Products: lines(10_001) }));
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
    const { deals, rejects } = parseDealPage([fixture({ Id: 1 }), fixture({ Id: 2, Discount: 5, Amount: 1e12 }), fixture({ Id: 3 })]);
    expect(deals.map((deal) => deal.Id)).toEqual([1, 3]);
    expect(rejects.map(({ id, field }) => ({ id, field }))).toEqual([{ id: 2, field: "Amount" }]);
  });
});
