// The metric definitions of docs/metrics.md, implemented again in plain TypeScript from the
// simulator's raw snapshot, so tests compare the SQL recompute against an independent answer.
// Money is summed in integer cents and prices compared in integer micro-units: no float drift.
// A won deal's line items come from one source — its own Products, its orders' lines, the lines of
// its chosen quote, or none — and revenue, products and custom pricing are read from those lines.
import type { Snapshot } from "../../local/ploomes-simulator/index.ts";

type Raw = Record<string, unknown>;

export interface ExpectedCustomer {
  customer_id: number;
  customer_name: string;
  customer_cnpj: string | null;
  total_sales: string;
  total_deals: number;
  won_deals: number;
  open_deals: number;
  lost_deals: number;
  total_revenue: string;
  average_deal_value: string;
  products_purchased: number[];
  total_products: number;
  first_purchase_ms: number | null;
  last_purchase_ms: number | null;
  has_custom_pricing: boolean;
  pricing_history_count: number;
}

/** Where a won deal's line items are read from (docs/metrics.md). */
export type LineSource = "deals" | "orders" | "quotes" | "none";

const WON = 2;
const OPEN = 1;
const LOST = 3;
/** The quote ApprovalStatusId the simulator uses for "approved". */
const QUOTE_APPROVED = 2;
/** 0.005 expressed in the micro-units of priceMicros(). */
const CUSTOM_PRICE_TOLERANCE_MICROS = 5_000;

function num(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new Error(`${what} is not a number: ${JSON.stringify(value)}`);
  }
  return value;
}

/** Exact cents of a JSON amount with at most 2 decimals (the simulator's and Ploomes' money). */
export function cents(value: unknown, what: string): number {
  const n = num(value, what);
  const c = Math.round(n * 100);
  if (Math.abs(c - n * 100) > 1e-6) throw new Error(`${what} has more than 2 decimals: ${n}`);
  return c;
}

export function centsText(c: number): string {
  const sign = c < 0 ? "-" : "";
  const abs = Math.abs(c);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/** A CNPJ (12 letters or digits + 2 check digits) or a CPF (11 digits) after removing punctuation; else null. */
function documentOf(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const doc = value.replace(/[\s./-]/g, "").toUpperCase();
  return /^[0-9A-Z]{12}[0-9]{2}$/.test(doc) || /^[0-9]{11}$/.test(doc) ? doc : null;
}

function groupBy(rows: readonly Raw[], keyOf: (row: Raw) => unknown): Map<number, Raw[]> {
  const groups = new Map<number, Raw[]>();
  for (const row of rows) {
    const key = keyOf(row);
    if (typeof key !== "number") continue;
    const list = groups.get(key) ?? [];
    list.push(row);
    groups.set(key, list);
  }
  return groups;
}

const linesOfRow = (row: Raw | undefined): Raw[] => (row?.Products as Raw[] | undefined) ?? [];

/**
 * The one quote of a deal whose lines count: approved first, then the last review, then the higher
 * ReviewNumber, then the higher Id.
 */
function preferredQuote(quotes: readonly Raw[]): Raw | undefined {
  const rank = (q: Raw): number[] => [
    q.ApprovalStatusId === QUOTE_APPROVED ? 1 : 0,
    q.LastReview === true ? 1 : 0,
    typeof q.ReviewNumber === "number" ? q.ReviewNumber : Number.NEGATIVE_INFINITY,
    num(q.Id, "quote Id"),
  ];
  const better = (a: Raw, b: Raw): Raw => {
    const [x, y] = [rank(a), rank(b)];
    const differs = x.findIndex((v, i) => v !== y[i]);
    return differs === -1 || (x[differs] ?? 0) > (y[differs] ?? 0) ? a : b;
  };
  return quotes.reduce<Raw | undefined>((best, q) => (best === undefined ? q : better(best, q)), undefined);
}

/** A function giving each won deal's lines under `source`. */
function lineReader(snapshot: Snapshot, source: LineSource): (deal: Raw) => Raw[] {
  switch (source) {
    case "deals":
      return (deal) => linesOfRow(deal);
    case "none":
      return () => [];
    case "orders": {
      // Every line of every order of the deal, attributed by the order's DealId.
      const ordersByDeal = groupBy(snapshot.orders as Raw[], (order) => order.DealId);
      return (deal) => (ordersByDeal.get(num(deal.Id, "deal Id")) ?? []).flatMap(linesOfRow);
    }
    case "quotes": {
      const quotesByDeal = groupBy(snapshot.quotes as Raw[], (quote) => quote.DealId);
      return (deal) => linesOfRow(preferredQuote(quotesByDeal.get(num(deal.Id, "deal Id")) ?? []));
    }
  }
}

export function expectedCustomerSales(snapshot: Snapshot, source: LineSource = "deals"): Map<number, ExpectedCustomer> {
  const linesOf = lineReader(snapshot, source);
  const contacts = new Map<number, Raw>(snapshot.contacts.map((c) => [num(c.Id, "contact Id"), c as Raw]));
  const catalog = new Map<number, Raw>(snapshot.products.map((p) => [num(p.Id, "product Id"), p as Raw]));
  const byCustomer = new Map<number, Raw[]>();
  for (const deal of snapshot.deals as Raw[]) {
    if (deal.ContactId === null || deal.ContactId === undefined) continue;
    const id = num(deal.ContactId, `deal ${String(deal.Id)} ContactId`);
    const list = byCustomer.get(id) ?? [];
    list.push(deal);
    byCustomer.set(id, list);
  }

  const result = new Map<number, ExpectedCustomer>();
  for (const [customerId, deals] of byCustomer) {
    const contact = contacts.get(customerId);
    const won = deals.filter((d) => d.StatusId === WON);
    let salesCents = 0;
    let revenueCents = 0;
    let customPriced = 0;
    const products = new Set<number>();
    const purchaseTimes: number[] = [];
    for (const deal of won) {
      salesCents += deal.Amount === null ? 0 : cents(deal.Amount, `deal ${String(deal.Id)} Amount`);
      const lines = linesOf(deal);
      if (lines.length === 0) revenueCents += deal.Amount === null ? 0 : cents(deal.Amount, "Amount");
      for (const line of lines) {
        revenueCents += cents(line.Total, "line Total");
        if (line.ProductId !== null) products.add(num(line.ProductId, "ProductId"));
        const product = line.ProductId === null ? undefined : catalog.get(num(line.ProductId, "ProductId"));
        // A line without a unit price counts by its Total but cannot show custom pricing.
        if (product && product.UnitPrice !== null && line.UnitPrice !== null && line.UnitPrice !== undefined) {
          // effective − catalog, in millionths: UnitPrice × (1 − Discount/100) − catalog UnitPrice.
          const discountBasisPoints = cents(line.Discount ?? 0, "Discount");
          const effective = cents(line.UnitPrice, "UnitPrice") * (10_000 - discountBasisPoints);
          const difference = effective - cents(product.UnitPrice, "catalog UnitPrice") * 10_000;
          if (Math.abs(difference) > CUSTOM_PRICE_TOLERANCE_MICROS) customPriced += 1;
        }
      }
      const when = (deal.FinishDate ?? deal.LastUpdateDate) as string;
      purchaseTimes.push(Date.parse(when));
    }
    const type = contact?.TypeId;
    // The document field by type; an untyped contact uses CNPJ when present (not null), else CPF.
    const rawDocument = type === 1 ? contact?.CNPJ : type === 2 ? contact?.CPF : contact?.CNPJ ?? contact?.CPF;
    const document = documentOf(rawDocument);
    const sortedProducts = [...products].sort((a, b) => a - b);
    const name = (contact?.Name as string | null | undefined) ??
      (deals.find((d) => typeof d.ContactName === "string")?.ContactName as string | undefined);
    result.set(customerId, {
      customer_id: customerId,
      customer_name: name ?? `Contact ${customerId}`,
      customer_cnpj: document,
      total_sales: centsText(salesCents),
      total_deals: deals.length,
      won_deals: won.length,
      open_deals: deals.filter((d) => d.StatusId === OPEN).length,
      lost_deals: deals.filter((d) => d.StatusId === LOST).length,
      total_revenue: centsText(revenueCents),
      // Postgres rounds numeric halves away from zero; for positive cents Math.round does too.
      average_deal_value: centsText(won.length === 0 ? 0 : Math.round(salesCents / won.length)),
      products_purchased: sortedProducts,
      total_products: sortedProducts.length,
      first_purchase_ms: purchaseTimes.length ? Math.min(...purchaseTimes) : null,
      last_purchase_ms: purchaseTimes.length ? Math.max(...purchaseTimes) : null,
      has_custom_pricing: customPriced > 0,
      pricing_history_count: customPriced,
    });
  }
  return result;
}
