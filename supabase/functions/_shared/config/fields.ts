// How one variable's value (trimmed; empty counts as unset) becomes a typed value, as a zod field. A
// problem is the rest of a sentence that the caller begins with the variable's name, so one parser
// serves every variable of its kind. Bad values are quoted back; secret ones never are.

import { z } from "zod";

type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };
type Parser<T> = (raw: string) => Parsed<T>;
const valid = <T>(value: T): Parsed<T> => ({ ok: true, value });
const invalid = (problem: string): Parsed<never> => ({ ok: false, problem });

/** A variable as a zod field: `parse` reads a set value; an unset one gives `unset` (a default, or what to do). */
const variable = <T>(parse: Parser<T>, unset: Parsed<T>) =>
  z.string().optional().transform((raw, ctx): T => {
    const parsed = raw === undefined ? unset : parse(raw);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.problem });
    return parsed.ok ? parsed.value : z.NEVER;
  });
export const optional = <T>(parse: Parser<T>, byDefault: T) => variable(parse, valid(byDefault));
export const required = <T>(parse: Parser<T>, howToSet: string) => variable(parse, invalid(`is not set; ${howToSet}`));

/** One field parsed alone: its value, or its problem. */
export function read<T>(field: z.ZodType<T>, raw: string | undefined): Parsed<T> {
  const result = field.safeParse(raw);
  return result.success ? valid(result.data) : invalid(result.error.issues.map((issue) => issue.message).join("; "));
}

/** A bad value as a message shows it, cut so that a long mistake does not swamp the message. */
const quote = (value: string): string => JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);

export const text: Parser<string> = valid;

/** A secret of at least `length` characters; a message gives its length, never its value. */
export const atLeast = (length: number, advice: string): Parser<string> => (secret) =>
  secret.length >= length
    ? valid(secret)
    : invalid(`must be at least ${length} characters (it has ${secret.length}); ${advice}`);

/** `unit` is plural ("hours"); the value lies in [min, max], or above `above`. */
type Range = { readonly min: number; readonly max: number } | { readonly above: number };
type NumberRule = Range & { readonly default: number; readonly integer: boolean; readonly unit: string };

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** `why` the range is what it is, shown when the value is out of range. */
export const number = (rule: NumberRule, why?: string) =>
  optional((raw) => {
    const { integer, unit } = rule;
    const value = (integer ? INTEGER : DECIMAL).test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isFinite(value) || (integer && !Number.isSafeInteger(value))) {
      return invalid(`must be ${integer ? `a whole number of ${unit}` : `a number (${unit})`}, got ${quote(raw)}`);
    }
    if ("above" in rule ? value > rule.above : value >= rule.min && value <= rule.max) return valid(value);
    const range = "above" in rule ? `greater than ${rule.above}` : `between ${rule.min} and ${rule.max}`;
    return invalid(`must be ${range} ${unit}${why === undefined ? "" : ` (${why})`}; got ${raw}`);
  }, rule.default);

/** One of fixed words, case-insensitive. */
export const choice = <const T extends readonly string[]>(words: T, byDefault: T[number]) =>
  optional<T[number]>((raw) => {
    const chosen = words.find((word) => word === raw.toLowerCase());
    if (chosen !== undefined) return valid(chosen);
    return invalid(`must be one of ${words.join(", ")} (default ${byDefault}); got ${quote(raw)}`);
  }, byDefault);

/** An absolute http(s) URL without query, fragment or credentials, returned without trailing slashes. */
export const httpUrl = (example: string): Parser<string> => (raw) => {
  const url = URL.canParse(raw) ? new URL(raw) : null;
  const problem = url === null || (url.protocol !== "http:" && url.protocol !== "https:")
    ? "must be an absolute http(s) URL"
    : url.search !== "" || url.hash !== ""
    ? "must not contain a query string or fragment"
    : url.username !== "" || url.password !== ""
    ? "must not contain credentials"
    : null;
  if (problem === null) return valid(raw.replace(/\/+$/, ""));
  // Echo the value to help spot a typo, but never the credentials part of a URL.
  return invalid(`${problem} (e.g. ${example}), got ${url?.password ? "a URL with credentials" : quote(raw)}`);
};
