// Same options → byte-identical answers, from two independent servers; another seed → other data.
// @odata.context names the host; both servers are told to name the same one (as the real API
// names its shard host), and nextLinks, which must point at each server, are compared with the
// server address replaced.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { apiGet, fetchSnapshot, startTestSimulator } from "./helpers.ts";

/** Mutation stamps never fall behind the clock, so both servers share one fixed clock. */
const FIXED_NOW = Date.parse("2026-01-01T00:00:00Z");
const SHARED = {
  contacts: 400,
  products: 70,
  deals: 900,
  now: () => FIXED_NOW,
  settings: { contextBaseUrl: "https://public6-api2.ploomes.com" },
};
let a: Simulator;
let b: Simulator;
let other: Simulator;

beforeAll(async () => {
  [a, b, other] = await Promise.all([
    startTestSimulator({ seed: 2024, ...SHARED }),
    startTestSimulator({ seed: 2024, ...SHARED }),
    startTestSimulator({ seed: 2025, ...SHARED }),
  ]);
});
afterAll(() => Promise.all([a.stop(), b.stop(), other.stop()]));

const QUERIES = [
  "/Deals?$top=300&$expand=Contact($select=Id,Name,CNPJ,CPF),Products",
  "/Deals?$filter=Id gt 500000300&$orderby=Id&$top=300&$select=Id,Amount,LastUpdateDate",
  "/Deals?$orderby=LastUpdateDate desc,Id&$top=100",
  "/Contacts?$top=300",
  "/Products",
  "/Deals@Pipelines?$expand=Stages",
];

describe("determinism", () => {
  it.each(QUERIES)("two servers with one seed answer %s byte for byte", async (query) => {
    const [x, y] = await Promise.all([apiGet(a, query), apiGet(b, query)]);
    expect(x.status).toBe(200);
    expect(x.text.replaceAll(a.url, "<server>")).toBe(y.text.replaceAll(b.url, "<server>"));
  });

  it("pages without a nextLink are identical without any rewriting", async () => {
    const query = "/Deals?$top=300&$expand=Contact,Products($expand=Product)";
    const [x, y] = await Promise.all([apiGet(a, query), apiGet(b, query)]);
    expect(x.text).not.toContain("nextLink");
    expect(x.text).toBe(y.text);
  });

  it("gives identical snapshots, and identical stamps for identical mutations", async () => {
    expect(JSON.stringify(await fetchSnapshot(a))).toBe(JSON.stringify(await fetchSnapshot(b)));
    const firstId = a.snapshot().deals[0]?.Id;
    if (typeof firstId !== "number") throw new Error("the data set has no deals");
    const [x, y] = [a, b].map((sim) => sim.update("deals", firstId, { Amount: 10 }));
    expect(x?.LastUpdateDate).toBe(y?.LastUpdateDate);
    a.reset();
    b.reset();
  });

  it("never stamps a mutation before the wall clock (Ploomes stamps with its real clock)", async () => {
    const later = Date.parse("2031-05-06T07:08:09Z");
    const sim = await startTestSimulator({ seed: 2024, contacts: 20, products: 5, deals: 30, now: () => later });
    try {
      const firstId = sim.snapshot().deals[0]?.Id;
      if (typeof firstId !== "number") throw new Error("the data set has no deals");
      const stamp = sim.update("deals", firstId, { Amount: 10 }).LastUpdateDate;
      expect(Date.parse(String(stamp))).toBeGreaterThanOrEqual(later);
    } finally {
      await sim.stop();
    }
  });

  it("gives different data for a different seed", async () => {
    const query = "/Deals?$top=50&$select=Id,Title,Amount";
    const [x, y] = await Promise.all([apiGet(a, query), apiGet(other, query)]);
    expect(x.text).not.toBe(y.text);
    const [sa, so] = await Promise.all([fetchSnapshot(a), fetchSnapshot(other)]);
    expect(sa.contacts.map((c) => c.CNPJ)).not.toEqual(so.contacts.map((c) => c.CNPJ));
    expect(sa.epoch).not.toBe(so.epoch);
  });
});
