// Time and cancellation primitives shared by the Ploomes client: injectable clock, sleep and
// timer types (so tests never depend on real time), their real implementations, and a
// hand-written combination of abort signals (AbortSignal.any is not in every runtime we target,
// and older implementations kept listeners alive on long-lived signals).

/** Milliseconds since the epoch, like Date.now(). */
export type Now = () => number;

/** Waits `ms` milliseconds; rejects with the signal's reason as soon as `signal` aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Runs `callback` after `ms` milliseconds; the returned function cancels it. */
export type ScheduleTimeout = (callback: () => void, ms: number) => () => void;

/** Returns the reason to throw for an aborted signal (an AbortError when none was given). */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The operation was aborted", "AbortError");
}

export const realNow: Now = () => Date.now();

export const realScheduleTimeout: ScheduleTimeout = (callback, ms) => {
  const handle = setTimeout(callback, Math.max(0, ms));
  return () => clearTimeout(handle);
};

export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal === undefined) {
      realScheduleTimeout(resolve, ms);
      return;
    }
    if (signal.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      cancel();
      reject(abortReason(signal));
    };
    const cancel = realScheduleTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });

/** A signal that aborts when any of the inputs aborts; `dispose` detaches it from the inputs. */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  readonly controller: AbortController;
  dispose(): void;
}

/**
 * Combines signals by hand: the result aborts (with the same reason) as soon as any input does.
 * Always call `dispose()` when the operation ends, so a long-lived caller signal does not keep
 * one listener per request alive.
 */
export function linkSignals(inputs: readonly (AbortSignal | undefined)[]): LinkedSignal {
  const controller = new AbortController();
  const detachers: (() => void)[] = [];
  for (const input of inputs) {
    if (input === undefined) continue;
    if (input.aborted) {
      controller.abort(abortReason(input));
      break;
    }
    const onAbort = (): void => controller.abort(abortReason(input));
    input.addEventListener("abort", onAbort, { once: true });
    detachers.push(() => input.removeEventListener("abort", onAbort));
  }
  return {
    signal: controller.signal,
    controller,
    dispose: () => {
      for (const detach of detachers) detach();
      detachers.length = 0;
    },
  };
}
