// A hand-written twin of dealSchema (deal-schema.ts), and of documentSchema for orders and quotes,
// for the common case: `isAcceptedDeal` is true
// only for a raw deal that dealSchema accepts, and then the raw value itself can be mapped, since
// zod's output would hold the very same values minus the unknown keys. It exists for speed: zod
// spends ~10 µs per deal on issue bookkeeping, closures, a regex and a Date per date-time and a
// copy of every object, about 100 ms per 10 000 deals of a CPU budget of 800 ms per invocation.
// It never decides a reject: whatever it does not accept goes to dealSchema, whose issues name the
// field and the rule. So it may be stricter than the schema (that would only cost speed), never
// more lenient; the unit tests hold it to every bound and to seeded random mutants.

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
import { hasNoLoneSurrogate, hasNoNul, type ParsedDeal } from "./deal-schema.ts";
import type { ParsedDocument } from "./document-schema.ts";
import { ISO_DATE_TIME_WITH_OFFSET } from "./iso-date.ts";

/** Any NUL or surrogate: only then are the exact (slower) text rules worth running. */
// deno-lint-ignore no-control-regex -- NUL is exactly what this looks for
const NUL_OR_SURROGATE = /[\u0000\uD800-\uDFFF]/;

const [STATUS_OPEN, STATUS_WON, STATUS_LOST] = DEAL_STATUSES;

/** True when dealSchema accepts `value` (false may also mean "ask dealSchema"). */
export function isAcceptedDeal(value: unknown): value is ParsedDeal {
  if (!isObject(value)) return false;
  const products = value["Products"];
  return isId(value["Id"]) &&
    (value["ContactId"] === null || isId(value["ContactId"])) &&
    isNullableText(value["ContactName"]) &&
    isStatus(value["StatusId"]) &&
    isNullableMoney(value["Amount"]) &&
    isDateTime(value["CreateDate"]) &&
    (value["FinishDate"] === null || isDateTime(value["FinishDate"])) &&
    isDateTime(value["LastUpdateDate"]) &&
    (value["Contact"] === null || isContact(value["Contact"])) &&
    (products === undefined || areLines(products));
}

/** The same, for an order or quote and documentSchema (document-schema.ts). */
export function isAcceptedDocument(value: unknown): value is ParsedDocument {
  if (!isObject(value)) return false;
  const lastReview = value["LastReview"];
  const products = value["Products"];
  return isId(value["Id"]) &&
    (value["DealId"] === null || isId(value["DealId"])) &&
    isOptionalNullableInt4(value["ReviewNumber"]) &&
    (lastReview === undefined || lastReview === null || typeof lastReview === "boolean") &&
    isOptionalNullableInt4(value["ApprovalStatusId"]) &&
    isDateTime(value["LastUpdateDate"]) &&
    (products === undefined || areLines(products));
}

/** zod's object check: any non-null, non-array object. */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isContact(value: unknown): boolean {
  return isObject(value) &&
    isId(value["Id"]) &&
    isNullableText(value["Name"]) &&
    (value["TypeId"] === null || isInt4(value["TypeId"])) &&
    isNullableText(value["CNPJ"]) &&
    isNullableText(value["CPF"]);
}

function areLines(value: unknown): boolean {
  if (!Array.isArray(value) || value.length > MAX_LINE_ITEMS) return false;
  for (const line of value) if (!isLine(line)) return false;
  return true;
}

function isLine(value: unknown): boolean {
  if (!isObject(value)) return false;
  const quantity = value["Quantity"];
  const discount = value["Discount"];
  const product = value["Product"];
  return (value["Id"] === undefined || isId(value["Id"])) &&
    (value["ProductId"] === null || isId(value["ProductId"])) &&
    (quantity === null || (typeof quantity === "number" && quantity >= 0 && quantity <= MAX_QUANTITY)) &&
    isNullableMoney(value["UnitPrice"]) &&
    (discount === null || (typeof discount === "number" && discount >= 0 && discount <= MAX_DISCOUNT_PERCENT)) &&
    isMoney(value["Total"]) &&
    (product === undefined || product === null || isCatalogProduct(product));
}

function isCatalogProduct(value: unknown): boolean {
  return isObject(value) && isId(value["Id"]) && isNullableMoney(value["UnitPrice"]);
}

/** A positive safe integer (zod: int() is the safe-integer range, then positive()). */
function isId(value: unknown): boolean {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0;
}

function isInt4(value: unknown): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= -MAX_INT4 && value <= MAX_INT4;
}

function isOptionalNullableInt4(value: unknown): boolean {
  return value === undefined || value === null || isInt4(value);
}

function isStatus(value: unknown): boolean {
  return value === STATUS_OPEN || value === STATUS_WON || value === STATUS_LOST;
}

/** NaN fails both comparisons, ±Infinity one of them: the finite check zod makes comes for free. */
function isMoney(value: unknown): boolean {
  return typeof value === "number" && value >= 0 && value <= MAX_MONEY;
}

function isNullableMoney(value: unknown): boolean {
  return value === null || isMoney(value);
}

function isNullableText(value: unknown): boolean {
  if (value === null) return true;
  if (typeof value !== "string" || value.length > MAX_TEXT_LENGTH) return false;
  return !NUL_OR_SURROGATE.test(value) || (hasNoNul(value) && hasNoLoneSurrogate(value));
}

function isDateTime(value: unknown): boolean {
  return typeof value === "string" && isPlausibleDateTime(value);
}

const CODE_0 = 48;
const CODE_Z = 90;
const MAX_MONTH = 12;
const MAX_HOUR = 23;
const MAX_MINUTE = 59;
const MAX_SECOND = 59;
/** Real-world UTC offsets span −12:00..+14:00 (iso-date.ts allows up to ±14:59). */
const MAX_OFFSET_HOURS = 14;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;
const FEBRUARY = 2;
const LEAP_DAY = 29;
/** `±HH:MM`: hours 5 characters before the end, minutes 2. */
const OFFSET_HOURS_FROM_END = 5;
const OFFSET_MINUTES_FROM_END = 2;

/**
 * `isPloomesDateTime(raw) && hasPlausibleYear(raw)` (iso-date.ts, deal-schema.ts) without the
 * match array, the substrings and the Date they allocate: the same literal (the same regex, but
 * `test` materialises no match), whose fields then sit at fixed positions, the offset at the end;
 * the same calendar (Feb 29 only in a leap year), time and offset ranges; a year within
 * MIN_PLAUSIBLE_YEAR..MAX_PLAUSIBLE_YEAR.
 */
export function isPlausibleDateTime(raw: string): boolean {
  if (!ISO_DATE_TIME_WITH_OFFSET.test(raw)) return false;
  const year = twoDigits(raw, 0) * 100 + twoDigits(raw, 2);
  const month = twoDigits(raw, 5);
  const day = twoDigits(raw, 8);
  if (year < MIN_PLAUSIBLE_YEAR || year > MAX_PLAUSIBLE_YEAR || month < 1 || month > MAX_MONTH) return false;
  if (day < 1 || day > daysInMonth(year, month)) return false;
  if (twoDigits(raw, 11) > MAX_HOUR || twoDigits(raw, 14) > MAX_MINUTE || twoDigits(raw, 17) > MAX_SECOND) return false;
  const end = raw.length;
  if (raw.charCodeAt(end - 1) === CODE_Z) return true;
  return twoDigits(raw, end - OFFSET_HOURS_FROM_END) <= MAX_OFFSET_HOURS &&
    twoDigits(raw, end - OFFSET_MINUTES_FROM_END) <= MAX_MINUTE;
}

/** The two digits at `at` (the regex guarantees they are digits). */
function twoDigits(raw: string, at: number): number {
  return (raw.charCodeAt(at) - CODE_0) * 10 + (raw.charCodeAt(at + 1) - CODE_0);
}

function daysInMonth(year: number, month: number): number {
  if (month === FEBRUARY && isLeapYear(year)) return LEAP_DAY;
  return DAYS_IN_MONTH[month - 1] ?? 0;
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}
