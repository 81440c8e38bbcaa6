// Raw row overrides: the API serves exactly the JSON a test puts on a row (malformed values,
// missing keys, keys outside $select), while $filter, $orderby and paging keep working on the
// stored values; the admin routes, the in-process API, and clearing by DELETE and reset.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Simulator, Snapshot } from "../../local/ploomes-simulator/index.ts";
import { admin, apiGet, fetchSnapshot, getPage, num, pageOf, type Rec, sortBy, startTestSimulator } from "./helpers.ts";

let sim: Simulator;
let snap: Snapshot;
const DEAL_COUNT = 250;
const REMOVE = { $remove: true };

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 91, deals: DEAL_COUNT });
  snap = await fetchSnapshot(sim);
});
afterAll(() => sim.stop());
beforeEach(async () => {
  await admin(sim, "POST", "/reset");
});

const dealAt = (index: number): Rec => {
  const found = snap.deals[index];
  if (!found) throw new Error(`no deal at index ${index}`);
  return found;
};

const put = async (kind: string, id: number, fields: unknown) => {
  const { status, json } = await admin(sim, "PUT", `/overrides/${kind}/${id}`, fields);
  expect(status, JSON.stringify(json)).toBe(200);
  return json;
};

const oneDeal = async (id: number, params: Record<string, string>): Promise<Rec> => {
  const page = await getPage(sim, "/Deals", { $filter: `Id eq ${id}`, ...params });
  expect(page.value).toHaveLength(1);
  return page.value[0] as Rec;
};

describe("what is served", () => {
  it("replaces the served values and adds keys outside $select, unvalidated", async () => {
    const target = dealAt(5);
    const id = num(target.Id);
    const fields = { Amount: "1.234,56", LastUpdateDate: "2025-06-01 10:00", StatusId: "2", Unknown: [1, { a: null }] };
    expect(await put("deals", id, fields)).toEqual({ kind: "deals", id, fields });
    const row = await oneDeal(id, { $select: "Id,Amount,Title" });
    expect(row).toEqual({
      Id: id,
      Amount: "1.234,56",
      Title: target.Title,
      LastUpdateDate: "2025-06-01 10:00",
      StatusId: "2",
      Unknown: [1, { a: null }],
    });
    // Other rows are untouched.
    const neighbour = dealAt(6);
    expect(await oneDeal(num(neighbour.Id), { $select: "Id,Amount" })).toEqual({
      Id: neighbour.Id,
      Amount: neighbour.Amount,
    });
  });

  it('deletes a key whose override is {"$remove": true}; other objects are served as they are', async () => {
    const target = dealAt(7);
    const id = num(target.Id);
    await put("deals", id, { ContactName: REMOVE, Title: null, OriginId: { $remove: true, also: 1 } });
    const row = await oneDeal(id, { $select: "Id,Title,ContactName,Amount" });
    expect(row).toEqual({ Id: id, Title: null, Amount: target.Amount, OriginId: { $remove: true, also: 1 } });
    expect(Object.keys(row)).not.toContain("ContactName");
  });

  it("applies to /Deals(id), and an overridden Products replaces the whole served array", async () => {
    const target = snap.deals.find((d) => Array.isArray(d.Products) && d.Products.length > 1);
    if (!target) throw new Error("no deal with several line items in the snapshot");
    const id = num(target.Id);
    await put("deals", id, { Products: "not a list", Amount: -1 });
    const single = pageOf(await apiGet(sim, `/Deals(${id})?$select=Id,Amount&$expand=Products($select=ProductId)`));
    expect(single.value).toEqual([{ Id: id, Amount: -1, Products: "not a list" }]);
    // Without $expand the key is added all the same.
    expect(await oneDeal(id, { $select: "Id" })).toEqual({ Id: id, Amount: -1, Products: "not a list" });
  });

  it("is kept per entity kind", async () => {
    const contact = snap.contacts[3] as Rec;
    const id = num(contact.Id);
    await put("contacts", id, { Name: 42 });
    const page = await getPage(sim, "/Contacts", { $filter: `Id eq ${id}`, $select: "Id,Name" });
    expect(page.value).toEqual([{ Id: id, Name: 42 }]);
    // A deals override of the same Id would not touch the contact, and vice versa.
    await put("deals", id, { Name: "deal override" });
    expect((await getPage(sim, "/Contacts", { $filter: `Id eq ${id}`, $select: "Id,Name" })).value).toEqual([{
      Id: id,
      Name: 42,
    }]);
  });
});

describe("filtering, ordering and paging use the stored values", () => {
  it("orders and filters by the stored Amount while serving the override", async () => {
    const byAmountDesc = sortBy(snap.deals, [{ key: "Amount", desc: true }]);
    const lowest = byAmountDesc[byAmountDesc.length - 1] as Rec;
    const huge = 999_999_999_999;
    await put("deals", num(lowest.Id), { Amount: huge });

    const page = await getPage(sim, "/Deals", {
      $orderby: "Amount desc",
      $select: "Id,Amount",
      $top: String(DEAL_COUNT),
    });
    const expected = byAmountDesc.map((d) => ({ Id: d.Id, Amount: d.Id === lowest.Id ? huge : d.Amount }));
    expect(page.value).toEqual(expected);
    expect(page.value[page.value.length - 1]).toEqual({ Id: lowest.Id, Amount: huge });

    const matchingHuge = snap.deals.filter((d) => num(d.Amount) >= huge);
    expect((await getPage(sim, "/Deals", { $filter: `Amount ge ${huge}`, $select: "Id" })).value).toEqual(
      matchingHuge.map((d) => ({ Id: d.Id })),
    );
    const byStored = await getPage(sim, "/Deals", {
      $filter: `Id eq ${num(lowest.Id)} and Amount eq ${num(lowest.Amount)}`,
      $select: "Id,Amount",
    });
    expect(byStored.value).toEqual([{ Id: lowest.Id, Amount: huge }]);
  });

  it("pages an Id keyset by the stored Id even when the served Id is garbage", async () => {
    const third = dealAt(2);
    await put("deals", num(third.Id), { Id: "not-a-number" });
    const first = await getPage(sim, "/Deals", { $select: "Id", $orderby: "Id", $top: "3" });
    expect(first.value).toEqual([{ Id: dealAt(0).Id }, { Id: dealAt(1).Id }, { Id: "not-a-number" }]);
    const next = await getPage(sim, "/Deals", {
      $select: "Id",
      $orderby: "Id",
      $top: "2",
      $filter: `Id gt ${num(third.Id)}`,
    });
    expect(next.value).toEqual([{ Id: dealAt(3).Id }, { Id: dealAt(4).Id }]);
  });
});

describe("admin and in-process API", () => {
  it("lists every override by kind, then Id", async () => {
    const a = num(dealAt(9).Id);
    const b = num(dealAt(1).Id);
    const c = num((snap.contacts[0] as Rec).Id);
    await put("contacts", c, { Name: "" });
    await put("deals", a, { Amount: "x" });
    await put("deals", b, { Amount: "y" });
    expect((await admin(sim, "GET", "/overrides")).json).toEqual([
      { kind: "deals", id: b, fields: { Amount: "y" } },
      { kind: "deals", id: a, fields: { Amount: "x" } },
      { kind: "contacts", id: c, fields: { Name: "" } },
    ]);
    // PUT replaces, it does not merge.
    await put("deals", a, { Title: 1 });
    expect(sim.overrides().filter((o) => o.id === a)).toEqual([{ kind: "deals", id: a, fields: { Title: 1 } }]);
  });

  it("DELETE one override, then all of them", async () => {
    const target = dealAt(4);
    const id = num(target.Id);
    await put("deals", id, { Amount: "x" });
    await put("deals", num(dealAt(5).Id), { Amount: "y" });
    expect(await admin(sim, "DELETE", `/overrides/deals/${id}`)).toEqual({
      status: 200,
      json: { kind: "deals", id, fields: { Amount: "x" } },
    });
    expect(await oneDeal(id, { $select: "Id,Amount" })).toEqual({ Id: id, Amount: target.Amount });
    expect((await admin(sim, "DELETE", `/overrides/deals/${id}`)).status).toBe(404);

    expect((await admin(sim, "DELETE", "/overrides")).status).toBe(200);
    expect((await admin(sim, "GET", "/overrides")).json).toEqual([]);
  });

  it("reset clears them (admin and in-process)", async () => {
    const id = num(dealAt(0).Id);
    await put("deals", id, { Amount: "x" });
    await admin(sim, "POST", "/reset");
    expect(sim.overrides()).toEqual([]);
    sim.overrideRow("deals", id, { Amount: "y" });
    sim.reset();
    expect((await admin(sim, "GET", "/overrides")).json).toEqual([]);
    expect(await oneDeal(id, { $select: "Amount" })).toEqual({ Amount: dealAt(0).Amount });
  });

  it("in process: overrideRow serves a copy, clearOverride says whether there was one", async () => {
    const id = num(dealAt(3).Id);
    const fields: Record<string, string> = { Title: "first" };
    expect(sim.overrideRow("deals", id, fields)).toEqual({ kind: "deals", id, fields: { Title: "first" } });
    fields.Title = "changed afterwards";
    expect(await oneDeal(id, { $select: "Title" })).toEqual({ Title: "first" });
    expect(sim.clearOverride("deals", id)).toBe(true);
    expect(sim.clearOverride("deals", id)).toBe(false);
    expect(await oneDeal(id, { $select: "Title" })).toEqual({ Title: dealAt(3).Title });
  });

  it.each([
    ["an array", [1, 2]],
    ["a string", "Amount"],
    ["a number", 5],
    ["null", null],
  ])("refuses a body that is %s with 400", async (_name, body) => {
    const { status, json } = await admin(sim, "PUT", `/overrides/deals/${num(dealAt(0).Id)}`, body);
    expect(status).toBe(400);
    expect((json as { error: string }).error).toContain("must be a JSON object");
    expect(sim.overrides()).toEqual([]);
  });

  it("refuses an unknown kind (404) and a non-numeric Id (400)", async () => {
    const unknownKind = await admin(sim, "PUT", "/overrides/deal/1", { Amount: 1 });
    expect(unknownKind.status).toBe(404);
    expect((unknownKind.json as { error: string }).error).toContain("deals, contacts, products");
    expect((await admin(sim, "PUT", "/overrides/deals/abc", { Amount: 1 })).status).toBe(400);
    expect((await admin(sim, "POST", "/overrides", {})).status).toBe(404);
  });
});
