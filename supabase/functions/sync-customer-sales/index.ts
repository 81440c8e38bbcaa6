// Edge Function entry point: `sync-customer-sales`. The only file that touches Deno: it reads the
// environment once, starts the worker's clocks (the runtime limits a worker's age and CPU, not a
// request's), and hands each request to the runtime-neutral handler (../_shared/http).
import process from "node:process";
import { parseConfig } from "../_shared/config/config.ts";
import { handleSyncRequest } from "../_shared/http/handler.ts";
import { type CpuUsageSource, startWorkerClock } from "../_shared/sync/worker-clock.ts";
import { jsonLineLogger, recordConfigFailure, runSyncWithConfig } from "../_shared/sync/wiring.ts";

// Node's process.cpuUsage (Deno implements it); a runtime without it gets a page cap instead.
const cpuUsage: CpuUsageSource | null = typeof process.cpuUsage === "function" ? () => process.cpuUsage() : null;
const worker = startWorkerClock(() => Date.now(), cpuUsage);
const config = parseConfig(Deno.env.toObject());

Deno.serve((request: Request) =>
  handleSyncRequest(request, {
    config,
    runSync: (parsed, syncRequest) => runSyncWithConfig(parsed, syncRequest, worker, jsonLineLogger),
    recordFailure: recordConfigFailure,
    log: jsonLineLogger,
  })
);
