// The environment variables the sync reads: names, whether the value is secret (never echoed),
// and the aliases people actually type instead (used by near-miss detection). The predecessor
// died of `PLOOME_API_KEY`; this table is how the config module recognises such mistakes.
// Aliases keep a project prefix on purpose: Supabase secrets are shared by every function of a
// project, so a generic name (`PAGE_SIZE`) may legitimately belong to someone else.

export const VARIABLE_NAMES = [
  "PLOOMES_API_KEY",
  "PLOOMES_BASE_URL",
  "CRON_SECRET",
  "SUPABASE_URL",
  "SUPABASE_SECRET_KEYS",
  "SUPABASE_SERVICE_ROLE_KEY",
  "SYNC_TIME_BUDGET_MS",
  "SYNC_CPU_BUDGET_MS",
  "PLOOMES_REQUESTS_PER_MINUTE",
  "PLOOMES_REQUEST_TIMEOUT_MS",
  "SYNC_FULL_EVERY_HOURS",
  "SYNC_MAX_REJECT_RATIO",
  "SYNC_MAX_DELETE_RATIO",
  "SYNC_OVERLAP_SECONDS",
  "PLOOMES_PAGE_SIZE",
  "PLOOMES_LINE_ITEMS_SOURCE",
] as const;

export type VariableName = (typeof VARIABLE_NAMES)[number];

export interface VariableSpec {
  readonly name: VariableName;
  /** Secret values never appear in any message. */
  readonly secret: boolean;
  /** Names people use by mistake that are too far for the edit-distance rule to catch. */
  readonly aliases: readonly string[];
}

export const VARIABLES: Readonly<Record<VariableName, VariableSpec>> = {
  PLOOMES_API_KEY: {
    name: "PLOOMES_API_KEY",
    secret: true,
    aliases: [
      "PLOOMES_KEY",
      "PLOOMES_USER_KEY",
      "PLOOMES_TOKEN",
      "PLOOMES_API_TOKEN",
      "PLOOMES_SECRET",
      "PLOOMES_API_SECRET",
      "PLOOME_KEY",
      "PLOOME_USER_KEY",
      "PLOOME_TOKEN",
    ],
  },
  PLOOMES_BASE_URL: {
    name: "PLOOMES_BASE_URL",
    secret: false,
    aliases: [
      "PLOOMES_URL",
      "PLOOMES_API_URL",
      "PLOOMES_HOST",
      "PLOOMES_ENDPOINT",
      "PLOOMES_API_BASE_URL",
      "PLOOME_URL",
    ],
  },
  CRON_SECRET: {
    name: "CRON_SECRET",
    secret: true,
    aliases: ["CRON_TOKEN", "CRON_KEY", "CRON_SECRET_KEY", "SYNC_CRON_SECRET", "SYNC_SECRET"],
  },
  SUPABASE_URL: {
    name: "SUPABASE_URL",
    secret: false,
    aliases: ["SUPABASE_PROJECT_URL", "SUPABASE_API_URL"],
  },
  SUPABASE_SECRET_KEYS: { name: "SUPABASE_SECRET_KEYS", secret: true, aliases: [] },
  SUPABASE_SERVICE_ROLE_KEY: {
    name: "SUPABASE_SERVICE_ROLE_KEY",
    secret: true,
    aliases: ["SUPABASE_SERVICE_KEY", "SUPABASE_SERVICE_ROLE", "SUPABASE_SERVICEROLE_KEY"],
  },
  SYNC_TIME_BUDGET_MS: {
    name: "SYNC_TIME_BUDGET_MS",
    secret: false,
    aliases: ["SYNC_BUDGET_MS", "SYNC_TIMEOUT_MS", "SYNC_TIME_LIMIT_MS"],
  },
  SYNC_CPU_BUDGET_MS: {
    name: "SYNC_CPU_BUDGET_MS",
    secret: false,
    aliases: ["SYNC_CPU_MS", "SYNC_CPU_LIMIT_MS", "SYNC_CPU_BUDGET"],
  },
  PLOOMES_REQUESTS_PER_MINUTE: {
    name: "PLOOMES_REQUESTS_PER_MINUTE",
    secret: false,
    aliases: ["PLOOMES_RATE_LIMIT", "PLOOMES_RPM", "PLOOMES_REQUESTS_PER_MIN", "PLOOMES_MAX_REQUESTS_PER_MINUTE"],
  },
  PLOOMES_REQUEST_TIMEOUT_MS: {
    name: "PLOOMES_REQUEST_TIMEOUT_MS",
    secret: false,
    aliases: ["PLOOMES_TIMEOUT_MS", "PLOOMES_TIMEOUT", "PLOOMES_REQUEST_TIMEOUT"],
  },
  SYNC_FULL_EVERY_HOURS: {
    name: "SYNC_FULL_EVERY_HOURS",
    secret: false,
    aliases: ["SYNC_FULL_INTERVAL_HOURS", "SYNC_FULL_SYNC_EVERY_HOURS", "SYNC_FULL_EVERY"],
  },
  SYNC_MAX_REJECT_RATIO: {
    name: "SYNC_MAX_REJECT_RATIO",
    secret: false,
    aliases: ["SYNC_REJECT_RATIO", "SYNC_MAX_REJECTS_RATIO", "SYNC_MAX_REJECT_RATE"],
  },
  SYNC_MAX_DELETE_RATIO: {
    name: "SYNC_MAX_DELETE_RATIO",
    secret: false,
    aliases: ["SYNC_DELETE_RATIO", "SYNC_MAX_DELETES_RATIO", "SYNC_MAX_DELETE_RATE"],
  },
  SYNC_OVERLAP_SECONDS: {
    name: "SYNC_OVERLAP_SECONDS",
    secret: false,
    aliases: ["SYNC_OVERLAP", "SYNC_OVERLAP_SEC", "SYNC_OVERLAP_S"],
  },
  PLOOMES_PAGE_SIZE: {
    name: "PLOOMES_PAGE_SIZE",
    secret: false,
    aliases: ["PLOOMES_TOP", "SYNC_PAGE_SIZE"],
  },
  PLOOMES_LINE_ITEMS_SOURCE: {
    name: "PLOOMES_LINE_ITEMS_SOURCE",
    secret: false,
    aliases: ["PLOOMES_LINE_ITEMS", "PLOOMES_PRODUCTS_SOURCE", "SYNC_LINE_ITEMS_SOURCE"],
  },
};

/**
 * Real variables (injected by Supabase or used by other tools) that sit close to ours by name
 * but are never a misspelling of them: `SUPABASE_DB_URL` is two edits from `SUPABASE_URL`.
 */
export const NEVER_NEAR_MISSES: ReadonlySet<string> = new Set([
  "SUPABASE_DB_URL",
  "SUPABASE_ANON_KEY",
  "SUPABASE_PUBLISHABLE_KEYS",
  "SUPABASE_JWT_SECRET",
]);

/** Unknown variables with these prefixes are checked for typos of ours (case-insensitive). */
export const OWNED_PREFIXES: readonly string[] = ["PLOOMES_", "PLOOME_", "SYNC_"];
