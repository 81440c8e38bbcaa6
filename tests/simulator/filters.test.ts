// $filter against the running server. Every expected set is computed from the admin snapshot by
// the test's own code (filter, date comparison, sort), never by the simulator's query engine.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator, Snapshot } from "../../local/ploomes-simulator/index.ts";
import {
  admin,
  compareDates,
  fetchSnapshot,
  getPage,
  ids,
  num,
  type Rec,
  sortBy,
  startTestSimulator,
  str,
  toUtcLiteral,
} from "./helpers.ts";

let sim: Simulator;
let snap: Snapshot;
let deals: Rec[];

/** Every row matching `filter`, in Id order, fetched page by page with `Id gt <last>`. */
async function allMatching(resource: string, filter: string, extra: Record<string, string> = {}): Promise<Rec[]> {
  const rows: Rec[] = [];
  let last = 0;
  for (;;) {
    const page = await getPage(sim, resource, {
      $filter: `(${filter}) and Id gt ${last}`,
      $orderby: "Id",
      $top: "300",
      ...extra,
    });
    rows.push(...page.value);
    const tail = page.value[page.value.length - 1];
    if (page.value.length < 300 || !tail) return rows;
    last = num(tail.Id);
  }
}

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 21 });
  snap = await fetchSnapshot(sim);
  deals = snap.deals;
});
afterAll(() => sim.stop());

describe("comparison and logical operators", () => {
  const cases: [string, (d: Rec) => boolean][] = [
    ["StatusId eq 2", (d) => d.StatusId === 2],
    ["StatusId ne 2", (d) => d.StatusId !== 2],
    ["Amount gt 5000", (d) => num(d.Amount) > 5000],
    ["Amount ge 5000.5 and Amount le 20000", (d) => num(d.Amount) >= 5000.5 && num(d.Amount) <= 20000],
    ["Amount lt 100 or StatusId eq 1", (d) => num(d.Amount) < 100 || d.StatusId === 1],
    ["not (StatusId eq 1)", (d) => d.StatusId !== 1],
    [
      "(StatusId eq 2 or StatusId eq 3) and Amount le 5000",
      (d) => (d.StatusId === 2 || d.StatusId === 3) && num(d.Amount) <= 5000,
    ],
    ["ContactId eq null", (d) => d.ContactId === null],
    ["ContactId ne null and PersonId ne null", (d) => d.ContactId !== null && d.PersonId !== null],
    ["FinishDate eq null", (d) => d.FinishDate === null],
    ["StatusId eq 3 and LossReasonId ne null", (d) => d.StatusId === 3 && d.LossReasonId !== null],
    ["Amount gt -1 and not (Amount eq 0)", (d) => num(d.Amount) !== 0],
  ];
  it.each(cases)("%s", async (filter, predicate) => {
    const expected = deals.filter(predicate).map((d) => num(d.Id));
    expect(expected.length).toBeGreaterThan(0);
    expect(ids(await allMatching("/Deals", filter))).toEqual(expected);
  });

  it("treats a comparison with null as false except eq/ne", async () => {
    expect(await allMatching("/Deals", "FinishDate gt null")).toEqual([]);
  });

  it("answers an empty value array when nothing matches", async () => {
    const page = await getPage(sim, "/Deals", { $filter: "Id lt 0", $top: "10" });
    expect(page.value).toEqual([]);
  });
});

describe("strings and functions", () => {
  it("matches quoted strings with '' as an escaped quote", async () => {
    const inserted = await admin(sim, "POST", "/contacts", { Name: "D'Ávila & Filhos LTDA", TypeId: 1 });
    expect(inserted.status).toBe(201);
    const page = await getPage(sim, "/Contacts", { $filter: "Name eq 'D''Ávila & Filhos LTDA'", $select: "Id,Name" });
    expect(page.value).toEqual([{ Id: (inserted.json as Rec).Id, Name: "D'Ávila & Filhos LTDA" }]);
  });

  it.each([
    ["contains(Name,'LTDA')", (n: string) => n.includes("LTDA")],
    ["startswith(Name,'Comercial')", (n: string) => n.startsWith("Comercial")],
    ["endswith(Name,'S.A.')", (n: string) => n.endsWith("S.A.")],
    ["not contains(Name,'a')", (n: string) => !n.includes("a")],
    ["contains(tolower(Name),'silva')", (n: string) => n.toLowerCase().includes("silva")],
  ])("%s", async (filter, predicate) => {
    const contacts = (await fetchSnapshot(sim)).contacts;
    const expected = contacts.filter((c) => predicate(str(c.Name))).map((c) => num(c.Id));
    expect(expected.length).toBeGreaterThan(0);
    expect(ids(await allMatching("/Contacts", filter))).toEqual(expected);
  });

  it("filters on booleans, bare or compared", async () => {
    const expected = snap.products.filter((p) => p.Suspended === true).map((p) => num(p.Id));
    expect(ids(await allMatching("/Products", "Suspended"))).toEqual(expected);
    expect(ids(await allMatching("/Products", "Suspended eq true"))).toEqual(expected);
  });
});

describe("navigation paths", () => {
  it("filters deals by a property of their contact (Contact/TypeId)", async () => {
    const contacts = new Map(snap.contacts.map((c) => [num(c.Id), c]));
    const expected = deals.filter((d) => d.ContactId !== null && contacts.get(num(d.ContactId))?.TypeId === 2).map((
      d,
    ) => num(d.Id));
    expect(expected.length).toBeGreaterThan(0);
    expect(ids(await allMatching("/Deals", "Contact/TypeId eq 2"))).toEqual(expected);
  });
});

describe("datetimes", () => {
  /** A LastUpdateDate with a fraction that several deals share, when there is one. */
  const pivot = (): string => {
    const counts = new Map<string, number>();
    for (const d of deals) counts.set(str(d.LastUpdateDate), (counts.get(str(d.LastUpdateDate)) ?? 0) + 1);
    const shared = [...counts].filter(([date, n]) => n > 1 && date.includes("."));
    const median = sortBy(deals, [{ key: "LastUpdateDate", date: true }])[Math.floor(deals.length / 2)];
    return shared[0]?.[0] ?? str(median?.LastUpdateDate);
  };

  it("compares as instants: a -03:00 literal and its Z twin select the same deals", async () => {
    const x = pivot();
    const z = toUtcLiteral(x);
    expect(z).not.toBe(x);
    for (const op of ["gt", "ge", "lt", "le", "eq"] as const) {
      const test = {
        gt: (c: number) => c > 0,
        ge: (c: number) => c >= 0,
        lt: (c: number) => c < 0,
        le: (c: number) => c <= 0,
        eq: (c: number) => c === 0,
      }[op];
      const expected = deals.filter((d) => test(compareDates(str(d.LastUpdateDate), x))).map((d) => num(d.Id));
      const local = ids(await allMatching("/Deals", `LastUpdateDate ${op} ${x}`));
      const utc = ids(await allMatching("/Deals", `LastUpdateDate ${op} ${z}`));
      expect(local, `LastUpdateDate ${op} ${x}`).toEqual(expected);
      expect(utc, `LastUpdateDate ${op} ${z}`).toEqual(expected);
    }
  });

  it("accepts a +hh:mm offset sent as %2B", async () => {
    const x = pivot();
    // toISOString shows UTC; the wall clock at +02:00 is two hours later.
    const plusTwo = new Date(wholeSecondsMs(x) + 2 * 3_600_000).toISOString().slice(0, 19);
    const fraction = /\.(\d+)/.exec(x)?.[1];
    const literal = `${plusTwo}${fraction ? `.${fraction}` : ""}+02:00`; // same instant as x, shown at +02:00
    const expected = deals.filter((d) => compareDates(str(d.LastUpdateDate), x) >= 0).map((d) => num(d.Id));
    expect(ids(await allMatching("/Deals", `LastUpdateDate ge ${literal}`))).toEqual(expected);
  });

  it("pages through the keyset (LastUpdateDate, Id): every deal once, in order", async () => {
    const expected = sortBy(deals, [{ key: "LastUpdateDate", date: true }]).map((d) => num(d.Id));
    const seen: number[] = [];
    let cursor: { date: string; id: number } | null = null;
    for (let guard = 0; guard < 100; guard++) {
      const params: Record<string, string> = {
        $orderby: "LastUpdateDate,Id",
        $top: "97",
        $select: "Id,LastUpdateDate",
      };
      if (cursor) {
        params.$filter =
          `LastUpdateDate gt ${cursor.date} or (LastUpdateDate eq ${cursor.date} and Id gt ${cursor.id})`;
      }
      const page = await getPage(sim, "/Deals", params);
      seen.push(...ids(page.value));
      const tail = page.value[page.value.length - 1];
      if (page.value.length < 97 || !tail) break;
      cursor = { date: str(tail.LastUpdateDate), id: num(tail.Id) };
    }
    expect(seen).toEqual(expected);
  });

  it("keyset with a Z cursor gives the same page as with the -03:00 cursor", async () => {
    const x = pivot();
    const tied = deals.filter((d) => d.LastUpdateDate === x).map((d) => num(d.Id));
    const y = tied[0] ?? 0;
    const keyset = (date: string) => `LastUpdateDate gt ${date} or (LastUpdateDate eq ${date} and Id gt ${y})`;
    const expected = sortBy(
      deals.filter((d) => compareDates(str(d.LastUpdateDate), x) > 0 || (d.LastUpdateDate === x && num(d.Id) > y)),
      [{ key: "LastUpdateDate", date: true }],
    ).slice(0, 50).map((d) => num(d.Id));
    for (const date of [x, toUtcLiteral(x)]) {
      const page = await getPage(sim, "/Deals", { $filter: keyset(date), $orderby: "LastUpdateDate,Id", $top: "50" });
      expect(ids(page.value)).toEqual(expected);
    }
  });
});

function wholeSecondsMs(iso: string): number {
  return Date.parse(iso.replace(/\.\d+/, ""));
}
