// Turns the `Products` list of an admin body into stored line rows — for deals, orders and quotes
// alike: each line needs a known ProductId; Quantity defaults to 1, UnitPrice to the catalog
// price, Discount (a percentage) to 0, Total to Quantity × UnitPrice × (1 − Discount/100), and
// the document's own fields (DealId, OrderId, …) are copied onto every line, as Ploomes does.

import { AdminError } from "../errors.ts";
import type { EntityType, Row, Scalar } from "./model.ts";
import { validateLineItems } from "./validate.ts";
import { lineTotal, round2 } from "./values.ts";

const MAX_DISCOUNT_PERCENT = 100;

export const numberOr = (
  value: Scalar | undefined,
  fallback: number,
): number => (typeof value === "number" ? value : fallback);

export interface LineContext {
  /** The line entity type (DealProduct, OrderProduct, QuoteProduct): allowed keys and key order. */
  readonly type: EntityType;
  /** The document's fields every line repeats, e.g. `{OrderId, DealId, ContactId, OrderDate}`. */
  readonly parent: Row;
  /** Values a line gets unless the body gives them, e.g. `{Bonus: 0}` on order lines. */
  readonly defaults?: Row;
  readonly product: (id: number) => Row | undefined;
  /** The next free line Id of this set. */
  readonly nextId: () => number;
}

/** Validates `value` (the body's `Products`) and builds the rows; one AdminError lists every problem. */
export function buildLines(value: unknown, context: LineContext): Row[] {
  const inputs = validateLineItems(context.type, value);
  const problems: string[] = [];
  const lines = inputs.map((input, i): Row => {
    const productId = numberOr(input.ProductId, 0);
    const product = context.product(productId);
    if (!product) problems.push(`Products[${i}].ProductId ${productId} is not a product`);
    const quantity = numberOr(input.Quantity, 1);
    const unitPrice = numberOr(input.UnitPrice, numberOr(product?.UnitPrice, 0));
    const discount = numberOr(input.Discount, 0);
    if (discount < 0 || discount > MAX_DISCOUNT_PERCENT) {
      problems.push(`Products[${i}].Discount must be a percentage 0–100`);
    }
    const row: Row = Object.fromEntries(context.type.properties.map((p) => [p.name, null]));
    return Object.assign(row, context.defaults, input, {
      Id: typeof input.Id === "number" ? input.Id : context.nextId(),
      ProductId: productId,
      ProductName: input.ProductName ?? product?.Name ?? null,
      Quantity: quantity,
      UnitPrice: unitPrice,
      Discount: discount,
      Total: numberOr(input.Total, lineTotal(quantity, unitPrice, discount)),
      Ordination: numberOr(input.Ordination, i),
    }, context.parent);
  });
  if (problems.length > 0) throw new AdminError(400, "invalid line items", problems);
  return lines;
}

/** Σ Total of the lines, to the cent: a document's Amount unless the body gives one. */
export function sumTotals(lines: readonly Row[]): number {
  return round2(lines.reduce((sum, line) => sum + numberOr(line.Total, 0), 0));
}
