// Client-side token bucket: keeps this invocation under PLOOMES_REQUESTS_PER_MINUTE so the
// account's shared 120/min limit is left room for other integrations. One token per request
// attempt (retries included). Waiting is cancellable and refuses to end after the deadline.

import { BudgetExceededError } from "./errors.ts";
import type { PloomesErrorInit } from "./errors.ts";
import { abortReason, realNow, realSleep } from "./timing.ts";
import type { Now, Sleep } from "./timing.ts";

const MS_PER_MINUTE = 60_000;
/**
 * Burst allowance, in seconds of refill. Ploomes counts requests per minute across the account,
 * and one minute may hold the end of one invocation and the start of the next, each with a
 * burst: so a minute may see requestsPerMinute + 2 × capacity. The burst (5 s worth: 7 at the
 * default 90/min) is therefore cut to half of what the account's 120 leaves — none at 120/min.
 */
export const DEFAULT_BURST_SECONDS = 5;
/** The whole Ploomes account's limit, shared by every integration. */
export const ACCOUNT_REQUESTS_PER_MINUTE = 120;
/** Two invocations' bursts can fall in one minute. */
const BURSTS_PER_MINUTE = 2;
const SECONDS_PER_MINUTE = 60;

export interface TokenBucketOptions {
  readonly requestsPerMinute: number;
  /** Tokens available at once; default: DEFAULT_BURST_SECONDS of refill within what the account's limit leaves, at least 1. */
  readonly capacity?: number;
  readonly now?: Now;
  readonly sleep?: Sleep;
}

export interface TokenBucket {
  /**
   * Takes one token, waiting for it if needed. Throws BudgetExceededError (without waiting)
   * when the token would only be available after `deadlineMs`, naming `request` (the request
   * the token is for) so the error is complete where it is thrown; rethrows the abort reason if
   * `signal` aborts while waiting.
   */
  take(signal: AbortSignal | undefined, deadlineMs: number, request?: PloomesErrorInit): Promise<{ waitedMs: number }>;
  /**
   * No token is handed out before `atMs` (Ploomes asked to wait, e.g. a 429 with Retry-After):
   * requests running concurrently all hold back instead of each earning its own 429.
   */
  holdUntil(atMs: number): void;
}

export function defaultCapacity(requestsPerMinute: number): number {
  const burst = Math.floor((requestsPerMinute * DEFAULT_BURST_SECONDS) / SECONDS_PER_MINUTE);
  const headroom = Math.floor((ACCOUNT_REQUESTS_PER_MINUTE - requestsPerMinute) / BURSTS_PER_MINUTE);
  return Math.max(1, Math.min(burst, headroom));
}

export function createTokenBucket(options: TokenBucketOptions): TokenBucket {
  const { requestsPerMinute } = options;
  if (!(Number.isFinite(requestsPerMinute) && requestsPerMinute > 0)) {
    throw new RangeError(`token bucket: requestsPerMinute must be > 0, got ${String(requestsPerMinute)}`);
  }
  const capacity = options.capacity ?? defaultCapacity(requestsPerMinute);
  if (!(Number.isFinite(capacity) && capacity >= 1)) {
    throw new RangeError(`token bucket: capacity must be ≥ 1, got ${String(capacity)}`);
  }
  const now = options.now ?? realNow;
  const sleep = options.sleep ?? realSleep;
  const tokensPerMs = requestsPerMinute / MS_PER_MINUTE;

  let tokens = capacity;
  let updatedAt = now();
  let heldUntil = 0;

  const refill = (): number => {
    const at = now();
    // A clock that steps backwards must not drain the bucket.
    tokens = Math.min(capacity, tokens + Math.max(0, at - updatedAt) * tokensPerMs);
    updatedAt = at;
    return at;
  };

  return {
    holdUntil: (atMs) => {
      heldUntil = Math.max(heldUntil, atMs);
    },
    async take(signal, deadlineMs, request = {}) {
      if (signal?.aborted) throw abortReason(signal);
      const at = refill();
      const waitMs = Math.max(tokens >= 1 ? 0 : Math.ceil((1 - tokens) / tokensPerMs), heldUntil - at);
      if (at + waitMs > deadlineMs) {
        throw new BudgetExceededError(
          `the request rate limit (${requestsPerMinute}/min) needs a ${waitMs} ms wait, ` +
            `but the deadline is in ${Math.max(0, deadlineMs - at)} ms`,
          deadlineMs,
          waitMs,
          request,
        );
      }
      // Reserve the token now (the balance may go negative), so concurrent takers queue up
      // behind each other instead of all waking for the same token.
      tokens -= 1;
      if (waitMs === 0) return { waitedMs: 0 };
      try {
        await sleep(waitMs, signal);
      } catch (error) {
        tokens += 1; // the request will not happen: give the reservation back
        throw error;
      }
      return { waitedMs: waitMs };
    },
  };
}
