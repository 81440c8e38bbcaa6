// whileBeating: beats the lease every leaseSeconds / 3 while `work` runs, on manual timers that
// only fire when the test says so; stops once work settles; a lost lease calls onLost and stops;
// any other failed beat calls onFailedBeat and keeps beating.
import { describe, expect, it } from "vitest";
import { whileBeating } from "../../supabase/functions/_shared/sync/heartbeat.ts";
import type { HeartbeatOptions } from "../../supabase/functions/_shared/sync/heartbeat.ts";
import { createManualTimers } from "./ploomes-fakes.ts";

/** Lets every pending promise callback run (no clock involved). */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

class LeaseLost extends Error {}

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => {};
  let reject: (reason: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Options on manual timers; `beats` answers each beat in turn (default: succeed). */
function harness(leaseSeconds: number, beats: readonly (() => Promise<void>)[] = []) {
  const timers = createManualTimers();
  const log: string[] = [];
  let beatCount = 0;
  const options: HeartbeatOptions = {
    leaseSeconds,
    beat: () => {
      beatCount += 1;
      log.push(`beat ${beatCount}`);
      return beats[beatCount - 1]?.() ?? Promise.resolve();
    },
    isLeaseLost: (error) => error instanceof LeaseLost,
    onLost: (error) => log.push(`lost: ${(error as Error).message}`),
    onFailedBeat: (error) => log.push(`failed: ${(error as Error).message}`),
    schedule: timers.schedule,
  };
  return { timers, log, options, beats: () => beatCount };
}

describe("whileBeating", () => {
  it("arms a beat every leaseSeconds × 1000 / 3 ms while the work runs, and returns its result", async () => {
    const { timers, options, beats } = harness(60);
    const work = deferred<string>();
    const result = whileBeating(options, () => work.promise);
    expect(timers.scheduledMs).toEqual([20_000]);
    expect(beats()).toBe(0);

    for (let beat = 1; beat <= 3; beat += 1) {
      timers.fireAll();
      expect(beats()).toBe(beat);
      await flush();
      expect(timers.pending()).toBe(1); // re-armed once the beat succeeded
    }
    expect(timers.scheduledMs).toEqual([20_000, 20_000, 20_000, 20_000]);

    work.resolve("page");
    await expect(result).resolves.toBe("page");
    expect(timers.pending()).toBe(0);
  });

  it("uses the exact third of an odd lease", async () => {
    const { timers, options } = harness(10);
    await whileBeating(options, async () => "done");
    expect(timers.scheduledMs).toEqual([10_000 / 3]);
  });

  it("never beats when the work settles before the first interval", async () => {
    const { timers, options, beats } = harness(30);
    await expect(whileBeating(options, async () => 42)).resolves.toBe(42);
    expect(timers.pending()).toBe(0);
    timers.fireAll();
    await flush();
    expect(beats()).toBe(0);
  });

  it("stops beating when the work fails, and passes its error on", async () => {
    const { timers, options, beats } = harness(30);
    const work = deferred<never>();
    const result = whileBeating(options, () => work.promise);
    timers.fireAll();
    await flush();
    expect(beats()).toBe(1);
    work.reject(new Error("Ploomes 401"));
    await expect(result).rejects.toThrow("Ploomes 401");
    expect(timers.pending()).toBe(0);
  });

  it("a beat still in flight when the work settles does not re-arm", async () => {
    const inFlight = deferred<void>();
    const { timers, options, beats } = harness(30, [() => inFlight.promise]);
    const work = deferred<string>();
    const result = whileBeating(options, () => work.promise);
    timers.fireAll();
    expect(beats()).toBe(1);
    work.resolve("page");
    await result;
    inFlight.resolve();
    await flush();
    expect(timers.pending()).toBe(0);
    expect(timers.scheduledMs).toHaveLength(1);
  });

  it("a lost lease calls onLost once and stops beating; aborting the work is onLost's job", async () => {
    const { timers, log, options } = harness(30, [() => Promise.reject(new LeaseLost("run 8 took over"))]);
    const abort = new AbortController();
    const lostOptions: HeartbeatOptions = {
      ...options,
      onLost: (error) => {
        options.onLost(error);
        abort.abort(error);
      },
    };
    const result = whileBeating(
      lostOptions,
      () =>
        new Promise<never>((_resolve, reject) =>
          abort.signal.addEventListener("abort", () => reject(abort.signal.reason))
        ),
    );
    timers.fireAll();
    await expect(result).rejects.toThrow("run 8 took over");
    expect(log).toEqual(["beat 1", "lost: run 8 took over"]);
    expect(timers.pending()).toBe(0);
    expect(timers.scheduledMs).toHaveLength(1);
  });

  it("another failed beat calls onFailedBeat and the next beat is armed as usual", async () => {
    const { timers, log, options } = harness(30, [
      () => Promise.reject(new Error("network down")),
      () => Promise.resolve(),
      () => Promise.reject(new Error("timeout")),
    ]);
    const work = deferred<string>();
    const result = whileBeating(options, () => work.promise);
    for (let beat = 0; beat < 4; beat += 1) {
      timers.fireAll();
      await flush();
      expect(timers.pending()).toBe(1);
    }
    expect(log).toEqual(["beat 1", "failed: network down", "beat 2", "beat 3", "failed: timeout", "beat 4"]);
    expect(timers.scheduledMs).toEqual([10_000, 10_000, 10_000, 10_000, 10_000]);
    work.resolve("page");
    await expect(result).resolves.toBe("page");
    expect(timers.pending()).toBe(0);
  });
});
