// The plausible range of every deal value the sync stores (docs/metrics.md, "What counts as a
// valid deal"). Each bound is chosen so that an accepted value fits its Postgres column with room
// to spare, and so that the usual data-entry mistakes — a CNPJ typed into the value field, a
// .NET "empty" date, a percent typed as money — are caught instead of published.

/** Largest deal Amount or line Total accepted: R$ 100 billion (the largest seen is ~R$ 3·10⁸). */
export const MAX_MONEY = 100_000_000_000;
/** Largest line-item Quantity accepted. */
export const MAX_QUANTITY = 1_000_000_000;
/** Discount is a percentage of UnitPrice (docs/metrics.md): 0 to 100. */
export const MAX_DISCOUNT_PERCENT = 100;
/** Postgres `integer` columns (StatusId, TypeId). */
export const MAX_INT4 = 2_147_483_647;
/** Ploomes deal statuses: 1 open, 2 won, 3 lost. */
export const DEAL_STATUSES = [1, 2, 3] as const;
/** Dates outside these years are placeholders or typos (0001-01-01 is .NET's "no date"). */
export const MIN_PLAUSIBLE_YEAR = 1900;
export const MAX_PLAUSIBLE_YEAR = 2200;
/** Longest name accepted; beyond it the value is not a name. */
export const MAX_TEXT_LENGTH = 1_000;
/** Most line items on one deal (5 000 are known to occur in large B2B orders). */
export const MAX_LINE_ITEMS = 10_000;
