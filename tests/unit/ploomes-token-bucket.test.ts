import { describe, expect, it } from "vitest";
import { BudgetExceededError } from "../../supabase/functions/_shared/ploomes/errors.ts";
import { createTokenBucket, defaultCapacity } from "../../supabase/functions/_shared/ploomes/token-bucket.ts";
import { createFakeClock } from "./ploomes-fakes.ts";

const FAR = Number.MAX_SAFE_INTEGER;

describe("token bucket", () => {
  it("serves the burst at once, then one token per 60000/rpm ms", async () => {
    const clock = createFakeClock();
    const bucket = createTokenBucket({ requestsPerMinute: 60, capacity: 2, now: clock.now, sleep: clock.sleep });
    const waits: number[] = [];
    for (let i = 0; i < 5; i += 1) waits.push((await bucket.take(undefined, FAR)).waitedMs);
    // 60/min = one token per 1000 ms; the fake sleep advances the clock by exactly the wait.
    expect(waits).toEqual([0, 0, 1_000, 1_000, 1_000]);
    expect(clock.sleeps).toEqual([1_000, 1_000, 1_000]);
  });

  it("refills with elapsed time, never above capacity", async () => {
    const clock = createFakeClock();
    const bucket = createTokenBucket({ requestsPerMinute: 120, capacity: 3, now: clock.now, sleep: clock.sleep });
    for (let i = 0; i < 3; i += 1) await bucket.take(undefined, FAR);
    clock.advance(250); // 120/min = 1 token per 500 ms → half a token
    expect((await bucket.take(undefined, FAR)).waitedMs).toBe(250);
    clock.advance(60_000);
    // A minute refills far more than 3 tokens, but only 3 are kept: the 4th take waits a full token.
    const waits: number[] = [];
    for (let i = 0; i < 4; i += 1) waits.push((await bucket.take(undefined, FAR)).waitedMs);
    expect(waits).toEqual([0, 0, 0, 500]);
  });

  it("throws BudgetExceededError without waiting when the token comes after the deadline", async () => {
    const clock = createFakeClock();
    const bucket = createTokenBucket({ requestsPerMinute: 60, capacity: 1, now: clock.now, sleep: clock.sleep });
    await bucket.take(undefined, FAR);
    const error = await bucket.take(undefined, clock.now() + 999).then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(BudgetExceededError);
    if (!(error instanceof BudgetExceededError)) return;
    expect(error.kind).toBe("budget");
    expect(error.wantedWaitMs).toBe(1_000);
    expect(clock.sleeps).toEqual([]);
    // The refused take did not consume anything: a later deadline still gets the next token.
    expect((await bucket.take(undefined, clock.now() + 1_000)).waitedMs).toBe(1_000);
  });

  it("rejects with the abort reason and gives the reservation back", async () => {
    const clock = createFakeClock();
    const bucket = createTokenBucket({ requestsPerMinute: 60, capacity: 1, now: clock.now, sleep: clock.sleep });
    await bucket.take(undefined, FAR);
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await expect(bucket.take(controller.signal, FAR)).rejects.toThrow("stop");
    // Had the refused take kept its reservation, the next one would wait two tokens, not one.
    expect((await bucket.take(undefined, FAR)).waitedMs).toBe(1_000);
  });

  it("queues concurrent takers behind each other", async () => {
    // All three ask at the same instant: the clock does not move while they are queued.
    const clock = createFakeClock();
    const sleeps: number[] = [];
    const sleep = async (ms: number): Promise<void> => {
      sleeps.push(ms);
    };
    const bucket = createTokenBucket({ requestsPerMinute: 60, capacity: 1, now: clock.now, sleep });
    const waits = await Promise.all([0, 1, 2].map(() => bucket.take(undefined, FAR).then((r) => r.waitedMs)));
    expect(waits).toEqual([0, 1_000, 2_000]);
    expect(sleeps).toEqual([1_000, 2_000]);
  });

  it("default burst is 5 seconds of refill, within half of what the account's 120/min leaves, at least one", () => {
    expect(defaultCapacity(90)).toBe(7); // floor(90 × 5 / 60) = 7 ≤ (120 − 90) / 2 = 15
    expect(defaultCapacity(100)).toBe(8); // floor(100 × 5 / 60) = 8 ≤ (120 − 100) / 2 = 10
    expect(defaultCapacity(110)).toBe(5); // floor(110 × 5 / 60) = 9, but (120 − 110) / 2 = 5
    expect(defaultCapacity(120)).toBe(1); // the whole account: no burst at all
    expect(defaultCapacity(1)).toBe(1);
  });

  it("rejects nonsense rates", () => {
    expect(() => createTokenBucket({ requestsPerMinute: 0 })).toThrow(RangeError);
    expect(() => createTokenBucket({ requestsPerMinute: 10, capacity: 0.5 })).toThrow(RangeError);
  });
});
