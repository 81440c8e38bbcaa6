// Edge Function entry point: `ploomes-webhook`. The only file that touches Deno: it reads the
// environment once and hands each Ploomes webhook call to the runtime-neutral receiver
// (../_shared/webhook), which queues the deal's Id for the sync to refresh.
import { parseWebhookConfig } from "../_shared/webhook/config.ts";
import { handleWebhook } from "../_shared/webhook/receiver.ts";
import { createDatabaseEnqueue, jsonLineLogger } from "../_shared/webhook/wiring.ts";

const config = parseWebhookConfig(Deno.env.toObject());
const enqueue = createDatabaseEnqueue();

Deno.serve((request: Request) => handleWebhook(request, { config, enqueue, log: jsonLineLogger }));
