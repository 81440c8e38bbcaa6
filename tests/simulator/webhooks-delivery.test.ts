// Webhook deliveries to a local receiver: deal mutations made through the admin API and through
// the in-process Simulator reach exactly the registrations for the deal entity and that action,
// with New/Old as the values the test wrote, the key in the body or a header per setting; many
// deals changed at once give one call each; reset and stop cancel what is pending. Tests wait with
// webhooksIdle(), never with sleeps.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Simulator, type WebhookDelivery } from "../../local/ploomes-simulator/index.ts";
import { admin, apiGet, fetchSnapshot, num, type Rec, startTestSimulator } from "./helpers.ts";
import { type Receiver, register, startReceiver, webhooksRequest } from "./webhooks-receiver.ts";

const DEAL_ID = 590000001;
/** Long enough that nothing is delivered before the test cancels it. */
const NEVER_MS = 60_000;

let sim: Simulator;
let receiver: Receiver;

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 91, deals: 40 });
  receiver = await startReceiver();
});
afterAll(async () => {
  await sim.stop();
  await receiver.close();
});
beforeEach(async () => {
  await admin(sim, "POST", "/reset");
  receiver.clear();
});

/** The log without the times, which the test cannot know. */
const logLines = (): Omit<WebhookDelivery, "at" | "answerMs">[] =>
  sim.webhookDeliveries().map(({ at: _at, answerMs: _answerMs, ...rest }) => rest);

/** Registrations 1–3 for deal create/update/delete (default ids), then two that must get nothing. */
async function registerDealHooks(): Promise<void> {
  await register(sim, { EntityId: 2, ActionId: 1, CallbackUrl: `${receiver.url}/create`, ValidationKey: "k-create" });
  await register(sim, { EntityId: 2, ActionId: 2, CallbackUrl: `${receiver.url}/update`, ValidationKey: "k-update" });
  await register(sim, { EntityId: 2, ActionId: 3, CallbackUrl: `${receiver.url}/delete`, ValidationKey: "k-delete" });
  await register(sim, { EntityId: 1, ActionId: 2, CallbackUrl: `${receiver.url}/contacts`, ValidationKey: "k-c" });
  await register(sim, { EntityId: 2, ActionId: 9, CallbackUrl: `${receiver.url}/other`, ValidationKey: "k-o" });
}

const CREATED = { Id: DEAL_ID, Title: "Webhook deal", Amount: 1234.5, StatusId: 1 };

/** The three calls create → update (Amount 2000, won) → delete must produce, as the receiver sees them. */
function expectCreateUpdateDelete(): void {
  expect(receiver.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
    "POST /create",
    "POST /update",
    "POST /delete",
  ]);
  const [create, update, remove] = receiver.calls.map((c) => c.body);
  expect(create).toMatchObject({ EntityId: 2, ActionId: 1, Old: null, ValidationKey: "k-create" });
  expect(create?.New).toMatchObject({ Id: DEAL_ID, Title: "Webhook deal", Amount: 1234.5, StatusId: 1 });
  expect(update).toMatchObject({ EntityId: 2, ActionId: 2, ValidationKey: "k-update" });
  expect(update?.New).toMatchObject({ Id: DEAL_ID, Title: "Webhook deal", Amount: 2000, StatusId: 2 });
  expect(update?.Old).toMatchObject({ Id: DEAL_ID, Title: "Webhook deal", Amount: 1234.5, StatusId: 1 });
  expect(remove).toMatchObject({ EntityId: 2, ActionId: 3, New: null, ValidationKey: "k-delete" });
  expect(remove?.Old).toMatchObject({ Id: DEAL_ID, Amount: 2000, StatusId: 2 });
  expect(Object.keys(create ?? {})).toEqual(["EntityId", "ActionId", "New", "Old", "ValidationKey"]);
  expect(logLines()).toEqual([
    { registrationId: 1, dealId: DEAL_ID, action: "create", attempt: 1, status: 200, error: null },
    { registrationId: 2, dealId: DEAL_ID, action: "update", attempt: 1, status: 200, error: null },
    { registrationId: 3, dealId: DEAL_ID, action: "delete", attempt: 1, status: 200, error: null },
  ]);
}

describe("deal mutations reach the matching registrations", () => {
  it("through the admin API: create, update, delete with New and Old", async () => {
    await registerDealHooks();
    expect((await admin(sim, "POST", "/deals", CREATED)).status).toBe(201);
    // The call shows the deal as GET /Deals serves it: no expanded Products.
    const served = JSON.parse((await apiGet(sim, `/Deals(${DEAL_ID})`)).text) as { value: Rec[] };
    expect((await admin(sim, "PATCH", `/deals/${DEAL_ID}`, { Amount: 2000, StatusId: 2 })).status).toBe(200);
    expect((await admin(sim, "DELETE", `/deals/${DEAL_ID}`)).status).toBe(200);
    await sim.webhooksIdle();

    expectCreateUpdateDelete();
    const [create, update] = receiver.calls.map((c) => c.body);
    expect(create?.New).toEqual(served.value[0]);
    expect(create?.New).not.toHaveProperty("Products");
    expect(typeof (update?.New as Rec).FinishDate).toBe("string");
    expect((update?.Old as Rec).FinishDate).toBeNull();
    expect(receiver.calls[0]?.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect((await admin(sim, "GET", "/webhooks/deliveries")).json).toEqual(sim.webhookDeliveries());
  });

  it("through the in-process Simulator: insert, update, remove", async () => {
    await registerDealHooks();
    sim.insert("deals", CREATED);
    sim.update("deals", DEAL_ID, { Amount: 2000, StatusId: 2 });
    sim.remove("deals", DEAL_ID);
    await sim.webhooksIdle();
    expectCreateUpdateDelete();
  });

  it("an update that keeps LastUpdateDate is still an update", async () => {
    await registerDealHooks();
    const id = num((await fetchSnapshot(sim)).deals[0]?.Id);
    sim.update("deals", id, { Amount: 777 }, { bump: false });
    await sim.webhooksIdle();
    expect(receiver.calls.map((c) => c.path)).toEqual(["/update"]);
    expect(receiver.calls[0]?.body.New).toMatchObject({ Id: id, Amount: 777 });
  });

  it("sends the key as the Validation-Key header, not in the body, when webhookKeyIn is header", async () => {
    await registerDealHooks();
    await admin(sim, "PATCH", "/settings", { webhookKeyIn: "header" });
    sim.insert("deals", CREATED);
    await sim.webhooksIdle();
    expect(receiver.calls).toHaveLength(1);
    expect(receiver.calls[0]?.headers["validation-key"]).toBe("k-create");
    expect(Object.keys(receiver.calls[0]?.body ?? {})).toEqual(["EntityId", "ActionId", "New", "Old"]);
  });

  it("follows webhookDealEntityId and webhookActionIds", async () => {
    await registerDealHooks();
    await register(sim, { EntityId: 7, ActionId: 12, CallbackUrl: `${receiver.url}/seven`, ValidationKey: "k-7" });
    const patched = await admin(sim, "PATCH", "/settings", {
      webhookDealEntityId: 7,
      webhookActionIds: { create: 11, update: 12, delete: 13 },
    });
    expect(patched.status).toBe(200);
    sim.insert("deals", CREATED);
    sim.update("deals", DEAL_ID, { Amount: 5 });
    await sim.webhooksIdle();
    expect(receiver.calls.map((c) => c.path)).toEqual(["/seven"]);
    expect(receiver.calls[0]?.body).toMatchObject({ EntityId: 7, ActionId: 12, ValidationKey: "k-7" });
    expect(logLines()).toEqual([
      { registrationId: 6, dealId: DEAL_ID, action: "update", attempt: 1, status: 200, error: null },
    ]);
  });

  it("calls nobody for registrations of other entities or actions, nor for contact or product changes", async () => {
    await register(sim, { EntityId: 1, ActionId: 1, CallbackUrl: `${receiver.url}/a`, ValidationKey: "k" });
    await register(sim, { EntityId: 3, ActionId: 2, CallbackUrl: `${receiver.url}/b`, ValidationKey: "k" });
    await register(sim, { EntityId: 2, ActionId: 4, CallbackUrl: `${receiver.url}/c`, ValidationKey: "k" });
    const snap = await fetchSnapshot(sim);
    sim.insert("deals", CREATED);
    sim.update("deals", DEAL_ID, { Amount: 1 });
    sim.remove("deals", DEAL_ID);
    sim.update("contacts", num(snap.contacts[0]?.Id), { Name: "Outra Ltda" });
    sim.update("products", num(snap.products[0]?.Id), { Name: "Outro produto" });
    await sim.webhooksIdle();
    expect(receiver.calls).toEqual([]);
    expect(sim.webhookDeliveries()).toEqual([]);
  });

  it("a deleted registration is called no more", async () => {
    await registerDealHooks();
    expect((await webhooksRequest(sim, "DELETE", "/Webhooks(2)")).status).toBe(204);
    sim.insert("deals", CREATED);
    sim.update("deals", DEAL_ID, { Amount: 5 });
    await sim.webhooksIdle();
    expect(receiver.calls.map((c) => c.path)).toEqual(["/create"]);
  });
});

describe("a contact rename that bumps many deals", () => {
  /** A contact that is the ContactId or PersonId of at least two deals, and those deals' Ids. */
  async function busyContact(): Promise<{ contactId: number; dealIds: number[] }> {
    const snap = await fetchSnapshot(sim);
    for (const contact of snap.contacts) {
      const dealIds = snap.deals.filter((d) => d.ContactId === contact.Id || d.PersonId === contact.Id)
        .map((d) => num(d.Id));
      if (dealIds.length >= 2) return { contactId: num(contact.Id), dealIds };
    }
    throw new Error("no contact with two deals in this data");
  }

  it("gives one update call per deal when contactNamePropagation is bump", async () => {
    await registerDealHooks();
    const { contactId, dealIds } = await busyContact();
    await admin(sim, "PATCH", "/settings", { contactNamePropagation: "bump" });
    expect((await admin(sim, "PATCH", `/contacts/${contactId}`, { Name: "Renomeada Ltda" })).status).toBe(200);
    await sim.webhooksIdle();
    expect(receiver.calls.map((c) => c.body.New as Rec).map((d) => num(d.Id)).sort((a, b) => a - b)).toEqual(
      dealIds.sort((a, b) => a - b),
    );
    for (const { path, body } of receiver.calls) {
      expect(path).toBe("/update");
      const next = body.New as Rec;
      const old = body.Old as Rec;
      const renamed = next.ContactId === contactId ? next.ContactName : next.PersonName;
      expect(renamed).toBe("Renomeada Ltda");
      expect(old.LastUpdateDate).not.toBe(next.LastUpdateDate);
    }
  });

  it("gives none when the rename is silent (Ploomes records no update of the deals)", async () => {
    await registerDealHooks();
    const { contactId } = await busyContact();
    sim.update("contacts", contactId, { Name: "Silenciosa Ltda" });
    await sim.webhooksIdle();
    expect(receiver.calls).toEqual([]);
  });
});

describe("reset and stop", () => {
  it("reset cancels pending deliveries and clears registrations and the log", async () => {
    await registerDealHooks();
    sim.insert("deals", CREATED);
    await sim.webhooksIdle();
    expect(sim.webhookDeliveries()).toHaveLength(1);
    await admin(sim, "PATCH", "/settings", { webhookDelayMs: NEVER_MS });
    sim.update("deals", DEAL_ID, { Amount: 3 });
    await admin(sim, "POST", "/reset");
    await sim.webhooksIdle();
    expect(sim.webhookDeliveries()).toEqual([]);
    expect((await admin(sim, "GET", "/webhooks/deliveries")).json).toEqual([]);
    expect(receiver.calls.map((c) => c.path)).toEqual(["/create"]);
    expect((await webhooksRequest(sim, "GET", "/Webhooks")).text).toBe('{"value":[]}');
  });

  it("stop cancels pending deliveries, so webhooksIdle resolves", async () => {
    const own = await startTestSimulator({ seed: 92, deals: 5, settings: { webhookDelayMs: NEVER_MS } });
    await register(own, { EntityId: 2, ActionId: 1, CallbackUrl: `${receiver.url}/stop`, ValidationKey: "k" });
    own.insert("deals", CREATED);
    await own.stop();
    await own.webhooksIdle();
    // A mutation from code after the stop queues nothing (no timer outlives the simulator).
    own.update("deals", DEAL_ID, { Amount: 1 });
    await own.webhooksIdle();
    expect(own.webhookDeliveries()).toEqual([]);
    expect(receiver.calls).toEqual([]);
  });
});
