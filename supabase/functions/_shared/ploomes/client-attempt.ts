// One attempt of a Ploomes GET: send it with the User-Key under a timeout linked to the caller's
// signal, read the whole body, and classify the outcome (response.ts) as a page or a Failure the
// client may retry. The retry loop, throttling and deadline policy stay in client.ts.

import { BudgetExceededError, PloomesNetworkError, PloomesTimeoutError } from "./errors.ts";
import type { PloomesErrorInit } from "./errors.ts";
import type { ClientStats } from "./client-stats.ts";
import { redactSecret } from "./redact.ts";
import { describeThrown, interpretResponse } from "./response.ts";
import type { Failure, PageResponse } from "./response.ts";
import { abortReason, linkSignals } from "./timing.ts";
import type { Now, ScheduleTimeout } from "./timing.ts";

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface AttemptOptions {
  readonly fetch: FetchLike;
  readonly apiKey: string;
  readonly requestTimeoutMs: number;
  readonly now: Now;
  readonly scheduleTimeout: ScheduleTimeout;
  /** The client's counters: an attempt counts its timeouts and network errors. */
  readonly stats: ClientStats;
}

export interface AttemptRequest {
  readonly url: string;
  /** This attempt's number (1 = first), for the error it may throw at once. */
  readonly attempt: number;
  readonly signal: AbortSignal | undefined;
  /** Epoch ms after which the request may not still be running. */
  readonly deadlineMs: number;
  /** The error context of this request for a given number of attempts. */
  readonly context: (attempts: number) => PloomesErrorInit;
}

export type AttemptOutcome = { page: PageResponse } | Failure;

/** Returns the function that makes one attempt; it throws only for a caller's abort or no time left. */
export function createAttempt(options: AttemptOptions): (request: AttemptRequest) => Promise<AttemptOutcome> {
  const { stats, apiKey } = options;
  const scrub = (text: string): string => redactSecret(text, apiKey);

  return async ({ url, attempt, signal, deadlineMs, context }) => {
    const startedAt = options.now();
    const remainingMs = deadlineMs - startedAt;
    if (remainingMs <= 0) {
      throw new BudgetExceededError("no time left to send the request", deadlineMs, 0, context(attempt));
    }
    // The per-request timeout never outlives the deadline; when the deadline is what cut the
    // request short, it is a budget stop, not a Ploomes timeout.
    const timeoutMs = Math.min(options.requestTimeoutMs, remainingMs);
    const cutByDeadline = timeoutMs < options.requestTimeoutMs;
    const linked = linkSignals([signal]);
    let timedOut = false;
    const cancelTimer = options.scheduleTimeout(() => {
      timedOut = true;
      linked.controller.abort(new DOMException(`no response within ${timeoutMs} ms`, "TimeoutError"));
    }, timeoutMs);

    const thrown = (error: unknown): Failure => {
      if (signal?.aborted) throw abortReason(signal); // the caller cancelled: never retry
      if (timedOut) {
        stats.timeouts += 1;
        return {
          retryStatus: null,
          retryAfter: null,
          label: "timeout",
          final: cutByDeadline,
          toError: (attempts) =>
            cutByDeadline
              ? new BudgetExceededError(
                `the request was still running at the deadline (${timeoutMs} ms)`,
                deadlineMs,
                0,
                context(attempts),
              )
              : new PloomesTimeoutError(timeoutMs, context(attempts)),
        };
      }
      stats.networkErrors += 1;
      const message = scrub(describeThrown(error));
      return {
        retryStatus: null,
        retryAfter: null,
        label: "network error",
        final: false,
        toError: (attempts) => new PloomesNetworkError(message, { ...context(attempts), cause: error }),
      };
    };

    try {
      let response: Response;
      try {
        response = await options.fetch(url, {
          method: "GET",
          headers: { "User-Key": apiKey, Accept: "application/json" },
          // A redirect would carry the User-Key to wherever it points: answered as an error.
          redirect: "manual",
          signal: linked.signal,
        });
      } catch (error) {
        return thrown(error);
      }
      let body: string;
      try {
        body = scrub(await response.text());
      } catch (error) {
        return thrown(error);
      }
      return interpretResponse(url, response, body, context);
    } finally {
      cancelTimer();
      linked.dispose();
    }
  };
}
