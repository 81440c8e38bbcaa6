// $orderby, $top, $skip, the 300-row page cap and @odata.nextLink, and $count. Expected orders
// come from sorting the snapshot with the test's own comparator.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Simulator, Snapshot } from "../../local/ploomes-simulator/index.ts";
import {
  admin,
  apiGet,
  fetchSnapshot,
  followNextLinks,
  getPage,
  ids,
  num,
  sortBy,
  startTestSimulator,
} from "./helpers.ts";

const DEALS = 1100;
let sim: Simulator;
let snap: Snapshot;

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 31, deals: DEALS });
  snap = await fetchSnapshot(sim);
});
afterAll(() => sim.stop());
afterEach(async () => {
  // Settings flipped by a test go back to the defaults for the next one.
  await admin(sim, "PATCH", "/settings", { topOverflow: "nextLink", missingTop: "nextLink", supportsCount: false });
});

describe("$orderby", () => {
  it.each([
    ["Amount desc,Id", [{ key: "Amount", desc: true }]],
    ["StatusId,Amount desc", [{ key: "StatusId" }, { key: "Amount", desc: true }]],
    ["ContactName", [{ key: "ContactName" }]],
    ["LastUpdateDate desc", [{ key: "LastUpdateDate", desc: true, date: true }]],
    ["FinishDate asc", [{ key: "FinishDate", date: true }]],
    ["Id desc", [{ key: "Id", desc: true }]],
  ])("%s (nulls first, ties in Id order)", async (orderby, keys) => {
    const expected = sortBy(snap.deals, keys).slice(0, 300).map((d) => num(d.Id));
    const page = await getPage(sim, "/Deals", { $orderby: orderby, $top: "300", $select: "Id" });
    expect(ids(page.value)).toEqual(expected);
  });

  it("orders by a property of a navigation (Contact/Name)", async () => {
    const names = new Map(snap.contacts.map((c) => [num(c.Id), c.Name]));
    const withName = snap.deals.map((d) => ({
      ...d,
      SortName: d.ContactId === null ? null : (names.get(num(d.ContactId)) ?? null),
    }));
    const expected = sortBy(withName, [{ key: "SortName" }]).slice(0, 200).map((d) => num(d.Id));
    const page = await getPage(sim, "/Deals", { $orderby: "Contact/Name", $top: "200", $select: "Id" });
    expect(ids(page.value)).toEqual(expected);
  });
});

describe("$top and $skip", () => {
  it("returns the requested window", async () => {
    const expected = snap.deals.slice(250, 290).map((d) => num(d.Id));
    const page = await getPage(sim, "/Deals", { $orderby: "Id", $top: "40", $skip: "250" });
    expect(ids(page.value)).toEqual(expected);
    expect(page.nextLink).toBeUndefined();
  });

  it("skips past the end to an empty page, and $top=0 is empty", async () => {
    expect((await getPage(sim, "/Deals", { $skip: String(DEALS), $top: "10" })).value).toEqual([]);
    expect((await getPage(sim, "/Deals", { $top: "0" })).value).toEqual([]);
  });

  it("walks every deal exactly once with growing $skip", async () => {
    const seen: number[] = [];
    for (let skip = 0; skip < DEALS; skip += 300) {
      seen.push(...ids((await getPage(sim, "/Deals", { $orderby: "Id", $top: "300", $skip: String(skip) })).value));
    }
    expect(seen).toEqual(snap.deals.map((d) => num(d.Id)));
  });
});

describe("page cap and @odata.nextLink", () => {
  it("without $top: 300 rows and a nextLink; following them yields every deal once", async () => {
    const first = await getPage(sim, "/Deals", { $select: "Id,Amount" });
    expect(first.value).toHaveLength(300);
    expect(first.nextLink).toMatch(new RegExp(`^${sim.url}/Deals\\?`));
    const { rows, pages } = await followNextLinks(sim, first);
    expect(pages).toBe(Math.ceil(DEALS / 300));
    expect(ids(rows)).toEqual(snap.deals.map((d) => num(d.Id)));
    expect(Object.keys(rows[rows.length - 1] ?? {})).toEqual(["Id", "Amount"]); // options carried over
  });

  it("$top above 300: pages of 300 whose nextLink carries the rest of $top", async () => {
    const first = await getPage(sim, "/Deals", { $top: "700", $orderby: "Id", $filter: "StatusId ne 1" });
    expect(first.value).toHaveLength(300);
    const link = new URL(first.nextLink ?? "");
    expect(link.searchParams.get("$top")).toBe("400");
    expect(link.searchParams.get("$skip")).toBe("300");
    const { rows, pages } = await followNextLinks(sim, first);
    expect(pages).toBe(3);
    const expected = snap.deals.filter((d) => d.StatusId !== 1).slice(0, 700).map((d) => num(d.Id));
    expect(ids(rows)).toEqual(expected);
  });

  it("follows nextLinks from a $skip start, with a filter and an order", async () => {
    const first = await getPage(sim, "/Deals", { $skip: "100", $orderby: "Amount desc", $filter: "Amount gt 1000" });
    const { rows } = await followNextLinks(sim, first);
    const expected = sortBy(snap.deals.filter((d) => num(d.Amount) > 1000), [{ key: "Amount", desc: true }]).slice(100);
    expect(ids(rows)).toEqual(ids(expected));
  });

  it("has no nextLink when the last page is exactly full", async () => {
    const target = snap.deals[599];
    const first = await getPage(sim, "/Deals", { $filter: `Id le ${num(target?.Id)}` });
    const { rows, pages } = await followNextLinks(sim, first);
    expect(rows).toHaveLength(600);
    expect(pages).toBe(2);
  });

  it("topOverflow=truncate: 300 rows, silently", async () => {
    await admin(sim, "PATCH", "/settings", { topOverflow: "truncate" });
    const page = await getPage(sim, "/Deals", { $top: "1000" });
    expect(page.value).toHaveLength(300);
    expect(page.nextLink).toBeUndefined();
  });

  it("topOverflow=error400: $top above 300 is refused", async () => {
    await admin(sim, "PATCH", "/settings", { topOverflow: "error400" });
    const response = await apiGet(sim, "/Deals?$top=301");
    expect(response.status).toBe(400);
    expect(response.text).toContain("300");
  });

  it("missingTop=truncate: no nextLink without $top", async () => {
    await admin(sim, "PATCH", "/settings", { missingTop: "truncate" });
    const page = await getPage(sim, "/Deals");
    expect(page.value).toHaveLength(300);
    expect(page.nextLink).toBeUndefined();
  });
});

describe("$count", () => {
  it("is accepted but ignored while supportsCount is off", async () => {
    const page = await getPage(sim, "/Deals", { $count: "true", $top: "1" });
    expect(page.count).toBeUndefined();
    expect(page.value).toHaveLength(1);
  });

  it("adds @odata.count, the number of all matches, when supportsCount is on", async () => {
    await admin(sim, "PATCH", "/settings", { supportsCount: true });
    const page = await getPage(sim, "/Deals", { $count: "true", $top: "1", $filter: "StatusId eq 2" });
    expect(page.count).toBe(snap.deals.filter((d) => d.StatusId === 2).length);
    expect(page.raw.indexOf("@odata.count")).toBeLessThan(page.raw.indexOf('"value"'));
  });
});
