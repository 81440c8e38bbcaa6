// The Ploomes HTTP client: one GET of an OData collection page, done carefully.
// Every attempt (retries included) first takes a token from the bucket, runs under a timeout
// combined with the caller's signal, and is classified: success (an OData envelope), a failure
// to retry (429/408/5xx, network, timeout, truncated body) after Retry-After or backoff, or a
// failure to report at once with a hint (400/401/403/404, wrong envelope). Waits never run past
// the caller's deadline: that ends in BudgetExceededError, which the runner treats as "resume".
// The User-Key travels only in its header, only to PLOOMES_BASE_URL's origin (redirects are not
// followed: they become an error with a hint), and is scrubbed from anything we report.
// One attempt (send, time out, classify) is client-attempt.ts; this module is the policy around it.

import type { FetchLike } from "./client-attempt.ts";
import { createAttempt } from "./client-attempt.ts";
import { emptyClientStats } from "./client-stats.ts";
import type { ClientStats } from "./client-stats.ts";
import { BudgetExceededError, PloomesForeignUrlError } from "./errors.ts";
import type { PloomesErrorInit } from "./errors.ts";
import { displayUrl, redactSecret, redactUrl } from "./redact.ts";
import type { PageResponse } from "./response.ts";
import { DEFAULT_BACKOFF_BASE_MS, DEFAULT_BACKOFF_CAP_MS, DEFAULT_MAX_RETRIES, nextRetry } from "./retry.ts";
import { createTokenBucket } from "./token-bucket.ts";
import { abortReason, realNow, realScheduleTimeout, realSleep } from "./timing.ts";
import type { Now, ScheduleTimeout, Sleep } from "./timing.ts";

// Part of this module's interface, defined with the code that uses them.
export type { FetchLike } from "./client-attempt.ts";
export type { ClientStats } from "./client-stats.ts";
export type { PageResponse } from "./response.ts";

const HTTP_TOO_MANY_REQUESTS = 429;
/** How much of a bad argument an error message quotes. */
const QUOTED_INPUT_MAX = 200;

export interface PloomesClientOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly requestsPerMinute: number;
  readonly requestTimeoutMs: number;
  readonly maxRetries?: number;
  readonly fetch?: FetchLike;
  readonly sleep?: Sleep;
  readonly now?: Now;
  readonly random?: () => number;
  readonly scheduleTimeout?: ScheduleTimeout;
  readonly burstCapacity?: number;
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
  /** Observes throttle waits and retries (for logs); must not throw. */
  readonly onEvent?: (event: ClientEvent) => void;
}

export type ClientEvent =
  | { readonly type: "throttle"; readonly waitMs: number }
  | {
    readonly type: "retry";
    readonly attempt: number;
    readonly delayMs: number;
    readonly source: "retry-after" | "backoff";
    readonly failure: string;
    readonly url: string;
  };

export interface RequestOptions {
  readonly signal?: AbortSignal;
  /** Epoch ms (same clock as `now`) after which no wait or request may still be running. */
  readonly deadlineMs: number;
}

export interface PloomesClient {
  /** The origin of PLOOMES_BASE_URL (`https://host[:port]`): the only place the key is sent. */
  readonly origin: string;
  /** GET `<baseUrl><pathAndQuery>`; pathAndQuery starts with `/`, e.g. `/Deals?$top=300`. */
  getPage(pathAndQuery: string, options: RequestOptions): Promise<PageResponse>;
  /** GET an absolute URL verbatim (an `@odata.nextLink`); refused unless it is on `origin`. */
  getAbsolute(url: string, options: RequestOptions): Promise<PageResponse>;
  stats(): ClientStats;
}

export function createPloomesClient(options: PloomesClientOptions): PloomesClient {
  const baseUrl = requireHttpUrl(options.baseUrl, "baseUrl").replace(/\/+$/, "");
  const origin = new URL(baseUrl).origin;
  const apiKey = options.apiKey;
  if (apiKey.trim() === "") throw new TypeError("Ploomes client: apiKey is empty (set PLOOMES_API_KEY)");
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new RangeError(`Ploomes client: maxRetries must be an integer ≥ 0, got ${String(maxRetries)}`);
  }
  if (!(options.requestTimeoutMs > 0)) {
    throw new RangeError(`Ploomes client: requestTimeoutMs must be > 0, got ${String(options.requestTimeoutMs)}`);
  }
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? realNow;
  const random = options.random ?? Math.random;
  const bucket = createTokenBucket({
    requestsPerMinute: options.requestsPerMinute,
    capacity: options.burstCapacity,
    now,
    sleep,
  });
  const counters: ClientStats = emptyClientStats();
  const attemptOnce = createAttempt({
    fetch: options.fetch ?? ((url, init) => fetch(url, init)),
    apiKey,
    requestTimeoutMs: options.requestTimeoutMs,
    now,
    scheduleTimeout: options.scheduleTimeout ?? realScheduleTimeout,
    stats: counters,
  });
  const emit = (event: ClientEvent): void => options.onEvent?.(event);
  const scrub = (text: string): string => redactSecret(text, apiKey);

  async function request(url: string, requestOptions: RequestOptions): Promise<PageResponse> {
    const context = (attempts: number, cause?: unknown): PloomesErrorInit => ({
      method: "GET",
      url: scrub(redactUrl(url)),
      displayUrl: scrub(displayUrl(url, baseUrl)),
      attempts,
      cause,
    });
    const { signal, deadlineMs } = requestOptions;
    for (let attempt = 1;; attempt += 1) {
      if (signal?.aborted) throw abortReason(signal);
      await throttle(signal, deadlineMs, context(attempt));
      counters.requests += 1;
      const outcome = await attemptOnce({ url, attempt, signal, deadlineMs, context });
      if ("page" in outcome) return outcome.page;
      if (outcome.retryStatus === HTTP_TOO_MANY_REQUESTS) counters.status429 += 1;
      if (outcome.final) throw outcome.toError(attempt);
      const decision = nextRetry({
        attempt,
        maxRetries,
        status: outcome.retryStatus,
        retryAfterHeader: outcome.retryAfter,
        nowMs: now(),
        deadlineMs,
        random,
        baseMs: options.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS,
        capMs: options.backoffCapMs ?? DEFAULT_BACKOFF_CAP_MS,
      });
      if (!decision.retry) {
        if (decision.reason !== "deadline") throw outcome.toError(attempt);
        const lastError = outcome.toError(attempt);
        throw new BudgetExceededError(
          `retrying after ${outcome.label} needs a ${decision.delayMs ?? 0} ms wait that would pass the deadline`,
          deadlineMs,
          decision.delayMs ?? 0,
          context(attempt, lastError),
        );
      }
      counters.retries += 1;
      counters.retryWaitMs += decision.delayMs;
      // Ploomes said how long to wait: every request of this client waits, not only this one.
      if (decision.source === "retry-after") bucket.holdUntil(now() + decision.delayMs);
      emit({
        type: "retry",
        attempt,
        delayMs: decision.delayMs,
        source: decision.source,
        failure: outcome.label,
        url: scrub(redactUrl(url)),
      });
      await sleep(decision.delayMs, signal);
    }
  }

  /** Takes a rate-limit token for the request `context` describes (the bucket's error names it). */
  async function throttle(
    signal: AbortSignal | undefined,
    deadlineMs: number,
    context: PloomesErrorInit,
  ): Promise<void> {
    const { waitedMs } = await bucket.take(signal, deadlineMs, context);
    if (waitedMs > 0) {
      counters.throttledWaits += 1;
      counters.throttleWaitMs += waitedMs;
      emit({ type: "throttle", waitMs: waitedMs });
    }
  }

  return {
    origin,
    getPage: async (pathAndQuery, requestOptions) => {
      if (!pathAndQuery.startsWith("/")) {
        throw new TypeError(
          `Ploomes client: getPage expects a path starting with "/", got ${
            JSON.stringify(pathAndQuery.slice(0, QUOTED_INPUT_MAX))
          }`,
        );
      }
      return request(`${baseUrl}${pathAndQuery}`, requestOptions);
    },
    getAbsolute: async (url, requestOptions) => {
      const target = new URL(requireHttpUrl(url, "nextLink"));
      // The key goes only to the configured origin (this also refuses an https → http downgrade).
      if (target.origin !== origin) {
        throw new PloomesForeignUrlError(target.origin, origin, { method: "GET", url: scrub(redactUrl(url)) });
      }
      return request(target.href, requestOptions);
    },
    stats: () => ({ ...counters }),
  };
}

function requireHttpUrl(value: string, name: string): string {
  if (!URL.canParse(value)) {
    throw new TypeError(
      `Ploomes client: ${name} is not an absolute URL: ${JSON.stringify(redactUrl(value).slice(0, QUOTED_INPUT_MAX))}`,
    );
  }
  const protocol = new URL(value).protocol;
  if (protocol !== "http:" && protocol !== "https:") {
    throw new TypeError(`Ploomes client: ${name} must be http(s), got ${protocol}`);
  }
  return value;
}
