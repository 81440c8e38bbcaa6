// Refusals: 403 for unknown names anywhere (the trap that broke the predecessor), 400 for
// malformed queries, 401 for a missing or unknown User-Key, 404 for unknown paths.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { admin, apiGet, startTestSimulator, withQuery } from "./helpers.ts";

const FORBIDDEN_BODY = '{"error":{"code":"","message":"Your request has been forbidden"}}';
let sim: Simulator;

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 51, deals: 50 });
});
afterAll(() => sim.stop());
afterEach(async () => {
  await admin(sim, "POST", "/reset");
});

describe("403 for names the entity does not have", () => {
  it.each([
    ["$select with a non-field", { $select: "Id,Win" }, "Win"],
    ["$select with Lose", { $select: "Lose" }, "Lose"],
    ["$select with a navigation", { $select: "Id,Products" }, "Products"],
    ["$select with a path", { $select: "Contact/Name" }, "Contact/Name"],
    ["$filter with a non-field", { $filter: "LastStageUpdate gt 2024-01-01T00:00:00Z" }, "LastStageUpdate"],
    ["$filter through a navigation", { $filter: "Contact/Document eq '1'" }, "Document"],
    ["$filter inside a function", { $filter: "contains(CreatedDate,'2024')" }, "CreatedDate"],
    ["$orderby with a non-field", { $orderby: "Id,CompanyId desc" }, "CompanyId"],
    ["$expand of an unknown navigation", { $expand: "DealProducts" }, "DealProducts"],
    ["$expand of a property", { $expand: "Title" }, "Title"],
    ["$select inside $expand", { $expand: "Contact($select=Id,Document)" }, "Document"],
    ["$filter inside $expand", { $expand: "Products($filter=Price gt 1)" }, "Price"],
    ["$orderby inside $expand", { $expand: "Products($orderby=Active)" }, "Active"],
    ["$expand inside $expand", { $expand: "Products($expand=Catalog)" }, "Catalog"],
  ])("%s", async (_name, params, culprit) => {
    sim.clearRequests();
    const response = await apiGet(sim, withQuery("/Deals", params));
    expect(response.status).toBe(403);
    expect(response.text).toBe(FORBIDDEN_BODY);
    // The reason stays in the simulator's log for debugging; the client gets only the message.
    expect(sim.requests()[0]?.note).toContain(culprit);
  });

  it("uses the body format the settings ask for", async () => {
    await admin(sim, "PATCH", "/settings", { forbiddenFormat: "html" });
    const html = await apiGet(sim, "/Deals?$select=Win");
    expect(html.status).toBe(403);
    expect(html.headers.get("content-type")).toContain("text/html");
    expect(html.text).toContain("Your request has been forbidden");
    await admin(sim, "PATCH", "/settings", { forbiddenFormat: "text" });
    expect((await apiGet(sim, "/Deals?$select=Win")).text).toBe("Your request has been forbidden");
  });
});

describe("400 for malformed queries, with a message naming the problem", () => {
  it.each([
    ["an operator without operand", { $filter: "Id eq" }, "position"],
    ["an unknown operator", { $filter: "Id equals 5" }, "equals"],
    ["unbalanced parentheses", { $filter: "(Id eq 5" }, "')'"],
    ["an unterminated string", { $filter: "Title eq 'abc" }, "unterminated"],
    ["incompatible types", { $filter: "Id eq 'abc'" }, "incompatible"],
    ["a date-only literal", { $filter: "LastUpdateDate ge 2024-01-01" }, "no time"],
    ["a datetime without offset", { $filter: "LastUpdateDate ge 2024-01-01T00:00:00" }, "offset"],
    ["`not` binding tighter than eq", { $filter: "not StatusId eq 1" }, "not"],
    ["a non-boolean filter", { $filter: "Amount" }, "true or false"],
    ["an unknown function", { $filter: "substringof('a',Title)" }, "substringof"],
    ["a bad $top", { $top: "ten" }, "$top"],
    ["a negative $skip", { $skip: "-1" }, "$skip"],
    ["a bad $orderby direction", { $orderby: "Id sideways" }, "sideways"],
    ["an unclosed $expand", { $expand: "Contact($select=Id" }, "')'"],
    ["an unknown system option", { $foo: "1" }, "$foo"],
    ["a repeated option inside $expand", { $expand: "Products($top=1;$top=2)" }, "$top"],
    ["$filter on a single-valued expansion", { $expand: "Contact($filter=Id gt 1)" }, "collection"],
    ["a bad $count", { $count: "yes" }, "$count"],
  ])("%s", async (_name, params, fragment) => {
    const response = await apiGet(sim, withQuery("/Deals", params));
    expect(response.status).toBe(400);
    const message = (JSON.parse(response.text) as { error: { message: string } }).error.message;
    expect(message).toContain(fragment);
  });

  it("explains a '+' offset that arrived as a space", async () => {
    const response = await apiGet(sim, "/Deals?$filter=LastUpdateDate%20ge%202024-01-01T00:00:00+02:00");
    expect(response.status).toBe(400);
    expect(response.text).toContain("%2B");
  });
});

describe("401 for a missing or unknown User-Key", () => {
  it("refuses a request without the header", async () => {
    const response = await apiGet(sim, "/Deals?$top=1", null);
    expect(response.status).toBe(401);
    expect(JSON.parse(response.text)).toEqual({ error: { code: "", message: expect.any(String) } });
  });

  it("refuses an unknown key", async () => {
    expect((await apiGet(sim, "/Deals?$top=1", "0123ABCD")).status).toBe(401);
  });

  it("accepts the printed key, which looks like a Ploomes key", async () => {
    expect(sim.apiKey).toMatch(/^[0-9A-F]{128}$/);
    expect((await apiGet(sim, "/Account?$top=1&$select=Id")).status).toBe(200);
  });

  it("answers with the status and body format the settings ask for", async () => {
    await admin(sim, "PATCH", "/settings", { authFailureStatus: 403, authFailureFormat: "empty" });
    const response = await apiGet(sim, "/Deals", "wrong");
    expect(response.status).toBe(403);
    expect(response.text).toBe("");
  });
});

describe("paths and methods", () => {
  it.each(["/Deals/500000001/Products", "/Nope", "/deals/x", "/Deals@Nope"])("404 for %s", async (path) => {
    expect((await apiGet(sim, path)).status).toBe(404);
  });

  it("405 for writes on the API", async () => {
    const response = await fetch(`${sim.url}/Deals`, {
      method: "POST",
      headers: { "User-Key": sim.apiKey },
      body: "{}",
    });
    expect(response.status).toBe(405);
    expect(await response.text()).toContain("/__sim/");
  });
});
