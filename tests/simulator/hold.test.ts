// The `hold` fault: a matching request waits until the test releases it (admin call or in
// process) or until its bound elapses, then is answered normally — with whatever the test changed
// meanwhile. Tests wait for the held count, never for a guessed time.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Simulator, Snapshot } from "../../local/ploomes-simulator/index.ts";
import {
  admin,
  apiGet,
  type ApiResponse,
  fetchSnapshot,
  num,
  type Rec,
  startTestSimulator,
  waitUntil,
} from "./helpers.ts";

let sim: Simulator;
let snap: Snapshot;
/** Short enough for a test, long enough that a release by the admin call cannot be mistaken for it. */
const SHORT_BOUND_MS = 200;
/** setTimeout may fire a millisecond early by the wall clock this test reads. */
const TIMER_SLACK_MS = 5;

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 61, deals: 50 });
  snap = await fetchSnapshot(sim);
});
afterAll(() => sim.stop());
beforeEach(async () => {
  await admin(sim, "POST", "/reset");
});

const schedule = async (spec: Record<string, unknown>) => {
  const { status, json } = await admin(sim, "POST", "/faults", spec);
  expect(status, JSON.stringify(json)).toBe(201);
};

const heldOverHttp = async (): Promise<number> => num(((await admin(sim, "GET", "/faults/held")).json as Rec).held);

/** Starts a request and records when it is answered, without waiting for it. */
function inFlight(
  pathAndQuery: string,
  signal?: AbortSignal,
): { response: Promise<ApiResponse>; isAnswered: () => boolean } {
  let answered = false;
  const sent = signal === undefined
    ? apiGet(sim, pathAndQuery)
    : fetch(sim.url + pathAndQuery, { headers: { "User-Key": sim.apiKey }, signal })
      .then(async (r): Promise<ApiResponse> => ({ status: r.status, headers: r.headers, text: await r.text() }));
  const response = sent.finally(() => {
    answered = true;
  });
  return { response, isAnswered: () => answered };
}

describe("hold", () => {
  it("holds the request until POST /__sim/faults/release, then answers with the data as it is then", async () => {
    const target = snap.deals[0] as Rec;
    await schedule({ kind: "hold" });
    const request = inFlight(`/Deals?$top=1&$select=Id,Title`);
    await waitUntil("one held request", async () => (await heldOverHttp()) === 1);
    expect(request.isAnswered()).toBe(false);

    // A change made while the request waits shows in its answer: the answer is computed after.
    await admin(sim, "PATCH", `/deals/${num(target.Id)}`, { Title: "changed while held" });
    expect((await admin(sim, "POST", "/faults/release")).json).toEqual({ released: 1 });
    const response = await request.response;
    expect(response.status).toBe(200);
    expect((JSON.parse(response.text) as { value: Rec[] }).value).toEqual([{
      Id: target.Id,
      Title: "changed while held",
    }]);
    expect(await heldOverHttp()).toBe(0);
    expect(sim.requests()[0]).toMatchObject({ status: 200, fault: "hold", note: "held until released" });
  });

  it("lets the request go by itself after latencyMs", async () => {
    await schedule({ kind: "hold", latencyMs: SHORT_BOUND_MS });
    const started = Date.now();
    const request = inFlight("/Deals?$top=1&$select=Id");
    await waitUntil("one held request", () => sim.heldCount() === 1);
    const response = await request.response;
    expect(Date.now() - started).toBeGreaterThanOrEqual(SHORT_BOUND_MS - TIMER_SLACK_MS);
    expect(response.status).toBe(200);
    expect((JSON.parse(response.text) as { value: Rec[] }).value).toEqual([{ Id: (snap.deals[0] as Rec).Id }]);
    expect(sim.heldCount()).toBe(0);
    expect(sim.requests()[0]).toMatchObject({
      status: 200,
      fault: "hold",
      note: `held until the ${SHORT_BOUND_MS} ms bound`,
    });
  });

  it("holds `count` requests; only matching ones; releaseHeld lets them all go", async () => {
    await schedule({ kind: "hold", count: 2, match: { path: "/Deals" } });
    const first = inFlight("/Deals?$top=1");
    const second = inFlight("/Deals?$top=2");
    await waitUntil("two held requests", () => sim.heldCount() === 2);
    expect((await apiGet(sim, "/Contacts?$top=1")).status).toBe(200); // not matched: answered at once
    expect(sim.releaseHeld()).toBe(2);
    expect([(await first.response).status, (await second.response).status]).toEqual([200, 200]);
    expect((await apiGet(sim, "/Deals?$top=1")).status).toBe(200); // consumed: no longer held
    expect(sim.releaseHeld()).toBe(0);
  });

  it("reset releases held requests", async () => {
    await schedule({ kind: "hold" });
    const request = inFlight("/Deals?$top=1");
    await waitUntil("one held request", () => sim.heldCount() === 1);
    sim.reset();
    expect(sim.heldCount()).toBe(0);
    expect((await request.response).status).toBe(200);
  });

  it("a client that gives up stops counting as held and is logged as dropped", async () => {
    await schedule({ kind: "hold" });
    const controller = new AbortController();
    const request = inFlight("/Deals?$top=1", controller.signal);
    await waitUntil("one held request", () => sim.heldCount() === 1);
    controller.abort();
    await expect(request.response).rejects.toThrow();
    await waitUntil("the hold to end", () => sim.heldCount() === 0);
    await waitUntil("the log entry", () => sim.requests().length === 1);
    expect(sim.requests()[0]).toMatchObject({ status: 0, fault: "hold" });
  });
});
