// The counters a Ploomes client keeps for one invocation: requests, retries and what they cost.
// A run records some of them (db/rpc.ts's ClientStats picks them from this type).

export interface ClientStats {
  /** Attempts sent, retries included. */
  requests: number;
  retries: number;
  /** Attempts that had to wait for a token of the rate limit, and how long they waited in all. */
  throttledWaits: number;
  throttleWaitMs: number;
  retryWaitMs: number;
  status429: number;
  timeouts: number;
  networkErrors: number;
}

/** Counters at zero, for a new client. */
export function emptyClientStats(): ClientStats {
  return {
    requests: 0,
    retries: 0,
    throttledWaits: 0,
    throttleWaitMs: 0,
    retryWaitMs: 0,
    status429: 0,
    timeouts: 0,
    networkErrors: 0,
  };
}
