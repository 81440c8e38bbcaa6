// Where `npm run webhooks` and `npm start` register: locally (no SUPABASE_URL) the demo simulator,
// or PLOOMES_BASE_URL when set, calling back the local gateway; a hosted project with SUPABASE_URL,
// PLOOMES_API_KEY and PLOOMES_WEBHOOK_KEY (docs/deploy.md, "Webhooks").
import { requireStackKeys } from "../../local/stack/keys.ts";
import { GATEWAY_URL } from "../../local/stack/paths.ts";
import { SIMULATOR_URL, simulatorApiKey } from "../../local/stack/services.ts";
import {
  DEFAULT_ACTION_IDS,
  DEFAULT_DEAL_ENTITY_ID,
  parseActionIds,
  RECEIVER_PATH,
  type WebhookTarget,
} from "./webhook-registrations.ts";

const DEFAULT_PLOOMES_BASE_URL = "https://public-api2.ploomes.com";

function required(env: Record<string, string>, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new Error(`${name} is not set; it is needed for a hosted project (docs/deploy.md, "Webhooks")`);
  return value;
}

export function webhookTarget(env: Record<string, string>): WebhookTarget {
  const dealEntityId = env.PLOOMES_WEBHOOK_DEAL_ENTITY_ID
    ? Number(env.PLOOMES_WEBHOOK_DEAL_ENTITY_ID)
    : DEFAULT_DEAL_ENTITY_ID;
  if (!Number.isInteger(dealEntityId) || dealEntityId <= 0) {
    throw new Error(
      `PLOOMES_WEBHOOK_DEAL_ENTITY_ID must be a positive integer, got "${env.PLOOMES_WEBHOOK_DEAL_ENTITY_ID}"`,
    );
  }
  const actionIds = env.PLOOMES_WEBHOOK_ACTION_IDS
    ? parseActionIds(env.PLOOMES_WEBHOOK_ACTION_IDS)
    : DEFAULT_ACTION_IDS;
  if (env.SUPABASE_URL) {
    return {
      ploomesBaseUrl: env.PLOOMES_BASE_URL || DEFAULT_PLOOMES_BASE_URL,
      apiKey: required(env, "PLOOMES_API_KEY"),
      callbackUrl: `${env.SUPABASE_URL.replace(/\/+$/, "")}${RECEIVER_PATH}`,
      validationKey: required(env, "PLOOMES_WEBHOOK_KEY"),
      dealEntityId,
      actionIds,
    };
  }
  const local = env.PLOOMES_BASE_URL
    ? { ploomesBaseUrl: env.PLOOMES_BASE_URL, apiKey: required(env, "PLOOMES_API_KEY") }
    : { ploomesBaseUrl: SIMULATOR_URL, apiKey: simulatorApiKey() };
  return {
    ...local,
    callbackUrl: `${GATEWAY_URL}${RECEIVER_PATH}`,
    validationKey: requireStackKeys().PLOOMES_WEBHOOK_KEY,
    dealEntityId,
    actionIds,
  };
}
