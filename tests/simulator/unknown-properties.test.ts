// The `unknownProperties` setting: a field Ploomes renamed or dropped. Ploomes answers 403 for a
// name it does not know, so a listed name must be refused wherever a query names it — $select,
// $expand, $filter, $orderby, also through navigations — and must not be served when no $select
// asks for it; queries that do not name it answer exactly as before. Expected rows are written
// out (seed 23, 30 deals), so they never come from the query engine under test.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { admin, apiGet, getPage, type Rec, startTestSimulator, withQuery } from "./helpers.ts";

const FORBIDDEN_BODY = '{"error":{"code":"","message":"Your request has been forbidden"}}';
const THREE = "3";

let sim: Simulator;

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 23, contacts: 40, products: 20, deals: 30 });
});
afterAll(() => sim.stop());
afterEach(async () => {
  await admin(sim, "POST", "/reset");
});

async function unknown(names: readonly string[]): Promise<void> {
  const { status } = await admin(sim, "PATCH", "/settings", { unknownProperties: names });
  expect(status).toBe(200);
}

async function expectForbidden(params: Record<string, string>, resource = "/Deals"): Promise<void> {
  const response = await apiGet(sim, withQuery(resource, params));
  expect(response.status, JSON.stringify(params)).toBe(403);
  expect(response.text).toBe(FORBIDDEN_BODY);
}

const CONTACT_NAMES = [
  { Id: 500000001, ContactName: "Gomes Embalagens LTDA" },
  { Id: 500000002, ContactName: "Barbosa Logística" },
  { Id: 500000012, ContactName: "Tecnologia Horizonte LTDA" },
];
const AMOUNTS = [
  { Id: 500000001, Amount: 754.92 },
  { Id: 500000002, Amount: 15044.13 },
  { Id: 500000012, Amount: 1084.56 },
];
const CONTACTS = [
  { Id: 500000001, Contact: { Id: 100000010, Name: "Gomes Embalagens LTDA" } },
  { Id: 500000002, Contact: { Id: 100000001, Name: "Barbosa Logística" } },
  { Id: 500000012, Contact: { Id: 100000048, Name: "Tecnologia Horizonte LTDA" } },
];
/** The first deal without $select: every declared property. */
const FIRST_DEAL = {
  Id: 500000001,
  Title: "Válvula Esfera Industrial - Gomes Embalagens LTDA",
  ContactId: 100000010,
  ContactName: "Gomes Embalagens LTDA",
  PersonId: 100000052,
  PersonName: "Marcelo Sofia Silva",
  PipelineId: 10000968,
  StageId: 10004993,
  StatusId: 1,
  Amount: 754.92,
  StartAmount: 754.92,
  CurrencyId: 1,
  OwnerId: 10003857,
  CreatorId: 10003857,
  LossReasonId: null,
  OriginId: null,
  DealNumber: null,
  CreateDate: "2024-12-20T22:47:55-03:00",
  StartDate: "2024-12-20T00:00:00-03:00",
  FinishDate: null,
  LastUpdateDate: "2025-01-13T18:07:13.29-03:00",
};
/** The same deal once ContactName no longer exists: every other key, in the same order. */
const { ContactName: _removed, ...FIRST_DEAL_WITHOUT_CONTACT_NAME } = FIRST_DEAL;

describe("a property that no longer exists (Deal.ContactName)", () => {
  it("$select naming it: 200 while it exists, 403 once listed", async () => {
    const query = { $select: "Id,ContactName", $top: THREE };
    expect((await getPage(sim, "/Deals", query)).value).toEqual(CONTACT_NAMES);
    await unknown(["Deal.ContactName"]);
    await expectForbidden(query);
  });

  it("$filter and $orderby naming it are 403, at the top level and inside $expand", async () => {
    const filter = { $select: "Id", $filter: "ContactName eq 'Tecnologia Horizonte LTDA'" };
    expect((await getPage(sim, "/Deals", filter)).value).toEqual([{ Id: 500000012 }]);
    await unknown(["Deal.ContactName"]);
    await expectForbidden(filter);
    await expectForbidden({ $filter: "startswith(ContactName,'G')" });
    await expectForbidden({ $orderby: "ContactName desc,Id" });
    // Reached through a navigation whose target is a Deal (an order's deal).
    await expectForbidden({ $expand: "Deal($select=Id,ContactName)" }, "/Orders");
    await expectForbidden({ $filter: "Deal/ContactName eq 'x'" }, "/Orders");
  });

  it("leaves queries that do not name it unchanged", async () => {
    await unknown(["Deal.ContactName"]);
    expect((await getPage(sim, "/Deals", { $select: "Id,Amount", $top: THREE })).value).toEqual(AMOUNTS);
    expect((await getPage(sim, "/Deals", { $select: "Id", $expand: "Contact($select=Id,Name)", $top: THREE })).value)
      .toEqual(CONTACTS);
  });

  it("is not served without $select (nor with $select=*): the entity no longer has it", async () => {
    expect((await getPage(sim, "/Deals", { $top: "1" })).value).toEqual([FIRST_DEAL]);
    await unknown(["Deal.ContactName"]);
    expect((await getPage(sim, "/Deals", { $top: "1" })).value).toEqual([FIRST_DEAL_WITHOUT_CONTACT_NAME]);
    expect((await getPage(sim, "/Deals", { $select: "*", $top: "1" })).value).toEqual([
      FIRST_DEAL_WITHOUT_CONTACT_NAME,
    ]);
  });

  it("says in the request log (never to the client) that the setting removed it", async () => {
    await unknown(["Deal.ContactName"]);
    sim.clearRequests();
    await expectForbidden({ $select: "Id,ContactName" });
    expect(sim.requests()[0]?.note).toBe(
      "$select: 'ContactName' is not a property of Deal (removed by setting unknownProperties)",
    );
  });
});

describe("a navigation that no longer exists", () => {
  it("$expand=Contact: 200 while it exists, 403 once Deal.Contact is listed", async () => {
    const query = { $select: "Id", $expand: "Contact($select=Id,Name)", $top: THREE };
    expect((await getPage(sim, "/Deals", query)).value).toEqual(CONTACTS);
    await unknown(["Deal.Contact"]);
    await expectForbidden(query);
    await expectForbidden({ $expand: "Contact" });
    await expectForbidden({ $filter: "Contact/TypeId eq 1" });
    await expectForbidden({ $orderby: "Contact/Name" });
    // The foreign key is another name and stays.
    expect((await getPage(sim, "/Deals", { $select: "Id,ContactName", $top: THREE })).value).toEqual(CONTACT_NAMES);
  });

  it("$expand=Products is 403 once Deal.Products is listed; the deals themselves are served", async () => {
    await unknown(["Deal.Products"]);
    await expectForbidden({ $expand: "Products" });
    await expectForbidden({ $select: "Id", $expand: "Contact($select=Id),Products($select=Id)" });
    expect((await getPage(sim, "/Deals", { $select: "Id,Amount", $top: THREE })).value).toEqual(AMOUNTS);
  });
});

describe("a property of a type reached through a navigation (Contact.Name)", () => {
  it("is 403 in paths and nested options, and missing from expanded rows", async () => {
    const filter = { $select: "Id", $filter: "Contact/Name eq 'Tecnologia Horizonte LTDA'" };
    expect((await getPage(sim, "/Deals", filter)).value).toEqual([{ Id: 500000012 }]);
    await unknown(["Contact.Name"]);
    await expectForbidden(filter);
    await expectForbidden({ $orderby: "Contact/Name,Id" });
    await expectForbidden({ $select: "Id", $expand: "Contact($select=Id,Name)" });
    await expectForbidden({ $select: "Name" }, "/Contacts");
    const expanded = await getPage(sim, "/Deals", { $select: "Id", $expand: "Contact", $top: "1" });
    const contact = expanded.value[0]?.Contact as Rec;
    expect(contact.Id).toBe(100000010);
    expect(contact).not.toHaveProperty("Name");
    // Deal.ContactName is a different name: still there.
    expect((await getPage(sim, "/Deals", { $select: "Id,ContactName", $top: THREE })).value).toEqual(CONTACT_NAMES);
  });
});

describe("the setting itself", () => {
  it("defaults to [], is listed by GET /__sim/settings and comes back on reset", async () => {
    expect(sim.settings().unknownProperties).toEqual([]);
    await unknown(["Deal.ContactName", "Deal.Products"]);
    expect(((await admin(sim, "GET", "/settings")).json as Rec).unknownProperties).toEqual([
      "Deal.ContactName",
      "Deal.Products",
    ]);
    await admin(sim, "POST", "/reset");
    expect(sim.settings().unknownProperties).toEqual([]);
    expect((await getPage(sim, "/Deals", { $select: "Id,ContactName", $top: THREE })).value).toEqual(CONTACT_NAMES);
  });

  it.each([
    ["a bare name", ["ContactName"], "unknownProperties.0: expected <EntityType>.<Name>, e.g. Deal.ContactName"],
    ["a path", ["Deal.Contact/Name"], "unknownProperties.0: expected <EntityType>.<Name>, e.g. Deal.ContactName"],
    ["a string, not a list", "Deal.ContactName", "unknownProperties: Invalid input: expected array, received string"],
  ])("refuses %s with the admin validation error", async (_what, value, problem) => {
    const refused = await admin(sim, "PATCH", "/settings", { unknownProperties: value });
    expect(refused.status).toBe(400);
    expect(refused.json).toEqual({ error: `invalid settings: ${problem}`, problems: [problem] });
    expect(sim.settings().unknownProperties).toEqual([]);
  });

  it("can be set at start", async () => {
    const started = await startTestSimulator({
      seed: 23,
      contacts: 40,
      products: 20,
      deals: 30,
      settings: { unknownProperties: ["Deal.ContactName"] },
    });
    try {
      expect((await apiGet(started, "/Deals?$select=ContactName")).status).toBe(403);
      expect((await getPage(started, "/Deals", { $select: "Id,Amount", $top: THREE })).value).toEqual(AMOUNTS);
    } finally {
      await started.stop();
    }
  });
});
