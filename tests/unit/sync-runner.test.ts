// runSync: claiming, walking full and incremental passes, and invalid deals.
import { describe, expect, it } from "vitest";
import {
  API_KEY,
  deal,
  DEAL_LAST_UPDATE,
  deals,
  grantedClaim,
  page,
  passEnd,
  runSummary,
  shortPageEnd,
} from "./sync-fakes.ts";
import { expectedSource, RUN_ID, setup, STATS_AFTER } from "./sync-runner-setup.ts";

describe("runSync: claim", () => {
  it("passes the request and the configuration to claim (lease = ceil(2 × request timeout), source = base URL + key fingerprint)", async () => {
    const { db, run } = setup({
      env: {
        PLOOMES_REQUEST_TIMEOUT_MS: "1234",
        SYNC_FULL_EVERY_HOURS: "24",
        SYNC_OVERLAP_SECONDS: "60",
        PLOOMES_BASE_URL: "https://ploomes-sim.example.test/",
      },
      claim: { claimed: false, runId: 8, holderRunId: 6, leaseExpiresAt: "2024-05-02T12:01:00Z" },
    });
    await run({ mode: "full", dryRun: true, trigger: "cron" });
    expect(db.callsTo("claim")).toEqual([
      {
        fn: "claim",
        // 2 × 1234 ms = 2.468 s → 3 s
        options: {
          trigger: "cron",
          mode: "full",
          dryRun: true,
          leaseSeconds: 3,
          fullEveryHours: 24,
          overlapSeconds: 60,
          source: expectedSource("https://ploomes-sim.example.test", API_KEY),
        },
      },
    ]);
    expect(db.callsTo("claim")[0]?.options.source).not.toContain(API_KEY);
  });

  it("another key on the same base URL claims as another source (which forces a full pass)", async () => {
    const first = setup({ env: { PLOOMES_API_KEY: "KEY-OF-ACCOUNT-A-0123456789" }, steps: passEnd() });
    const second = setup({ env: { PLOOMES_API_KEY: "KEY-OF-ACCOUNT-B-0123456789" }, steps: passEnd() });
    await first.run();
    await second.run();
    const sources = [first, second].map(({ db }) => db.callsTo("claim")[0]?.options.source);
    expect(sources).toEqual([
      expectedSource("https://public-api2.ploomes.com", "KEY-OF-ACCOUNT-A-0123456789"),
      expectedSource("https://public-api2.ploomes.com", "KEY-OF-ACCOUNT-B-0123456789"),
    ]);
    expect(sources[0]).not.toBe(sources[1]);
  });

  it("answers 409 with the holder's run id when the lease is taken, and does nothing else", async () => {
    const { db, ploomes, run, events } = setup({
      claim: { claimed: false, runId: 8, holderRunId: 6, leaseExpiresAt: "2024-05-02T12:01:00Z" },
    });
    const outcome = await run();
    expect(outcome.status).toBe(409);
    expect(outcome.body).toMatchObject({
      runId: 8,
      status: "skipped",
      holderRunId: 6,
      leaseExpiresAt: "2024-05-02T12:01:00Z",
      error: "another run (6) is in progress",
    });
    expect(typeof outcome.body["hint"]).toBe("string");
    expect(db.fns()).toEqual(["claim"]);
    expect(ploomes.requests).toHaveLength(0);
    expect(events).toEqual([{ event: "skipped", runId: 8, holderRunId: 6 }]);
  });
});

/** The stored position of a full pass walked as one range (a fast API), `after` its last stored Id. */
const oneRange = (after: number) => ({ ranges: [{ from: null, to: null, after, done: false }] });

describe("runSync: a full pass", () => {
  it("walks two pages (300 + 10), stores each with its position, then finishes the pass", async () => {
    const summary = runSummary({
      runId: RUN_ID,
      status: "succeeded",
      pages: 2,
      dealsFetched: 310,
      customersChanged: 4,
    });
    // 100 ms answers at the default 90/min: ⌈(100 + 250) × 90 / 60 000⌉ = ⌈0.525⌉ = 1 range, so
    // no request for the highest Id.
    const { db, ploomes, run, eventNames } = setup({
      steps: [page(deals(1, 300)), page(deals(301, 310)), ...shortPageEnd()],
      msPerRequest: 100,
      db: { finishPass: () => summary },
    });
    const outcome = await run();

    // Requests: keyset on Id, no filter on the first page; the short second page does not end
    // the pass by itself: the empty answer to the keyset query after it does.
    expect(ploomes.requests).toHaveLength(3);
    expect(ploomes.filterOf(0)).toBeNull();
    expect(ploomes.filterOf(1)).toBe("Id gt 300");
    expect(ploomes.filterOf(2)).toBe("Id gt 310");
    expect(ploomes.paramOf(0, "$orderby")).toBe("Id");
    expect(ploomes.paramOf(0, "$top")).toBe("300");
    expect(ploomes.requests[0]?.path).toContain("Products(");

    expect(db.fns()).toEqual(["claim", "ingestPage", "ingestPage", "finishPass"]);
    const [first, second] = db.callsTo("ingestPage");
    expect(first?.runId).toBe(RUN_ID);
    expect(first?.position).toEqual(oneRange(300));
    expect(first?.range).toBe(0);
    expect(first?.rows).toHaveLength(300);
    expect(first?.rows.map((row) => row.id)).toEqual(Array.from({ length: 300 }, (_, index) => index + 1));
    expect(first?.rejects).toEqual([]);
    expect(first?.warnings).toEqual([]);
    expect(first?.leaseSeconds).toBe(60); // 2 × 30 000 ms default
    expect(first?.stats).toEqual(STATS_AFTER(1));
    expect(second?.position).toEqual(oneRange(310));
    expect(second?.range).toBe(0);
    expect(second?.rows.map((row) => row.id)).toEqual([301, 302, 303, 304, 305, 306, 307, 308, 309, 310]);
    expect(second?.stats).toEqual(STATS_AFTER(2));

    expect(db.callsTo("finishPass")).toEqual([
      { fn: "finishPass", runId: RUN_ID, stats: STATS_AFTER(3), maxRejectRatio: 0.01, maxDeleteRatio: 0.1 },
    ]);
    // The fake worker's CPU clock never moves: the invocation used 0 ms of it.
    expect(outcome).toEqual({ status: 200, body: { ...summary, durationMs: 300, cpuMs: 0 } });
    expect(eventNames()).toEqual(["run-start", "page", "page", "run-end"]);
  });

  it("maps every field of a deal to its row (Contact's name wins; line items with catalog price)", async () => {
    const noContact = deal(2, { Contact: null, FinishDate: null, Amount: null, Products: [] });
    const { db, run } = setup({ steps: [page([deal(1), noContact]), ...shortPageEnd()] });
    await run();
    const rows = db.callsTo("ingestPage")[0]?.rows;
    // The row shape sync_ingest_page reads (snake_case keys of its jsonb_to_recordset).
    expect(rows).toEqual([
      {
        id: 1,
        contact_id: 1001,
        contact_name: "Contact 1",
        contact_type_id: 1,
        contact_cnpj: "12.345.678/0001-90",
        contact_cpf: null,
        status_id: 2,
        amount: 150.5,
        create_date: "2024-01-01T10:00:00-03:00",
        finish_date: "2024-02-01T10:00:00Z",
        last_update_date: "2024-05-01T12:00:00.1234567-03:00",
        last_update_raw: "2024-05-01T12:00:00.1234567-03:00",
        line_items: [{ product_id: 77, quantity: 2, unit_price: 10, discount: 5, total: 19, catalog_unit_price: 12 }],
      },
      {
        id: 2,
        contact_id: 1002,
        contact_name: "Deal contact 2",
        contact_type_id: null,
        contact_cnpj: null,
        contact_cpf: null,
        status_id: 2,
        amount: null,
        create_date: "2024-01-01T10:00:00-03:00",
        finish_date: null,
        last_update_date: "2024-05-01T12:00:00.1234567-03:00",
        last_update_raw: "2024-05-01T12:00:00.1234567-03:00",
        line_items: [],
      },
    ]);
  });

  it("a page of exactly pageSize needs two more (empty) answers, then finishes", async () => {
    const { db, ploomes, run } = setup({
      env: { PLOOMES_PAGE_SIZE: "2" },
      steps: [page(deals(1, 2)), page(deals(3, 4)), ...passEnd()],
    });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(4);
    expect([0, 1, 2, 3].map((index) => ploomes.filterOf(index))).toEqual([null, "Id gt 2", "Id gt 4", "Id gt 4"]);
    expect(db.fns()).toEqual(["claim", "ingestPage", "ingestPage", "finishPass"]);
    expect(outcome.status).toBe(200);
  });

  it("two empty answers at the start finish the pass without storing anything", async () => {
    const { db, ploomes, run } = setup({ steps: passEnd() });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(2);
    expect(db.fns()).toEqual(["claim", "finishPass"]);
    expect(outcome.status).toBe(200);
  });

  it("passes SYNC_MAX_REJECT_RATIO and SYNC_MAX_DELETE_RATIO to finishPass and answers 502 when the pass fails there", async () => {
    const failed = runSummary({
      runId: RUN_ID,
      status: "failed",
      error: "3 of 10 deals failed validation",
      hint: "see rejects",
    });
    const { db, run } = setup({
      env: { SYNC_MAX_REJECT_RATIO: "0.05", SYNC_MAX_DELETE_RATIO: "0.25" },
      steps: [page(deals(1, 3)), ...shortPageEnd()],
      db: { finishPass: () => failed },
    });
    const outcome = await run();
    expect(db.callsTo("finishPass")[0]?.maxRejectRatio).toBe(0.05);
    expect(db.callsTo("finishPass")[0]?.maxDeleteRatio).toBe(0.25);
    expect(outcome.status).toBe(502);
    expect(outcome.body).toMatchObject({ status: "failed", error: "3 of 10 deals failed validation" });
  });

  it("resumes a full pass walked as one range after its stored last Id", async () => {
    const { db, ploomes, run } = setup({
      claim: grantedClaim({ runId: RUN_ID, mode: "full", resumed: true, position: oneRange(123) }),
      steps: [page(deals(124, 125)), ...shortPageEnd()],
    });
    const outcome = await run();
    expect(ploomes.filterOf(0)).toBe("Id gt 123");
    expect(ploomes.filterOf(1)).toBe("Id gt 125");
    expect(ploomes.requests).toHaveLength(2);
    expect(db.callsTo("ingestPage")[0]?.position).toEqual(oneRange(125));
    expect(db.callsTo("ingestPage")[0]?.range).toBe(0);
    expect(outcome.status).toBe(200);
  });

  it("a claim with a legacy {lastId} full-pass position fails the run with 500 before any request", async () => {
    const { db, ploomes, run } = setup({
      claim: grantedClaim({ runId: RUN_ID, mode: "full", resumed: true, position: { lastId: 123 } }),
      steps: [page(deals(124, 125)), ...shortPageEnd()],
    });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(0);
    expect(db.fns()).toEqual(["claim", "failRun"]);
    expect(outcome.status).toBe(500);
    expect(outcome.body["error"]).toBe(
      'unexpected error: Error: a full pass\'s stored position has no Id ranges: {"lastId":123}',
    );
  });
});

describe("runSync: incremental passes", () => {
  it("resumes from the saved raw (lastUpdateDate, lastId), all 7 fractional digits kept", async () => {
    const saved = "2024-05-01T12:00:00.1234567-03:00";
    const later = "2024-05-01T12:00:00.1234568-03:00";
    const { db, ploomes, run } = setup({
      claim: grantedClaim({
        runId: RUN_ID,
        mode: "incremental",
        resumed: true,
        position: { lastUpdateDate: saved, lastId: 42 },
        since: null,
      }),
      steps: [page([deal(41, { LastUpdateDate: later }), deal(43, { LastUpdateDate: later })]), ...shortPageEnd()],
    });
    const outcome = await run();
    expect(ploomes.filterOf(0)).toBe(
      "LastUpdateDate gt 2024-05-01T12:00:00.1234567-03:00 or (LastUpdateDate eq 2024-05-01T12:00:00.1234567-03:00 and Id gt 42)",
    );
    expect(ploomes.paramOf(0, "$orderby")).toBe("LastUpdateDate,Id");
    expect(db.callsTo("ingestPage")[0]?.position).toEqual({
      lastUpdateDate: "2024-05-01T12:00:00.1234568-03:00",
      lastId: 43,
    });
    expect(outcome.status).toBe(200);
  });

  it("starts a new incremental pass from since", async () => {
    const { db, ploomes, run } = setup({
      claim: grantedClaim({ runId: RUN_ID, mode: "incremental", position: null, since: "2024-04-30T23:55:00Z" }),
      steps: [page([deal(5)]), ...shortPageEnd()],
    });
    await run();
    expect(ploomes.filterOf(0)).toBe("LastUpdateDate ge 2024-04-30T23:55:00Z");
    expect(db.callsTo("ingestPage")[0]?.position).toEqual({ lastUpdateDate: DEAL_LAST_UPDATE, lastId: 5 });
    expect(db.callsTo("ingestPage")[0]?.range).toBeNull(); // an incremental pass has no ranges
  });

  it("an incremental claim without position or since fails the run with 500, before any request", async () => {
    const { db, ploomes, run } = setup({
      claim: grantedClaim({ runId: RUN_ID, mode: "incremental", passId: 9, position: null, since: null }),
    });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(0);
    expect(db.fns()).toEqual(["claim", "failRun"]);
    expect(db.callsTo("failRun")[0]?.httpStatus).toBe(500);
    expect(outcome.status).toBe(500);
    expect(outcome.body["error"]).toBe(
      "unexpected error: Error: incremental pass 9 has neither a saved position nor a start (since)",
    );
  });
});

describe("runSync: invalid deals", () => {
  it("passes invalid deals to ingestPage as rejects {id, field, reason} and the valid ones as rows", async () => {
    const badStatus = deal(2, { StatusId: "won" });
    const badId = deal(0, { Id: "x-17" });
    const badDiscount = deal(4, {
      Products: [{ ProductId: 77, Quantity: 1, UnitPrice: 10, Discount: 120, Total: 10 }],
    });
    const { db, run } = setup({ steps: [page([deal(1), badStatus, badId, deal(3), badDiscount]), ...shortPageEnd()] });
    const outcome = await run();
    const call = db.callsTo("ingestPage")[0];
    expect(call?.rows.map((row) => row.id)).toEqual([1, 3]);
    expect(call?.rejects).toHaveLength(3);
    expect(call?.rejects[0]?.id).toBe(2);
    expect(call?.rejects[0]?.field).toBe("StatusId");
    expect(call?.rejects[0]?.reason).toMatch(/^StatusId: /);
    expect(call?.rejects[1]?.id).toBeNull();
    expect(call?.rejects[1]?.field).toBe("Id");
    expect(call?.rejects[1]?.reason).toMatch(/^Id: /);
    expect(call?.rejects[2]).toMatchObject({ id: 4, field: "Products.0.Discount" });
    expect(call?.position).toEqual(oneRange(4));
    expect(outcome.status).toBe(200);
  });
});
