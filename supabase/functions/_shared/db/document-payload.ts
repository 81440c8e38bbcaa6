// The orders or quotes of the `sync_ingest_documents` rpc payload: the snake_case rows the SQL
// function reads with jsonb_to_recordset, from a page of raw documents in one step. A document
// that fails validation becomes a reject (its Id, the field, the reason) and is still counted as
// existing by the SQL side, exactly as a rejected deal.
import { type DealReject, toReject } from "../ploomes/deal-schema.ts";
import { isAcceptedDocument } from "../ploomes/deal-fast-check.ts";
import { documentSchema, type ParsedDocument } from "../ploomes/document-schema.ts";
import { type SqlLineItem, toSqlLineItems } from "./deal-payload.ts";

/** One element of `p_documents`. Keys are the SQL function's (jsonb_to_recordset). */
export interface SqlDocumentRow {
  readonly id: number;
  readonly deal_id: number | null;
  readonly review_number: number | null;
  readonly last_review: boolean | null;
  readonly approval_status_id: number | null;
  /** Parsed by Postgres as timestamptz. */
  readonly last_update_date: string;
  /** The same text, kept verbatim for the keyset. */
  readonly last_update_raw: string;
  readonly line_items: readonly SqlLineItem[];
}

export interface DocumentRowsPage {
  readonly rows: SqlDocumentRow[];
  readonly rejects: DealReject[];
}

/** Validates a page of raw orders or quotes and maps the valid ones to SQL rows, in page order. */
export function parseDocumentPageToRows(values: readonly unknown[]): DocumentRowsPage {
  const rows: SqlDocumentRow[] = [];
  const rejects: DealReject[] = [];
  for (const value of values) {
    // The hand-written check first (as for deals, zod costs ~10 µs a record); zod for the rest,
    // which accepts it after all or names the reject.
    if (isAcceptedDocument(value)) {
      rows.push(toSqlDocumentRow(value));
      continue;
    }
    const result = documentSchema.safeParse(value);
    if (result.success) rows.push(toSqlDocumentRow(result.data));
    else rejects.push(toReject(value, result.error.issues));
  }
  return { rows, rejects };
}

/** The SQL row of a document documentSchema accepts (its output, or the raw one the fast check vouched for). */
function toSqlDocumentRow(document: ParsedDocument): SqlDocumentRow {
  return {
    id: document.Id,
    deal_id: document.DealId,
    review_number: document.ReviewNumber ?? null,
    last_review: document.LastReview ?? null,
    approval_status_id: document.ApprovalStatusId ?? null,
    last_update_date: document.LastUpdateDate,
    last_update_raw: document.LastUpdateDate,
    // A document without a Products list has no line items (the expansion was asked for).
    line_items: toSqlLineItems(document.Products ?? []),
  };
}
