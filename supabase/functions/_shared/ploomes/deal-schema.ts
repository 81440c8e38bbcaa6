// Zod schemas for exactly the deal fields the sync uses, the page validator that splits a page
// into valid deals and rejects (id, field and a compact reason, for the run log and the
// rejected-deals table), and the mapping to the camelCase row shape the SQL API ingests. Every
// accepted value fits its column (bounds in deal-bounds.ts), so one bad deal is rejected alone
// and never fails its page. Dates stay raw strings: Postgres parses all 7 fractional digits, and
// the keyset needs the exact text. Unknown extra keys are ignored.
// This schema is the source of truth: deal-fast-check.ts only recognises, faster, deals it would
// accept, and every reject (field and reason) is the one zod reports here.

import { z } from "zod";
import {
  DEAL_STATUSES,
  MAX_DISCOUNT_PERCENT,
  MAX_INT4,
  MAX_LINE_ITEMS,
  MAX_MONEY,
  MAX_PLAUSIBLE_YEAR,
  MAX_QUANTITY,
  MAX_TEXT_LENGTH,
  MIN_PLAUSIBLE_YEAR,
} from "./deal-bounds.ts";
import { ISO_DATE_TIME_WITH_OFFSET, isPloomesDateTime } from "./iso-date.ts";
import { isRecord } from "./json.ts";

/** A reject reason is stored on the run row; keep it short. */
export const REJECT_REASON_MAX = 200;

/** A UTF-16 surrogate without its pair: JSON can carry it, Postgres' jsonb refuses it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Postgres text cannot hold U+0000. */
export function hasNoNul(value: string): boolean {
  return !value.includes("\u0000");
}

export function hasNoLoneSurrogate(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/** The year of a Ploomes date-time is within MIN_PLAUSIBLE_YEAR..MAX_PLAUSIBLE_YEAR. */
export function hasPlausibleYear(raw: string): boolean {
  const year = Number(ISO_DATE_TIME_WITH_OFFSET.exec(raw)?.[1]);
  return year >= MIN_PLAUSIBLE_YEAR && year <= MAX_PLAUSIBLE_YEAR;
}

const dateTime = z
  .string()
  .refine(isPloomesDateTime, { message: "expected ISO-8601 date-time with offset or Z (≤ 7 fractional digits)" })
  .refine(hasPlausibleYear, {
    message: `year outside ${MIN_PLAUSIBLE_YEAR}–${MAX_PLAUSIBLE_YEAR} (a placeholder date?)`,
  });
/** Ploomes ids are positive and, stored as bigint, must be exact in JavaScript too. */
const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const int4 = z.number().int().min(-MAX_INT4).max(MAX_INT4);
const money = z.number().min(0, { message: "must not be negative" }).max(MAX_MONEY, {
  message: `above the plausible maximum of ${MAX_MONEY} (a document number typed into a value field?)`,
});
const text = z
  .string()
  .max(MAX_TEXT_LENGTH)
  .refine(hasNoNul, { message: "contains a NUL character, which Postgres cannot store" })
  .refine(hasNoLoneSurrogate, { message: "contains a broken (unpaired) UTF-16 surrogate" });

export const contactSchema = z.object({
  Id: id,
  Name: text.nullable(),
  TypeId: int4.nullable(),
  // Any text: recompute keeps only a well-formed CNPJ/CPF (docs/metrics.md), so a malformed
  // document costs the customer its document, never the deal.
  CNPJ: text.nullable(),
  CPF: text.nullable(),
});

export const catalogProductSchema = z.object({
  Id: id,
  UnitPrice: money.nullable(),
});

export const productLineSchema = z.object({
  Id: id.optional(),
  ProductId: id.nullable(),
  // Null quantity or unit price: the line still counts by its Total; it is left out of the
  // custom-pricing comparison, which needs a unit price.
  Quantity: z.number().min(0).max(MAX_QUANTITY).nullable(),
  UnitPrice: money.nullable(),
  /** Percent off UnitPrice. */
  Discount: z.number().min(0).max(MAX_DISCOUNT_PERCENT).nullable(),
  Total: money,
  Product: catalogProductSchema.nullable().optional(),
});

export const dealSchema = z.object({
  Id: id,
  ContactId: id.nullable(),
  ContactName: text.nullable(),
  StatusId: z.number().int().refine((status) => (DEAL_STATUSES as readonly number[]).includes(status), {
    message: `unknown status (expected ${DEAL_STATUSES.join(", ")}: open, won, lost)`,
  }),
  Amount: money.nullable(),
  CreateDate: dateTime,
  FinishDate: dateTime.nullable(),
  LastUpdateDate: dateTime,
  Contact: contactSchema.nullable(),
  Products: z.array(productLineSchema).max(MAX_LINE_ITEMS).optional(),
});

export type ParsedDeal = z.infer<typeof dealSchema>;

export interface DealReject {
  readonly id: number | null;
  /** The first offending field, e.g. `Amount` or `Products.3.Discount`. */
  readonly field: string;
  readonly reason: string;
}

export interface LineItemRow {
  readonly productId: number | null;
  readonly quantity: number | null;
  readonly unitPrice: number | null;
  readonly discount: number | null;
  readonly total: number;
  /** The catalog product's UnitPrice, for the custom-pricing metric. */
  readonly catalogUnitPrice: number | null;
}

export interface DealRow {
  readonly id: number;
  readonly contactId: number | null;
  readonly contactName: string | null;
  readonly contactTypeId: number | null;
  readonly contactCnpj: string | null;
  readonly contactCpf: string | null;
  readonly statusId: number;
  readonly amount: number | null;
  readonly createDate: string;
  readonly finishDate: string | null;
  /** Raw string exactly as Ploomes sent it (up to 7 fractional digits). */
  readonly lastUpdateDate: string;
  /** Null when the Products expansion was not requested (unknown, not "none"). */
  readonly lineItems: readonly LineItemRow[] | null;
}

/** Validates a page of raw deals; invalid ones become rejects instead of failing the page. */
export function parseDealPage(values: readonly unknown[]): { deals: ParsedDeal[]; rejects: DealReject[] } {
  const deals: ParsedDeal[] = [];
  const rejects: DealReject[] = [];
  for (const value of values) {
    const result = dealSchema.safeParse(value);
    if (result.success) deals.push(result.data);
    else rejects.push(toReject(value, result.error.issues));
  }
  return { deals, rejects };
}

/** The reject of a raw deal dealSchema refused with `issues`: its id when usable, the first field. */
export function toReject(value: unknown, issues: readonly z.core.$ZodIssue[]): DealReject {
  return { id: rejectId(value), field: issuePath(issues[0]), reason: summarizeIssues(issues) };
}

function rejectId(value: unknown): number | null {
  const candidate = isRecord(value) ? value["Id"] : undefined;
  return typeof candidate === "number" && Number.isSafeInteger(candidate) ? candidate : null;
}

function issuePath(issue: z.core.$ZodIssue | undefined): string {
  return issue === undefined || issue.path.length === 0 ? "(deal)" : issue.path.map(String).join(".");
}

/**
 * `path: message; path: message`, at most REJECT_REASON_MAX characters. Zod's messages name the
 * rule, never the value, so a reason carries no customer data.
 */
export function summarizeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const text = issues.map((issue) => `${issuePath(issue)}: ${issue.message}`).join("; ");
  return text.length <= REJECT_REASON_MAX ? text : `${text.slice(0, REJECT_REASON_MAX - 1)}…`;
}

/**
 * The camelCase row of a parsed deal: the two-step path (then toSqlDeal, db/deal-payload.ts); the
 * one-step path, a page straight to SQL rows, is parseDealPageToRows there. `includeProducts` says
 * whether the page was fetched with the Products expansion: without it line items are unknown
 * (null); with it a missing list means none.
 */
export function toDealRow(deal: ParsedDeal, includeProducts: boolean): DealRow {
  return {
    id: deal.Id,
    contactId: deal.ContactId,
    contactName: deal.Contact?.Name ?? deal.ContactName,
    contactTypeId: deal.Contact?.TypeId ?? null,
    contactCnpj: deal.Contact?.CNPJ ?? null,
    contactCpf: deal.Contact?.CPF ?? null,
    statusId: deal.StatusId,
    amount: deal.Amount,
    createDate: deal.CreateDate,
    finishDate: deal.FinishDate,
    lastUpdateDate: deal.LastUpdateDate,
    lineItems: includeProducts
      ? (deal.Products ?? []).map((line) => ({
        productId: line.ProductId,
        quantity: line.Quantity,
        unitPrice: line.UnitPrice,
        discount: line.Discount,
        total: line.Total,
        catalogUnitPrice: line.Product?.UnitPrice ?? null,
      }))
      : null,
  };
}

/** The field schemas orders and quotes share with deals (document-schema.ts). */
export { dateTime as dateTimeSchema, id as idSchema, int4 as int4Schema };
