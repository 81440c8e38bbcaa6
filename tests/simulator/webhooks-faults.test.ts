// Webhook delivery faults, the test devices for a receiver's defences: duplicates, a batch out of
// order, dropped calls, retries after 5xx and network errors (and none after 4xx), and a delay
// that lets later calls overtake. Ordering is asserted from the receiver and the delivery log;
// tests wait with webhooksIdle(), never with sleeps.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Simulator, type WebhookDelivery } from "../../local/ploomes-simulator/index.ts";
import { admin, num, type Rec, startTestSimulator, waitUntil } from "./helpers.ts";
import { closedPort, type Receiver, register, startReceiver } from "./webhooks-receiver.ts";

const DEAL_ID = 590000001;
/** Retries a few ms apart keep the tests fast; the default (1000) would only make them slow. */
const FAST_RETRY_MS = 10;
/** A delay far longer than delivering a call to a local receiver takes. */
const LONG_DELAY_MS = 1000;

let sim: Simulator;
let receiver: Receiver;

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 93, deals: 30 });
  receiver = await startReceiver();
});
afterAll(async () => {
  await sim.stop();
  await receiver.close();
});
beforeEach(async () => {
  await admin(sim, "POST", "/reset");
  receiver.clear();
  sim.insert("deals", { Id: DEAL_ID, Title: "Faults", Amount: 100 });
  await sim.webhooksIdle();
});

const logLines = (): Omit<WebhookDelivery, "at" | "answerMs">[] =>
  sim.webhookDeliveries().map(({ at: _at, answerMs: _answerMs, ...rest }) => rest);
const amounts = (): unknown[] => receiver.calls.map((c) => (c.body.New as Rec | null)?.Amount ?? null);

async function registerUpdates(path = "/update"): Promise<number> {
  return await register(sim, { EntityId: 2, ActionId: 2, CallbackUrl: receiver.url + path, ValidationKey: "k" });
}

describe("webhookDuplicate", () => {
  it("delivers each call twice", async () => {
    await registerUpdates();
    await admin(sim, "PATCH", "/settings", { webhookDuplicate: true });
    await admin(sim, "PATCH", `/deals/${DEAL_ID}`, { Amount: 101 });
    await sim.webhooksIdle();
    expect(amounts()).toEqual([101, 101]);
    expect(receiver.calls[0]?.body).toEqual(receiver.calls[1]?.body);
    expect(logLines()).toEqual([
      { registrationId: 1, dealId: DEAL_ID, action: "update", attempt: 1, status: 200, error: null },
      { registrationId: 1, dealId: DEAL_ID, action: "update", attempt: 1, status: 200, error: null },
    ]);
  });
});

describe("webhookOutOfOrder", () => {
  it("delivers the calls of one batch last first", async () => {
    for (const [action, path] of [[1, "/create"], [2, "/update"], [3, "/delete"]] as const) {
      await register(sim, { EntityId: 2, ActionId: action, CallbackUrl: receiver.url + path, ValidationKey: "k" });
    }
    sim.updateSettings({ webhookOutOfOrder: true });
    // One synchronous run of mutations is one batch.
    sim.insert("deals", { Id: DEAL_ID + 1, Amount: 1 });
    sim.update("deals", DEAL_ID + 1, { Amount: 2 });
    sim.remove("deals", DEAL_ID + 1);
    await sim.webhooksIdle();
    expect(receiver.calls.map((c) => c.path)).toEqual(["/delete", "/update", "/create"]);
    expect(receiver.calls.map((c) => (c.body.Old as Rec | null)?.Amount ?? null)).toEqual([2, 1, null]);
  });

  it("keeps the order when off", async () => {
    await registerUpdates();
    sim.update("deals", DEAL_ID, { Amount: 1 });
    sim.update("deals", DEAL_ID, { Amount: 2 });
    sim.update("deals", DEAL_ID, { Amount: 3 });
    await sim.webhooksIdle();
    expect(amounts()).toEqual([1, 2, 3]);
  });
});

describe("webhookDropEvery", () => {
  it("drops every second call: missing at the receiver, logged as dropped", async () => {
    await registerUpdates();
    await admin(sim, "PATCH", "/settings", { webhookDropEvery: 2 });
    for (const amount of [1, 2, 3, 4]) sim.update("deals", DEAL_ID, { Amount: amount });
    await sim.webhooksIdle();
    expect(amounts()).toEqual([1, 3]);
    const sent = { registrationId: 1, dealId: DEAL_ID, action: "update", attempt: 1, status: 200, error: null };
    const dropped = { ...sent, attempt: 0, status: null, error: "dropped (webhookDropEvery)" };
    expect(logLines()).toEqual([sent, dropped, sent, dropped]);
  });
});

describe("webhookRetries", () => {
  beforeEach(async () => {
    await admin(sim, "PATCH", "/settings", { webhookRetryDelayMs: FAST_RETRY_MS });
  });

  it("retries a 5xx: 500, 500, then 200 is three attempts", async () => {
    await registerUpdates();
    receiver.answerWith(500, 500);
    sim.update("deals", DEAL_ID, { Amount: 7 });
    await sim.webhooksIdle();
    expect(amounts()).toEqual([7, 7, 7]);
    const line = { registrationId: 1, dealId: DEAL_ID, action: "update", error: null };
    expect(logLines()).toEqual([
      { ...line, attempt: 1, status: 500 },
      { ...line, attempt: 2, status: 500 },
      { ...line, attempt: 3, status: 200 },
    ]);
    const [first, , third] = sim.webhookDeliveries();
    expect(num(third?.at) - num(first?.at)).toBeGreaterThanOrEqual(2 * FAST_RETRY_MS - 2);
  });

  it("gives up after webhookRetries retries", async () => {
    await registerUpdates();
    await admin(sim, "PATCH", "/settings", { webhookRetries: 1 });
    receiver.answerWith(503, 503, 503);
    sim.update("deals", DEAL_ID, { Amount: 8 });
    await sim.webhooksIdle();
    expect(logLines().map((l) => [l.attempt, l.status])).toEqual([[1, 503], [2, 503]]);
  });

  it("takes a 4xx as final", async () => {
    await registerUpdates();
    receiver.answerWith(404);
    sim.update("deals", DEAL_ID, { Amount: 9 });
    await sim.webhooksIdle();
    expect(logLines()).toEqual([
      { registrationId: 1, dealId: DEAL_ID, action: "update", attempt: 1, status: 404, error: null },
    ]);
  });

  it("retries a network error, logged with its message and no status", async () => {
    const port = await closedPort();
    await register(sim, {
      EntityId: 2,
      ActionId: 2,
      CallbackUrl: `http://127.0.0.1:${port}/gone`,
      ValidationKey: "k",
    });
    await admin(sim, "PATCH", "/settings", { webhookRetries: 2 });
    sim.update("deals", DEAL_ID, { Amount: 10 });
    await sim.webhooksIdle();
    const lines = logLines();
    expect(lines.map((l) => [l.attempt, l.status])).toEqual([[1, null], [2, null], [3, null]]);
    for (const line of lines) expect(line.error).toContain("ECONNREFUSED");
  });
});

describe("webhookDelayMs", () => {
  it("holds a batch back: a call queued later without delay overtakes it", async () => {
    await registerUpdates();
    await admin(sim, "PATCH", "/settings", { webhookDelayMs: LONG_DELAY_MS });
    await admin(sim, "PATCH", `/deals/${DEAL_ID}`, { Amount: 1 });
    await admin(sim, "PATCH", "/settings", { webhookDelayMs: 0 });
    await admin(sim, "PATCH", `/deals/${DEAL_ID}`, { Amount: 2 });
    await sim.webhooksIdle();
    expect(amounts()).toEqual([2, 1]);
    expect(receiver.calls.map((c) => (c.body.Old as Rec).Amount)).toEqual([1, 100]);
    const [overtaking, delayed] = sim.webhookDeliveries();
    expect(num(delayed?.at)).toBeGreaterThanOrEqual(num(overtaking?.at));
  });

  it("delivers nothing before the delay, even once later mutations went out", async () => {
    await registerUpdates();
    await admin(sim, "PATCH", "/settings", { webhookDelayMs: LONG_DELAY_MS });
    sim.update("deals", DEAL_ID, { Amount: 1 });
    sim.updateSettings({ webhookDelayMs: 0 });
    // Yield once: the batch closes, so the next mutation opens a batch of its own.
    await Promise.resolve();
    sim.update("deals", DEAL_ID, { Amount: 2 });
    // Wait for what is observable: the undelayed call is logged; the delayed one is not sent yet.
    await waitUntil("the undelayed call in the log", () => sim.webhookDeliveries().length > 0);
    expect(amounts()).toEqual([2]);
    expect(logLines()).toHaveLength(1);
    await sim.webhooksIdle();
    expect(amounts()).toEqual([2, 1]);
  });
});

describe("answerMs in the delivery log", () => {
  /** Long enough that a receiver holding its answer this long is measurable on any machine. */
  const HOLD_MS = 150;

  it("is at least as long as the receiver held its answer", async () => {
    await registerUpdates();
    receiver.answerAfter(HOLD_MS);
    sim.update("deals", DEAL_ID, { Amount: 11 });
    await sim.webhooksIdle();
    const [line] = sim.webhookDeliveries();
    expect(line?.status).toBe(200);
    expect(num(line?.answerMs)).toBeGreaterThanOrEqual(HOLD_MS);
  });

  it("is null for a dropped call and for an attempt without an answer", async () => {
    const port = await closedPort();
    await register(sim, { EntityId: 2, ActionId: 2, CallbackUrl: `http://127.0.0.1:${port}/gone`, ValidationKey: "k" });
    await admin(sim, "PATCH", "/settings", { webhookRetries: 0, webhookDropEvery: 2 });
    for (const amount of [12, 13]) sim.update("deals", DEAL_ID, { Amount: amount });
    await sim.webhooksIdle();
    const lines = sim.webhookDeliveries();
    expect(lines.map((l) => [l.attempt, l.status, l.answerMs])).toEqual([[1, null, null], [0, null, null]]);
  });
});
