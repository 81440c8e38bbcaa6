// Webhook registrations through the API: POST, GET and DELETE /Webhooks with the User-Key, per
// account, in the OData error shape, counted by the rate limit and logged like every API request.
// Deliveries are in webhooks-delivery.test.ts and webhooks-faults.test.ts.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { admin, startTestSimulator } from "./helpers.ts";
import { register, webhooksRequest } from "./webhooks-receiver.ts";

const OTHER_KEY = "C3".repeat(20);
const HOOK = { EntityId: 2, ActionId: 1, CallbackUrl: "http://127.0.0.1:9/hook", ValidationKey: "k-1" };

let sim: Simulator;

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 81, deals: 20, keys: [{ key: OTHER_KEY, account: "other-account" }] });
});
afterAll(() => sim.stop());
beforeEach(async () => {
  await admin(sim, "POST", "/reset");
});

describe("registration CRUD", () => {
  it("POST answers the registration without its key, with Ids from 1", async () => {
    const first = await webhooksRequest(sim, "POST", "/Webhooks", HOOK);
    expect(first.status).toBe(200);
    expect(first.text).toBe('{"value":[{"Id":1,"EntityId":2,"ActionId":1,"CallbackUrl":"http://127.0.0.1:9/hook"}]}');
    const second = await webhooksRequest(sim, "POST", "/Webhooks", {
      EntityId: 2,
      ActionId: 3,
      CallbackUrl: "https://receiver.example/ploomes?x=1",
      ValidationKey: "k-2",
      Active: true,
    });
    expect(second.json).toEqual({
      value: [{ Id: 2, EntityId: 2, ActionId: 3, CallbackUrl: "https://receiver.example/ploomes?x=1" }],
    });
  });

  it("GET lists the account's registrations, DELETE removes one (204), then 404", async () => {
    await register(sim, HOOK);
    await register(sim, { ...HOOK, ActionId: 2, ValidationKey: "k-2" });
    const listed = await webhooksRequest(sim, "GET", "/Webhooks");
    expect(listed.status).toBe(200);
    expect(listed.json).toEqual({
      value: [
        { Id: 1, EntityId: 2, ActionId: 1, CallbackUrl: "http://127.0.0.1:9/hook" },
        { Id: 2, EntityId: 2, ActionId: 2, CallbackUrl: "http://127.0.0.1:9/hook" },
      ],
    });
    expect(await webhooksRequest(sim, "GET", "/Webhooks(2)")).toMatchObject({
      status: 200,
      json: { value: [{ Id: 2, EntityId: 2, ActionId: 2, CallbackUrl: "http://127.0.0.1:9/hook" }] },
    });

    const deleted = await webhooksRequest(sim, "DELETE", "/Webhooks(1)");
    expect(deleted).toEqual({ status: 204, text: "", json: null });
    expect((await webhooksRequest(sim, "GET", "/Webhooks")).json).toEqual({
      value: [{ Id: 2, EntityId: 2, ActionId: 2, CallbackUrl: "http://127.0.0.1:9/hook" }],
    });
    const again = await webhooksRequest(sim, "DELETE", "/Webhooks(1)");
    expect(again.status).toBe(404);
    expect(again.text).toBe(
      `{"error":{"code":"","message":"No HTTP resource was found that matches the request URI '/Webhooks(1)'."}}`,
    );
    expect((await webhooksRequest(sim, "GET", "/Webhooks(1)")).status).toBe(404);
    expect((await webhooksRequest(sim, "DELETE", "/Webhooks(99)")).status).toBe(404);
  });

  it("keeps registrations per account: another account neither sees nor deletes them", async () => {
    await register(sim, HOOK);
    expect((await webhooksRequest(sim, "GET", "/Webhooks", undefined, OTHER_KEY)).text).toBe('{"value":[]}');
    expect((await webhooksRequest(sim, "DELETE", "/Webhooks(1)", undefined, OTHER_KEY)).status).toBe(404);
    const other = await webhooksRequest(sim, "POST", "/Webhooks", { ...HOOK, ValidationKey: "k-other" }, OTHER_KEY);
    expect(other.json).toEqual({
      value: [{ Id: 2, EntityId: 2, ActionId: 1, CallbackUrl: "http://127.0.0.1:9/hook" }],
    });
    expect((await webhooksRequest(sim, "GET", "/Webhooks")).json).toEqual({
      value: [{ Id: 1, EntityId: 2, ActionId: 1, CallbackUrl: "http://127.0.0.1:9/hook" }],
    });
  });

  it("reset drops every registration and starts the Ids at 1 again", async () => {
    await register(sim, HOOK);
    await register(sim, HOOK);
    await admin(sim, "POST", "/reset");
    expect((await webhooksRequest(sim, "GET", "/Webhooks")).text).toBe('{"value":[]}');
    expect(await register(sim, HOOK)).toBe(1);
    sim.reset();
    expect(await register(sim, HOOK)).toBe(1);
  });

  it("answers 405 for a verb the path does not take", async () => {
    const patch = await webhooksRequest(sim, "PATCH", "/Webhooks(1)", { CallbackUrl: "http://x.example/" });
    expect(patch.status).toBe(405);
    expect(patch.text).toBe(
      `{"error":{"code":"","message":"The requested resource does not support http method 'PATCH'."}}`,
    );
    expect((await webhooksRequest(sim, "DELETE", "/Webhooks")).status).toBe(405);
    expect((await webhooksRequest(sim, "POST", "/Webhooks(1)", HOOK)).status).toBe(405);
  });
});

describe("400 for a malformed registration", () => {
  const message = (text: string) => JSON.stringify({ error: { code: "", message: text } });

  it.each([
    ["a body that is not JSON", "{EntityId: 2", "The request body is not valid JSON."],
    [
      "an array",
      [HOOK],
      "The request body must be a JSON object {EntityId, ActionId, CallbackUrl, ValidationKey}.",
    ],
    [
      "an empty body",
      "",
      "The request body must be a JSON object {EntityId, ActionId, CallbackUrl, ValidationKey}.",
    ],
    [
      "an empty object",
      {},
      "Invalid webhook: EntityId is required; ActionId is required; CallbackUrl is required; ValidationKey is required.",
    ],
    [
      "wrong types",
      { EntityId: "2", ActionId: 1.5, CallbackUrl: 42, ValidationKey: 7 },
      "Invalid webhook: EntityId must be a positive integer; ActionId must be a positive integer; " +
      "CallbackUrl must be an absolute http or https URL; " +
      "ValidationKey must be a string without line breaks or control characters.",
    ],
    [
      "an ftp URL",
      { ...HOOK, CallbackUrl: "ftp://127.0.0.1/hook" },
      "Invalid webhook: CallbackUrl must be an absolute http or https URL.",
    ],
    [
      "a relative URL",
      { ...HOOK, CallbackUrl: "/hook" },
      "Invalid webhook: CallbackUrl must be an absolute http or https URL.",
    ],
    [
      "ids of zero and below",
      { ...HOOK, EntityId: 0, ActionId: -1 },
      "Invalid webhook: EntityId must be a positive integer; ActionId must be a positive integer.",
    ],
    [
      "a key with a line break",
      { ...HOOK, ValidationKey: "a\nb" },
      "Invalid webhook: ValidationKey must be a string without line breaks or control characters.",
    ],
  ])("%s", async (_name, body, expected) => {
    const answer = await webhooksRequest(sim, "POST", "/Webhooks", body);
    expect(answer.status).toBe(400);
    expect(answer.text).toBe(message(expected));
    expect((await webhooksRequest(sim, "GET", "/Webhooks")).text).toBe('{"value":[]}');
  });
});

describe("same front as the other API endpoints", () => {
  it("refuses a missing or unknown User-Key with the auth failure answer", async () => {
    const refused = '{"error":{"code":"","message":"Authorization has been denied for this request."}}';
    const missing = await webhooksRequest(sim, "POST", "/Webhooks", HOOK, null);
    expect(missing.status).toBe(401);
    expect(missing.text).toBe(refused);
    const unknown = await webhooksRequest(sim, "GET", "/Webhooks", undefined, "D4".repeat(20));
    expect(unknown.status).toBe(401);
    expect(unknown.text).toBe(refused);
  });

  it("counts toward the account's rate limit", async () => {
    sim.updateSettings({ rateLimitPerMinute: 2 });
    expect((await webhooksRequest(sim, "POST", "/Webhooks", HOOK)).status).toBe(200);
    expect((await webhooksRequest(sim, "GET", "/Webhooks")).status).toBe(200);
    const limited = await webhooksRequest(sim, "DELETE", "/Webhooks(1)");
    expect(limited.status).toBe(429);
    expect(limited.text).toBe('{"error":{"code":"","message":"Too many requests"}}');
    expect((await webhooksRequest(sim, "GET", "/Deals?$top=1")).status).toBe(429);
  });

  it("logs each request like any API request", async () => {
    await register(sim, HOOK);
    await webhooksRequest(sim, "DELETE", "/Webhooks(1)");
    await webhooksRequest(sim, "POST", "/Webhooks", {});
    expect(sim.requests().map(({ method, url, status, account }) => ({ method, url, status, account }))).toEqual([
      { method: "POST", url: "/Webhooks", status: 200, account: "simulated-account" },
      { method: "DELETE", url: "/Webhooks(1)", status: 204, account: "simulated-account" },
      { method: "POST", url: "/Webhooks", status: 400, account: "simulated-account" },
    ]);
  });

  it("still answers 405 for writes to the data sets", async () => {
    expect((await webhooksRequest(sim, "POST", "/Deals", { Title: "x" })).status).toBe(405);
  });
});
