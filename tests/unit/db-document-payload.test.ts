// parseDocumentPageToRows: a page of raw orders or quotes to the snake_case rows
// sync_ingest_documents reads (jsonb_to_recordset), line items in the deals' SQL shape with their
// catalog price; an invalid document becomes a reject {id, field, reason} and the rest of the page
// is kept. Every expected row and reject is written out by hand.
import { describe, expect, it } from "vitest";
import { parseDocumentPageToRows } from "../../supabase/functions/_shared/db/document-payload.ts";

const UPDATED = "2024-05-01T12:00:00.1234567-03:00";

/** An order as Ploomes returns it for $select=Id,DealId,LastUpdateDate and the lines $expand, plus a field we ignore. */
function order(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Id: 9001,
    DealId: 500000001,
    LastUpdateDate: UPDATED,
    OrderNumber: 17,
    Products: [
      {
        Id: 1,
        ProductId: 700001,
        Quantity: 2,
        UnitPrice: 100,
        Discount: 10,
        Total: 180,
        Product: { Id: 700001, UnitPrice: 110 },
      },
      { ProductId: null, Quantity: 1.5, UnitPrice: 20, Discount: null, Total: 30, Product: null },
    ],
    ...overrides,
  };
}

/** A quote: an order's fields plus the three that pick the quote that counts. */
function quote(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Id: 8001,
    DealId: 500000002,
    ReviewNumber: 3,
    LastReview: true,
    ApprovalStatusId: 2,
    LastUpdateDate: "2024-04-02T09:10:11Z",
    Products: [{
      Id: 4,
      ProductId: 700002,
      Quantity: 1,
      UnitPrice: 50,
      Discount: 0,
      Total: 50,
      Product: { Id: 700002, UnitPrice: 55.5 },
    }],
    ...overrides,
  };
}

const ORDER_ROW = {
  id: 9001,
  deal_id: 500000001,
  review_number: null,
  last_review: null,
  approval_status_id: null,
  last_update_date: "2024-05-01T12:00:00.1234567-03:00",
  last_update_raw: "2024-05-01T12:00:00.1234567-03:00",
  line_items: [
    { product_id: 700001, quantity: 2, unit_price: 100, discount: 10, total: 180, catalog_unit_price: 110 },
    { product_id: null, quantity: 1.5, unit_price: 20, discount: null, total: 30, catalog_unit_price: null },
  ],
};

describe("parseDocumentPageToRows: valid orders and quotes", () => {
  it("maps an order to its row, written out (quote fields null, catalog_unit_price from Product.UnitPrice)", () => {
    expect(parseDocumentPageToRows([order()])).toStrictEqual({ rows: [ORDER_ROW], rejects: [] });
  });

  it("the row carries exactly the SQL function's keys (unknown fields such as OrderNumber are dropped)", () => {
    const [row] = parseDocumentPageToRows([order()]).rows;
    expect(Object.keys(row ?? {}).sort()).toEqual([
      "approval_status_id",
      "deal_id",
      "id",
      "last_review",
      "last_update_date",
      "last_update_raw",
      "line_items",
      "review_number",
    ]);
    expect(Object.keys(row?.line_items[0] ?? {}).sort()).toEqual([
      "catalog_unit_price",
      "discount",
      "product_id",
      "quantity",
      "total",
      "unit_price",
    ]);
  });

  it("maps a quote with its ReviewNumber, LastReview and ApprovalStatusId", () => {
    expect(parseDocumentPageToRows([quote()])).toStrictEqual({
      rows: [{
        id: 8001,
        deal_id: 500000002,
        review_number: 3,
        last_review: true,
        approval_status_id: 2,
        last_update_date: "2024-04-02T09:10:11Z",
        last_update_raw: "2024-04-02T09:10:11Z",
        line_items: [{
          product_id: 700002,
          quantity: 1,
          unit_price: 50,
          discount: 0,
          total: 50,
          catalog_unit_price: 55.5,
        }],
      }],
      rejects: [],
    });
  });

  it("the optional quote fields, null or absent, are null; LastReview false stays false", () => {
    const nulls = quote({ ReviewNumber: null, LastReview: null, ApprovalStatusId: null });
    const { ReviewNumber: _r, LastReview: _l, ApprovalStatusId: _a, ...absent } = quote({ Id: 8002 });
    const notLast = quote({ Id: 8003, LastReview: false, ReviewNumber: 0 });
    const { rows, rejects } = parseDocumentPageToRows([nulls, absent, notLast]);
    expect(rejects).toEqual([]);
    expect(rows.map((row) => [row.id, row.review_number, row.last_review, row.approval_status_id])).toEqual([
      [8001, null, null, null],
      [8002, null, null, null],
      [8003, 0, false, 2],
    ]);
  });

  it("missing Products → no line items ([]); an empty list → []", () => {
    const { Products: _dropped, ...withoutProducts } = order();
    const { rows, rejects } = parseDocumentPageToRows([withoutProducts, order({ Id: 9002, Products: [] })]);
    expect(rejects).toEqual([]);
    expect(rows).toStrictEqual([
      { ...ORDER_ROW, line_items: [] },
      { ...ORDER_ROW, id: 9002, line_items: [] },
    ]);
  });

  it("a line without its Product expansion has no catalog price; null quantity and unit price are kept as null", () => {
    const lines = [
      { ProductId: 700003, Quantity: null, UnitPrice: null, Discount: null, Total: 12.34 },
      {
        ProductId: 700004,
        Quantity: 3,
        UnitPrice: 7,
        Discount: 100,
        Total: 0,
        Product: { Id: 700004, UnitPrice: null },
      },
    ];
    const [row] = parseDocumentPageToRows([order({ Products: lines })]).rows;
    expect(row?.line_items).toStrictEqual([
      { product_id: 700003, quantity: null, unit_price: null, discount: null, total: 12.34, catalog_unit_price: null },
      { product_id: 700004, quantity: 3, unit_price: 7, discount: 100, total: 0, catalog_unit_price: null },
    ]);
  });

  it("a document without a deal (DealId null) is a row with deal_id null", () => {
    const [row] = parseDocumentPageToRows([order({ DealId: null })]).rows;
    expect(row?.deal_id).toBeNull();
  });

  it("an empty page → no rows, no rejects", () => {
    expect(parseDocumentPageToRows([])).toStrictEqual({ rows: [], rejects: [] });
  });
});

describe("parseDocumentPageToRows: invalid documents are rejected alone", () => {
  it("bad date, negative Total, Discount 150, non-integer Id: each a reject (id, field, reason), the valid ones kept in page order", () => {
    const values = [
      order({ Id: 1 }),
      order({ Id: 2, LastUpdateDate: "2024-05-01 12:00:00" }),
      quote({ Id: 3 }),
      order({ Id: 4, Products: [{ ProductId: 7, Quantity: 1, UnitPrice: 10, Discount: 0, Total: -5 }] }),
      quote({
        Id: 5,
        Products: [
          { ProductId: 7, Quantity: 1, UnitPrice: 10, Discount: 0, Total: 10 },
          { ProductId: 8, Quantity: 1, UnitPrice: 10, Discount: 150, Total: 10 },
        ],
      }),
      order({ Id: 12.5 }),
      order({ Id: 6 }),
    ];
    const { rows, rejects } = parseDocumentPageToRows(values);
    expect(rows.map((row) => row.id)).toEqual([1, 3, 6]);
    expect(rejects).toEqual([
      {
        id: 2,
        field: "LastUpdateDate",
        reason: "LastUpdateDate: expected ISO-8601 date-time with offset or Z (≤ 7 fractional digits); " +
          "LastUpdateDate: year outside 1900–2200 (a placeholder date?)",
      },
      { id: 4, field: "Products.0.Total", reason: "Products.0.Total: must not be negative" },
      { id: 5, field: "Products.1.Discount", reason: "Products.1.Discount: Too big: expected number to be <=100" },
      // 12.5 is not a usable Id: the reject has none.
      { id: null, field: "Id", reason: "Id: Invalid input: expected int, received number" },
    ]);
  });

  it("a year outside 1900–2200 (1899) is named as implausible", () => {
    const { rows, rejects } = parseDocumentPageToRows([order({ LastUpdateDate: "1899-12-31T23:59:59Z" })]);
    expect(rows).toEqual([]);
    expect(rejects).toEqual([{
      id: 9001,
      field: "LastUpdateDate",
      reason: "LastUpdateDate: year outside 1900–2200 (a placeholder date?)",
    }]);
  });

  it("a missing LastUpdateDate, a zero DealId, a quote field of the wrong type", () => {
    const { LastUpdateDate: _dropped, ...noDate } = order({ Id: 21 });
    const { rows, rejects } = parseDocumentPageToRows([
      noDate,
      order({ Id: 22, DealId: 0 }),
      quote({ Id: 23, LastReview: "yes" }),
      quote({ Id: 24, ReviewNumber: 1.5 }),
    ]);
    expect(rows).toEqual([]);
    expect(rejects.map(({ id, field }) => ({ id, field }))).toEqual([
      { id: 21, field: "LastUpdateDate" },
      { id: 22, field: "DealId" },
      { id: 23, field: "LastReview" },
      { id: 24, field: "ReviewNumber" },
    ]);
    for (const reject of rejects) expect(reject.reason.startsWith(`${reject.field}: `)).toBe(true);
  });

  it("a non-object is rejected with no id and the root path", () => {
    const { rows, rejects } = parseDocumentPageToRows([null, "order", order()]);
    expect(rows).toStrictEqual([ORDER_ROW]);
    expect(rejects.map(({ id, field }) => ({ id, field }))).toEqual([
      { id: null, field: "(deal)" },
      { id: null, field: "(deal)" },
    ]);
  });

  it("a reason names the rule, never the rejected value", () => {
    const { rejects } = parseDocumentPageToRows([
      order({ Products: [{ ProductId: 7, Quantity: 1, UnitPrice: 10, Discount: 0, Total: -987654.321 }] }),
    ]);
    expect(rejects[0]?.reason).not.toContain("987654");
  });
});
