// `npm start`: the main job, end to end on the local stack — bring the stack up, point the
// function at Ploomes (the demo simulator unless PLOOMES_BASE_URL is set), run a sync through
// the gateway and the Deno function (the same path pg_net uses) until the pass completes, then
// print the summary and the top 10 customers. Exits non-zero with the error and its hint.
import { stackUp } from "../local/stack/stack.ts";
import { callFunction, type SyncCall, topCustomers, withProgress } from "./lib/gateway-sync.ts";
import { prepareLocalFunction } from "./lib/local-function.ts";
import { formatSummary, formatTopCustomers } from "./lib/summary.ts";
import { loadDotEnv } from "./lib/dotenv.ts";
import { registerWebhooks } from "./lib/webhook-registrations.ts";
import { webhookTarget } from "./lib/webhook-target.ts";
import { SIMULATOR_URL } from "../local/stack/services.ts";

const TOP_CUSTOMERS = 10;
/** A pass that needs more invocations than this is reported instead of looped on forever. */
const MAX_INVOCATIONS = 50;

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  await stackUp();
  const source = await prepareLocalFunction((line) => say(`[stack] ${line}`));
  say(`syncing from ${source.description}`);

  let call: SyncCall | null = null;
  for (let i = 0; i < MAX_INVOCATIONS; i += 1) {
    call = await withProgress(callFunction({ trigger: i === 0 ? "cli" : "continue" }), say);
    say(formatSummary(call.body));
    if (call.status !== 200 || call.body.status !== "partial") break;
  }
  if (call === null || call.status !== 200) {
    say(
      `\nsync failed (HTTP ${
        call?.status ?? "?"
      }). Runs are recorded in ploomes_sync.runs; logs in .local/logs/function-sync-customer-sales.log`,
    );
    return 1;
  }
  if (call.body.status === "partial") {
    say(`\nthe pass is still partial after ${MAX_INVOCATIONS} invocations; run npm start again to continue it`);
    return 1;
  }
  if (source.demo) {
    // The demo account calls the local receiver on every deal change (docs/operations.md, "Webhooks").
    const registered = await registerWebhooks(webhookTarget(loadDotEnv()));
    say(
      `webhooks: deal ${registered.map((r) => r.action).join("/")} → ploomes-webhook (${
        registered.some((r) => r.created) ? "registered" : "already registered"
      }); try: curl -X PATCH ${SIMULATOR_URL}/__sim/deals/<id> -d '{"Amount": 1234}'`,
    );
  }
  say(`\nTop ${TOP_CUSTOMERS} customers by total_revenue:`);
  say(formatTopCustomers(await topCustomers(TOP_CUSTOMERS)));
  say("\nThe stack keeps running: npm run stack:status to see it, npm run stack:down to stop it.");
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`npm start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
