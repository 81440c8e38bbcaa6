// The bad-input matrix: one case per way Ploomes (or a proxy in front of it) can send something
// wrong. Each case puts its bad input in place, says how the next run must end, and removes the
// bad input again; tests/integration/bad-input-matrix.test.ts runs them in order and checks the
// invariants after each (the run ends as said, nothing outside the touched deals changes, and the
// run after the heal converges to mirror = source).
import type pg from "pg";
import type { OverrideFields, Simulator } from "../../local/ploomes-simulator/index.ts";
import type { ForeignHost } from "./bad-input-harness.ts";
import type { Invocation } from "./sync-harness.ts";
import { waitFor } from "./stack.ts";

type Raw = Record<string, unknown>;

export interface CaseContext {
  readonly sim: Simulator;
  readonly db: pg.Client;
  readonly foreign: ForeignHost;
  invoke(body: Record<string, unknown>): Promise<Invocation>;
  /** Rewrites the function's env (the gateway restarts the function). */
  configure(overrides: Record<string, string | null>): void;
}

export interface Expectation {
  /** `partial`: the run stopped at its time budget and the pass resumes on the next run. */
  readonly status: "succeeded" | "failed" | "partial";
  /** The deal rejected by the run, and the field named. */
  readonly rejected?: { readonly id: number; readonly field: string };
  readonly warning?: RegExp;
  readonly error?: RegExp;
}

export interface BadInputCase {
  readonly name: string;
  /** Puts the bad input in place; returns the deals it touched (their customers may change). */
  apply(ctx: CaseContext): Promise<number[]> | number[];
  /** The request of the first run (default: an automatic run, i.e. incremental). */
  readonly request?: Record<string, unknown>;
  /** Replaces the default "invoke once" for cases that must act while the run is in flight. */
  run?(ctx: CaseContext, touched: number[]): Promise<Invocation>;
  expect(ctx: CaseContext, touched: number[]): Expectation;
  /** Removes the bad input again. */
  heal(ctx: CaseContext, touched: number[]): Promise<void> | void;
  /** The healing run's request (default a full pass, which proves mirror = source). */
  readonly healRequest?: Record<string, unknown>;
}

/** The n-th deal (by Id) that satisfies `wanted`, from the simulator's current data. */
function pick(sim: Simulator, n: number, wanted: (deal: Raw) => boolean = () => true): Raw {
  const deal = (sim.snapshot().deals as Raw[]).filter(wanted).sort((a, b) => (a.Id as number) - (b.Id as number))[n];
  if (deal === undefined) throw new Error(`the matrix dataset has no deal #${n} of this kind`);
  return deal;
}

const idOf = (deal: Raw): number => deal.Id as number;
const withLines = (deal: Raw): boolean => Array.isArray(deal.Products) && deal.Products.length > 0;
const withContact = (deal: Raw): boolean => typeof deal.ContactId === "number";
const lines = (deal: Raw): Raw[] => (deal.Products as Raw[]).map((line) => ({ ...line }));

/** Serves `fields` on the deal instead of its stored values, and bumps it so an incremental run reads it. */
function serveBad(sim: Simulator, id: number, fields: OverrideFields): number[] {
  sim.overrideRow("deals", id, fields);
  sim.update("deals", id, {}, { bump: true });
  return [id];
}

function stopServingBad(sim: Simulator, id: number): void {
  sim.clearOverride("deals", id);
  sim.update("deals", id, {}, { bump: true });
}

/** A rejected-value case: the override is served, the run succeeds with that one deal rejected. */
function rejectCase(
  name: string,
  n: number,
  field: string,
  fields: OverrideFields,
  wanted?: (d: Raw) => boolean,
): BadInputCase {
  return {
    name,
    apply: ({ sim }) => serveBad(sim, idOf(pick(sim, n, wanted)), fields),
    expect: (_ctx, [id = 0]) => ({ status: "succeeded", rejected: { id, field } }),
    heal: ({ sim }, [id = 0]) => stopServingBad(sim, id),
  };
}

/** A valid-but-unusual value stored in the simulator: the run accepts it and the metrics follow. */
function acceptCase(
  name: string,
  apply: (sim: Simulator) => number[],
  heal: (sim: Simulator, touched: number[]) => void = () => {},
): BadInputCase {
  return {
    name,
    apply: ({ sim }) => apply(sim),
    expect: () => ({ status: "succeeded" }),
    heal: ({ sim }, touched) => heal(sim, touched),
  };
}

/** Sets the documents of the n-th contact of `typeId` that has deals, and bumps its deals so an incremental run reads them. */
function setDocuments(sim: Simulator, n: number, typeId: number, documents: Raw): number[] {
  const snapshot = sim.snapshot();
  const withDeals = new Set((snapshot.deals as Raw[]).map((d) => d.ContactId));
  const contact = (snapshot.contacts as Raw[]).filter((c) => c.TypeId === typeId && withDeals.has(c.Id))[n];
  if (contact === undefined) throw new Error(`the matrix dataset has no contact #${n} of type ${typeId} with deals`);
  const contactId = contact.Id as number;
  sim.update("contacts", contactId, documents, { bump: true });
  const dealIds = (snapshot.deals as Raw[]).filter((d) => d.ContactId === contactId).map(idOf);
  for (const id of dealIds) sim.update("deals", id, {}, { bump: true });
  return dealIds;
}

/** A fault scheduled for the run; healed by clearing faults and restoring settings. */
function faultCase(
  name: string,
  request: Record<string, unknown>,
  apply: (ctx: CaseContext) => void,
  expect: (ctx: CaseContext) => Expectation,
): BadInputCase {
  return {
    name,
    request,
    apply: (ctx) => {
      apply(ctx);
      return [];
    },
    expect: (ctx) => expect(ctx),
    heal: ({ sim }) => {
      sim.clearFaults();
      sim.updateSettings({ pageSize: 300, topOverflow: "nextLink" });
    },
  };
}

const RETRY_AFTER_SECONDS = 61;
/** The lease of a run under the matrix's PLOOMES_REQUEST_TIMEOUT_MS (two request timeouts). */
export const MATRIX_REQUEST_TIMEOUT_MS = 5000;
const MATRIX_LEASE_SECONDS = (2 * MATRIX_REQUEST_TIMEOUT_MS) / 1000;

/** The key and account a "switched key" case moves to. */
export const OTHER_ACCOUNT_KEY = "B".repeat(128);

export const BAD_INPUT_CASES: readonly BadInputCase[] = [
  {
    // Reproduction 1 of the issue: a CNPJ typed into the value field.
    name: "amount overflow (a CNPJ typed as the Amount)",
    apply: ({ sim }) => {
      const id = idOf(pick(sim, 3, (d) => d.StatusId === 2));
      sim.update("deals", id, { Amount: 12345678000190 }, { bump: true });
      return [id];
    },
    expect: (_ctx, [id = 0]) => ({ status: "succeeded", rejected: { id, field: "Amount" } }),
    heal: ({ sim }, [id = 0]) => void sim.update("deals", id, { Amount: 1500 }, { bump: true }),
    // The fix arrives through an ordinary incremental run, which clears the reject.
    healRequest: { trigger: "manual" },
  },
  rejectCase("negative amount", 5, "Amount", { Amount: -50 }),
  rejectCase("Discount > 100", 7, "Products.0.Discount", {
    Products: [{ Id: 1, ProductId: 1, Quantity: 1, UnitPrice: 10, Discount: 150, Total: 10 }],
  }),
  rejectCase("Discount < 0", 9, "Products.0.Discount", {
    Products: [{ Id: 1, ProductId: 1, Quantity: 1, UnitPrice: 10, Discount: -5, Total: 10 }],
  }),
  rejectCase("unknown StatusId", 11, "StatusId", { StatusId: 7 }),
  nullContactCase(),
  rejectCase("NUL in a name", 15, "ContactName", { ContactName: "ACME\u0000 LTDA" }),
  acceptCase("emoji in a name", (sim) => {
    const deal = pick(sim, 17, withContact);
    sim.update("contacts", deal.ContactId as number, { Name: "Café ☕ & Pão 🚀 Ltda" }, { bump: true });
    const ids = (sim.snapshot().deals as Raw[]).filter((d) => d.ContactId === deal.ContactId).map(idOf);
    for (const id of ids) sim.update("deals", id, {}, { bump: true });
    return ids;
  }),
  acceptCase("CNPJ with punctuation", (sim) => setDocuments(sim, 2, 1, { CNPJ: " 11.222.333/0001-81 " })),
  acceptCase(
    "alphanumeric CNPJ (letters, valid since 2026)",
    (sim) => setDocuments(sim, 4, 1, { CNPJ: "12.ABC.345/01DE-35" }),
  ),
  acceptCase("CPF with letters (not a document: null)", (sim) => setDocuments(sim, 1, 2, { CPF: "123.ABC.789-09" })),
  acceptCase(
    "CNPJ of the wrong length (not a document: null)",
    (sim) => setDocuments(sim, 6, 1, { CNPJ: "12.345.678/0001" }),
  ),
  acceptCase("date with 7 fraction digits", (sim) => {
    const id = idOf(pick(sim, 25, (d) => d.StatusId === 2));
    sim.update("deals", id, { FinishDate: "2024-05-02T10:11:12.1234567-03:00" }, { bump: true });
    return [id];
  }),
  rejectCase("date without an offset", 27, "FinishDate", { FinishDate: "2024-05-02T10:11:12" }),
  rejectCase("date in year 0001 (.NET's empty date)", 29, "CreateDate", { CreateDate: "0001-01-01T00:00:00-03:00" }),
  rejectCase("date in year 9999", 31, "FinishDate", { FinishDate: "9999-12-31T23:59:59Z" }),
  acceptCase("line items with null Quantity and UnitPrice", (sim) => {
    const deal = pick(sim, 33, (d) => d.StatusId === 2 && withLines(d));
    const changed = lines(deal).map((
      line,
      index,
    ) => (index === 0 ? { ...line, Quantity: null, UnitPrice: null } : line));
    sim.update("deals", idOf(deal), { Products: changed }, { bump: true });
    return [idOf(deal)];
  }),
  acceptCase("5 000 line items on one deal", (sim) => {
    const deal = pick(sim, 35, (d) => d.StatusId === 2 && withLines(d));
    const first = lines(deal)[0] as Raw;
    const many = Array.from({ length: 5000 }, (_, index) => ({ ...first, Id: undefined, Quantity: 1 + (index % 3) }))
      .map(({ Id: _drop, ...line }) => line);
    sim.update("deals", idOf(deal), { Products: many }, { bump: true });
    return [idOf(deal)];
  }),
  acceptCase(
    "extra unknown fields",
    (sim) => serveBad(sim, idOf(pick(sim, 37)), { Foo: 1, Bar: { nested: [1, "x"] } }),
    (sim, [id = 0]) => stopServingBad(sim, id),
  ),
  faultCase(
    "HTML page with status 200",
    { mode: "full" },
    ({ sim }) => void sim.addFault({ kind: "html200", count: 20 }),
    () => ({ status: "failed", error: /HTML page/ }),
  ),
  faultCase(
    "empty body with status 200",
    { mode: "full" },
    ({ sim }) => void sim.addFault({ kind: "empty200", count: 1, match: { contains: "Id gt" } }),
    () => ({ status: "succeeded" }),
  ),
  // Reproduction 2 of the issue: pages shorter than $top must not end the pass.
  faultCase(
    "pages truncated below $top",
    { mode: "full" },
    ({ sim }) => void sim.updateSettings({ pageSize: 40, topOverflow: "truncate" }),
    () => ({ status: "succeeded" }),
  ),
  faultCase(
    "an empty page mid-pass, then more data",
    { mode: "full" },
    ({ sim }) => void sim.addFault({ kind: "emptyPage", count: 1, match: { contains: "Id gt" } }),
    () => ({ status: "succeeded", warning: /empty page/ }),
  ),
  faultCase(
    "@odata.nextLink to another host",
    { mode: "full" },
    ({ sim, foreign }) => void sim.addFault({ kind: "nextLink", count: 1, location: `${foreign.url}/Deals?$skip=100` }),
    ({ foreign }) => ({ status: "succeeded", warning: new RegExp(`nextLink to ${escape(foreign.url)}`) }),
  ),
  faultCase(
    "a 302 redirect",
    { mode: "full" },
    ({ sim, foreign }) => void sim.addFault({ kind: "redirect", count: 1, location: `${foreign.url}/Deals` }),
    ({ foreign }) => ({ status: "failed", error: new RegExp(`302: a redirect to ${escape(foreign.url)}`) }),
  ),
  {
    name: "duplicate Ids on two pages",
    request: { mode: "full" },
    apply: ({ sim }) => {
      const repeated = pick(sim, 99);
      sim.addFault({
        kind: "prependRows",
        count: 1,
        ids: [idOf(repeated)],
        match: { contains: `Id gt ${idOf(repeated)}` },
      });
      return [];
    },
    expect: () => ({ status: "succeeded" }),
    heal: ({ sim }) => sim.clearFaults(),
  },
  {
    name: "one deal on two pages with different LastUpdateDate",
    apply: ({ sim }) => {
      // 150 changed deals make an incremental pass of two pages; page 2 is held while a deal
      // of page 1 changes again, so it shows up again on page 2 with a later LastUpdateDate.
      const changed = (sim.snapshot().deals as Raw[]).slice(40, 190).map(idOf);
      for (const id of changed) sim.update("deals", id, {}, { bump: true });
      sim.addFault({ kind: "hold", count: 1, match: { contains: "LastUpdateDate gt" } });
      return changed;
    },
    run: async (ctx, [movedId = 0]) => {
      const running = ctx.invoke({ trigger: "manual" });
      await waitFor("page 2 to be held", 30_000, async () => (ctx.sim.heldCount() > 0 ? true : undefined));
      ctx.sim.update("deals", movedId, { Amount: 4321.5 }, { bump: true });
      ctx.sim.releaseHeld();
      return running;
    },
    expect: () => ({ status: "succeeded" }),
    heal: () => {},
  },
  {
    name: "a 61 s Retry-After (the lease is held while waiting: no second caller)",
    request: { mode: "full" },
    apply: ({ sim }) => {
      sim.addFault({
        kind: "retryAfter429",
        retryAfterSeconds: RETRY_AFTER_SECONDS,
        count: 1,
        match: { contains: "Id gt" },
      });
      return [];
    },
    run: async (ctx) => {
      const running = ctx.invoke({ mode: "full" });
      // Wait for a heartbeat that lands after the lease taken at claim time would have expired.
      await waitFor("a lease heartbeat past the first lease's expiry", 60_000, async () => {
        const { rows } = await ctx.db.query<{ renewed: boolean }>(
          `select s.lease_heartbeat_at > r.started_at + make_interval(secs => $1) as renewed
             from ploomes_sync.state s join ploomes_sync.runs r on r.id = s.lease_run_id
            where r.status = 'running'`,
          [MATRIX_LEASE_SECONDS + 1],
        );
        return rows[0]?.renewed ? true : undefined;
      });
      const second = await ctx.invoke({ trigger: "continue" });
      if (second.status !== 409) {
        throw new Error(`a second caller during the wait got ${second.status}: ${JSON.stringify(second.body)}`);
      }
      return running;
    },
    // A 61 s page leaves too little of the 120 s budget for another: the run ends partial after
    // storing it, and the healing run resumes the pass.
    expect: () => ({ status: "partial" }),
    heal: ({ sim }) => sim.clearFaults(),
  },
  {
    name: "a key switched to another account",
    apply: (ctx) => {
      ctx.sim.addKey({ key: OTHER_ACCOUNT_KEY, account: "other-account" });
      ctx.configure({ PLOOMES_API_KEY: OTHER_ACCOUNT_KEY });
      return [];
    },
    expect: () => ({ status: "succeeded", warning: /source changed/ }),
    heal: (ctx) => ctx.configure({}),
  },
];

/** A deal loses its contact, and gets it back when healed (the contact is kept in this closure). */
function nullContactCase(): BadInputCase {
  let contactId = 0;
  return acceptCase(
    "null ContactId (a deal with no customer is mirrored, counted for nobody)",
    (sim) => {
      const deal = pick(sim, 13, withContact);
      contactId = deal.ContactId as number;
      sim.update("deals", idOf(deal), { ContactId: null }, { bump: true });
      return [idOf(deal)];
    },
    (sim, [id = 0]) => void sim.update("deals", id, { ContactId: contactId }, { bump: true }),
  );
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
