// deal-fast-check.ts's date-time rule against the two it stands for, isPloomesDateTime (iso-date.ts)
// and hasPlausibleYear (deal-schema.ts): the same verdict on a grid of every field at and past its
// limits and on seeded random edits of valid literals. And the fast path's reach: it takes every
// value just inside a bound (zod stays the exception) and none just outside.
import { describe, expect, it } from "vitest";
import { isAcceptedDeal, isPlausibleDateTime } from "../../supabase/functions/_shared/ploomes/deal-fast-check.ts";
import { hasPlausibleYear } from "../../supabase/functions/_shared/ploomes/deal-schema.ts";
import { isPloomesDateTime } from "../../supabase/functions/_shared/ploomes/iso-date.ts";
import { BOUND_RULES, MALFORMED_CASES } from "./ploomes-deal-cases.ts";
import { fixture } from "./ploomes-deal-fixture.ts";

const reference = (raw: string) => isPloomesDateTime(raw) && hasPlausibleYear(raw);

const YEARS = ["0001", "1899", "1900", "1999", "2000", "2023", "2024", "2100", "2200", "2201", "9999"];
const MONTHS = ["00", "01", "02", "04", "12", "13", "1x"];
const DAYS = ["00", "01", "28", "29", "30", "31", "32"];
const TIMES = ["00:00:00", "23:59:59", "24:00:00", "23:60:00", "23:59:60", "9:10:11", "09:1:11"];
const FRACTIONS = ["", ".1", ".957", ".1234567", ".12345678", ".", ".12a"];
const OFFSETS = ["Z", "z", "+00:00", "-03:00", "+14:59", "-14:59", "+15:00", "+14:60", "-0300", "+03", "", " Z", "Z "];

/** Every calendar date of the grid with one time, and every time part with one date. */
function grid(): string[] {
  const literals: string[] = [];
  for (const year of YEARS) {
    for (const month of MONTHS) for (const day of DAYS) literals.push(`${year}-${month}-${day}T12:00:00Z`);
  }
  for (const time of TIMES) {
    for (const fraction of FRACTIONS) {
      for (const offset of OFFSETS) literals.push(`2024-02-29T${time}${fraction}${offset}`);
    }
  }
  return literals;
}

/** mulberry32, seeded so a failing literal can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EDIT_CHARACTERS = "0123456789-:T.Z+z ٣\u0000";
const VALID_LITERALS = [
  "2024-04-02T09:10:11.9571234-03:00",
  "1900-01-01T00:00:00Z",
  "2200-12-31T23:59:59.9+14:00",
  "2024-02-29T00:00:00.5Z",
];
const EDITED_LITERALS = 20_000;

/** A valid literal with one to three characters replaced, removed or inserted. */
function edited(random: () => number): string {
  let text = VALID_LITERALS[Math.floor(random() * VALID_LITERALS.length)] ?? "";
  const edits = 1 + Math.floor(random() * 3);
  for (let i = 0; i < edits; i += 1) {
    const at = Math.floor(random() * (text.length + 1));
    const character = EDIT_CHARACTERS[Math.floor(random() * EDIT_CHARACTERS.length)] ?? "";
    const kind = random();
    if (kind < 0.5) text = text.slice(0, at) + character + text.slice(at + 1);
    else if (kind < 0.75) text = text.slice(0, at) + text.slice(at + 1);
    else text = text.slice(0, at) + character + text.slice(at);
  }
  return text;
}

describe("isPlausibleDateTime", () => {
  it("agrees with isPloomesDateTime && hasPlausibleYear on the grid", () => {
    const literals = grid();
    const disagreements = literals.filter((raw) => isPlausibleDateTime(raw) !== reference(raw));
    expect(disagreements).toEqual([]);
    // The grid holds both verdicts (and Feb 29 on leap and common years).
    expect(literals.filter(reference).length).toBeGreaterThan(100);
    expect(isPlausibleDateTime("2024-02-29T12:00:00Z")).toBe(true);
    expect(isPlausibleDateTime("2100-02-29T12:00:00Z")).toBe(false);
    expect(isPlausibleDateTime("2000-02-29T12:00:00Z")).toBe(true);
  });

  it(`agrees on ${EDITED_LITERALS} seeded random edits of valid literals`, () => {
    const random = prng(7);
    let accepted = 0;
    for (let i = 0; i < EDITED_LITERALS; i += 1) {
      const raw = edited(random);
      expect(isPlausibleDateTime(raw), JSON.stringify(raw)).toBe(reference(raw));
      if (reference(raw)) accepted += 1;
    }
    expect(accepted).toBeGreaterThan(EDITED_LITERALS / 20);
  });
});

describe("isAcceptedDeal", () => {
  it("takes the fixture and every value just inside a bound, emoji included", () => {
    expect(isAcceptedDeal(fixture())).toBe(true);
    for (const rule of BOUND_RULES) {
      for (const value of rule.inside) {
        expect(isAcceptedDeal(rule.place(value)), `${rule.field} = ${JSON.stringify(value)?.slice(0, 40)}`).toBe(true);
      }
    }
  });

  it("takes no value just outside a bound and no malformed deal", () => {
    for (const rule of BOUND_RULES) {
      for (const value of rule.outside) expect(isAcceptedDeal(rule.place(value)), rule.field).toBe(false);
    }
    for (const [label, overrides] of MALFORMED_CASES) expect(isAcceptedDeal(fixture(overrides)), label).toBe(false);
    for (const value of [null, undefined, "deal", 1, [], [fixture()], {}]) expect(isAcceptedDeal(value)).toBe(false);
  });
});
