// Shared set-up for the Ploomes client's unit tests: a client on BASE with a fake clock, manual
// timers and a scripted fetch, plus a helper that awaits a PloomesError.
import { createPloomesClient } from "../../supabase/functions/_shared/ploomes/client.ts";
import type { PloomesClientOptions } from "../../supabase/functions/_shared/ploomes/client.ts";
import { PloomesError } from "../../supabase/functions/_shared/ploomes/errors.ts";
import { createFakeClock, createManualTimers, scriptedFetch } from "./ploomes-fakes.ts";
import type { Step } from "./ploomes-fakes.ts";

export const BASE = "https://public-api2.ploomes.com";
export const KEY = "A1B2C3D4E5F60718293A4B5C6D7E8F90SECRETKEY";
export const PATH = "/Deals?$filter=Id%20gt%205&$orderby=Id&$top=300";
const HOUR = 3_600_000;

export function setup(steps: readonly Step[], overrides: Partial<PloomesClientOptions> = {}) {
  const clock = createFakeClock();
  const timers = createManualTimers();
  const scripted = scriptedFetch(steps);
  const client = createPloomesClient({
    baseUrl: BASE,
    apiKey: KEY,
    requestsPerMinute: 90,
    requestTimeoutMs: 30_000,
    maxRetries: 3,
    fetch: scripted.fetch,
    sleep: clock.sleep,
    now: clock.now,
    random: () => 0.5,
    scheduleTimeout: timers.schedule,
    ...overrides,
  });
  return { clock, timers, client, requests: scripted.requests, deadline: clock.now() + HOUR };
}

export async function failure(promise: Promise<unknown>): Promise<PloomesError> {
  const error = await promise.then(
    () => new Error("expected a rejection"),
    (reason: unknown) => reason,
  );
  if (!(error instanceof PloomesError)) throw error;
  return error;
}
