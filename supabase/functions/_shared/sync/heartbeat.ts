// Keeps a run's lease alive while it waits on Ploomes — the token bucket, a backoff, a
// `Retry-After: 61`, a slow answer. The lease outlives a silent holder by only two request
// timeouts; without beats during a long wait the continuation job would take over a live run and
// a second caller of Ploomes would start. A beat that finds the lease lost stops the wait at once
// (the run must not go on writing); any other failed beat is logged and the next one retries.
import type { ScheduleTimeout } from "../ploomes/timing.ts";

/** Beats per lease period: one lost beat still leaves two chances before the lease expires. */
export const BEATS_PER_LEASE = 3;

export interface HeartbeatOptions {
  readonly leaseSeconds: number;
  /** Extends the lease; rejects when the database refuses. */
  readonly beat: () => Promise<void>;
  /** True for the error that means another run holds the lease now. */
  readonly isLeaseLost: (error: unknown) => boolean;
  /** The lease is gone: abort whatever waits. */
  readonly onLost: (error: unknown) => void;
  /** A beat failed for another reason (network, timeout): reported, not fatal. */
  readonly onFailedBeat: (error: unknown) => void;
  readonly schedule: ScheduleTimeout;
}

/** Runs `work` while beating every leaseSeconds / BEATS_PER_LEASE; stops beating when it settles. */
export async function whileBeating<T>(options: HeartbeatOptions, work: () => Promise<T>): Promise<T> {
  const intervalMs = (options.leaseSeconds * 1000) / BEATS_PER_LEASE;
  let stopped = false;
  let cancel: () => void = () => {};
  const arm = (): void => {
    if (!stopped) cancel = options.schedule(tick, intervalMs);
  };
  const tick = (): void => {
    options.beat().then(arm, (error: unknown) => {
      if (options.isLeaseLost(error)) {
        options.onLost(error);
        return;
      }
      options.onFailedBeat(error);
      arm();
    });
  };
  arm();
  try {
    return await work();
  } finally {
    stopped = true;
    cancel();
  }
}
