// Configuration: the environment parsed once into a typed `Config`, or EVERY problem at once
// (missing, malformed, out of range, near-miss names), each naming its variable and the fix.
// Secret values never appear in a message. Takes the env as a plain object so it is
// runtime-neutral: index.ts passes `Deno.env.toObject()`, Node callers pass `process.env`.

import { z } from "zod";
import { choiceField, numberField, requiredSecretField, secretKeysField, urlField } from "./fields.ts";
import type { NumberRule } from "./fields.ts";
import { findNearMisses, findStrayVariables, renameMessage, strayMessage } from "./near-miss.ts";
import { VARIABLE_NAMES } from "./variables.ts";
import type { VariableName } from "./variables.ts";

export const DEFAULT_PLOOMES_BASE_URL = "https://public-api2.ploomes.com";
export const CRON_SECRET_MIN_LENGTH = 32;
const GENERATE_SECRET = "openssl rand -hex 24";

export const NUMBER_RULES = {
  SYNC_TIME_BUDGET_MS: {
    integer: true,
    defaultValue: 120_000,
    min: 1_000,
    max: 145_000,
    unit: "milliseconds",
    why: "it must stay under the Edge Runtime's 150 s wall clock, leaving time to answer",
  },
  SYNC_CPU_BUDGET_MS: {
    integer: true,
    defaultValue: 800,
    min: 10,
    max: 1_800,
    unit: "milliseconds of CPU",
    why: "the Edge Runtime retires a worker after 1 s of CPU and kills it (546) at 2 s; 800 stops short of the first",
  },
  PLOOMES_REQUESTS_PER_MINUTE: {
    integer: true,
    defaultValue: 90,
    min: 1,
    max: 120,
    unit: "requests per minute",
    why: "120 is the whole Ploomes account's limit, shared with every other integration",
  },
  PLOOMES_REQUEST_TIMEOUT_MS: { integer: true, defaultValue: 30_000, min: 1_000, max: 120_000, unit: "milliseconds" },
  SYNC_FULL_EVERY_HOURS: { integer: false, defaultValue: 168, min: 0, minExclusive: true, unit: "hours" },
  SYNC_MAX_REJECT_RATIO: {
    integer: false,
    defaultValue: 0.01,
    min: 0,
    max: 1,
    unit: "as a fraction",
    why: "0.01 means a pass fails when more than 1 % of its deals are invalid",
  },
  SYNC_MAX_DELETE_RATIO: {
    integer: false,
    defaultValue: 0.1,
    min: 0,
    max: 1,
    unit: "as a fraction",
    why: "0.1 means a full pass that would delete more than 10 % of the mirrored deals stops and asks for confirmation",
  },
  SYNC_OVERLAP_SECONDS: {
    integer: true,
    defaultValue: 300,
    min: 0,
    max: 86_400,
    unit: "seconds",
    why: "how far back each incremental pass re-reads; at most one day",
  },
  PLOOMES_PAGE_SIZE: {
    integer: true,
    defaultValue: 300,
    min: 1,
    max: 300,
    unit: "records",
    why: "Ploomes returns at most 300 records per page",
  },
} as const satisfies Partial<Record<VariableName, NumberRule>>;

/** Where line items come from: `auto` decides at each full pass (sync/line-item-source.ts). */
export const LINE_ITEM_SOURCES = ["auto", "deals", "orders", "quotes", "none"] as const;
export type LineItemsSetting = (typeof LINE_ITEM_SOURCES)[number];

export interface Config {
  readonly ploomes: {
    readonly apiKey: string;
    readonly baseUrl: string;
    readonly requestsPerMinute: number;
    readonly requestTimeoutMs: number;
    readonly pageSize: number;
    readonly lineItemsSource: LineItemsSetting;
  };
  readonly cronSecret: string;
  readonly supabase: {
    readonly url: string;
    readonly secretKey: string;
    /** Where the key came from, e.g. `SUPABASE_SECRET_KEYS.default` (safe to log). */
    readonly secretKeySource: string;
  };
  readonly sync: {
    readonly timeBudgetMs: number;
    readonly cpuBudgetMs: number;
    readonly fullEveryHours: number;
    readonly maxRejectRatio: number;
    readonly maxDeleteRatio: number;
    readonly overlapSeconds: number;
  };
}

export interface ConfigProblem {
  readonly variable: string;
  readonly message: string;
}

/** How to reach the SQL API, known even when the rest of the configuration is broken. */
export interface DatabaseAccess {
  readonly url: string;
  readonly secretKey: string;
}

/**
 * On failure, `database` is set when SUPABASE_URL and the secret key are usable, so the
 * failure can still be recorded as a run (a misnamed PLOOMES_API_KEY shows up in
 * ploomes_sync.runs and sync_health, not only in the function's response).
 */
export type ConfigResult =
  | { ok: true; config: Config }
  | { ok: false; problems: ConfigProblem[]; database: DatabaseAccess | null };
export type Env = Readonly<Record<string, string | undefined>>;

type Rename = (name: VariableName) => string | null;

const cronSecretField = (rename: string | null) =>
  requiredSecretField(
    "CRON_SECRET",
    {
      howToSet:
        `generate one with: ${GENERATE_SECRET}, then supabase secrets set CRON_SECRET=... (the same value goes into Vault as cron_secret)`,
      minLength: CRON_SECRET_MIN_LENGTH,
      tooShort: (length) =>
        `CRON_SECRET must be at least ${CRON_SECRET_MIN_LENGTH} characters (it has ${length}); generate one with: ${GENERATE_SECRET}`,
    },
    rename,
  );

function buildSchema(rename: Rename) {
  const number = (name: keyof typeof NUMBER_RULES) => numberField(name, NUMBER_RULES[name], rename(name));
  return z.object({
    PLOOMES_API_KEY: requiredSecretField(
      "PLOOMES_API_KEY",
      {
        howToSet:
          "copy the User-Key from Ploomes > Settings > Integration > API, then supabase secrets set PLOOMES_API_KEY=...",
      },
      rename("PLOOMES_API_KEY"),
    ),
    PLOOMES_BASE_URL: urlField(
      "PLOOMES_BASE_URL",
      { defaultValue: DEFAULT_PLOOMES_BASE_URL, example: DEFAULT_PLOOMES_BASE_URL },
      rename("PLOOMES_BASE_URL"),
    ),
    CRON_SECRET: cronSecretField(rename("CRON_SECRET")),
    SUPABASE_URL: urlField(
      "SUPABASE_URL",
      {
        example: "https://<project-ref>.supabase.co",
        howToSet: "Supabase injects it into deployed functions; set it when running elsewhere",
      },
      rename("SUPABASE_URL"),
    ),
    SYNC_TIME_BUDGET_MS: number("SYNC_TIME_BUDGET_MS"),
    SYNC_CPU_BUDGET_MS: number("SYNC_CPU_BUDGET_MS"),
    PLOOMES_REQUESTS_PER_MINUTE: number("PLOOMES_REQUESTS_PER_MINUTE"),
    PLOOMES_REQUEST_TIMEOUT_MS: number("PLOOMES_REQUEST_TIMEOUT_MS"),
    SYNC_FULL_EVERY_HOURS: number("SYNC_FULL_EVERY_HOURS"),
    SYNC_MAX_REJECT_RATIO: number("SYNC_MAX_REJECT_RATIO"),
    SYNC_MAX_DELETE_RATIO: number("SYNC_MAX_DELETE_RATIO"),
    SYNC_OVERLAP_SECONDS: number("SYNC_OVERLAP_SECONDS"),
    PLOOMES_PAGE_SIZE: number("PLOOMES_PAGE_SIZE"),
    PLOOMES_LINE_ITEMS_SOURCE: choiceField("PLOOMES_LINE_ITEMS_SOURCE", LINE_ITEM_SOURCES, "auto", rename("PLOOMES_LINE_ITEMS_SOURCE")),
  });
}

/** Trimmed values; empty or whitespace-only counts as unset. */
function setValues(env: Env): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const trimmed = value?.trim();
    if (trimmed !== undefined && trimmed !== "") values[name] = trimmed;
  }
  return values;
}

const SECRET_KEY_PAIR: readonly VariableName[] = ["SUPABASE_SECRET_KEYS", "SUPABASE_SERVICE_ROLE_KEY"];

/** Near-miss names for every unset variable we read (the key pair only when both are unset). */
function findRenames(values: Record<string, string>): Map<VariableName, string[]> {
  const setNames = Object.keys(values);
  const pairUnset = SECRET_KEY_PAIR.every((name) => values[name] === undefined);
  const renames = new Map<VariableName, string[]>();
  for (const name of VARIABLE_NAMES) {
    if (values[name] !== undefined || (SECRET_KEY_PAIR.includes(name) && !pairUnset)) continue;
    const found = findNearMisses(name, setNames);
    if (found.length > 0) renames.set(name, found);
  }
  return renames;
}

/** The service key: SUPABASE_SECRET_KEYS (new keys) first, else legacy SUPABASE_SERVICE_ROLE_KEY. */
function resolveSecretKey(
  values: Record<string, string>,
  renames: Map<VariableName, string[]>,
): { key: string; source: string } | { problems: ConfigProblem[] } {
  const parsed = secretKeysField("SUPABASE_SECRET_KEYS").safeParse(values["SUPABASE_SECRET_KEYS"]);
  if (!parsed.success) {
    return {
      problems: parsed.error.issues.map((issue) => ({ variable: "SUPABASE_SECRET_KEYS", message: issue.message })),
    };
  }
  if (parsed.data !== null) return { key: parsed.data.key, source: `SUPABASE_SECRET_KEYS.${parsed.data.keyName}` };
  const legacy = values["SUPABASE_SERVICE_ROLE_KEY"];
  if (legacy !== undefined) return { key: legacy, source: "SUPABASE_SERVICE_ROLE_KEY" };
  const nearMisses = SECRET_KEY_PAIR.flatMap((name) => {
    const found = renames.get(name);
    return found === undefined ? [] : [{ variable: name, message: renameMessage(name, found) }];
  });
  if (nearMisses.length > 0) return { problems: nearMisses };
  const holdsNoKey = values["SUPABASE_SECRET_KEYS"] === undefined
    ? ""
    : " (SUPABASE_SECRET_KEYS is set but holds no key)";
  return {
    problems: [
      {
        variable: "SUPABASE_SECRET_KEYS",
        message:
          `neither SUPABASE_SECRET_KEYS nor SUPABASE_SERVICE_ROLE_KEY is set${holdsNoKey}; Supabase injects them ` +
          `into deployed functions, elsewhere set one of them`,
      },
    ],
  };
}

/** Parses the whole configuration, listing every problem at once. */
export function parseConfig(env: Env): ConfigResult {
  const values = setValues(env);
  const renames = findRenames(values);
  const rename: Rename = (name) => {
    const found = renames.get(name);
    return found === undefined ? null : renameMessage(name, found);
  };
  const result = buildSchema(rename).safeParse(values);
  const problems: ConfigProblem[] = result.success ? [] : result.error.issues.map((issue) => ({
    variable: String(issue.path[0] ?? "(environment)"),
    message: issue.message,
  }));

  const secretKey = resolveSecretKey(values, renames);
  if ("problems" in secretKey) problems.push(...secretKey.problems);

  const reported = new Set([...renames.values()].flat());
  for (const stray of findStrayVariables(Object.keys(values), reported)) {
    problems.push({ variable: stray.found, message: strayMessage(stray, values[stray.suggestion] !== undefined) });
  }

  if (!result.success || "problems" in secretKey || problems.length > 0) {
    const url = values["SUPABASE_URL"];
    const urlUsable = url !== undefined && !problems.some((p) => p.variable === "SUPABASE_URL");
    return {
      ok: false,
      problems,
      database: urlUsable && !("problems" in secretKey) ? { url: url.replace(/\/+$/, ""), secretKey: secretKey.key } : null,
    };
  }
  const data = result.data;
  return {
    ok: true,
    config: {
      ploomes: {
        apiKey: data.PLOOMES_API_KEY,
        baseUrl: data.PLOOMES_BASE_URL,
        requestsPerMinute: data.PLOOMES_REQUESTS_PER_MINUTE,
        requestTimeoutMs: data.PLOOMES_REQUEST_TIMEOUT_MS,
        pageSize: data.PLOOMES_PAGE_SIZE,
        lineItemsSource: data.PLOOMES_LINE_ITEMS_SOURCE,
      },
      cronSecret: data.CRON_SECRET,
      supabase: { url: data.SUPABASE_URL, secretKey: secretKey.key, secretKeySource: secretKey.source },
      sync: {
        timeBudgetMs: data.SYNC_TIME_BUDGET_MS,
        cpuBudgetMs: data.SYNC_CPU_BUDGET_MS,
        fullEveryHours: data.SYNC_FULL_EVERY_HOURS,
        maxRejectRatio: data.SYNC_MAX_REJECT_RATIO,
        maxDeleteRatio: data.SYNC_MAX_DELETE_RATIO,
        overlapSeconds: data.SYNC_OVERLAP_SECONDS,
      },
    },
  };
}

/**
 * CRON_SECRET alone, for the HTTP entry: it must fail closed (500) on a missing or weak secret
 * BEFORE authenticating a request, and validate the rest of the configuration afterwards.
 */
export function checkCronSecret(env: Env): { ok: true; secret: string } | { ok: false; problem: ConfigProblem } {
  const values = setValues(env);
  const found = values["CRON_SECRET"] === undefined ? findNearMisses("CRON_SECRET", Object.keys(values)) : [];
  const parsed = cronSecretField(found.length > 0 ? renameMessage("CRON_SECRET", found) : null).safeParse(
    values["CRON_SECRET"],
  );
  if (parsed.success) return { ok: true, secret: parsed.data };
  const message = parsed.error.issues.map((issue) => issue.message).join("; ");
  return { ok: false, problem: { variable: "CRON_SECRET", message } };
}

/** All problems on one line, e.g. for a 500 body or a log line. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  if (problems.length === 0) return "configuration is valid";
  const noun = problems.length === 1 ? "problem" : "problems";
  return `${problems.length} configuration ${noun}: ${problems.map((problem) => problem.message).join(" | ")}`;
}

/** The configuration with secrets replaced by their length, safe to log. */
export function describeConfig(config: Config): Record<string, unknown> {
  const hidden = (secret: string): string => `[set, ${secret.length} characters]`;
  return {
    ploomes: { ...config.ploomes, apiKey: hidden(config.ploomes.apiKey) },
    cronSecret: hidden(config.cronSecret),
    supabase: { ...config.supabase, secretKey: hidden(config.supabase.secretKey) },
    sync: { ...config.sync },
  };
}
