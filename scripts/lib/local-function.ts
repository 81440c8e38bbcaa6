// Prepares the local function for a sync from the command line: Ploomes settings from the
// environment (or .env) when PLOOMES_BASE_URL is set, otherwise the demo simulator; the result
// is written to .local/functions.env, which the gateway hands to the Deno function.
import { requireStackKeys } from "../../local/stack/keys.ts";
import { writeFunctionEnv } from "../../local/stack/function-env.ts";
import { DEMO_DATASET, SIMULATOR_URL, simulatorApiKey, startDemoSimulator } from "../../local/stack/services.ts";
import { functionVariables, loadDotEnv } from "./dotenv.ts";

export interface PloomesSource {
  description: string;
  /** The demo simulator (which npm start also registers the webhooks with). */
  demo: boolean;
}

export async function prepareLocalFunction(log: (line: string) => void): Promise<PloomesSource> {
  const env = loadDotEnv();
  const variables = functionVariables(env);
  let description: string;
  if (env.PLOOMES_BASE_URL) {
    description = `Ploomes at ${env.PLOOMES_BASE_URL} (PLOOMES_BASE_URL)`;
  } else {
    await startDemoSimulator(log);
    await setDemoLineItems(env.DEMO_LINE_ITEMS_ON ?? DEMO_LINE_ITEMS_DEFAULT);
    variables.PLOOMES_BASE_URL = SIMULATOR_URL;
    variables.PLOOMES_API_KEY = simulatorApiKey();
    description =
      `the demo Ploomes simulator at ${SIMULATOR_URL} (${DEMO_DATASET.deals} deals, ${DEMO_DATASET.contacts} contacts, ` +
      `line items on ${env.DEMO_LINE_ITEMS_ON ?? DEMO_LINE_ITEMS_DEFAULT}; set PLOOMES_BASE_URL to use another API)`;
  }
  writeFunctionEnv(
    {
      ...variables,
      CRON_SECRET: requireStackKeys().CRON_SECRET,
      PLOOMES_WEBHOOK_KEY: requireStackKeys().PLOOMES_WEBHOOK_KEY,
    },
    "Written by npm start / npm run sync; the gateway passes it to the function.",
  );
  return { description, demo: !env.PLOOMES_BASE_URL };
}

/** The demo account keeps line items on deals, orders and quotes alike (docs/metrics.md). */
const DEMO_LINE_ITEMS_DEFAULT = "everywhere";

/**
 * Where the demo account keeps its line items (DEMO_LINE_ITEMS_ON: everywhere, deals, orders,
 * quotes or refuseDealExpansion), set on the running simulator so a restart is never needed.
 */
async function setDemoLineItems(lineItemsOn: string): Promise<void> {
  const response = await fetch(`${SIMULATOR_URL}/__sim/settings`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ lineItemsOn }),
    signal: AbortSignal.timeout(SETTINGS_TIMEOUT_MS),
  });
  if (!response.ok) {
    throw new Error(
      `DEMO_LINE_ITEMS_ON=${lineItemsOn} was refused by the demo simulator (${response.status}): ${await response
        .text()}`,
    );
  }
}

/** The simulator answers its admin API at once; longer means it is not running. */
const SETTINGS_TIMEOUT_MS = 5_000;
