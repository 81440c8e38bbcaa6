// The generated data's invariants, checked on the raw snapshot with the tests' own code:
// valid CNPJ/CPF check digits, Brazilian names, line-item arithmetic, status proportions,
// Ploomes-style dates and the id ranges.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator, Snapshot } from "../../local/ploomes-simulator/index.ts";
import {
  compareDates,
  fetchSnapshot,
  isValidCnpj,
  isValidCpf,
  num,
  type Rec,
  startTestSimulator,
  str,
} from "./helpers.ts";

const DEALS = 3000;
/** `-03:00`, whole seconds or 1–7 fractional digits without trailing zeros. */
const PLOOMES_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{0,6}[1-9])?-03:00$/;
const hasAtMostTwoDecimals = (n: number) => Math.abs(Math.round(n * 100) - n * 100) < 1e-6;

let sim: Simulator;
let snap: Snapshot;

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 11, contacts: 800, products: 80, deals: DEALS });
  snap = await fetchSnapshot(sim);
});
afterAll(() => sim.stop());

describe("contacts", () => {
  it("companies carry a CNPJ with valid check digits, masked as 00.000.000/0000-00", () => {
    const companies = snap.contacts.filter((c) => c.TypeId === 1);
    expect(companies.length).toBeGreaterThan(snap.contacts.length * 0.5);
    const withCnpj = companies.filter((c) => c.CNPJ !== null);
    expect(withCnpj.length).toBeGreaterThan(companies.length * 0.8);
    expect(withCnpj.length).toBeLessThan(companies.length); // some are missing, as in real accounts
    for (const c of withCnpj) {
      expect(str(c.CNPJ)).toMatch(/^\d{2}\.\d{3}\.\d{3}\/\d{4}-\d{2}$/);
      expect(isValidCnpj(str(c.CNPJ)), `CNPJ ${String(c.CNPJ)}`).toBe(true);
      expect(c.CPF).toBeNull();
    }
    expect(companies.every((c) => /( LTDA| S\.A\.| ME| EIRELI| EPP)$/.test(str(c.LegalName)))).toBe(true);
  });

  it("people carry a CPF with valid check digits and a realistic name", () => {
    const people = snap.contacts.filter((c) => c.TypeId === 2);
    expect(people.length).toBeGreaterThan(snap.contacts.length * 0.1);
    const withCpf = people.filter((c) => c.CPF !== null);
    expect(withCpf.length).toBeGreaterThan(people.length * 0.8);
    for (const p of withCpf) {
      expect(str(p.CPF)).toMatch(/^\d{3}\.\d{3}\.\d{3}-\d{2}$/);
      expect(isValidCpf(str(p.CPF)), `CPF ${String(p.CPF)}`).toBe(true);
      expect(p.CNPJ).toBeNull();
      expect(str(p.Name).split(" ").length).toBeGreaterThanOrEqual(2);
    }
  });

  it("ids are in the 10^8 range and increase", () => {
    const contactIds = snap.contacts.map((c) => num(c.Id));
    expect(contactIds[0]).toBeGreaterThanOrEqual(100_000_001);
    expect(contactIds).toEqual([...contactIds].sort((a, b) => a - b));
    expect(new Set(contactIds).size).toBe(contactIds.length);
  });
});

describe("deals", () => {
  it("have ids from 5×10^8 upward, unique and sorted", () => {
    const dealIds = snap.deals.map((d) => num(d.Id));
    expect(dealIds.length).toBe(DEALS);
    expect(Math.min(...dealIds)).toBeGreaterThanOrEqual(500_000_000);
    expect(new Set(dealIds).size).toBe(DEALS);
    expect(dealIds.some((id, i) => i > 0 && id - (dealIds[i - 1] ?? id) > 1)).toBe(true); // gaps exist
  });

  it("mix open, won and lost deals in realistic proportions", () => {
    const share = (status: number) => snap.deals.filter((d) => d.StatusId === status).length / DEALS;
    expect(share(1)).toBeGreaterThan(0.1);
    expect(share(1)).toBeLessThan(0.4);
    expect(share(2)).toBeGreaterThan(0.2);
    expect(share(2)).toBeLessThan(0.5);
    expect(share(3)).toBeGreaterThan(0.2);
    expect(share(3)).toBeLessThan(0.6);
  });

  it("have FinishDate exactly when closed, and dates in -03:00 with variable fractions", () => {
    const fractionLengths = new Set<number>();
    for (const d of snap.deals) {
      expect(d.FinishDate === null).toBe(d.StatusId === 1);
      for (const field of ["CreateDate", "StartDate", "LastUpdateDate", "FinishDate"]) {
        const value = d[field];
        if (value === null) continue;
        expect(str(value)).toMatch(PLOOMES_DATE);
        fractionLengths.add((/\.(\d+)/.exec(str(value))?.[1] ?? "").length);
      }
      expect(compareDates(str(d.LastUpdateDate), str(d.CreateDate))).toBeGreaterThanOrEqual(0);
    }
    for (const length of [0, 1, 2, 3, 7]) {
      expect(fractionLengths.has(length), `fraction of ${length} digits`).toBe(true);
    }
  });

  it("share LastUpdateDate values sometimes, so the keyset's Id tie-breaker matters", () => {
    const counts = new Map<string, number>();
    for (const d of snap.deals) counts.set(str(d.LastUpdateDate), (counts.get(str(d.LastUpdateDate)) ?? 0) + 1);
    expect([...counts.values()].some((n) => n > 1)).toBe(true);
  });

  it("name their contact as the contact is named, and some have no contact", () => {
    const contacts = new Map(snap.contacts.map((c) => [num(c.Id), c]));
    const withoutContact = snap.deals.filter((d) => d.ContactId === null);
    expect(withoutContact.length).toBeGreaterThan(0);
    expect(withoutContact.every((d) => d.ContactName === null)).toBe(true);
    for (const d of snap.deals.filter((x) => x.ContactId !== null)) {
      expect(d.ContactName).toBe(contacts.get(num(d.ContactId))?.Name);
    }
    expect(snap.deals.some((d) => d.PersonId !== null && typeof d.PersonName === "string")).toBe(true);
  });

  it("carry amounts as JSON numbers with at most 2 decimals", () => {
    for (const d of snap.deals) expect(hasAtMostTwoDecimals(num(d.Amount)), `Amount ${String(d.Amount)}`).toBe(true);
  });
});

describe("line items", () => {
  const items = (): Rec[] => snap.deals.flatMap((d) => (Array.isArray(d.Products) ? (d.Products as Rec[]) : []));

  it("number 0–6 per deal and belong to their deal", () => {
    const counts = new Set<number>();
    for (const d of snap.deals) {
      const lines = d.Products as Rec[];
      counts.add(lines.length);
      expect(lines.length).toBeLessThanOrEqual(6);
      for (const line of lines) expect(line.DealId).toBe(d.Id);
    }
    expect(counts.has(0)).toBe(true);
    expect(counts.has(6)).toBe(true);
  });

  it("total Quantity × UnitPrice × (1 − Discount/100), rounded to cents", () => {
    for (const line of items()) {
      const expected = num(line.Quantity) * num(line.UnitPrice) * (1 - num(line.Discount) / 100);
      expect(Math.abs(num(line.Total) - expected)).toBeLessThanOrEqual(0.005 + 1e-9);
      expect(hasAtMostTwoDecimals(num(line.Total))).toBe(true);
      expect(hasAtMostTwoDecimals(num(line.UnitPrice))).toBe(true);
      expect(num(line.Discount)).toBeGreaterThanOrEqual(0);
      expect(num(line.Discount)).toBeLessThanOrEqual(100);
    }
  });

  it("mostly use the catalog price, some a custom price or a discount", () => {
    const catalog = new Map(snap.products.map((p) => [num(p.Id), num(p.UnitPrice)]));
    const all = items();
    const custom = all.filter((l) => Math.abs(num(l.UnitPrice) - (catalog.get(num(l.ProductId)) ?? NaN)) > 0.005);
    const discounted = all.filter((l) => num(l.Discount) > 0);
    expect(custom.length).toBeGreaterThan(all.length * 0.1);
    expect(custom.length).toBeLessThan(all.length * 0.5);
    expect(discounted.length).toBeGreaterThan(all.length * 0.1);
    expect(discounted.length).toBeLessThan(all.length * 0.5);
    for (const line of all) expect(catalog.has(num(line.ProductId))).toBe(true);
  });
});

describe("products", () => {
  it("have the catalog fields Ploomes uses (UnitPrice, Suspended, MeasurementUnit)", () => {
    for (const p of snap.products) {
      expect(num(p.Id)).toBeGreaterThanOrEqual(10_000_001);
      expect(num(p.UnitPrice)).toBeGreaterThan(0);
      expect(typeof p.Suspended).toBe("boolean");
      expect(typeof p.MeasurementUnit).toBe("string");
    }
  });
});
