// Instants with 100-ns precision, parsed from and formatted to ISO-8601 with an offset.
// Ploomes emits .NET DateTimeOffset values (`2023-03-07T12:39:44.957-03:00`), whose fractions can
// carry up to 7 digits; JS Date keeps only milliseconds, so two values that differ past the third
// digit would compare equal. Comparing whole seconds plus ticks keeps every digit, and comparing
// instants (never the raw strings) makes `-03:00` and `Z` literals mean the same moment.

export interface Instant {
  /** Whole seconds since 1970-01-01T00:00:00Z. */
  readonly seconds: number;
  /** Fraction of the second in 100-ns ticks, 0 … 9 999 999. */
  readonly ticks: number;
}

export const TICKS_PER_SECOND = 10_000_000;
export const MAX_FRACTION_DIGITS = 7;
const MS_PER_SECOND = 1000;
const SECONDS_PER_MINUTE = 60;
/** Brazil (Brasília time) has had no daylight saving since 2019; the observed data is all -03:00. */
export const PLOOMES_OFFSET_MINUTES = -180;

const ISO_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses `yyyy-MM-ddTHH:mm[:ss[.fffffff]](Z|±hh:mm)`; null when the text is not such a value. */
export function parseInstant(text: string): Instant | null {
  const m = ISO_PATTERN.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s = "0", frac = "", zone = "Z"] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const utcMs = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC silently rolls 2023-02-30 over to March; a round trip catches impossible dates.
  const check = new Date(utcMs);
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return null;
  }
  const offsetMinutes = zone === "Z" ? 0 : parseOffset(zone);
  if (offsetMinutes === null) return null;
  return {
    seconds: utcMs / MS_PER_SECOND - offsetMinutes * SECONDS_PER_MINUTE,
    ticks: frac === "" ? 0 : Number(frac.padEnd(MAX_FRACTION_DIGITS, "0")),
  };
}

function parseOffset(zone: string): number | null {
  const sign = zone.startsWith("-") ? -1 : 1;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  if (hours > 14 || minutes > 59) return null;
  return sign * (hours * SECONDS_PER_MINUTE + minutes);
}

/** parseInstant for stored data, which was validated on the way in: a bad value is a bug. */
export function instantOf(text: string): Instant {
  const parsed = parseInstant(text);
  if (!parsed) throw new Error(`stored datetime is not ISO-8601 with an offset: ${JSON.stringify(text)}`);
  return parsed;
}

export function compareInstants(a: Instant, b: Instant): number {
  return a.seconds !== b.seconds ? a.seconds - b.seconds : a.ticks - b.ticks;
}

export const TICKS_PER_MS = TICKS_PER_SECOND / MS_PER_SECOND;

/** The instant of a JS clock reading (milliseconds since the epoch). */
export function instantFromMs(ms: number): Instant {
  const seconds = Math.floor(ms / MS_PER_SECOND);
  return { seconds, ticks: Math.round((ms - seconds * MS_PER_SECOND) * TICKS_PER_MS) };
}

export function addTicks(instant: Instant, ticks: number): Instant {
  const total = instant.ticks + ticks;
  const carry = Math.floor(total / TICKS_PER_SECOND);
  return { seconds: instant.seconds + carry, ticks: total - carry * TICKS_PER_SECOND };
}

export function addSeconds(instant: Instant, seconds: number): Instant {
  return { seconds: instant.seconds + seconds, ticks: instant.ticks };
}

const SECONDS_PER_HOUR = 3600;
const SECONDS_PER_DAY = 86_400;
const DATE_PREFIX_LENGTH = "yyyy-MM-ddT".length;
/** "00" … "59": hours, minutes and seconds by lookup instead of padding each time. */
const TWO_DIGITS: readonly string[] = Array.from({ length: SECONDS_PER_MINUTE }, (_, i) => String(i).padStart(2, "0"));
/**
 * "yyyy-MM-ddT" per local day number. Generating 1 000 000 deals formats millions of dates that
 * fall on a few thousand days; the cache is cleared if arbitrary input ever fills it.
 */
const dayPrefixes = new Map<number, string>();
const MAX_CACHED_DAYS = 100_000;

function dayPrefix(day: number): string {
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    if (dayPrefixes.size >= MAX_CACHED_DAYS) dayPrefixes.clear();
    prefix = new Date(day * SECONDS_PER_DAY * MS_PER_SECOND).toISOString().slice(0, DATE_PREFIX_LENGTH);
    dayPrefixes.set(day, prefix);
  }
  return prefix;
}

const ZERO_CHAR_CODE = 48;

/** `.fffffff` with trailing zeros trimmed; empty for a whole second. */
function fractionText(ticks: number): string {
  if (ticks === 0) return "";
  const digits = String(ticks).padStart(MAX_FRACTION_DIGITS, "0");
  let end = MAX_FRACTION_DIGITS;
  while (digits.charCodeAt(end - 1) === ZERO_CHAR_CODE) end--;
  return "." + digits.slice(0, end);
}

const PLOOMES_OFFSET_TEXT = formatOffset(PLOOMES_OFFSET_MINUTES);

/**
 * Formats as Ploomes does: local time at the offset, fraction with trailing zeros trimmed.
 * Built with one join: `a + b + …` would leave a tree of string pieces per date (about three
 * times the memory of the flat string join makes), and the data holds millions of dates.
 */
export function formatInstant(instant: Instant, offsetMinutes: number = PLOOMES_OFFSET_MINUTES): string {
  const local = instant.seconds + offsetMinutes * SECONDS_PER_MINUTE;
  const day = Math.floor(local / SECONDS_PER_DAY);
  const inDay = local - day * SECONDS_PER_DAY;
  return [
    dayPrefix(day),
    TWO_DIGITS[Math.floor(inDay / SECONDS_PER_HOUR)],
    ":",
    TWO_DIGITS[Math.floor((inDay % SECONDS_PER_HOUR) / SECONDS_PER_MINUTE)],
    ":",
    TWO_DIGITS[inDay % SECONDS_PER_MINUTE],
    fractionText(instant.ticks),
    offsetMinutes === PLOOMES_OFFSET_MINUTES ? PLOOMES_OFFSET_TEXT : formatOffset(offsetMinutes),
  ].join("");
}

function formatOffset(offsetMinutes: number): string {
  if (offsetMinutes === 0) return "Z";
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / SECONDS_PER_MINUTE)).padStart(2, "0");
  const mm = String(abs % SECONDS_PER_MINUTE).padStart(2, "0");
  return `${sign}${hh}:${mm}`;
}
