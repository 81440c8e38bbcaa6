// The per-account rate limit with an injected clock: the window slides by moving the clock, so
// nothing here depends on real time. Keys of one account share the budget; other accounts don't.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { admin, apiGet, startTestSimulator } from "./helpers.ts";

const LIMIT = 3;
const WINDOW_MS = 60_000;
const T0 = Date.UTC(2025, 0, 1);
const SECOND_KEY = "A1".repeat(20); // 40 hex characters: a second user of the default account
const OTHER_KEY = "B2".repeat(20);

let sim: Simulator;
let clock = T0;

beforeAll(async () => {
  sim = await startTestSimulator({
    seed: 61,
    deals: 20,
    rpm: LIMIT,
    now: () => clock,
    keys: [{ key: SECOND_KEY, account: "simulated-account" }, { key: OTHER_KEY, account: "other-account" }],
  });
});
afterAll(() => sim.stop());
beforeEach(async () => {
  await admin(sim, "POST", "/reset");
  clock = T0;
});

const status = async (key: string = sim.apiKey) => (await apiGet(sim, "/Deals?$top=1&$select=Id", key)).status;

describe("sliding window per account", () => {
  it("answers 429 once the account used its requests in the window", async () => {
    for (let i = 0; i < LIMIT; i++) {
      clock = T0 + i * 10_000;
      expect(await status()).toBe(200);
    }
    clock = T0 + 59_999;
    expect(await status()).toBe(429);
    const log = sim.requests();
    expect(log.map((e) => e.status)).toEqual([200, 200, 200, 429]);
    expect(log[3]?.account).toBe("simulated-account");
  });

  it("lets requests through again as old ones slide out of the window", async () => {
    for (let i = 0; i < LIMIT; i++) {
      clock = T0 + i * 10_000; // requests at 0 s, 10 s, 20 s
      await status();
    }
    clock = T0 + WINDOW_MS; // the 0 s request has left the window: one slot
    expect(await status()).toBe(200);
    expect(await status()).toBe(429);
    clock = T0 + WINDOW_MS + 10_000; // the 10 s request has left too
    expect(await status()).toBe(200);
    expect(await status()).toBe(429);
  });

  it("shares the budget among the keys of one account, not with other accounts", async () => {
    expect(await status(sim.apiKey)).toBe(200);
    expect(await status(SECOND_KEY)).toBe(200);
    expect(await status(sim.apiKey)).toBe(200);
    expect(await status(SECOND_KEY)).toBe(429);
    expect(await status(sim.apiKey)).toBe(429);
    expect(await status(OTHER_KEY)).toBe(200);
  });

  it("does not count rejected requests by default, but can", async () => {
    for (let i = 0; i < LIMIT; i++) await status();
    for (let i = 0; i < 5; i++) expect(await status()).toBe(429);
    clock = T0 + WINDOW_MS;
    expect(await status()).toBe(200);

    await admin(sim, "POST", "/reset");
    await admin(sim, "PATCH", "/settings", { countRejectedRequests: true });
    clock = T0;
    for (let i = 0; i < LIMIT; i++) await status();
    clock = T0 + 30_000;
    for (let i = 0; i < LIMIT; i++) expect(await status()).toBe(429); // each recorded at 30 s
    clock = T0 + WINDOW_MS;
    expect(await status()).toBe(429); // the 0 s requests left, but the 30 s rejections fill the window
  });

  it("never counts admin calls or unauthenticated requests", async () => {
    for (let i = 0; i < 10; i++) expect((await admin(sim, "GET", "/settings")).status).toBe(200);
    for (let i = 0; i < 10; i++) expect(await status("not-a-key")).toBe(401);
    for (let i = 0; i < LIMIT; i++) expect(await status()).toBe(200);
  });
});

describe("Retry-After on 429", () => {
  const exhaust = async () => {
    for (let i = 0; i < LIMIT; i++) {
      clock = T0 + i * 1000;
      await status();
    }
  };

  it("is absent by default", async () => {
    await exhaust();
    const response = await apiGet(sim, "/Deals?$top=1");
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBeNull();
  });

  it("gives the seconds until a slot frees when retryAfter=seconds", async () => {
    await admin(sim, "PATCH", "/settings", { retryAfter: "seconds" });
    await exhaust();
    clock = T0 + 15_500; // the first request (at 0 s) leaves the window at 60 s: 44.5 s → 45
    const response = await apiGet(sim, "/Deals?$top=1");
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("45");
  });

  it("gives an HTTP date when retryAfter=httpDate", async () => {
    await admin(sim, "PATCH", "/settings", { retryAfter: "httpDate" });
    await exhaust();
    const response = await apiGet(sim, "/Deals?$top=1");
    expect(response.headers.get("retry-after")).toBe(new Date(T0 + WINDOW_MS).toUTCString());
  });

  it("follows a limit changed at run time", async () => {
    await admin(sim, "PATCH", "/settings", { rateLimitPerMinute: 1 });
    expect(await status()).toBe(200);
    expect(await status()).toBe(429);
  });
});
