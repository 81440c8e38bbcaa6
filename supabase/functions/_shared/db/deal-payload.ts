// The deals of the `sync_ingest_page` rpc payload: the snake_case row shape the SQL function reads
// with jsonb_to_recordset, and the one-step way from a Ploomes page to those rows. Each accepted
// deal becomes its SQL row directly — no zod output copy, no camelCase DealRow in between — so
// the only other copy of a deal is the JSON text supabase-js sends. Valid deals are recognised
// by deal-fast-check.ts; anything else goes through dealSchema, which accepts it after all or
// produces its reject, so rows and rejects are exactly those of parseDealPage + toDealRow.

import { isAcceptedDeal } from "../ploomes/deal-fast-check.ts";
import { type DealReject, type DealRow, dealSchema, type ParsedDeal, toReject } from "../ploomes/deal-schema.ts";

export interface SqlLineItem {
  readonly product_id: number | null;
  readonly quantity: number | null;
  readonly unit_price: number | null;
  readonly discount: number | null;
  readonly total: number;
  /** The catalog product's UnitPrice, for the custom-pricing metric. */
  readonly catalog_unit_price: number | null;
}

/** One element of `p_deals`. Keys and order are the SQL function's (jsonb_to_recordset). */
export interface SqlDealRow {
  readonly id: number;
  readonly contact_id: number | null;
  readonly contact_name: string | null;
  readonly contact_type_id: number | null;
  readonly contact_cnpj: string | null;
  readonly contact_cpf: string | null;
  readonly status_id: number;
  readonly amount: number | null;
  readonly create_date: string;
  readonly finish_date: string | null;
  /** Parsed by Postgres as timestamptz. */
  readonly last_update_date: string;
  /** The same text, kept verbatim (7 fractional digits) for the keyset. */
  readonly last_update_raw: string;
  /** Null when the Products expansion was not requested (unknown, not "none"). */
  readonly line_items: readonly SqlLineItem[] | null;
}

export interface DealRowsPage {
  readonly rows: SqlDealRow[];
  readonly rejects: DealReject[];
}

/**
 * Validates a page of raw deals and maps the valid ones to SQL rows, in page order; an invalid
 * deal becomes a reject instead of failing the page. `includeProducts` says whether the page was
 * fetched with the Products expansion: without it line items are unknown (null); with it a
 * missing list means none.
 */
export function parseDealPageToRows(values: readonly unknown[], includeProducts: boolean): DealRowsPage {
  const rows: SqlDealRow[] = [];
  const rejects: DealReject[] = [];
  for (const value of values) {
    if (isAcceptedDeal(value)) {
      rows.push(toSqlDealRow(value, includeProducts));
      continue;
    }
    const result = dealSchema.safeParse(value);
    if (result.success) rows.push(toSqlDealRow(result.data, includeProducts));
    else rejects.push(toReject(value, result.error.issues));
  }
  return { rows, rejects };
}

/**
 * The SQL row of a deal dealSchema accepts: its output, or — the fast path — the raw deal that
 * isAcceptedDeal vouched for; only the schema's keys are read, so unknown keys never leak.
 */
export function toSqlDealRow(deal: ParsedDeal, includeProducts: boolean): SqlDealRow {
  const contact = deal.Contact;
  return {
    id: deal.Id,
    contact_id: deal.ContactId,
    contact_name: contact?.Name ?? deal.ContactName,
    contact_type_id: contact?.TypeId ?? null,
    contact_cnpj: contact?.CNPJ ?? null,
    contact_cpf: contact?.CPF ?? null,
    status_id: deal.StatusId,
    amount: deal.Amount,
    create_date: deal.CreateDate,
    finish_date: deal.FinishDate,
    last_update_date: deal.LastUpdateDate,
    last_update_raw: deal.LastUpdateDate,
    line_items: includeProducts ? toSqlLineItems(deal.Products ?? []) : null,
  };
}

/** Line items in the SQL shape (deals, orders and quotes alike). */
export function toSqlLineItems(lines: NonNullable<ParsedDeal["Products"]>): SqlLineItem[] {
  const items: SqlLineItem[] = [];
  for (const line of lines) {
    items.push({
      product_id: line.ProductId,
      quantity: line.Quantity,
      unit_price: line.UnitPrice,
      discount: line.Discount,
      total: line.Total,
      catalog_unit_price: line.Product?.UnitPrice ?? null,
    });
  }
  return items;
}

/** The SQL row of a camelCase DealRow (the two-step path: parseDealPage, toDealRow, then this). */
export function toSqlDeal(row: DealRow): SqlDealRow {
  return {
    id: row.id,
    contact_id: row.contactId,
    contact_name: row.contactName,
    contact_type_id: row.contactTypeId,
    contact_cnpj: row.contactCnpj,
    contact_cpf: row.contactCpf,
    status_id: row.statusId,
    amount: row.amount,
    create_date: row.createDate,
    finish_date: row.finishDate,
    last_update_date: row.lastUpdateDate,
    last_update_raw: row.lastUpdateDate,
    line_items: row.lineItems?.map((li) => ({
      product_id: li.productId,
      quantity: li.quantity,
      unit_price: li.unitPrice,
      discount: li.discount,
      total: li.total,
      catalog_unit_price: li.catalogUnitPrice,
    })) ?? null,
  };
}
