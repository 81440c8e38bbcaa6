// The fault kinds a proxy or a misbehaving server produces, seen from the client's side: an HTML
// 200, an empty 200, a redirect, an empty page, a foreign nextLink and rows repeated from another
// page; and the validation of fault specs (fields a kind needs or does not use).

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Simulator, Snapshot } from "../../local/ploomes-simulator/index.ts";
import { admin, apiGet, fetchSnapshot, getPage, num, type Rec, startTestSimulator } from "./helpers.ts";

let sim: Simulator;
let snap: Snapshot;
/** More deals than one page of 300, so a request without $top gets a nextLink. */
const DEAL_COUNT = 400;
const PAGE_SIZE = 300;

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 73, deals: DEAL_COUNT });
  snap = await fetchSnapshot(sim);
});
afterAll(() => sim.stop());
beforeEach(async () => {
  await admin(sim, "POST", "/reset");
});

const schedule = async (spec: Record<string, unknown>) => {
  const { status, json } = await admin(sim, "POST", "/faults", spec);
  expect(status, JSON.stringify(json)).toBe(201);
  return json as Rec;
};

const dealAt = (index: number): Rec => {
  const found = snap.deals[index];
  if (!found) throw new Error(`no deal at index ${index}`);
  return found;
};

const idsAndTitles = (rows: readonly Rec[]) => rows.map((d) => ({ Id: d.Id, Title: d.Title }));

describe("answers from something in front of the API", () => {
  it("html200: a 200 with an HTML sign-in page", async () => {
    await schedule({ kind: "html200" });
    const response = await apiGet(sim, "/Deals?$top=1");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.text).toMatch(/^<!DOCTYPE html>/);
    expect(() => JSON.parse(response.text)).toThrow(SyntaxError);
    expect(sim.requests()[0]).toMatchObject({ status: 200, fault: "html200" });
    expect((await getPage(sim, "/Deals", { $top: "1" })).value).toHaveLength(1);
  });

  it("empty200: a 200 that says JSON and has no body", async () => {
    await schedule({ kind: "empty200" });
    const response = await apiGet(sim, "/Deals?$top=1");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(response.headers.get("content-length")).toBe("0");
    expect(response.text).toBe("");
  });

  it("redirect: a 302 to the fault's location, with no body", async () => {
    const location = "https://login.gateway.invalid/auth?next=%2FDeals";
    await schedule({ kind: "redirect", location });
    const response = await fetch(`${sim.url}/Deals?$top=1`, {
      headers: { "User-Key": sim.apiKey },
      redirect: "manual",
    });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(location);
    expect(await response.text()).toBe("");
  });

  it("redirect: a client that follows it asks the location", async () => {
    const target = `${sim.url}/Deals?$top=2&$select=Id`;
    await schedule({ kind: "redirect", location: target });
    const response = await fetch(`${sim.url}/Deals?$top=50`, { headers: { "User-Key": sim.apiKey } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { value: Rec[] }).value).toEqual([{ Id: dealAt(0).Id }, { Id: dealAt(1).Id }]);
    expect(sim.requests().map((r) => [r.status, r.fault ?? null])).toEqual([[302, "redirect"], [200, null]]);
  });
});

describe("pages of a misbehaving server", () => {
  it("emptyPage: the envelope with value [] and no nextLink, in the middle of the data", async () => {
    await schedule({ kind: "emptyPage", match: { contains: `$skip=${PAGE_SIZE}` } });
    const first = await getPage(sim, "/Deals", { $select: "Id" });
    expect(first.value).toEqual(snap.deals.slice(0, PAGE_SIZE).map((d) => ({ Id: d.Id })));
    if (first.nextLink === undefined) throw new Error("the first page should have a nextLink");
    const second = await apiGet(sim, first.nextLink);
    expect(second.status).toBe(200);
    expect(JSON.parse(second.text)).toEqual({ "@odata.context": `${sim.url}/$metadata#Deals`, value: [] });
    // The same link, asked again, has the rest.
    const again = await apiGet(sim, first.nextLink);
    expect((JSON.parse(again.text) as { value: Rec[] }).value).toHaveLength(DEAL_COUNT - PAGE_SIZE);
  });

  it("emptyPage: drops the nextLink the real page would have had", async () => {
    await schedule({ kind: "emptyPage" });
    const response = await apiGet(sim, "/Deals?$select=Id");
    expect(JSON.parse(response.text)).toEqual({ "@odata.context": `${sim.url}/$metadata#Deals`, value: [] });
  });

  it("nextLink: the real page with the fault's location as @odata.nextLink", async () => {
    const location = "http://elsewhere.invalid/Deals?$skip=0";
    await schedule({ kind: "nextLink", location, count: 2 });
    const small = await getPage(sim, "/Deals", { $select: "Id,Title", $top: "3" });
    expect(small.value).toEqual(idsAndTitles(snap.deals.slice(0, 3)));
    expect(small.nextLink).toBe(location); // added: $top=3 never has a nextLink
    const full = await getPage(sim, "/Deals", { $select: "Id" });
    expect(full.value).toHaveLength(PAGE_SIZE);
    expect(full.nextLink).toBe(location); // replaced the real one
  });

  it("prependRows: rows named by Id, shaped like the page, put before it", async () => {
    const repeated = [dealAt(10), dealAt(2), dealAt(10)];
    await schedule({ kind: "prependRows", ids: repeated.map((d) => num(d.Id)) });
    const page = await getPage(sim, "/Deals", {
      $select: "Id,Title",
      $expand: "Contact($select=Name)",
      $top: "4",
      $orderby: "Id",
    });
    const contactName = (id: unknown) => {
      const contact = snap.contacts.find((c) => c.Id === id);
      return contact === undefined ? null : { Name: contact.Name };
    };
    const expected = [...repeated, ...snap.deals.slice(0, 4)].map((d) => ({
      Id: d.Id,
      Title: d.Title,
      Contact: contactName(d.ContactId),
    }));
    expect(page.value).toEqual(expected);
    expect(page.nextLink).toBeUndefined();
  });

  it("prependRows: $skip and the nextLink ignore the extra rows; overrides apply to them", async () => {
    const extra = dealAt(350);
    await schedule({ kind: "prependRows", ids: [num(extra.Id)] });
    sim.overrideRow("deals", num(extra.Id), { Title: 7 });
    const page = await getPage(sim, "/Deals", { $select: "Id" });
    expect(page.value).toHaveLength(PAGE_SIZE + 1);
    expect(page.value[0]).toEqual({ Id: extra.Id, Title: 7 });
    expect(page.value.slice(1)).toEqual(snap.deals.slice(0, PAGE_SIZE).map((d) => ({ Id: d.Id })));
    expect(new URL(page.nextLink ?? "").searchParams.get("$skip")).toBe(String(PAGE_SIZE));
  });

  it("prependRows: an Id the set does not have is skipped and named in the request log", async () => {
    const known = dealAt(0);
    await schedule({ kind: "prependRows", ids: [123, num(known.Id)] });
    const page = await getPage(sim, "/Deals", { $select: "Id", $top: "1" });
    expect(page.value).toEqual([{ Id: known.Id }, { Id: known.Id }]);
    expect(sim.requests()[0]?.note).toContain("123");
  });

  it("page faults leave errors alone", async () => {
    await schedule({ kind: "emptyPage" });
    expect((await apiGet(sim, "/Deals?$select=Nope")).status).toBe(403);
    expect(sim.faults()).toEqual([]); // consumed all the same
  });
});

describe("validation of fault specs", () => {
  const refused = async (spec: Record<string, unknown>): Promise<string[]> => {
    const { status, json } = await admin(sim, "POST", "/faults", spec);
    expect(status, JSON.stringify(json)).toBe(400);
    return (json as { problems: string[] }).problems;
  };

  it("needs location for redirect and nextLink, ids for prependRows", async () => {
    expect(await refused({ kind: "redirect" })).toEqual(['kind "redirect" needs location']);
    expect(await refused({ kind: "nextLink" })).toEqual(['kind "nextLink" needs location']);
    expect(await refused({ kind: "prependRows" })).toEqual(['kind "prependRows" needs ids']);
  });

  it("refuses fields the kind does not use, listing every one", async () => {
    expect(await refused({ kind: "html200", location: "/x" })).toEqual([
      'location applies only to kind "redirect" or "nextLink", not "html200"',
    ]);
    expect(await refused({ kind: "nextLink", location: "/x", ids: [1] })).toEqual([
      'ids applies only to kind "prependRows", not "nextLink"',
    ]);
    const problems = await refused({ kind: "redirect", status: 500, latencyMs: 10, retryAfterSeconds: 1 });
    expect(problems).toHaveLength(4); // three unused fields and the missing location
    expect(problems).toContain('latencyMs applies only to kind "latency" or "hold", not "redirect"');
  });

  it("refuses malformed ids and a location that cannot be a header", async () => {
    expect(await refused({ kind: "prependRows", ids: [] })).toHaveLength(1);
    expect(await refused({ kind: "prependRows", ids: [1.5, -2] })).toHaveLength(2);
    expect((await refused({ kind: "redirect", location: "/a\r\nSet-Cookie: x=1" }))[0]).toContain("valid header value");
    expect(sim.faults()).toEqual([]);
  });

  it("shows location and ids on pending faults; hold defaults to a 30 s bound", async () => {
    await schedule({ kind: "redirect", location: "/elsewhere" });
    await schedule({ kind: "prependRows", ids: [5, 6] });
    await schedule({ kind: "hold" });
    const pending = (await admin(sim, "GET", "/faults")).json as Rec[];
    expect(pending.map((f) => [f.kind, f.location, f.ids])).toEqual([["redirect", "/elsewhere", []], [
      "prependRows",
      null,
      [5, 6],
    ], ["hold", null, []]]);
    expect(pending[2]?.latencyMs).toBe(30_000);
  });
});
