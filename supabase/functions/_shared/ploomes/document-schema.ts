// Zod schema for exactly the order and quote fields the sync uses: the deal they belong to, the
// quote fields that pick the quote that counts, the keyset date and the line items — checked with
// the deals' own bounds (deal-schema.ts), so one bad document is rejected alone. Unknown extra
// keys are ignored.
import { z } from "zod";
import { MAX_LINE_ITEMS } from "./deal-bounds.ts";
import { dateTimeSchema, idSchema, int4Schema, productLineSchema } from "./deal-schema.ts";

export const documentSchema = z.object({
  Id: idSchema,
  // An order or quote without a deal counts for no customer, as a deal without a contact.
  DealId: idSchema.nullable(),
  ReviewNumber: int4Schema.nullable().optional(),
  LastReview: z.boolean().nullable().optional(),
  ApprovalStatusId: int4Schema.nullable().optional(),
  LastUpdateDate: dateTimeSchema,
  Products: z.array(productLineSchema).max(MAX_LINE_ITEMS).optional(),
});

export type ParsedDocument = z.infer<typeof documentSchema>;
