// A raw deal as Ploomes returns it for our $select/$expand (valid for dealSchema), and helpers
// that expect a value to be rejected alone (returning its reject) or accepted. Both helpers also
// hold the one-step parseDealPageToRows to the two-step parseDealPage's verdict, so every case
// of the schema and bounds tests checks the fast path too.
import { expect } from "vitest";
import { parseDealPageToRows } from "../../supabase/functions/_shared/db/deal-payload.ts";
import { parseDealPage } from "../../supabase/functions/_shared/ploomes/deal-schema.ts";
import type { DealReject } from "../../supabase/functions/_shared/ploomes/deal-schema.ts";

/** A deal as Ploomes returns it for our $select/$expand, plus fields we ignore. */
export function fixture(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Id: 500000001,
    Title: "ACME - compressor",
    ContactId: 101000001,
    ContactName: "ACME LTDA (deal copy)",
    StatusId: 2,
    Amount: 15234.5,
    CreateDate: "2024-03-07T12:39:44.957-03:00",
    FinishDate: "2024-04-02T09:10:11.2-03:00",
    LastUpdateDate: "2024-04-02T09:10:11.9571234-03:00",
    Contact: { Id: 101000001, Name: "ACME LTDA", TypeId: 1, CNPJ: "11.222.333/0001-81", CPF: null, Extra: true },
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
    OtherProperties: [{ FieldKey: "deal_x" }],
    ...overrides,
  };
}

export function rejectOf(value: unknown): DealReject {
  const { deals, rejects } = parseDealPage([value]);
  expect(deals).toHaveLength(0);
  expect(rejects).toHaveLength(1);
  expect(parseDealPageToRows([value], true)).toStrictEqual({ rows: [], rejects });
  const reject = rejects[0];
  if (reject === undefined) throw new Error("no reject");
  return reject;
}

/** True when `value` is accepted as a deal. */
export function accepts(value: unknown): boolean {
  const { deals, rejects } = parseDealPage([value]);
  if (rejects.length > 0) throw new Error(`rejected: ${rejects[0]?.field}: ${rejects[0]?.reason}`);
  const oneStep = parseDealPageToRows([value], true);
  expect(oneStep.rejects).toEqual([]);
  expect(oneStep.rows.map((row) => row.id)).toEqual(deals.map((deal) => deal.Id));
  return deals.length === 1;
}
