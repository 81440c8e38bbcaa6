// Edge Function entry point: `sync-customer-sales`. The only file that touches Deno: it reads the
// environment once and hands each request to the runtime-neutral handler (../_shared/http).
import { parseConfig } from "../_shared/config/config.ts";
import { handleSyncRequest } from "../_shared/http/handler.ts";
import { jsonLineLogger, recordConfigFailure, runSyncWithConfig } from "../_shared/sync/wiring.ts";

const env = Deno.env.toObject();
const config = parseConfig(env);

Deno.serve((request: Request) =>
  handleSyncRequest(request, {
    env,
    config,
    runSync: (parsed, syncRequest) => runSyncWithConfig(parsed, syncRequest, jsonLineLogger),
    recordFailure: recordConfigFailure,
    log: jsonLineLogger,
  })
);
