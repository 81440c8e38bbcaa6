// parseDealPageToRows — one step, a hand-written fast path with dealSchema behind it — against the
// two-step path it replaces (parseDealPage → toDealRow → toSqlDeal): the same rows, key for key,
// the same rejects, the same payload text. Expected values come from the two-step path or are
// written out by hand, never from the code under test. Cases: the fixture, every bound and
// malformed deal of the schema tests, seeded random mutations of the fixture, and pages served by
// the simulator (in process, no port).
import { describe, expect, it } from "vitest";
import { answerApi } from "../../local/ploomes-simulator/api.ts";
import { SimState } from "../../local/ploomes-simulator/state.ts";
import { parseDealPageToRows, toSqlDeal } from "../../supabase/functions/_shared/db/deal-payload.ts";
import { isAcceptedDeal } from "../../supabase/functions/_shared/ploomes/deal-fast-check.ts";
import { parseDealPage, toDealRow } from "../../supabase/functions/_shared/ploomes/deal-schema.ts";
import { buildFullDealsQuery } from "../../supabase/functions/_shared/ploomes/odata.ts";
import { BOUND_RULES, EVERYTHING_WRONG, LINE, MALFORMED_CASES, MAX_LINES, withLines } from "./ploomes-deal-cases.ts";
import { fixture } from "./ploomes-deal-fixture.ts";

/** The former path, the reference. */
function twoStep(values: readonly unknown[], includeProducts: boolean) {
  const { deals, rejects } = parseDealPage(values);
  return { rows: deals.map((deal) => toSqlDeal(toDealRow(deal, includeProducts))), rejects };
}

function expectSameAsTwoStep(values: readonly unknown[]): void {
  for (const includeProducts of [true, false]) {
    const expected = twoStep(values, includeProducts);
    const actual = parseDealPageToRows(values, includeProducts);
    expect(actual).toStrictEqual(expected);
    expect(JSON.stringify(actual.rows)).toBe(JSON.stringify(expected.rows));
  }
}

const { Products: _dropped, ...WITHOUT_PRODUCTS } = fixture();
const CONTACT_OF_FIXTURE = fixture()["Contact"] as Record<string, unknown>;

/** Every deal the schema and bounds tests use, valid and invalid. */
const CASES: readonly unknown[] = [
  fixture(),
  WITHOUT_PRODUCTS,
  fixture({ Contact: null, FinishDate: null, ContactId: null, Amount: null }),
  fixture({ Contact: { ...CONTACT_OF_FIXTURE, Name: null } }),
  fixture({ Products: [{ ...LINE, Quantity: null, UnitPrice: null }] }),
  fixture({ Products: [] }),
  fixture({ Products: undefined }),
  ...BOUND_RULES.flatMap((rule) => [...rule.inside, ...rule.outside].map((value) => rule.place(value))),
  ...MALFORMED_CASES.map(([, overrides]) => fixture(overrides)),
  EVERYTHING_WRONG,
  "not a deal",
  null,
  undefined,
  42,
  [],
  [fixture()],
  Object.assign([], fixture()),
  {},
  fixture({ StatusId: 9, Amount: -1 }),
  fixture({ Id: 0 }),
];

describe("parseDealPageToRows", () => {
  it("maps the fixture to the SQL row, written out", () => {
    expect(parseDealPageToRows([fixture()], true)).toStrictEqual({
      rows: [{
        id: 500000001,
        contact_id: 101000001,
        contact_name: "ACME LTDA",
        contact_type_id: 1,
        contact_cnpj: "11.222.333/0001-81",
        contact_cpf: null,
        status_id: 2,
        amount: 15234.5,
        create_date: "2024-03-07T12:39:44.957-03:00",
        finish_date: "2024-04-02T09:10:11.2-03:00",
        last_update_date: "2024-04-02T09:10:11.9571234-03:00",
        last_update_raw: "2024-04-02T09:10:11.9571234-03:00",
        line_items: [
          { product_id: 700001, quantity: 2, unit_price: 100, discount: 10, total: 180, catalog_unit_price: 110 },
          { product_id: null, quantity: 1.5, unit_price: 20, discount: null, total: 30, catalog_unit_price: null },
        ],
      }],
      rejects: [],
    });
  });

  it("line items: null without the expansion, [] when expanded but absent; the deal's ContactName without a contact", () => {
    expect(parseDealPageToRows([fixture()], false).rows[0]?.line_items).toBeNull();
    expect(parseDealPageToRows([WITHOUT_PRODUCTS], true).rows[0]?.line_items).toEqual([]);
    expect(parseDealPageToRows([fixture({ Contact: null })], true).rows[0]).toMatchObject({
      contact_name: "ACME LTDA (deal copy)",
      contact_type_id: null,
      contact_cnpj: null,
      contact_cpf: null,
    });
  });

  it.each(CASES.map((value, index) => [index, value] as const))(
    "case #%i: same rows and rejects as the two-step path",
    (_index, value) => {
      expectSameAsTwoStep([value]);
    },
  );

  it("a page of every case: the same rows and rejects, in page order", () => {
    const page = CASES.map((
      value,
      index,
    ) => (typeof value === "object" && value !== null && !Array.isArray(value) && "Id" in value
      ? { ...value, Id: index + 1 }
      : value)
    );
    expectSameAsTwoStep(page);
    expect(parseDealPageToRows(page, true).rejects.length).toBeGreaterThan(0);
  });

  it("at most 10 000 line items, as the schema", () => {
    expectSameAsTwoStep([withLines(MAX_LINES), withLines(MAX_LINES + 1)]);
  });

  it("unknown keys never reach a row", () => {
    const { rows } = parseDealPageToRows(
      [fixture({ Contact: { ...CONTACT_OF_FIXTURE, Email: "x@y" }, Secret: 1 })],
      true,
    );
    expect(JSON.stringify(rows)).not.toMatch(/Secret|Email|Title|OtherProperties|Extra/);
  });
});

/** mulberry32: a small seeded PRNG, so a failing mutant can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values that sit on or next to a rule, or are the wrong kind altogether. */
const ODD_VALUES: readonly unknown[] = [
  undefined,
  null,
  0,
  -0,
  -1,
  0.5,
  1,
  2,
  3,
  4,
  100,
  100.5,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31 - 1),
  -(2 ** 31),
  1e9,
  1e9 + 1,
  1e11,
  1e11 + 1,
  2 ** 53 - 1,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  "",
  "1",
  "a",
  "a".repeat(1001),
  "a\u0000",
  "\uD800",
  "😀",
  "x\uDE00",
  true,
  {},
  [],
  [{}],
  "2024-02-29T00:00:00Z",
  "2023-02-29T00:00:00Z",
  "2024-04-02T09:10:11.9571234+14:59",
  "2024-04-02T09:10:11+15:00",
  "1900-01-01T00:00:00Z",
  "1899-12-31T23:59:59Z",
  "2024-04-02T24:00:00Z",
  "2024-04-02T09:10:11.12345678Z",
];
/** Where a mutation lands: a top-level key, a contact key, a line key, a catalog key. */
const DEAL_KEYS = [
  "Id",
  "ContactId",
  "ContactName",
  "StatusId",
  "Amount",
  "CreateDate",
  "FinishDate",
  "LastUpdateDate",
  "Contact",
  "Products",
];
const CONTACT_KEYS = ["Id", "Name", "TypeId", "CNPJ", "CPF"];
const LINE_KEYS = ["Id", "ProductId", "Quantity", "UnitPrice", "Discount", "Total", "Product"];
const CATALOG_KEYS = ["Id", "UnitPrice"];
const MUTANTS = 4_000;
const MAX_MUTATIONS = 3;

/** An element of a non-empty list (ODD_VALUES holds undefined on purpose, hence the cast). */
function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)] as T;
}

function mutant(random: () => number): Record<string, unknown> {
  const deal = fixture();
  const contact: Record<string, unknown> = { ...CONTACT_OF_FIXTURE };
  // Mutated through these references: a mutation that replaces Contact or Product leaves them detached.
  const catalog: Record<string, unknown> = { ...LINE.Product };
  const line: Record<string, unknown> = { ...LINE, Product: catalog };
  deal["Contact"] = contact;
  deal["Products"] = [line, { ...LINE, Id: 2 }];
  const mutations = 1 + Math.floor(random() * MAX_MUTATIONS);
  for (let i = 0; i < mutations; i += 1) {
    const where = random();
    const value = pick(random, ODD_VALUES);
    if (where < 0.4) deal[pick(random, DEAL_KEYS)] = value;
    else if (where < 0.6) contact[pick(random, CONTACT_KEYS)] = value;
    else if (where < 0.85) line[pick(random, LINE_KEYS)] = value;
    else catalog[pick(random, CATALOG_KEYS)] = value;
  }
  return deal;
}

describe("the fast path is never more lenient than dealSchema", () => {
  it(`${MUTANTS} seeded mutants of the fixture: same rows and rejects as the two-step path`, () => {
    const random = prng(20240402);
    let rejected = 0;
    for (let i = 0; i < MUTANTS; i += 1) {
      const value = mutant(random);
      const expected = twoStep([value], true);
      if (isAcceptedDeal(value)) expect(expected.rejects, `mutant #${i} accepted by the fast path`).toEqual([]);
      expect(parseDealPageToRows([value], true), `mutant #${i}`).toStrictEqual(expected);
      rejected += expected.rejects.length;
    }
    // Both verdicts must be well represented for the comparison to mean something.
    expect(rejected).toBeGreaterThan(MUTANTS / 4);
    expect(rejected).toBeLessThan(MUTANTS);
  });
});

describe("simulator pages (the data npm run bench measures)", () => {
  const state = new SimState({ seed: 42, contacts: 300, products: 40, deals: 900 });
  const pages: unknown[][] = [];
  for (let after: number | null = null;;) {
    const [path = "", search = ""] = buildFullDealsQuery({ lastId: after }, { pageSize: 300, includeProducts: true })
      .split("?");
    const { answer } = answerApi(state, {
      path,
      params: new URLSearchParams(search),
      baseUrl: "http://simulator",
      account: state.account,
    });
    const values = (JSON.parse(answer.body) as { value: { Id: number }[] }).value;
    if (values.length === 0) break;
    pages.push(values);
    after = values.at(-1)?.Id ?? null;
  }

  it("served three full pages", () => {
    expect(pages.map((page) => page.length)).toEqual([300, 300, 300]);
  });

  it("every served deal takes the fast path (zod is the exception, not the rule)", () => {
    expect(pages.flat().filter((deal) => !isAcceptedDeal(deal))).toEqual([]);
  });

  it("same rows as the two-step path, page by page", () => {
    for (const page of pages) expectSameAsTwoStep(page);
  });
});
