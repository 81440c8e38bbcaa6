// Building blocks shared by the generators: id sequences with gaps, Ploomes-like timestamps with
// variable fractions, money amounts and line totals, plus the id ranges of each entity.

import { addSeconds, type Instant, PLOOMES_OFFSET_MINUTES, TICKS_PER_SECOND } from "../instant.ts";
import type { Random } from "./prng.ts";

export const DAY = 86_400;
export const YEAR = 365 * DAY;

/** Id ranges: deals are already above 5×10⁸ in real accounts [obs]. */
export const FIRST_CONTACT_ID = 100_000_001;
export const FIRST_PRODUCT_ID = 10_000_001;
export const FIRST_DEAL_ID = 500_000_001;
export const FIRST_LINE_ITEM_ID = 300_000_001;
/** Orders, quotes and their lines get id spaces of their own, far from the deals' and each other's. */
export const FIRST_ORDER_ID = 700_000_001;
export const FIRST_ORDER_LINE_ID = 750_000_001;
export const FIRST_QUOTE_ID = 800_000_001;
export const FIRST_QUOTE_LINE_ID = 850_000_001;
export const OWNER_IDS = [10003850, 10003857, 10003862, 10003871, 10003880, 10003894, 10003901, 10003915];

/**
 * How many fraction digits a generated timestamp shows (trailing zeros are trimmed anyway).
 * Observed values show up to 3 [obs]; .NET keeps 7, so a few carry more [inf].
 */
const FRACTION_DIGITS: readonly (readonly [number, number])[] = [
  [0, 10],
  [1, 8],
  [2, 17],
  [3, 40],
  [4, 6],
  [5, 6],
  [6, 6],
  [7, 7],
];

export const round2 = (value: number): number => Math.round(value * 100) / 100;

/** Quantity × UnitPrice × (1 − Discount/100), rounded to cents; Discount is a percentage. */
export function lineTotal(quantity: number, unitPrice: number, discount: number): number {
  return round2(quantity * unitPrice * (1 - discount / 100));
}

/** A fraction of a second in ticks showing 0–7 digits once trailing zeros are trimmed. */
export function randomFractionTicks(random: Random): number {
  const digits = random.weighted(FRACTION_DIGITS);
  const scale = 10 ** digits;
  return digits === 0 ? 0 : random.int(1, scale - 1) * (TICKS_PER_SECOND / scale);
}

export function randomInstant(random: Random, fromSeconds: number, toSeconds: number): Instant {
  const ticks = randomFractionTicks(random);
  return { seconds: random.int(Math.ceil(fromSeconds), Math.floor(toSeconds)), ticks };
}

/** Log-uniform money amount: small values are common, large ones rare but present. */
export function money(random: Random, min: number, max: number): number {
  return round2(Math.exp(Math.log(min) + random.next() * (Math.log(max) - Math.log(min))));
}

/** The next id of a sequence: usually +1, sometimes a gap, as in an account where rows were deleted. */
export function nextId(random: Random, previous: number, gapChance: number, maxGap: number): number {
  return previous + (random.chance(gapChance) ? random.int(2, maxGap) : 1);
}

const SECONDS_PER_MINUTE = 60;

/** Midnight of the same local (-03:00) day: Ploomes shows such date-only values as `T00:00:00-03:00`. */
export function midnightOf(instant: Instant): Instant {
  const localOffset = -PLOOMES_OFFSET_MINUTES * SECONDS_PER_MINUTE;
  const local = instant.seconds - localOffset;
  return addSeconds({ seconds: local - (((local % DAY) + DAY) % DAY), ticks: 0 }, localOffset);
}
