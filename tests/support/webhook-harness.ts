// Webhooks through the real path for tests: the simulator's registrations pointing at the local
// ploomes-webhook function (waiting for them to be served: scripts/lib/webhook-drain.ts).
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { requireStackKeys } from "../../local/stack/keys.ts";
import { GATEWAY_URL } from "../../local/stack/paths.ts";
import {
  DEFAULT_ACTION_IDS,
  DEFAULT_DEAL_ENTITY_ID,
  RECEIVER_PATH,
  registerWebhooks,
  type WebhookTarget,
} from "../../scripts/lib/webhook-registrations.ts";

export const RECEIVER_URL = `${GATEWAY_URL}${RECEIVER_PATH}`;

export function simulatorTarget(sim: Simulator): WebhookTarget {
  return {
    ploomesBaseUrl: sim.url,
    apiKey: sim.apiKey,
    callbackUrl: RECEIVER_URL,
    validationKey: requireStackKeys().PLOOMES_WEBHOOK_KEY,
    dealEntityId: DEFAULT_DEAL_ENTITY_ID,
    actionIds: DEFAULT_ACTION_IDS,
  };
}

export async function registerReceiver(sim: Simulator): Promise<void> {
  await registerWebhooks(simulatorTarget(sim));
}
