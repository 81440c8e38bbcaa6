// `npm run webhooks -- register|list|remove`: this project's webhook registrations in Ploomes
// (deal create, update and delete → the ploomes-webhook function). `register` reuses what exists.
// Locally (no SUPABASE_URL) it talks to the demo simulator, or to PLOOMES_BASE_URL when set, with
// the local gateway as the callback; for a hosted project set SUPABASE_URL, PLOOMES_API_KEY and
// PLOOMES_WEBHOOK_KEY (docs/deploy.md, "Webhooks").
import { loadDotEnv } from "./lib/dotenv.ts";
import { listRegistrations, ours, registerWebhooks, removeWebhooks } from "./lib/webhook-registrations.ts";
import { webhookTarget } from "./lib/webhook-target.ts";

const USAGE = "usage: npm run webhooks -- register | list | remove";

async function main(args: readonly string[]): Promise<number> {
  const command = args[0];
  if (args.length !== 1 || !["register", "list", "remove"].includes(command ?? "")) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const target = webhookTarget(loadDotEnv());
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`Ploomes at ${target.ploomesBaseUrl}; callback ${target.callbackUrl}`);
  if (command === "register") {
    for (const r of await registerWebhooks(target)) {
      say(`  deal ${r.action}: registration ${r.id} ${r.created ? "created" : "already there (reused)"}`);
    }
  } else if (command === "list") {
    const all = await listRegistrations(target);
    const mine = new Set(ours(target, all).map((r) => r.Id));
    if (all.length === 0) say("  no registration");
    for (const r of all) {
      say(
        `  ${r.Id}: entity ${r.EntityId}, action ${r.ActionId} → ${r.CallbackUrl}${
          mine.has(r.Id) ? "  (this project)" : ""
        }`,
      );
    }
  } else {
    const removed = await removeWebhooks(target);
    say(removed.length === 0 ? "  nothing to remove" : `  removed ${removed.join(", ")}`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`npm run webhooks: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
