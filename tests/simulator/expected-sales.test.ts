// tests/support/expected-sales.ts per line-item source, on a tiny hand-built snapshot whose
// figures are worked out by hand below — the reference the sync's tests compare against must
// itself be checked against something other than its own code.

import { describe, expect, it } from "vitest";
import type { RawEntity, Snapshot } from "../../local/ploomes-simulator/index.ts";
import { expectedCustomerSales, type LineSource } from "../support/expected-sales.ts";

const [OPEN, WON] = [1, 2];
const [PENDING, APPROVED, REJECTED] = [1, 2, 3];
const FINISH = "2024-01-10T10:00:00-03:00";

/** A line: product, quantity, unit price, discount %, total. */
const line = (ProductId: number, Quantity: number, UnitPrice: number | null, Discount: number, Total: number) => ({
  ProductId,
  Quantity,
  UnitPrice,
  Discount,
  Total,
});

const deal = (
  Id: number,
  ContactId: number,
  StatusId: number,
  Amount: number,
  Products: ReturnType<typeof line>[] = [],
): RawEntity => ({
  Id,
  ContactId,
  ContactName: null,
  StatusId,
  Amount,
  FinishDate: StatusId === OPEN ? null : FINISH,
  LastUpdateDate: FINISH,
  Products,
});

const order = (Id: number, DealId: number, Products: ReturnType<typeof line>[]): RawEntity => ({
  Id,
  DealId,
  Products,
});

const quote = (
  Id: number,
  DealId: number,
  ReviewNumber: number,
  LastReview: boolean,
  ApprovalStatusId: number,
  Products: ReturnType<typeof line>[],
): RawEntity => ({ Id, DealId, ReviewNumber, LastReview, ApprovalStatusId, Products });

const SNAPSHOT: Snapshot = {
  epoch: "2025-06-01T00:00:00-03:00",
  contacts: [
    { Id: 1, Name: "Metalúrgica Aurora LTDA", TypeId: 1, CNPJ: "11.222.333/0001-81", CPF: null },
    { Id: 2, Name: "Maria da Silva", TypeId: 2, CNPJ: null, CPF: "529.982.247-25" },
  ],
  products: [{ Id: 10, UnitPrice: 100 }, { Id: 20, UnitPrice: 50 }, { Id: 30, UnitPrice: 10 }],
  deals: [
    deal(100, 1, WON, 500, [line(10, 2, 100, 0, 200), line(20, 2, 40, 0, 80)]),
    deal(101, 1, WON, 300),
    deal(102, 1, OPEN, 999, [line(30, 1, 10, 0, 10)]),
    // Product 99 is not in the catalog: it counts by its Total, never as custom pricing.
    deal(200, 2, WON, 1000, [line(30, 10, 10, 10, 90), line(99, 1, 5, 0, 5)]),
    deal(201, 2, WON, 40),
  ],
  orders: [
    order(1, 100, [line(10, 2, 100, 0, 200)]),
    order(2, 100, [line(20, 2, 50, 0, 100)]),
    order(3, 101, [line(30, 5, 10, 0, 50)]),
    order(4, 102, [line(30, 9, 1, 0, 9)]), // an open deal's order never counts
  ],
  quotes: [
    // Deal 100: the approved review 3 wins over the later-marked pending review 2.
    quote(11, 100, 1, false, REJECTED, [line(10, 2, 120, 0, 240)]),
    quote(12, 100, 2, true, PENDING, [line(10, 2, 100, 0, 200), line(20, 2, 45, 0, 90)]),
    quote(13, 100, 3, false, APPROVED, [line(10, 1, 100, 50, 50)]),
    // Deal 101: nothing approved, so the last review (even with a lower ReviewNumber).
    quote(14, 101, 1, true, PENDING, [line(20, 1, 50, 0, 50)]),
    quote(15, 101, 2, false, PENDING, [line(20, 1, 60, 0, 60)]),
    // Deal 200: a tie on status, LastReview and ReviewNumber goes to the higher Id.
    quote(16, 200, 1, false, PENDING, [line(30, 1, 10, 0, 10)]),
    quote(17, 200, 2, false, PENDING, [line(30, 3, 10, 0, 30)]),
    quote(18, 200, 2, false, PENDING, [line(10, 1, 99.99, 0, 99.99)]),
  ],
  deleted: [],
  deletedContacts: [],
  deletedProducts: [],
  statuses: [],
  pipelines: [],
  stages: [],
  lossReasons: [],
};

/** Worked out by hand from the rows above. Amounts of won deals: customer 1 500 + 300, customer 2 1000 + 40. */
const EXPECTED: Record<
  LineSource,
  Record<number, { total_revenue: string; products_purchased: number[]; pricing_history_count: number }>
> = {
  // 1: deal 100 lines 200 + 80, deal 101 has none → Amount 300; product 20 at 40 ≠ 50.
  // 2: deal 200 lines 90 + 5 (10 × (1 − 10 %) = 9 ≠ 10), deal 201 → Amount 40.
  deals: {
    1: { total_revenue: "580.00", products_purchased: [10, 20], pricing_history_count: 1 },
    2: { total_revenue: "135.00", products_purchased: [30, 99], pricing_history_count: 1 },
  },
  // 1: deal 100's two orders 200 + 100 at catalog prices, deal 101's order 50. 2: no orders → Amounts.
  orders: {
    1: { total_revenue: "350.00", products_purchased: [10, 20, 30], pricing_history_count: 0 },
    2: { total_revenue: "1040.00", products_purchased: [], pricing_history_count: 0 },
  },
  // 1: quote 13 (50; 100 × 50 % ≠ 100) and quote 14 (50 at catalog). 2: quote 18 (99.99 ≠ 100) + Amount 40.
  quotes: {
    1: { total_revenue: "100.00", products_purchased: [10, 20], pricing_history_count: 1 },
    2: { total_revenue: "139.99", products_purchased: [10], pricing_history_count: 1 },
  },
  none: {
    1: { total_revenue: "800.00", products_purchased: [], pricing_history_count: 0 },
    2: { total_revenue: "1040.00", products_purchased: [], pricing_history_count: 0 },
  },
};

describe("expectedCustomerSales by line-item source", () => {
  it.each(["deals", "orders", "quotes", "none"] as const)("%s", (source) => {
    const result = expectedCustomerSales(SNAPSHOT, source);
    expect([...result.keys()].sort()).toEqual([1, 2]);
    for (const [id, expected] of Object.entries(EXPECTED[source])) {
      const customer = result.get(Number(id));
      expect(customer, `customer ${id}`).toMatchObject({
        ...expected,
        total_products: expected.products_purchased.length,
        has_custom_pricing: expected.pricing_history_count > 0,
      });
    }
    // What does not depend on the lines is the same for every source.
    expect(result.get(1)).toMatchObject({
      total_sales: "800.00",
      won_deals: 2,
      open_deals: 1,
      average_deal_value: "400.00",
      customer_cnpj: "11222333000181",
    });
    expect(result.get(2)).toMatchObject({
      total_sales: "1040.00",
      won_deals: 2,
      open_deals: 0,
      customer_cnpj: "52998224725",
    });
  });

  it("reads the deals' own lines when no source is given, as before", () => {
    expect(expectedCustomerSales(SNAPSHOT)).toEqual(expectedCustomerSales(SNAPSHOT, "deals"));
  });
});
