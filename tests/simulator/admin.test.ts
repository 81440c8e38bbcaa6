// The admin API: mutations between pages (update with and without bumping LastUpdateDate,
// insert, delete and its tombstone), the request log, settings and reset — over HTTP, plus the
// same operations in-process through the object startSimulator returns.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Simulator, Snapshot } from "../../local/ploomes-simulator/index.ts";
import {
  admin,
  apiGet,
  compareDates,
  fetchSnapshot,
  getPage,
  ids,
  num,
  type Rec,
  startTestSimulator,
  str,
} from "./helpers.ts";

let sim: Simulator;
let pristine: Snapshot;

/** The latest date anywhere in the data, by the test's own comparison. */
function latestDate(snap: Snapshot): string {
  const dates = [...snap.deals, ...snap.contacts, ...snap.products, ...snap.deleted]
    .flatMap((r) => ["CreateDate", "StartDate", "FinishDate", "LastUpdateDate"].map((k) => r[k]))
    .filter((v): v is string => typeof v === "string");
  return dates.reduce((a, b) => (compareDates(a, b) >= 0 ? a : b));
}

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 81, deals: 300 });
  pristine = await fetchSnapshot(sim);
});
afterAll(() => sim.stop());
beforeEach(async () => {
  await admin(sim, "POST", "/reset");
});

const deal = (snap: Snapshot, index: number): Rec => {
  const found = snap.deals[index];
  if (!found) throw new Error(`no deal at index ${index}`);
  return found;
};

describe("updates", () => {
  it("bump LastUpdateDate past every date in the data by default", async () => {
    const target = deal(pristine, 10);
    const before = latestDate(pristine);
    const { status, json } = await admin(sim, "PATCH", `/deals/${num(target.Id)}`, { Amount: 1234.56, StatusId: 2 });
    expect(status).toBe(200);
    const stored = json as Rec;
    expect(stored.Amount).toBe(1234.56);
    expect(compareDates(str(stored.LastUpdateDate), before)).toBeGreaterThan(0);
    expect(str(stored.LastUpdateDate)).toMatch(/-03:00$/);
    expect(stored.FinishDate).not.toBeNull(); // won now

    // An incremental sync from the old maximum sees exactly this deal.
    const page = await getPage(sim, "/Deals", {
      $filter: `LastUpdateDate gt ${before}`,
      $select: "Id,Amount,StatusId",
    });
    expect(page.value).toEqual([{ Id: target.Id, Amount: 1234.56, StatusId: 2 }]);
  });

  it("stamps strictly increasing times across updates", async () => {
    const stamps: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { json } = await admin(sim, "PATCH", `/deals/${num(deal(pristine, i).Id)}`, { Title: `changed ${i}` });
      stamps.push(str((json as Rec).LastUpdateDate));
    }
    for (let i = 1; i < stamps.length; i++) {
      expect(compareDates(stamps[i] ?? "", stamps[i - 1] ?? "")).toBeGreaterThan(0);
    }
  });

  it("keep LastUpdateDate with bumpLastUpdateDate=false (query or body)", async () => {
    const a = deal(pristine, 3);
    const b = deal(pristine, 4);
    const byQuery = (await admin(sim, "PATCH", `/deals/${num(a.Id)}?bumpLastUpdateDate=false`, { Amount: 1 }))
      .json as Rec;
    const byBody = (await admin(sim, "PATCH", `/deals/${num(b.Id)}`, { Amount: 2, bumpLastUpdateDate: false }))
      .json as Rec;
    expect(byQuery.LastUpdateDate).toBe(a.LastUpdateDate);
    expect(byBody.LastUpdateDate).toBe(b.LastUpdateDate);
    // The API serves the new value under the old date: the case an incremental sync cannot see.
    const page = await getPage(sim, "/Deals", { $filter: `Id eq ${num(a.Id)}`, $select: "Amount,LastUpdateDate" });
    expect(page.value).toEqual([{ Amount: 1, LastUpdateDate: a.LastUpdateDate }]);
  });

  it("replace line items, compute their totals and the deal Amount", async () => {
    const target = deal(pristine, 20);
    const product = pristine.products[0] as Rec;
    const { status, json } = await admin(sim, "PATCH", `/deals/${num(target.Id)}`, {
      Products: [{ ProductId: product.Id, Quantity: 3 }, {
        ProductId: product.Id,
        Quantity: 2,
        UnitPrice: 10,
        Discount: 25,
      }],
    });
    expect(status).toBe(200);
    const lines = (json as Rec).Products as Rec[];
    expect(lines.map((l) => [l.UnitPrice, l.Discount, l.Total, l.Ordination, l.DealId])).toEqual([
      [product.UnitPrice, 0, Math.round(3 * num(product.UnitPrice) * 100) / 100, 0, target.Id],
      [10, 25, 15, 1, target.Id],
    ]);
    expect((json as Rec).Amount).toBe(Math.round((num(lines[0]?.Total) + 15) * 100) / 100);
    const page = await getPage(sim, "/Deals", {
      $filter: `Id eq ${num(target.Id)}`,
      $select: "Id",
      $expand: "Products($select=Total)",
    });
    expect(page.value[0]?.Products).toEqual(lines.map((l) => ({ Total: l.Total })));
  });

  it("refuse unknown fields and wrong types, listing every problem", async () => {
    const { status, json } = await admin(sim, "PATCH", `/deals/${num(deal(pristine, 0).Id)}`, {
      Win: true,
      Amount: "10",
      LastUpdateDate: "yesterday",
    });
    expect(status).toBe(400);
    expect((json as { problems: string[] }).problems).toHaveLength(3);
    expect((await admin(sim, "PATCH", "/deals/1", { Amount: 1 })).status).toBe(404);
  });

  it("rename a contact; its deals' ContactName follows without a bump by default", async () => {
    const target = pristine.deals.find((d) => d.ContactId !== null) as Rec;
    const { status } = await admin(sim, "PATCH", `/contacts/${num(target.ContactId)}`, { Name: "Nova Razão LTDA" });
    expect(status).toBe(200);
    const after = await fetchSnapshot(sim);
    const moved = after.deals.find((d) => d.Id === target.Id) as Rec;
    expect(moved.ContactName).toBe("Nova Razão LTDA");
    expect(moved.LastUpdateDate).toBe(target.LastUpdateDate);
    const contact = await getPage(sim, "/Contacts", { $filter: `Id eq ${num(target.ContactId)}`, $select: "Name" });
    expect(contact.value).toEqual([{ Name: "Nova Razão LTDA" }]);
  });
});

describe("inserts and deletes", () => {
  it("insert a deal with a new Id above the others; it shows up in /Deals", async () => {
    const contact = pristine.contacts[0] as Rec;
    const { status, json } = await admin(sim, "POST", "/deals", {
      Title: "Novo negócio",
      ContactId: contact.Id,
      Amount: 99.9,
    });
    expect(status).toBe(201);
    const stored = json as Rec;
    expect(num(stored.Id)).toBeGreaterThan(Math.max(...ids(pristine.deals)));
    expect(stored).toMatchObject({
      Title: "Novo negócio",
      ContactName: contact.Name,
      StatusId: 1,
      FinishDate: null,
      Products: [],
    });
    expect(compareDates(str(stored.LastUpdateDate), latestDate(pristine))).toBeGreaterThan(0);
    const page = await getPage(sim, "/Deals", { $filter: `Id eq ${num(stored.Id)}`, $select: "Id,Title,Amount" });
    expect(page.value).toEqual([{ Id: stored.Id, Title: "Novo negócio", Amount: 99.9 }]);
  });

  it("insert with an explicit Id, refuse a duplicate", async () => {
    expect((await admin(sim, "POST", "/deals", { Id: 499_999_999 })).status).toBe(201);
    expect((await admin(sim, "POST", "/deals", { Id: 499_999_999 })).status).toBe(409);
    const first = await getPage(sim, "/Deals", { $orderby: "Id", $top: "1", $select: "Id" });
    expect(first.value).toEqual([{ Id: 499_999_999 }]);
  });

  it("delete a deal: gone from /Deals, listed in snapshot.deleted with the deletion time", async () => {
    const target = deal(pristine, 42);
    const { status, json } = await admin(sim, "DELETE", `/deals/${num(target.Id)}`);
    expect(status).toBe(200);
    expect((json as Rec).Id).toBe(target.Id);
    expect((await getPage(sim, "/Deals", { $filter: `Id eq ${num(target.Id)}` })).value).toEqual([]);
    const after = await fetchSnapshot(sim);
    expect(after.deals.some((d) => d.Id === target.Id)).toBe(false);
    expect(after.deleted).toHaveLength(1);
    expect(after.deleted[0]?.Id).toBe(target.Id);
    expect(compareDates(str(after.deleted[0]?.LastUpdateDate), latestDate(pristine))).toBeGreaterThan(0);
    const tombstones = await getPage(sim, "/Deals/GetDeletedDeals", { $filter: `LastUpdateDate ge ${pristine.epoch}` });
    expect(tombstones.value).toEqual(after.deleted);
    expect((await admin(sim, "DELETE", `/deals/${num(target.Id)}`)).status).toBe(404);
  });

  it("insert and delete contacts", async () => {
    const { json } = await admin(sim, "POST", "/contacts", {
      Name: "Maria da Silva",
      TypeId: 2,
      CPF: "529.982.247-25",
    });
    const id = num((json as Rec).Id);
    expect((await getPage(sim, "/Contacts", { $filter: `CPF eq '529.982.247-25'`, $select: "Id" })).value).toEqual([{
      Id: id,
    }]);
    expect((await admin(sim, "DELETE", `/contacts/${id}`)).status).toBe(200);
    expect((await getPage(sim, "/Contacts", { $filter: `Id eq ${id}` })).value).toEqual([]);
    expect((await fetchSnapshot(sim)).deletedContacts.map((c) => c.Id)).toEqual([id]);
  });
});

describe("log, settings and reset", () => {
  it("logs API requests (not admin calls) with method, url, status, time and account", async () => {
    await apiGet(sim, "/Deals?$top=1");
    await apiGet(sim, "/Deals?$select=Win");
    await apiGet(sim, "/Deals", "bad-key");
    const log = (await admin(sim, "GET", "/requests")).json as Rec[];
    expect(log.map((e) => [e.method, e.url, e.status, e.account])).toEqual([
      ["GET", "/Deals?$top=1", 200, "simulated-account"],
      ["GET", "/Deals?$select=Win", 403, "simulated-account"],
      ["GET", "/Deals", 401, null],
    ]);
    expect(Number.isNaN(Date.parse(str(log[0]?.at)))).toBe(false);
    await admin(sim, "DELETE", "/requests");
    expect((await admin(sim, "GET", "/requests")).json).toEqual([]);
  });

  it("reads and changes settings, refusing unknown keys and bad values", async () => {
    const settings = (await admin(sim, "GET", "/settings")).json as Rec;
    expect(settings).toMatchObject({ pageSize: 300, rateLimitPerMinute: 1_000_000, authFailureStatus: 401 });
    expect(((await admin(sim, "PATCH", "/settings", { pageSize: 100 })).json as Rec).pageSize).toBe(100);
    expect((await getPage(sim, "/Deals")).value).toHaveLength(100);
    const refused = await admin(sim, "PATCH", "/settings", { pageSize: -1, bogus: true });
    expect(refused.status).toBe(400);
    expect((refused.json as { problems: string[] }).problems.length).toBeGreaterThanOrEqual(2);
  });

  it("resets data, faults, log and settings to the seeded state", async () => {
    await admin(sim, "PATCH", `/deals/${num(deal(pristine, 1).Id)}`, { Amount: 5 });
    await admin(sim, "DELETE", `/deals/${num(deal(pristine, 2).Id)}`);
    await admin(sim, "POST", "/faults", { kind: "status", status: 500, count: 5 });
    await admin(sim, "PATCH", "/settings", { pageSize: 10 });
    expect((await admin(sim, "POST", "/reset")).status).toBe(200);
    expect(await fetchSnapshot(sim)).toEqual(pristine);
    expect((await admin(sim, "GET", "/faults")).json).toEqual([]);
    expect(((await admin(sim, "GET", "/settings")).json as Rec).pageSize).toBe(300);
    expect((await apiGet(sim, "/Deals?$top=1")).status).toBe(200);
  });

  it("registers extra keys at run time", async () => {
    expect((await admin(sim, "POST", "/keys", { key: "C3".repeat(16), account: "simulated-account" })).status).toBe(
      201,
    );
    expect((await apiGet(sim, "/Deals?$top=1", "C3".repeat(16))).status).toBe(200);
  });

  it("answers 404 for an unknown admin endpoint", async () => {
    expect((await admin(sim, "GET", "/nothing")).status).toBe(404);
    expect((await admin(sim, "GET", "")).status).toBe(200);
  });
});

describe("in-process control", () => {
  it("offers the same operations on the returned object", async () => {
    const target = deal(pristine, 7);
    const updated = sim.update("deals", num(target.Id), { Title: "in-process" }, { bump: false });
    expect(updated.LastUpdateDate).toBe(target.LastUpdateDate);
    const inserted = sim.insert("deals", { Title: "x" });
    sim.remove("deals", num(inserted.Id));
    expect(sim.snapshot().deleted.map((d) => d.Id)).toEqual([inserted.Id]);
    sim.addFault({ kind: "status", status: 504, count: 1 });
    expect(sim.faults()).toHaveLength(1);
    expect((await apiGet(sim, "/Deals?$top=1")).status).toBe(504);
    expect(sim.requests().map((r) => r.status)).toEqual([504]);
    sim.updateSettings({ supportsCount: true });
    expect(sim.settings().supportsCount).toBe(true);
    sim.reset();
    expect(sim.snapshot()).toEqual(pristine);
  });
});
