// Webhook delivery: the calls that deal mutations queue (webhooks.ts builds them) go out as HTTP
// POSTs, one at a time, in the order they fall due. A receiver thus sees a deterministic sequence,
// and any disorder comes from the settings that ask for it (webhookOutOfOrder, webhookDuplicate,
// webhookDelayMs, webhookDropEvery) — a test can then tell which defence it exercised. A 5xx, a
// network error or a timeout is retried webhookRetries times, webhookRetryDelayMs apart; every
// attempt, and every dropped call, goes into the delivery log. Nothing here holds up the mutation
// that queued the call.

import { type ClientRequest, request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export type WebhookAction = "create" | "update" | "delete";

/** One line of the delivery log. */
export interface WebhookDelivery {
  readonly registrationId: number;
  readonly dealId: number;
  readonly action: WebhookAction;
  /** 1 for the first try, 2 for the first retry, …; 0 for a call dropped by webhookDropEvery (never sent). */
  readonly attempt: number;
  /** The receiver's HTTP status; null when there is none (network error, timeout, drop). */
  readonly status: number | null;
  /** Why there is no status; null when there is one. */
  readonly error: string | null;
  /** When the attempt was sent, or the call dropped: ms since the epoch by the simulator's now() clock. */
  readonly at: number;
  /**
   * Wall-clock ms from sending to the end of the receiver's answer (the real clock, not now(): a
   * test may freeze the simulator's clock); null for a dropped call or an attempt without an answer.
   */
  readonly answerMs: number | null;
}

/** What one call sends, fixed when the mutation queued it. */
export interface WebhookCall {
  readonly registrationId: number;
  readonly dealId: number;
  readonly action: WebhookAction;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The delivery settings in force when a batch was queued: a later PATCH leaves queued calls as they were. */
export interface DeliveryPolicy {
  readonly duplicate: boolean;
  readonly outOfOrder: boolean;
  readonly delayMs: number;
  readonly dropEvery: number;
  readonly retries: number;
  readonly retryDelayMs: number;
}

/** An attempt without a complete answer by then is given up and counts as a network error. */
export const ATTEMPT_TIMEOUT_MS = 10_000;
/** The `error` of a call webhookDropEvery dropped. */
export const DROPPED_ERROR = "dropped (webhookDropEvery)";
/** From here up the receiver failed and the call is retried; a lower status is final (redirects are not followed). */
const FIRST_RETRIED_STATUS = 500;

interface Batch {
  readonly calls: WebhookCall[];
  readonly policy: DeliveryPolicy;
}
interface Attempt {
  readonly call: WebhookCall;
  /** 1 for the first try; 0 for a dropped call, which takes its turn only to be logged in delivery order. */
  readonly number: number;
  readonly policy: DeliveryPolicy;
}
type Outcome = { readonly status: number; readonly error: null } | { readonly status: null; readonly error: string };
interface Sending {
  readonly outcome: Promise<Outcome>;
  cancel(): void;
}

export class WebhookDispatcher {
  private log: WebhookDelivery[] = [];
  /** The batch still taking calls: the one opened in the current turn of the event loop. */
  private open: Batch | null = null;
  /** Delays and retry waits; all cleared by cancel(), so nothing outlives a reset or a stop. */
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  /** Attempts that are due, sent one at a time, first in first out. */
  private ready: Attempt[] = [];
  private inFlight: Sending | null = null;
  /** Calls handed to delivery since the last reset: what webhookDropEvery counts. */
  private handed = 0;
  private idleWaiters: (() => void)[] = [];
  /** Set by stop(): the simulator is gone, so a mutation made afterwards from code starts no timer. */
  private stopped = false;

  constructor(private readonly env: { readonly now: () => number; readonly logLimit: () => number }) {}

  /** Queues a call; `policy` applies when it opens a new batch, else the open batch's policy does. */
  enqueue(call: WebhookCall, policy: DeliveryPolicy): void {
    if (this.stopped) return;
    if (this.open === null) {
      const batch: Batch = { calls: [], policy };
      this.open = batch;
      // The batch closes as soon as the code that queued it yields: it holds one mutation's calls
      // (a contact rename touches many deals), or those of several mutations made in one go from code.
      queueMicrotask(() => {
        if (this.open === batch) this.open = null;
      });
      this.after(policy.delayMs, () => this.release(batch));
    }
    this.open.calls.push(call);
  }

  deliveries(): WebhookDelivery[] {
    return [...this.log];
  }

  /** Resolves once nothing is waiting (delay, retry), due or in flight. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Forgets every queued call and abandons the one in flight (its outcome is not logged); keeps the log. */
  cancel(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.ready = [];
    this.open = null;
    const sending = this.inFlight;
    this.inFlight = null;
    sending?.cancel();
    this.settleIdle();
  }

  /** cancel(), and nothing queued ever again. */
  stop(): void {
    this.stopped = true;
    this.cancel();
  }

  /** cancel(), an empty log, and webhookDropEvery counting from the start again. */
  reset(): void {
    this.cancel();
    this.log = [];
    this.handed = 0;
  }

  private release(batch: Batch): void {
    const { policy } = batch;
    const calls = policy.duplicate ? batch.calls.flatMap((call) => [call, call]) : [...batch.calls];
    if (policy.outOfOrder) calls.reverse();
    for (const call of calls) {
      this.handed++;
      const dropped = policy.dropEvery > 0 && this.handed % policy.dropEvery === 0;
      this.ready.push({ call, number: dropped ? 0 : 1, policy });
    }
    this.pump();
  }

  /** Sends the next due attempt unless one is in flight. */
  private pump(): void {
    if (this.inFlight !== null) return;
    let next = this.ready.shift();
    while (next?.number === 0) {
      this.record(next.call, 0, { status: null, error: DROPPED_ERROR }, this.env.now(), null);
      next = this.ready.shift();
    }
    if (next === undefined) {
      this.settleIdle();
      return;
    }
    const attempt = next;
    const at = this.env.now();
    const sentAt = performance.now();
    const sending = post(attempt.call);
    this.inFlight = sending;
    void sending.outcome.then((outcome) => {
      // Cancelled by a reset or a stop meanwhile: that attempt no longer exists.
      if (this.inFlight !== sending) return;
      this.inFlight = null;
      const answerMs = outcome.status === null ? null : Math.round((performance.now() - sentAt) * 10) / 10;
      this.record(attempt.call, attempt.number, outcome, at, answerMs);
      const failed = outcome.status === null || outcome.status >= FIRST_RETRIED_STATUS;
      if (failed && attempt.number <= attempt.policy.retries) {
        this.after(attempt.policy.retryDelayMs, () => {
          this.ready.push({ ...attempt, number: attempt.number + 1 });
          this.pump();
        });
      }
      this.pump();
    });
  }

  private record(call: WebhookCall, attempt: number, outcome: Outcome, at: number, answerMs: number | null): void {
    const { registrationId, dealId, action } = call;
    const { status, error } = outcome;
    this.log.push({ registrationId, dealId, action, attempt, status, error, at, answerMs });
    const excess = this.log.length - this.env.logLimit();
    if (excess > 0) this.log.splice(0, excess);
  }

  private after(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
      this.settleIdle();
    }, ms);
    this.timers.add(timer);
  }

  private isIdle(): boolean {
    return this.timers.size === 0 && this.ready.length === 0 && this.inFlight === null;
  }

  private settleIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/**
 * One POST, on a connection of its own (no keep-alive: nothing stays open after it). The outcome
 * never rejects: a failure is an outcome too.
 */
function post(call: WebhookCall): Sending {
  let finish: (outcome: Outcome) => void = () => {};
  let req: ClientRequest | undefined;
  const outcome = new Promise<Outcome>((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let settled = false;
    finish = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    try {
      const url = new URL(call.url);
      const send = url.protocol === "https:" ? httpsRequest : httpRequest;
      req = send(url, {
        method: "POST",
        agent: false,
        headers: {
          "content-type": "application/json; charset=utf-8",
          "content-length": String(Buffer.byteLength(call.body)),
          ...call.headers,
        },
      }, (res) => {
        const status = res.statusCode ?? 0;
        res.on("end", () => finish({ status, error: null }));
        res.on("close", () => {
          if (!res.complete) finish({ status: null, error: "the connection closed before the answer ended" });
        });
        res.resume();
      });
      req.on("error", (error) => finish({ status: null, error: error.message }));
      timer = setTimeout(() => {
        finish({ status: null, error: `no complete answer within ${ATTEMPT_TIMEOUT_MS} ms` });
        req?.destroy();
      }, ATTEMPT_TIMEOUT_MS);
      req.end(call.body);
    } catch (error) {
      finish({ status: null, error: error instanceof Error ? error.message : String(error) });
    }
  });
  return {
    outcome,
    cancel: () => {
      finish({ status: null, error: "cancelled" });
      req?.destroy();
    },
  };
}
