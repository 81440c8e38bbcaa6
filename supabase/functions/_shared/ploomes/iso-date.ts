// Ploomes date-time strings, handled without losing precision.
// Ploomes sends ISO-8601 with an explicit offset and up to 7 fractional digits
// (`2023-03-07T12:39:44.9571234-03:00`); a JS Date keeps only milliseconds. The keyset position
// therefore travels as the RAW string, and this module compares two such strings exactly
// (instant first, then the 100 ns ticks) instead of going through Date.

/** ISO-8601 date-time with 0–7 fractional digits and a `Z` or `±hh:mm` offset; nothing else. */
export const ISO_DATE_TIME_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?(Z|[+-]\d{2}:\d{2})$/;

/** Ploomes keeps 7 fractional digits: ticks of 100 ns. */
const FRACTION_DIGITS = 7;
const MS_PER_SECOND = 1000;
const MS_PER_MINUTE = 60_000;
const MINUTES_PER_HOUR = 60;
const MAX_HOUR = 23;
const MAX_MINUTE = 59;
const MAX_SECOND = 59;
const MAX_MONTH = 12;
/** Real-world UTC offsets span −12:00..+14:00. */
const MAX_OFFSET_HOURS = 14;
/** How much of a bad input an error message quotes. */
const QUOTED_INPUT_MAX = 64;

/** An exact instant: whole seconds since the epoch plus 100 ns ticks within that second. */
export interface PreciseInstant {
  readonly epochSeconds: number;
  readonly ticks: number;
}

/**
 * Parses a Ploomes date-time exactly; returns null for anything that is not a real calendar
 * date-time with an offset (date-only, offset-less, 8+ fractional digits, Feb 30, 25:00, …).
 */
export function parsePreciseInstant(raw: string): PreciseInstant | null {
  const match = ISO_DATE_TIME_WITH_OFFSET.exec(raw);
  if (match === null) return null;
  const [, y, mo, d, h, mi, s, fraction = "", offset = "Z"] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > MAX_MONTH || hour > MAX_HOUR || minute > MAX_MINUTE || second > MAX_SECOND) {
    return null;
  }
  const localMs = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls Feb 30 over into March; a real date survives the round trip.
  const check = new Date(localMs);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return null;
  }
  const offsetMinutes = parseOffsetMinutes(offset);
  if (offsetMinutes === null) return null;
  const utcMs = localMs - offsetMinutes * MS_PER_MINUTE;
  return {
    epochSeconds: Math.floor(utcMs / MS_PER_SECOND),
    ticks: Number(fraction.padEnd(FRACTION_DIGITS, "0")),
  };
}

function parseOffsetMinutes(offset: string): number | null {
  if (offset === "Z") return 0;
  const sign = offset.startsWith("-") ? -1 : 1;
  const hours = Number(offset.slice(1, 3));
  const minutes = Number(offset.slice(4, 6));
  if (hours > MAX_OFFSET_HOURS || minutes > MAX_MINUTE) return null;
  return sign * (hours * MINUTES_PER_HOUR + minutes);
}

/** True when `raw` is a valid Ploomes date-time literal (see parsePreciseInstant). */
export function isPloomesDateTime(raw: string): boolean {
  return parsePreciseInstant(raw) !== null;
}

/**
 * Compares two Ploomes date-times as instants, to the 100 ns tick (offsets may differ).
 * Negative when a < b, 0 when equal, positive when a > b. Throws on an invalid string, because
 * a silent wrong answer here would make keyset paging skip or repeat deals.
 */
export function compareDateTimes(a: string, b: string): number {
  const left = requireInstant(a);
  const right = requireInstant(b);
  if (left.epochSeconds !== right.epochSeconds) return left.epochSeconds < right.epochSeconds ? -1 : 1;
  if (left.ticks !== right.ticks) return left.ticks < right.ticks ? -1 : 1;
  return 0;
}

function requireInstant(raw: string): PreciseInstant {
  const instant = parsePreciseInstant(raw);
  if (instant === null) {
    throw new TypeError(
      `not a Ploomes date-time (ISO-8601 with offset or Z, ≤ 7 fractional digits): ${
        JSON.stringify(raw.slice(0, QUOTED_INPUT_MAX))
      }`,
    );
  }
  return instant;
}
