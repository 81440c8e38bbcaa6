// Prepares the local function for a sync from the command line: Ploomes settings from the
// environment (or .env) when PLOOMES_BASE_URL is set, otherwise the demo simulator; the result
// is written to .local/functions.env, which the gateway hands to the Deno function.
import { requireStackKeys } from "../../local/stack/keys.ts";
import { writeFunctionEnv } from "../../local/stack/function-env.ts";
import { DEMO_DATASET, SIMULATOR_URL, simulatorApiKey, startDemoSimulator } from "../../local/stack/services.ts";
import { functionVariables, loadDotEnv } from "./dotenv.ts";

export interface PloomesSource {
  description: string;
}

export async function prepareLocalFunction(log: (line: string) => void): Promise<PloomesSource> {
  const env = loadDotEnv();
  const variables = functionVariables(env);
  let description: string;
  if (env.PLOOMES_BASE_URL) {
    description = `Ploomes at ${env.PLOOMES_BASE_URL} (PLOOMES_BASE_URL)`;
  } else {
    await startDemoSimulator(log);
    variables.PLOOMES_BASE_URL = SIMULATOR_URL;
    variables.PLOOMES_API_KEY = simulatorApiKey();
    description = `the demo Ploomes simulator at ${SIMULATOR_URL} (${DEMO_DATASET.deals} deals, ${DEMO_DATASET.contacts} contacts; set PLOOMES_BASE_URL to use another API)`;
  }
  writeFunctionEnv({ ...variables, CRON_SECRET: requireStackKeys().CRON_SECRET }, "Written by npm start / npm run sync; the gateway passes it to the function.");
  return { description };
}
