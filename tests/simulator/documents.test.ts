// /Orders, /Quotes and their @Products sets answer the queries a sync sends — Id keyset ranges,
// the (LastUpdateDate, Id) incremental keyset, the max-Id probe, nested $expand down to the
// catalog product — with the same paging, refusals, auth, faults and rate limit as /Deals.
// Expected rows come from the snapshot, filtered and sorted by the tests' own code.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator, Snapshot } from "../../local/ploomes-simulator/index.ts";
import {
  admin,
  apiGet,
  fetchSnapshot,
  followNextLinks,
  getPage,
  ids,
  num,
  type Rec,
  sortBy,
  startTestSimulator,
  str,
} from "./helpers.ts";

let sim: Simulator;
let snap: Snapshot;

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 7 });
  snap = await fetchSnapshot(sim);
});
afterAll(() => sim.stop());

const PAGE = 300;
const LINE_SELECT = ["Id", "ProductId", "Quantity", "UnitPrice", "Discount", "Total"];
const LINES_EXPAND = `Products($select=${LINE_SELECT.join(",")};$expand=Product($select=Id,UnitPrice))`;

/** What each document set is asked for, as the sync asks. */
const SETS = [
  { set: "/Orders", rows: () => snap.orders as Rec[], select: ["Id", "DealId", "LastUpdateDate"] },
  {
    set: "/Quotes",
    rows: () => snap.quotes as Rec[],
    select: ["Id", "DealId", "ReviewNumber", "LastReview", "ApprovalStatusId", "LastUpdateDate"],
  },
] as const;

const pick = (row: Rec, keys: readonly string[]): Rec => Object.fromEntries(keys.map((k) => [k, row[k] ?? null]));

/** A document as `$select=…&$expand=Products(…;$expand=Product(…))` should serve it, built from the snapshot. */
function expectedDocument(row: Rec, select: readonly string[]): Rec {
  const catalog = new Map(snap.products.map((p) => [num(p.Id), p as Rec]));
  const lines = (row.Products as Rec[]).map((line) => {
    const product = catalog.get(num(line.ProductId));
    return { ...pick(line, LINE_SELECT), Product: product ? pick(product, ["Id", "UnitPrice"]) : null };
  });
  return { ...pick(row, select), Products: lines };
}

describe.each(SETS)("$set", ({ set, rows, select }) => {
  it("has rows to test with", () => {
    expect(rows().length).toBeGreaterThan(PAGE + 50);
  });

  it("walks an Id range with the keyset form and nested $expand, each row once", async () => {
    const all = rows();
    const low = num(all[3]?.Id);
    const high = num(all[all.length - 5]?.Id);
    const seen: Rec[] = [];
    let after = low;
    for (;;) {
      const page = await getPage(sim, set, {
        $filter: `Id gt ${after} and Id le ${high}`,
        $orderby: "Id",
        $top: String(PAGE),
        $select: select.join(","),
        $expand: LINES_EXPAND,
      });
      expect(page.nextLink).toBeUndefined();
      if (page.value.length === 0) break;
      seen.push(...page.value);
      after = num(page.value[page.value.length - 1]?.Id);
    }
    const expected = all.filter((r) => num(r.Id) > low && num(r.Id) <= high).map((r) => expectedDocument(r, select));
    expect(seen).toEqual(expected);
  });

  it("walks the incremental keyset on (LastUpdateDate, Id), each row once", async () => {
    const ordered = sortBy(rows(), [{ key: "LastUpdateDate", date: true }]);
    const start = ordered[40] as Rec;
    const seen: number[] = [];
    let cursor = { date: str(start.LastUpdateDate), id: num(start.Id) };
    for (;;) {
      const page = await getPage(sim, set, {
        $filter: `LastUpdateDate gt ${cursor.date} or (LastUpdateDate eq ${cursor.date} and Id gt ${cursor.id})`,
        $orderby: "LastUpdateDate,Id",
        $top: String(PAGE),
        $select: "Id,LastUpdateDate",
      });
      if (page.value.length === 0) break;
      seen.push(...ids(page.value));
      const last = page.value[page.value.length - 1] as Rec;
      cursor = { date: str(last.LastUpdateDate), id: num(last.Id) };
    }
    // sortBy is the tests' own order: dates as instants, ties by Id.
    expect(seen).toEqual(ordered.slice(41).map((r) => num(r.Id)));
  });

  it("answers the max-Id probe and the cheap line probe", async () => {
    const maxId = Math.max(...rows().map((r) => num(r.Id)));
    expect((await getPage(sim, set, { $orderby: "Id desc", $top: "1", $select: "Id" })).value).toEqual([{ Id: maxId }]);
    const probe = await getPage(sim, set, { $top: "20", $select: "Id", $expand: "Products($select=Id)" });
    expect(probe.value).toEqual(
      rows().slice(0, 20).map((r) => ({ Id: r.Id, Products: (r.Products as Rec[]).map((l) => ({ Id: l.Id })) })),
    );
  });

  it("serves one document by key and refuses unknown names with 403", async () => {
    const first = rows()[0] as Rec;
    const one = await getPage(sim, `${set}(${num(first.Id)})`, { $select: "Id,DealId" });
    expect(one.value).toEqual([pick(first, ["Id", "DealId"])]);
    for (
      const query of [
        "$select=Win",
        "$filter=Foo eq 1",
        "$orderby=Nope",
        "$select=Products",
        "$expand=Products($select=Bogus)",
        "$expand=Lines",
      ]
    ) {
      expect((await apiGet(sim, `${set}?${query}`)).status, query).toBe(403);
    }
  });

  it("expands its Deal and Contact", async () => {
    const first = rows()[0] as Rec;
    const deal = snap.deals.find((d) => d.Id === first.DealId) as Rec;
    const contact = snap.contacts.find((c) => c.Id === first.ContactId) as Rec;
    const page = await getPage(sim, set, {
      $filter: `Id eq ${num(first.Id)}`,
      $select: "Id",
      $expand: "Deal($select=Id,StatusId),Contact($select=Id,Name)",
    });
    expect(page.value).toEqual([{
      Id: first.Id,
      Deal: pick(deal, ["Id", "StatusId"]),
      Contact: pick(contact, ["Id", "Name"]),
    }]);
  });
});

describe.each([
  { set: "/Orders@Products", documents: () => snap.orders as Rec[], parent: "OrderId" },
  { set: "/Quotes@Products", documents: () => snap.quotes as Rec[], parent: "QuoteId" },
])("$set", ({ set, documents, parent }) => {
  const allLines = () => sortBy(documents().flatMap((d) => d.Products as Rec[]), []);

  it("serves every line of every document in Id order, 300 per page with a nextLink", async () => {
    const first = await getPage(sim, set, { $top: "5000" });
    expect(first.value).toHaveLength(PAGE);
    expect(first.nextLink).toBeDefined();
    const { rows } = await followNextLinks(sim, first);
    expect(rows).toEqual(allLines());
  });

  it("filters by document and deal, and expands the catalog product", async () => {
    const document = documents()[2] as Rec;
    const page = await getPage(sim, set, {
      $filter: `${parent} eq ${num(document.Id)}`,
      $select: "Id,Total",
      $expand: "Product($select=Id)",
    });
    expect(page.value).toEqual(
      (document.Products as Rec[]).map((l) => ({ Id: l.Id, Total: l.Total, Product: { Id: l.ProductId } })),
    );
    const byDeal = await getPage(sim, set, { $filter: `DealId eq ${num(document.DealId)}`, $select: "Id" });
    expect(ids(byDeal.value)).toEqual(allLines().filter((l) => l.DealId === document.DealId).map((l) => num(l.Id)));
    expect((await apiGet(sim, `${set}?$select=Price`)).status).toBe(403);
  });
});

describe("the queries a sync sends, written as it writes them", () => {
  it.each([
    "/Orders?$filter=Id gt 700000010 and Id le 700000900&$orderby=Id&$top=300&$select=Id,DealId,LastUpdateDate&$expand=Products($select=Id,ProductId,Quantity,UnitPrice,Discount,Total;$expand=Product($select=Id,UnitPrice))",
    "/Quotes?$filter=Id gt 800000010 and Id le 800000900&$orderby=Id&$top=300&$select=Id,DealId,ReviewNumber,LastReview,ApprovalStatusId,LastUpdateDate&$expand=Products($select=Id,ProductId,Quantity,UnitPrice,Discount,Total;$expand=Product($select=Id,UnitPrice))",
    "/Orders?$filter=LastUpdateDate gt 2024-01-01T00:00:00-03:00 or (LastUpdateDate eq 2024-01-01T00:00:00-03:00 and Id gt 0)&$orderby=LastUpdateDate,Id&$top=300&$select=Id,DealId,LastUpdateDate",
    "/Orders?$orderby=Id desc&$top=1&$select=Id",
    "/Orders?$top=20&$select=Id&$expand=Products($select=Id)",
    "/Quotes?$top=20&$select=Id&$expand=Products($select=Id)",
    "/Deals?$filter=StatusId eq 2&$orderby=Id desc&$top=20&$select=Id&$expand=Products($select=Id)",
  ])("%s", async (query) => {
    const response = await apiGet(sim, query.replaceAll(" ", "%20"));
    expect(response.status).toBe(200);
    expect((JSON.parse(response.text) as { value: unknown[] }).value.length).toBeGreaterThan(0);
  });
});

describe("the probes a sync sends", () => {
  it("won deals with their line ids, newest first", async () => {
    const won = sortBy(snap.deals.filter((d) => d.StatusId === 2), [{ key: "Id", desc: true }]).slice(0, 20);
    const page = await getPage(sim, "/Deals", {
      $filter: "StatusId eq 2",
      $orderby: "Id desc",
      $top: "20",
      $select: "Id",
      $expand: "Products($select=Id)",
    });
    expect(page.value).toEqual(
      won.map((d) => ({ Id: d.Id, Products: (d.Products as Rec[]).map((l) => ({ Id: l.Id })) })),
    );
  });
});

describe("auth, faults and rate limit", () => {
  it("needs the User-Key and takes scheduled faults on the new paths", async () => {
    expect((await apiGet(sim, "/Orders?$top=1", null)).status).toBe(401);
    await admin(sim, "POST", "/faults", { kind: "status", status: 503, match: { path: "/Quotes@Products" } });
    expect((await apiGet(sim, "/Orders@Products?$top=1")).status).toBe(200);
    expect((await apiGet(sim, "/Quotes@Products?$top=1")).status).toBe(503);
    expect((await apiGet(sim, "/Quotes@Products?$top=1")).status).toBe(200);
  });

  it("counts document requests in the account's rate limit", async () => {
    const limited = await startTestSimulator({ seed: 7, deals: 100, rpm: 2 });
    try {
      expect((await apiGet(limited, "/Orders?$top=1")).status).toBe(200);
      expect((await apiGet(limited, "/Quotes@Products?$top=1")).status).toBe(200);
      expect((await apiGet(limited, "/Quotes?$top=1")).status).toBe(429);
    } finally {
      await limited.stop();
    }
  });
});
