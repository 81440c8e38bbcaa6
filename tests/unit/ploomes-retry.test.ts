import { describe, expect, it } from "vitest";
import {
  backoffDelayMs,
  isRetryableStatus,
  nextRetry,
  parseRetryAfter,
} from "../../supabase/functions/_shared/ploomes/retry.ts";
import type { RetryInput } from "../../supabase/functions/_shared/ploomes/retry.ts";

const NOW = Date.UTC(2024, 4, 2, 12, 0, 0);

describe("parseRetryAfter", () => {
  it("reads delta-seconds", () => {
    expect(parseRetryAfter("7", NOW)).toBe(7_000);
    expect(parseRetryAfter(" 0 ", NOW)).toBe(0);
    expect(parseRetryAfter("1.5", NOW)).toBe(1_500);
  });

  it("reads an HTTP date relative to now; a past date means now", () => {
    expect(parseRetryAfter("Thu, 02 May 2024 12:00:30 GMT", NOW)).toBe(30_000);
    expect(parseRetryAfter("Thu, 02 May 2024 11:59:00 GMT", NOW)).toBe(0);
  });

  it("returns null for absent or unreadable values", () => {
    for (const bad of [null, undefined, "", "soon", "-5", "1e3", "2024-05-02T12:00:30Z", "12:00:30"]) {
      expect(parseRetryAfter(bad, NOW), String(bad)).toBeNull();
    }
  });
});

describe("backoffDelayMs", () => {
  const base = { baseMs: 1_000, capMs: 8_000 };

  it("doubles per attempt up to the cap (equal jitter: between half the step and the step)", () => {
    const low = (attempt: number) => backoffDelayMs(attempt, { ...base, random: () => 0 });
    const high = (attempt: number) => backoffDelayMs(attempt, { ...base, random: () => 0.999999 });
    expect([1, 2, 3, 4, 5, 10].map(low)).toEqual([500, 1_000, 2_000, 4_000, 4_000, 4_000]);
    expect([1, 2, 3, 4, 5, 10].map(high)).toEqual([999, 1_999, 3_999, 7_999, 7_999, 7_999]);
  });

  it("stays within bounds for any random value", () => {
    for (let i = 0; i <= 100; i += 1) {
      const r = i / 100;
      for (const attempt of [1, 2, 3, 4, 8]) {
        const step = Math.min(8_000, 1_000 * 2 ** (attempt - 1));
        const equal = backoffDelayMs(attempt, { ...base, random: () => r });
        expect(equal).toBeGreaterThanOrEqual(step / 2);
        expect(equal).toBeLessThanOrEqual(step);
      }
    }
  });
});

describe("isRetryableStatus", () => {
  it("retries 408, 429 and every 5xx; not 4xx auth/query errors", () => {
    for (const status of [408, 429, 500, 501, 502, 503, 504, 599]) {
      expect(isRetryableStatus(status), String(status)).toBe(true);
    }
    for (const status of [200, 301, 400, 401, 403, 404, 409, 422]) {
      expect(isRetryableStatus(status), String(status)).toBe(false);
    }
  });
});

describe("nextRetry", () => {
  const input = (overrides: Partial<RetryInput>): RetryInput => ({
    attempt: 1,
    maxRetries: 3,
    status: 503,
    nowMs: NOW,
    deadlineMs: NOW + 120_000,
    random: () => 0,
    baseMs: 1_000,
    capMs: 30_000,
    ...overrides,
  });

  it("backs off when there is no Retry-After", () => {
    expect(nextRetry(input({ attempt: 2 }))).toEqual({ retry: true, delayMs: 1_000, source: "backoff" });
  });

  it("retries network errors (no status)", () => {
    expect(nextRetry(input({ status: null }))).toEqual({ retry: true, delayMs: 500, source: "backoff" });
  });

  it("Retry-After wins over backoff and is waited in full, never cut short", () => {
    expect(nextRetry(input({ status: 429, retryAfterHeader: "3" }))).toEqual({
      retry: true,
      delayMs: 3_000,
      source: "retry-after",
    });
    // 61 s: longer than the old 60 s cap, which made the retry earn another 429.
    expect(nextRetry(input({ status: 429, retryAfterHeader: "61", deadlineMs: NOW + 120_000 }))).toEqual({
      retry: true,
      delayMs: 61_000,
      source: "retry-after",
    });
  });

  it("a Retry-After above 120 s ends the invocation instead of being shortened", () => {
    expect(nextRetry(input({ status: 429, retryAfterHeader: "3600", deadlineMs: NOW + 10_000_000 }))).toEqual({
      retry: false,
      reason: "deadline",
      delayMs: 3_600_000,
    });
  });

  it("refuses non-retryable statuses", () => {
    for (const status of [400, 401, 403, 404]) {
      expect(nextRetry(input({ status }))).toEqual({ retry: false, reason: "not-retryable" });
    }
  });

  it("stops after maxRetries", () => {
    expect(nextRetry(input({ attempt: 3 })).retry).toBe(true);
    expect(nextRetry(input({ attempt: 4 }))).toEqual({ retry: false, reason: "attempts-exhausted" });
    expect(nextRetry(input({ attempt: 1, maxRetries: 0 }))).toEqual({ retry: false, reason: "attempts-exhausted" });
  });

  it("never plans a wait that ends after the deadline", () => {
    expect(nextRetry(input({ retryAfterHeader: "10", deadlineMs: NOW + 9_999 }))).toEqual({
      retry: false,
      reason: "deadline",
      delayMs: 10_000,
    });
    expect(nextRetry(input({ retryAfterHeader: "10", deadlineMs: NOW + 10_000 })).retry).toBe(true);
  });
});
