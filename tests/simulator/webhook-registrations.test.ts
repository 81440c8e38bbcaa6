// `npm run webhooks` against the simulator's /Webhooks: register creates one registration per deal
// action and reuses them the next time, list shows them, remove deletes only this project's.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../local/ploomes-simulator/index.ts";
import {
  DEFAULT_ACTION_IDS,
  listRegistrations,
  parseActionIds,
  registerWebhooks,
  removeWebhooks,
  type WebhookTarget,
} from "../../scripts/lib/webhook-registrations.ts";

let sim: Simulator;
const CALLBACK = "https://project.example.supabase.co/functions/v1/ploomes-webhook";

function target(overrides: Partial<WebhookTarget> = {}): WebhookTarget {
  return {
    ploomesBaseUrl: sim.url,
    apiKey: sim.apiKey,
    callbackUrl: CALLBACK,
    validationKey: "k".repeat(40),
    dealEntityId: 2,
    actionIds: DEFAULT_ACTION_IDS,
    ...overrides,
  };
}

beforeAll(async () => {
  sim = await startSimulator({ port: 0, seed: 3, contacts: 5, products: 3, deals: 10 });
});
beforeEach(() => sim.reset());
afterAll(() => sim.stop());

describe("registerWebhooks", () => {
  it("registers deal create, update and delete once, and reuses them when run again", async () => {
    expect(await registerWebhooks(target())).toEqual([
      { action: "create", id: 1, created: true },
      { action: "update", id: 2, created: true },
      { action: "delete", id: 3, created: true },
    ]);
    expect(await registerWebhooks(target())).toEqual([
      { action: "create", id: 1, created: false },
      { action: "update", id: 2, created: false },
      { action: "delete", id: 3, created: false },
    ]);
    expect(await listRegistrations(target())).toEqual([
      { Id: 1, EntityId: 2, ActionId: 1, CallbackUrl: CALLBACK },
      { Id: 2, EntityId: 2, ActionId: 2, CallbackUrl: CALLBACK },
      { Id: 3, EntityId: 2, ActionId: 3, CallbackUrl: CALLBACK },
    ]);
  });

  it("remove deletes this project's registrations and leaves another callback's", async () => {
    await registerWebhooks(target({ callbackUrl: "https://other.example/hook" }));
    await registerWebhooks(target());
    expect(await removeWebhooks(target())).toEqual([4, 5, 6]);
    expect((await listRegistrations(target())).map((r) => r.CallbackUrl)).toEqual([
      "https://other.example/hook",
      "https://other.example/hook",
      "https://other.example/hook",
    ]);
  });

  it("a wrong User-Key is an error that names the variables to check", async () => {
    await expect(registerWebhooks(target({ apiKey: "not-a-key" }))).rejects.toThrow(
      /^Ploomes GET \/Webhooks → 401: .*; check PLOOMES_API_KEY and PLOOMES_BASE_URL$/,
    );
  });
});

describe("parseActionIds", () => {
  it("reads action=id pairs", () => {
    expect(parseActionIds("delete=30, create=10,update=20")).toEqual({ create: 10, update: 20, delete: 30 });
  });

  it("names a malformed pair and a missing action", () => {
    expect(() => parseActionIds("create=1,update=x,delete=3")).toThrow(
      'PLOOMES_WEBHOOK_ACTION_IDS: "update=x" is not action=id (e.g. create=1,update=2,delete=3)',
    );
    expect(() => parseActionIds("create=1,update=2")).toThrow("PLOOMES_WEBHOOK_ACTION_IDS lacks delete");
  });
});
