// Zod schemas for exactly the deal fields the sync uses, the page validator that splits a page
// into valid deals and rejects (id + compact reason, for the run log), and the mapping to the
// camelCase row shape the SQL API ingests. Dates stay raw strings: Postgres parses all 7
// fractional digits, and the keyset needs the exact text. Unknown extra keys are ignored.

import { z } from "zod";
import { isPloomesDateTime } from "./iso-date.ts";
import { isRecord } from "./errors.ts";

/** A reject reason is stored on the run row; keep it short. */
export const REJECT_REASON_MAX = 200;

const dateTime = z
  .string()
  .refine(isPloomesDateTime, { message: "expected ISO-8601 date-time with offset or Z (≤ 7 fractional digits)" });
const id = z.number().int();

export const contactSchema = z.object({
  Id: id,
  Name: z.string().nullable(),
  TypeId: z.number().int().nullable(),
  CNPJ: z.string().nullable(),
  CPF: z.string().nullable(),
});

export const catalogProductSchema = z.object({
  Id: id,
  UnitPrice: z.number().nullable(),
});

export const productLineSchema = z.object({
  Id: id.optional(),
  ProductId: id.nullable(),
  Quantity: z.number(),
  UnitPrice: z.number(),
  /** Percent off UnitPrice. */
  Discount: z.number().nullable(),
  Total: z.number(),
  Product: catalogProductSchema.nullable().optional(),
});

export const dealSchema = z.object({
  Id: id,
  ContactId: id.nullable(),
  ContactName: z.string().nullable(),
  StatusId: z.number().int(),
  Amount: z.number().nullable(),
  CreateDate: dateTime,
  FinishDate: dateTime.nullable(),
  LastUpdateDate: dateTime,
  Contact: contactSchema.nullable(),
  Products: z.array(productLineSchema).optional(),
});

export type ParsedDeal = z.infer<typeof dealSchema>;

export interface DealReject {
  readonly id: number | null;
  readonly reason: string;
}

export interface LineItemRow {
  readonly productId: number | null;
  readonly quantity: number;
  readonly unitPrice: number;
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
    else rejects.push({ id: rejectId(value), reason: summarizeIssues(result.error.issues) });
  }
  return { deals, rejects };
}

function rejectId(value: unknown): number | null {
  const candidate = isRecord(value) ? value["Id"] : undefined;
  return typeof candidate === "number" && Number.isSafeInteger(candidate) ? candidate : null;
}

/** `path: message; path: message`, at most REJECT_REASON_MAX characters. */
export function summarizeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const text = issues
    .map((issue) => `${issue.path.length === 0 ? "(deal)" : issue.path.map(String).join(".")}: ${issue.message}`)
    .join("; ");
  return text.length <= REJECT_REASON_MAX ? text : `${text.slice(0, REJECT_REASON_MAX - 1)}…`;
}

/**
 * The row the SQL API stores. `includeProducts` says whether the page was fetched with the
 * Products expansion: without it line items are unknown (null); with it a missing list means none.
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
