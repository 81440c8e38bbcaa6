// Retry policy, pure: which failures are worth retrying, how long to wait (Retry-After first,
// else capped exponential backoff with jitter), and when to give up — including "the wait would
// end after the deadline", so a retry never sleeps past the invocation's time budget.

/** Default number of retries after the first attempt (so 5 attempts in all). */
export const DEFAULT_MAX_RETRIES = 4;
export const DEFAULT_BACKOFF_BASE_MS = 1_000;
export const DEFAULT_BACKOFF_CAP_MS = 30_000;
/**
 * The longest Retry-After honoured within one invocation. A retry never goes out before the
 * server's Retry-After (that only earns another 429); a longer pause ends the invocation instead
 * (partial, resumed by the continuation), as does one that would pass the deadline.
 */
export const RETRY_AFTER_CAP_MS = 120_000;

const MS_PER_SECOND = 1000;
const HTTP_REQUEST_TIMEOUT = 408;
const HTTP_TOO_MANY_REQUESTS = 429;
const HTTP_SERVER_ERROR_MIN = 500;
const HTTP_SERVER_ERROR_MAX = 599;

/** `Retry-After` as delta-seconds. Fractions are tolerated although RFC 9110 says integer. */
const DELTA_SECONDS = /^\d+(?:\.\d+)?$/;
/** `Retry-After` as an IMF-fixdate, e.g. `Wed, 21 Oct 2015 07:28:00 GMT`. */
const IMF_FIXDATE = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * Milliseconds to wait according to a Retry-After header, or null when absent or unreadable
 * (then backoff applies). An HTTP date in the past means "now" (0).
 */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | null {
  if (header === null || header === undefined) return null;
  const value = header.trim();
  if (DELTA_SECONDS.test(value)) return Math.ceil(Number(value) * MS_PER_SECOND);
  if (IMF_FIXDATE.test(value)) {
    const at = Date.parse(value);
    return Number.isFinite(at) ? Math.max(0, at - nowMs) : null;
  }
  return null;
}

export interface BackoffOptions {
  readonly baseMs: number;
  readonly capMs: number;
  /** Uniform in [0, 1), like Math.random. */
  readonly random: () => number;
}

/**
 * Delay before retry number `attempt` (1 = first retry): step = min(cap, base·2^(attempt−1)),
 * then "equal jitter" within that step: half the step fixed, half random. The jitter spreads
 * retries of concurrent requests apart, and the fixed half guarantees the server at least half
 * the step, which matters for a 429 on the account-wide limit. Never negative, never above capMs.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  const step = Math.min(options.capMs, options.baseMs * 2 ** exponent);
  const r = Math.min(Math.max(options.random(), 0), 1);
  const delay = step / 2 + (step / 2) * r;
  return Math.min(options.capMs, Math.floor(delay));
}

/** 408, 429 and every 5xx are transient; other statuses (400/401/403/404/…) fail fast. */
export function isRetryableStatus(status: number): boolean {
  return (
    status === HTTP_REQUEST_TIMEOUT ||
    status === HTTP_TOO_MANY_REQUESTS ||
    (status >= HTTP_SERVER_ERROR_MIN && status <= HTTP_SERVER_ERROR_MAX)
  );
}

export interface RetryInput {
  /** Attempts made so far, counting the one that just failed (≥ 1). */
  readonly attempt: number;
  readonly maxRetries: number;
  /** HTTP status of the failure, or null when there was no HTTP answer (network error, timeout, cut body). */
  readonly status: number | null;
  readonly retryAfterHeader?: string | null;
  readonly nowMs: number;
  readonly deadlineMs: number;
  readonly random: () => number;
  readonly baseMs?: number;
  readonly capMs?: number;
  readonly retryAfterCapMs?: number;
}

export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number; readonly source: "retry-after" | "backoff" }
  | {
    readonly retry: false;
    readonly reason: "not-retryable" | "attempts-exhausted" | "deadline";
    /** The wait that was refused (only for `deadline`). */
    readonly delayMs?: number;
  };

/** Decides whether and when to retry a failed attempt. */
export function nextRetry(input: RetryInput): RetryDecision {
  if (input.status !== null && !isRetryableStatus(input.status)) return { retry: false, reason: "not-retryable" };
  if (input.attempt > input.maxRetries) return { retry: false, reason: "attempts-exhausted" };
  const fromHeader = parseRetryAfter(input.retryAfterHeader, input.nowMs);
  const delayMs = fromHeader === null
    ? backoffDelayMs(input.attempt, {
      baseMs: input.baseMs ?? DEFAULT_BACKOFF_BASE_MS,
      capMs: input.capMs ?? DEFAULT_BACKOFF_CAP_MS,
      random: input.random,
    })
    : fromHeader;
  const tooLong = fromHeader !== null && fromHeader > (input.retryAfterCapMs ?? RETRY_AFTER_CAP_MS);
  if (tooLong || input.nowMs + delayMs > input.deadlineMs) return { retry: false, reason: "deadline", delayMs };
  return { retry: true, delayMs, source: fromHeader === null ? "backoff" : "retry-after" };
}
