// Shared set-up for the runner's unit tests: a fake clock, database, Ploomes client and
// heartbeat timer wired into runSync, plus small helpers for Ploomes errors, expected client
// counters and the source identity the runner claims with. No real timer is ever armed: the
// heartbeat uses manual timers (the test's own `schedule`, or ones only the test can fire).
import { createHash } from "node:crypto";
import type { Env } from "../../supabase/functions/_shared/config/config.ts";
import type { Claim } from "../../supabase/functions/_shared/db/rpc.ts";
import type { SyncRequest } from "../../supabase/functions/_shared/http/request-body.ts";
import { PloomesHttpError } from "../../supabase/functions/_shared/ploomes/errors.ts";
import { runSync } from "../../supabase/functions/_shared/sync/runner.ts";
import type { RunnerDeps } from "../../supabase/functions/_shared/sync/runner.ts";
import type { ScheduleTimeout } from "../../supabase/functions/_shared/ploomes/timing.ts";
import { createManualTimers } from "./ploomes-fakes.ts";
import {
  createFakeDb,
  createFakePloomes,
  createFakeWorker,
  createManualClock,
  FAKE_RETRIES,
  FAKE_THROTTLED_WAITS,
  grantedClaim,
  makeConfig,
  PLOOMES_BASE,
  runSummary,
  T0,
} from "./sync-fakes.ts";
import type { FakeDbOptions, FakeWorker, PageStep } from "./sync-fakes.ts";

export const REQUEST: SyncRequest = { mode: "auto", dryRun: false, trigger: "manual" };
export const RUN_ID = 7;

interface SetupOptions {
  readonly env?: Env;
  readonly claim?: Claim;
  readonly db?: Omit<FakeDbOptions, "claim">;
  readonly steps?: readonly PageStep[];
  readonly msPerRequest?: number;
  /** How long the claim call takes on the fake clock. */
  readonly claimMs?: number;
  /** How long each ingestPage call takes on the fake clock. */
  readonly ingestMs?: number;
  /** How long each finishPass call takes on the fake clock (before the db option answers). */
  readonly finishMs?: number;
  /** The heartbeat timer; defaults to manual timers returned as `timers`. */
  readonly schedule?: ScheduleTimeout;
  /** The worker; default one that started with the clock and whose CPU only the test moves. */
  readonly worker?: FakeWorker;
  /** CPU each Ploomes request costs the fake worker. */
  readonly cpuPerRequestMs?: number;
}

export function setup(options: SetupOptions = {}) {
  const clock = createManualClock(T0);
  const db = createFakeDb({
    claim: options.claim ?? grantedClaim({ runId: RUN_ID }),
    onClaim: () => clock.advance(options.claimMs ?? 0),
    ingestPage: (call) => {
      clock.advance(options.ingestMs ?? 0);
      return {
        stored: call.rows.length,
        inserted: call.rows.length,
        updated: 0,
        unchanged: 0,
        rejected: call.rejects.length,
      };
    },
    ...options.db,
    finishPass: (call) => {
      clock.advance(options.finishMs ?? 0);
      return options.db?.finishPass
        ? options.db.finishPass(call)
        : runSummary({ runId: call.runId, status: "succeeded" });
    },
  });
  const worker = options.worker ?? createFakeWorker(T0);
  const cpuPerRequest = options.cpuPerRequestMs ?? 0;
  const steps = (options.steps ?? []).map((step): PageStep => (request) => {
    worker.burn(cpuPerRequest);
    return step(request);
  });
  const ploomes = createFakePloomes(steps, { clock, msPerRequest: options.msPerRequest ?? 0 });
  const events: Record<string, unknown>[] = [];
  const timers = createManualTimers();
  const deps: RunnerDeps = {
    config: makeConfig(options.env),
    db,
    ploomes,
    now: clock.now,
    log: (event) => {
      events.push(event);
    },
    schedule: options.schedule ?? timers.schedule,
    worker,
  };
  const eventNames = (): unknown[] => events.map((event) => event["event"]);
  return {
    clock,
    db,
    ploomes,
    events,
    eventNames,
    timers,
    worker,
    run: (request: SyncRequest = REQUEST) => runSync(deps, request),
  };
}

export function http(status: number, body = ""): PloomesHttpError {
  return new PloomesHttpError(status, body, {
    method: "GET",
    url: `${PLOOMES_BASE}/Deals`,
    displayUrl: "/Deals",
  });
}

export const STATS_AFTER = (requests: number) => ({
  requests,
  retries: FAKE_RETRIES,
  throttledWaits: FAKE_THROTTLED_WAITS,
});

/** `<base URL> key:sha256:<first 16 hex digits>`, computed with node:crypto, not the code under test. */
export function expectedSource(baseUrl: string, apiKey: string): string {
  return `${baseUrl} key:sha256:${createHash("sha256").update(apiKey, "utf8").digest("hex").slice(0, 16)}`;
}
