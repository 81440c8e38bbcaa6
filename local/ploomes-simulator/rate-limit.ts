// The per-account rate limit: a sliding window (default 60 s, 120 requests). Ploomes documents
// the budget as shared by every user and integration of an account [doc], so windows are kept per
// account, not per key. Time comes from the injected clock, so tests slide the window by moving
// the clock instead of waiting.

export type Admission = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

export class SlidingWindowLimiter {
  /** Accepted request times per account, oldest first. */
  private readonly windows = new Map<string, number[]>();

  /**
   * Admits a request of `account` at time `now` when fewer than `limit` requests were admitted in
   * the last `windowMs`. A rejected request is recorded only when `countRejected` is set.
   */
  admit(account: string, now: number, limit: number, windowMs: number, countRejected: boolean): Admission {
    const times = this.windows.get(account) ?? [];
    // An entry leaves the window once it is windowMs old: at exactly now − windowMs it no longer counts.
    let expired = 0;
    while (expired < times.length && (times[expired] ?? 0) <= now - windowMs) expired++;
    if (expired > 0) times.splice(0, expired);
    this.windows.set(account, times);
    if (times.length < limit) {
      times.push(now);
      return { allowed: true };
    }
    // The slot frees when the request `limit` places from the end leaves the window.
    const freesAt = (times[times.length - limit] ?? now) + windowMs;
    if (countRejected) times.push(now);
    return { allowed: false, retryAfterMs: Math.max(0, freesAt - now) };
  }

  reset(): void {
    this.windows.clear();
  }
}
