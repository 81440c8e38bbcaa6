// Zod field schemas for environment variables: each turns the raw (trimmed, empty = unset)
// string into a typed value or adds an issue whose message names the variable and says how to
// fix it. Non-secret bad values are quoted back; secret values never are (only their length).

import { z } from "zod";
import type { VariableName } from "./variables.ts";

/** How much of a bad (non-secret) value a message quotes. */
const QUOTED_VALUE_MAX = 60;

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export function quote(value: string): string {
  return JSON.stringify(value.length > QUOTED_VALUE_MAX ? `${value.slice(0, QUOTED_VALUE_MAX)}…` : value);
}

export interface NumberRule {
  readonly integer: boolean;
  readonly defaultValue: number;
  readonly min: number;
  /** When true the value must be strictly greater than `min`. */
  readonly minExclusive?: boolean;
  readonly max?: number;
  /** Plural unit for messages: "milliseconds", "hours". */
  readonly unit: string;
  /** Why the range is what it is, shown when the value is out of range. */
  readonly why?: string;
}

/**
 * An optional number with a default. `rename` is the near-miss message for this variable (it is
 * unset but a similar name is set): reported as a problem, since the default would otherwise
 * silently replace the value the user meant to give.
 */
export function numberField(name: VariableName, rule: NumberRule, rename: string | null) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): number => {
      if (raw === undefined) {
        if (rename !== null) ctx.addIssue({ code: "custom", message: rename });
        return rule.defaultValue;
      }
      const pattern = rule.integer ? INTEGER : DECIMAL;
      const value = pattern.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isFinite(value) || (rule.integer && !Number.isSafeInteger(value))) {
        const kind = rule.integer ? `a whole number of ${rule.unit}` : `a number (${rule.unit})`;
        ctx.addIssue({ code: "custom", message: `${name} must be ${kind}, got ${quote(raw)}` });
        return z.NEVER;
      }
      const belowMin = rule.minExclusive ? value <= rule.min : value < rule.min;
      const aboveMax = rule.max !== undefined && value > rule.max;
      if (belowMin || aboveMax) {
        const range = rule.max === undefined
          ? `${rule.minExclusive ? "greater than" : "at least"} ${rule.min} ${rule.unit}`
          : `between ${rule.min}${rule.minExclusive ? " (exclusive)" : ""} and ${rule.max} ${rule.unit}`;
        const why = rule.why === undefined ? "" : ` (${rule.why})`;
        ctx.addIssue({ code: "custom", message: `${name} must be ${range}${why}; got ${raw}` });
        return z.NEVER;
      }
      return value;
    });
}

/**
 * An optional choice among fixed words (case-insensitive), with a default; a near-miss name is a
 * problem, as for numbers.
 */
export function choiceField<const T extends readonly [string, ...string[]]>(
  name: VariableName,
  choices: T,
  defaultValue: T[number],
  rename: string | null,
) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): T[number] => {
      if (raw === undefined) {
        if (rename !== null) ctx.addIssue({ code: "custom", message: rename });
        return defaultValue;
      }
      const chosen = choices.find((choice) => choice === raw.toLowerCase());
      if (chosen === undefined) {
        ctx.addIssue({ code: "custom", message: `${name} must be one of ${choices.join(", ")} (default ${defaultValue}); got ${quote(raw)}` });
        return z.NEVER;
      }
      return chosen;
    });
}

export interface RequiredSecretRule {
  /** What to do when it is unset, e.g. where to find the value. */
  readonly howToSet: string;
  readonly minLength?: number;
  /** Message for a value shorter than minLength; gets the actual length, never the value. */
  readonly tooShort?: (length: number) => string;
}

/** A required secret string; messages mention its length at most, never its value. */
export function requiredSecretField(name: VariableName, rule: RequiredSecretRule, rename: string | null) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): string => {
      if (raw === undefined) {
        ctx.addIssue({ code: "custom", message: rename ?? `${name} is not set; ${rule.howToSet}` });
        return z.NEVER;
      }
      if (rule.minLength !== undefined && raw.length < rule.minLength) {
        const message = rule.tooShort?.(raw.length) ??
          `${name} must be at least ${rule.minLength} characters (it has ${raw.length})`;
        ctx.addIssue({ code: "custom", message });
        return z.NEVER;
      }
      return raw;
    });
}

export interface UrlRule {
  /** Used when unset; without it the variable is required. */
  readonly defaultValue?: string;
  readonly example: string;
  readonly howToSet?: string;
}

/** An absolute http(s) URL without query or fragment, returned without trailing slashes. */
export function urlField(name: VariableName, rule: UrlRule, rename: string | null) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): string => {
      if (raw === undefined) {
        if (rule.defaultValue !== undefined) {
          if (rename !== null) ctx.addIssue({ code: "custom", message: rename });
          return rule.defaultValue;
        }
        ctx.addIssue({
          code: "custom",
          message: rename ?? `${name} is not set; ${rule.howToSet ?? `e.g. ${rule.example}`}`,
        });
        return z.NEVER;
      }
      const problem = urlProblem(raw);
      if (problem !== null) {
        // Echo the value to help spot a typo, but never the credentials part of a URL.
        const shown = URL.canParse(raw) && new URL(raw).password !== "" ? "a URL with credentials" : quote(raw);
        ctx.addIssue({ code: "custom", message: `${name} ${problem} (e.g. ${rule.example}), got ${shown}` });
        return z.NEVER;
      }
      return raw.replace(/\/+$/, "");
    });
}

function urlProblem(raw: string): string | null {
  if (!URL.canParse(raw)) return "must be an absolute http(s) URL";
  const url = new URL(raw);
  if (url.protocol !== "http:" && url.protocol !== "https:") return "must be an absolute http(s) URL";
  if (url.search !== "" || url.hash !== "") return "must not contain a query string or fragment";
  if (url.username !== "" || url.password !== "") return "must not contain credentials";
  return null;
}

/** The key chosen from SUPABASE_SECRET_KEYS, or null when it is set but holds no key. */
export interface NamedSecretKey {
  readonly key: string;
  /** Which entry was used, e.g. `default`. */
  readonly keyName: string;
}

/**
 * SUPABASE_SECRET_KEYS: a JSON object of named keys (`{"default":"sb_secret_…"}`). Uses
 * `default`, else the first non-empty string entry; `{}` yields null (fall back to the legacy
 * key). Invalid JSON is reported without the parser's text, which would quote the secret.
 */
export function secretKeysField(name: VariableName) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): NamedSecretKey | null => {
      if (raw === undefined) return null;
      const parsed = parseJsonObject(raw);
      if (parsed === null) {
        ctx.addIssue({
          code: "custom",
          message:
            `${name} is not a JSON object of named keys (expected e.g. {"default":"sb_secret_…"}; ${raw.length} characters, value not shown)`,
        });
        return z.NEVER;
      }
      const entries = Object.entries(parsed).filter(
        (entry): entry is [string, string] => typeof entry[1] === "string" && entry[1].trim() !== "",
      );
      const chosen = entries.find(([keyName]) => keyName === "default") ?? entries[0];
      return chosen === undefined ? null : { keyName: chosen[0], key: chosen[1].trim() };
    });
}

function parseJsonObject(raw: string): Record<string, unknown> | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null; // reported by the caller as "not a JSON object"; the parser's text quotes the input
  }
  return isRecord(value) ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
