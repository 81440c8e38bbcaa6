// Test doubles for the Ploomes client: a fake clock whose sleeps advance time instantly, a
// controllable timer for request timeouts, and a scripted fetch that records every request.
// Nothing here waits on real time.

export interface FakeClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  advance(ms: number): void;
  /** Every sleep requested, in order. */
  readonly sleeps: number[];
}

export function createFakeClock(startMs = Date.UTC(2024, 4, 2, 12, 0, 0)): FakeClock {
  let current = startMs;
  const sleeps: number[] = [];
  return {
    now: () => current,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      current += ms;
    },
    advance: (ms) => {
      current += ms;
    },
    sleeps,
  };
}

/** Timers that only fire when the test says so. */
export interface ManualTimers {
  schedule(callback: () => void, ms: number): () => void;
  /** Fires every pending timer (as if its time had come). */
  fireAll(): void;
  readonly scheduledMs: number[];
  pending(): number;
}

export function createManualTimers(): ManualTimers {
  const pending = new Map<number, () => void>();
  const scheduledMs: number[] = [];
  let nextId = 0;
  return {
    schedule: (callback, ms) => {
      const id = nextId;
      nextId += 1;
      pending.set(id, callback);
      scheduledMs.push(ms);
      return () => {
        pending.delete(id);
      };
    },
    fireAll: () => {
      const callbacks = [...pending.values()];
      pending.clear();
      for (const callback of callbacks) callback();
    },
    scheduledMs,
    pending: () => pending.size,
  };
}

export interface RecordedRequest {
  readonly url: string;
  readonly headers: Headers;
  readonly method: string;
  /** The fetch `redirect` mode the client asked for. */
  readonly redirect: RequestRedirect | undefined;
}

export type Step = (request: RecordedRequest, signal: AbortSignal | undefined) => Promise<Response>;

/** A fetch that answers with `steps` in order (the last one repeats) and records requests. */
export function scriptedFetch(steps: readonly Step[]): {
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  requests: RecordedRequest[];
} {
  const requests: RecordedRequest[] = [];
  return {
    requests,
    fetch: async (url, init) => {
      const request = {
        url,
        headers: new Headers(init.headers),
        method: init.method ?? "GET",
        redirect: init.redirect,
      };
      requests.push(request);
      const step = steps[Math.min(requests.length - 1, steps.length - 1)];
      if (step === undefined) throw new Error("scriptedFetch: no steps");
      return step(request, init.signal ?? undefined);
    },
  };
}

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Step => async () =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

export const text = (body: string, status: number, headers: Record<string, string> = {}): Step => async () =>
  new Response(body, { status, headers });

export const networkError = (message = "fetch failed"): Step => async () => {
  throw new TypeError(message);
};

/** Never answers; rejects when the request's signal aborts (after firing the timers). */
export const hang = (timers: ManualTimers): Step => (_request, signal) =>
  new Promise<Response>((_resolve, reject) => {
    if (signal === undefined) {
      reject(new Error("hang: request has no signal"));
      return;
    }
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    timers.fireAll();
  });
