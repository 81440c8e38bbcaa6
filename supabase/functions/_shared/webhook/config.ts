// The webhook receiver's environment, parsed once into a typed `WebhookConfig` or every problem at
// once, each naming its variable and never quoting a secret. The database part (SUPABASE_URL and
// SUPABASE_SECRET_KEYS / SUPABASE_SERVICE_ROLE_KEY) is read by the sync's own parsers in ../config/.

import type { ConfigProblem, DatabaseAccess, Env } from "../config/config.ts";
import { atLeast, optional, read, required } from "../config/fields.ts";
import { secretKey } from "../config/secret-key.ts";
import { SUPABASE_URL } from "../config/settings.ts";

export const WEBHOOK_KEY_VARIABLE = "PLOOMES_WEBHOOK_KEY";
export const DEAL_ENTITY_VARIABLE = "PLOOMES_WEBHOOK_DEAL_ENTITY_ID";
/** As long as CRON_SECRET must be: a validation key is a password anyone on the Internet may guess at. */
export const MIN_WEBHOOK_KEY_LENGTH = 32;
/** Ploomes' entity id for deals (Negócios). */
export const DEFAULT_DEAL_ENTITY_ID = 2;

const GENERATE_KEY = "generate one with: openssl rand -hex 24";
const SET_KEY = `${GENERATE_KEY}, then supabase secrets set ${WEBHOOK_KEY_VARIABLE}=... ` +
  "and give Ploomes the same value as the webhook's validation key";
const POSITIVE_INTEGER = /^\+?\d+$/;

export interface WebhookConfig {
  /** The validation key Ploomes must send back with every call. */
  readonly key: string;
  /** Events about any other entity are acknowledged and ignored. */
  readonly dealEntityId: number;
  readonly database: DatabaseAccess;
}
export type WebhookConfigResult =
  | { readonly ok: true; readonly config: WebhookConfig }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

const WEBHOOK_KEY = required(atLeast(MIN_WEBHOOK_KEY_LENGTH, GENERATE_KEY), SET_KEY);
const DEAL_ENTITY_ID = optional<number>((raw) => {
  const value = POSITIVE_INTEGER.test(raw) ? Number(raw) : Number.NaN;
  if (Number.isSafeInteger(value) && value > 0) return { ok: true, value };
  // Not a secret, so it is shown, cut short.
  const shown = JSON.stringify(raw.slice(0, 20));
  return { ok: false, problem: `must be a positive whole number (Ploomes' entity id for deals), got ${shown}` };
}, DEFAULT_DEAL_ENTITY_ID);

export function parseWebhookConfig(env: Env): WebhookConfigResult {
  // As ../config/config.ts does: trimmed; empty or whitespace-only counts as unset.
  const values = Object.fromEntries(
    Object.entries(env).flatMap(([name, value]) => (value?.trim() ? [[name, value.trim()]] : [])),
  );
  const key = read(WEBHOOK_KEY, values[WEBHOOK_KEY_VARIABLE]);
  const entity = read(DEAL_ENTITY_ID, values[DEAL_ENTITY_VARIABLE]);
  const url = read(SUPABASE_URL, values["SUPABASE_URL"]);
  const databaseKey = secretKey(values);
  const problems: ConfigProblem[] = [
    ...(key.ok ? [] : [{ variable: WEBHOOK_KEY_VARIABLE, message: `${WEBHOOK_KEY_VARIABLE} ${key.problem}` }]),
    ...(entity.ok ? [] : [{ variable: DEAL_ENTITY_VARIABLE, message: `${DEAL_ENTITY_VARIABLE} ${entity.problem}` }]),
    ...(url.ok ? [] : [{ variable: "SUPABASE_URL", message: `SUPABASE_URL ${url.problem}` }]),
    ...(databaseKey.ok ? [] : [databaseKey.problem]),
  ];
  if (!key.ok || !entity.ok || !url.ok || !databaseKey.ok) return { ok: false, problems };
  const database = { url: url.value, secretKey: databaseKey.key };
  return { ok: true, config: { key: key.value, dealEntityId: entity.value, database } };
}
