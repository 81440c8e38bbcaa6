// The deal cases the validation tests share: dealSchema's storage bounds, one rule per field
// (values just inside and just outside), and the malformed deals of ploomes-deal-schema.test.ts.
// The bounds and deal-fast-path tests both walk them, so the fast path is held to every case the
// schema is. The limits are written out here (docs/metrics.md, "What counts as a valid deal"),
// not imported from deal-bounds.ts.
import { fixture } from "./ploomes-deal-fixture.ts";

export type Place = (value: unknown) => Record<string, unknown>;

export const CONTACT = { Id: 101000001, Name: "ACME LTDA", TypeId: 1, CNPJ: "11.222.333/0001-81", CPF: null };
export const LINE = {
  Id: 1,
  ProductId: 700001,
  Quantity: 2,
  UnitPrice: 100,
  Discount: 10,
  Total: 180,
  Product: { Id: 700001, UnitPrice: 110 },
};

const top = (field: string): Place => (value) => fixture({ [field]: value });
const contact = (field: string): Place => (value) => fixture({ Contact: { ...CONTACT, [field]: value } });
const line = (field: string): Place => (value) => fixture({ Products: [{ ...LINE, [field]: value }] });
const catalog = (field: string): Place => (value) =>
  fixture({ Products: [{ ...LINE, Product: { ...LINE.Product, [field]: value } }] });
export const PLACE = { top, contact, line, catalog } as const;

const MONEY_MAX = 100_000_000_000; // R$ 100 billion
const JUST_OVER_MONEY = 100_000_000_000.01;
export const SAFE_MAX = 2 ** 53 - 1;
const INT4_MAX = 2 ** 31 - 1;
export const MAX_LINES = 10_000;

export interface Rule {
  readonly field: string;
  readonly place: Place;
  readonly inside: readonly unknown[];
  readonly outside: readonly unknown[];
}

const VALUE_RULES: readonly Rule[] = [
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
  {
    field: "Products.0.UnitPrice",
    place: line("UnitPrice"),
    inside: [0, MONEY_MAX, null],
    outside: [-0.01, JUST_OVER_MONEY],
  },
  {
    field: "Products.0.Product.UnitPrice",
    place: catalog("UnitPrice"),
    inside: [0, MONEY_MAX, null],
    outside: [-0.01, JUST_OVER_MONEY],
  },
  // Quantity 0 to 10⁹, Discount a percentage.
  {
    field: "Products.0.Quantity",
    place: line("Quantity"),
    inside: [0, 1_000_000_000, null],
    outside: [-0.001, 1_000_000_000.5],
  },
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
export const TEXT_INSIDE = ["a".repeat(1000), "😀".repeat(500), "José da Conceição 😀", "", null];
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
  {
    field: "Contact.CPF",
    place: contact("CPF"),
    inside: [...TEXT_INSIDE, "000.000.000-0x", "CPF pendente"],
    outside: TEXT_OUTSIDE,
  },
];

export const BOUND_RULES: readonly Rule[] = [...VALUE_RULES, ...TEXT_RULES];

/** Malformed deals: [label, fixture overrides, expected reject id, field, reason pattern]. */
export const MALFORMED_CASES: readonly (readonly [string, Record<string, unknown>, number | null, string, RegExp])[] = [
  ["Id not an integer", { Id: "500000001" }, null, "Id", /^Id: /],
  ["StatusId missing", { StatusId: undefined }, 500000001, "StatusId", /^StatusId: /],
  ["Amount as string", { Amount: "15234.50" }, 500000001, "Amount", /^Amount: /],
  [
    "LastUpdateDate without offset",
    { LastUpdateDate: "2024-04-02T09:10:11.2" },
    500000001,
    "LastUpdateDate",
    /^LastUpdateDate: expected ISO-8601/,
  ],
  ["CreateDate date-only", { CreateDate: "2024-03-07" }, 500000001, "CreateDate", /^CreateDate: /],
  [
    "FinishDate with 8 digits",
    { FinishDate: "2024-04-02T09:10:11.12345678-03:00" },
    500000001,
    "FinishDate",
    /^FinishDate: /,
  ],
  ["Contact missing", { Contact: undefined }, 500000001, "Contact", /^Contact: /],
  [
    "Contact.TypeId as string",
    { Contact: { Id: 1, Name: "x", TypeId: "1", CNPJ: null, CPF: null } },
    500000001,
    "Contact.TypeId",
    /^Contact\.TypeId: /,
  ],
  [
    "Products[0].Quantity negative",
    { Products: [{ ProductId: 1, Quantity: -1, UnitPrice: 1, Discount: null, Total: 1 }] },
    500000001,
    "Products.0.Quantity",
    /^Products\.0\.Quantity: /,
  ],
  [
    "Products[0].Product.UnitPrice string",
    {
      Products: [{
        ProductId: 1,
        Quantity: 1,
        UnitPrice: 1,
        Discount: 0,
        Total: 1,
        Product: { Id: 1, UnitPrice: "1" },
      }],
    },
    500000001,
    "Products.0.Product.UnitPrice",
    /^Products\.0\.Product\.UnitPrice: /,
  ],
];

/** A deal with every field wrong: its reason is cut at 200 characters. */
export const EVERYTHING_WRONG = {
  Id: 5,
  ContactId: "a",
  ContactName: 1,
  StatusId: "b",
  Amount: "c",
  CreateDate: 1,
  FinishDate: 2,
  LastUpdateDate: 3,
  Contact: 4,
  Products: 5,
};

/** A deal with `count` copies of LINE, numbered from 1. */
export function withLines(count: number): Record<string, unknown> {
  return fixture({ Products: Array.from({ length: count }, (_, index) => ({ ...LINE, Id: index + 1 })) });
}
