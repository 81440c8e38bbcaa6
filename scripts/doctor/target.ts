// Which project the doctor examines, read once from the environment: the local stack when
// SUPABASE_DB_URL is not set (its function's secrets come from .local/functions.env, as the
// gateway hands them to the function), a hosted project otherwise. Every secret it holds is listed
// so the report can be scrubbed of them.
import { existsSync, readFileSync } from "node:fs";
import { parseEnvFile } from "../../local/stack/keys.ts";
import { DB_URL, FUNCTIONS_ENV_FILE, GATEWAY_URL } from "../../local/stack/paths.ts";

export interface Target {
  readonly kind: "local" | "hosted";
  /** Holds the database password: never printed (use dbLabel). */
  readonly dbUrl: string;
  readonly dbLabel: string;
  /** Where the function is called when Vault has no project_url: SUPABASE_URL, or the local gateway. */
  readonly supabaseUrl: string | null;
  /** The function's CRON_SECRET when known (CRON_SECRET, or locally the function's env). */
  readonly cronSecret: string | null;
  readonly ploomesApiKey: string | null;
  /** PLOOMES_BASE_URL when given; otherwise the function's own answer, then Ploomes' default. */
  readonly ploomesBaseUrl: string | null;
  /** Every secret value known to the doctor; the report never contains one. */
  readonly secrets: readonly string[];
}

/** The function's default Ploomes API (supabase/functions/_shared/config). */
export const DEFAULT_PLOOMES_BASE_URL = "https://public-api2.ploomes.com";

export function resolveTarget(env: NodeJS.ProcessEnv): Target {
  const hostedDbUrl = nonEmpty(env.SUPABASE_DB_URL);
  const local = hostedDbUrl === null;
  // Locally the function's secrets are known: the file the gateway passes to it.
  const functionEnv = local && existsSync(FUNCTIONS_ENV_FILE)
    ? parseEnvFile(readFileSync(FUNCTIONS_ENV_FILE, "utf8"))
    : {};
  const pick = (name: string) => nonEmpty(env[name]) ?? nonEmpty(functionEnv[name]);
  const dbUrl = hostedDbUrl ?? DB_URL;
  const cronSecret = pick("CRON_SECRET");
  const ploomesApiKey = pick("PLOOMES_API_KEY");
  const webhookKey = pick("PLOOMES_WEBHOOK_KEY");
  return {
    kind: local ? "local" : "hosted",
    dbUrl,
    dbLabel: withoutPassword(dbUrl),
    supabaseUrl: nonEmpty(env.SUPABASE_URL) ?? (local ? GATEWAY_URL : null),
    cronSecret,
    ploomesApiKey,
    ploomesBaseUrl: pick("PLOOMES_BASE_URL"),
    secrets: [cronSecret, ploomesApiKey, webhookKey, passwordOf(dbUrl)].filter((value): value is string =>
      value !== null
    ),
  };
}

function nonEmpty(value: string | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(SUPABASE_DB_URL is not a URL)";
  }
}

function passwordOf(url: string): string | null {
  try {
    return nonEmpty(decodeURIComponent(new URL(url).password));
  } catch {
    return null;
  }
}
