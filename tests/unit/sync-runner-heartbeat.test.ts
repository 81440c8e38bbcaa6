// runSync: the lease heartbeat while a page is awaited (manual timers: "time passes" only when
// the test fires them), and how the pager's paging warnings and rules reach the database.
import { describe, expect, it } from "vitest";
import { DatabaseError } from "../../supabase/functions/_shared/db/rpc.ts";
import { createPloomesClient } from "../../supabase/functions/_shared/ploomes/client.ts";
import { runSync } from "../../supabase/functions/_shared/sync/runner.ts";
import { createFakeClock, createManualTimers } from "./ploomes-fakes.ts";
import {
  API_KEY,
  createFakeDb,
  createFakeWorker,
  deals,
  grantedClaim,
  makeConfig,
  page,
  pageWithLink,
  passEnd,
  PLOOMES_BASE,
  shortPageEnd,
  slow,
  untilAborted,
} from "./sync-fakes.ts";
import { REQUEST, RUN_ID, setup, STATS_AFTER } from "./sync-runner-setup.ts";

/** Lets every pending promise callback run (no clock involved). */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// Default PLOOMES_REQUEST_TIMEOUT_MS 30 000 → lease 2 × 30 s = 60 s → a beat every 60 000 / 3 ms.
const BEAT_MS = 20_000;

describe("runSync: lease heartbeat while waiting on Ploomes", () => {
  it("beats the lease during a slow page, at a third of the lease, and stops when the page arrives", async () => {
    const timers = createManualTimers();
    let pendingWhileStoring = -1;
    const { db, run } = setup({
      schedule: timers.schedule,
      db: {
        ingestPage: (call) => {
          pendingWhileStoring = timers.pending();
          return { stored: call.rows.length, inserted: call.rows.length, updated: 0, unchanged: 0, rejected: 0 };
        },
      },
      steps: [
        slow(async () => {
          expect(timers.pending()).toBe(1); // armed before the request went out
          timers.fireAll(); // 20 s pass
          await flush();
          timers.fireAll(); // 40 s
          await flush();
        }, page(deals(1, 2))),
        ...shortPageEnd(),
      ],
    });
    const outcome = await run();

    expect(outcome.status).toBe(200);
    expect(db.callsTo("heartbeat")).toEqual([
      { fn: "heartbeat", runId: RUN_ID, leaseSeconds: 60, stats: STATS_AFTER(1) },
      { fn: "heartbeat", runId: RUN_ID, leaseSeconds: 60, stats: STATS_AFTER(1) },
    ]);
    expect(db.fns()).toEqual(["claim", "heartbeat", "heartbeat", "ingestPage", "finishPass"]);
    expect(timers.scheduledMs.every((ms) => ms === BEAT_MS)).toBe(true);
    // The walk is beaten as a whole (lanes fetch while another lane's page is stored): the next
    // beat stays armed while a page is stored.
    expect(pendingWhileStoring).toBe(1);
    expect(timers.pending()).toBe(0);
  });

  it("the interval follows PLOOMES_REQUEST_TIMEOUT_MS (lease = ceil(2 × timeout) s)", async () => {
    const timers = createManualTimers();
    const { run } = setup({ env: { PLOOMES_REQUEST_TIMEOUT_MS: "4500" }, schedule: timers.schedule, steps: passEnd() });
    await run();
    // 2 × 4.5 s = 9 s → 9000 / 3 ms.
    expect(timers.scheduledMs).toEqual([3_000]);
  });

  it("a lost lease (PT409) from a heartbeat aborts the wait: 409, nothing stored, no finishPass", async () => {
    const timers = createManualTimers();
    const lost = new DatabaseError("sync_heartbeat", "PT409", "run 7 no longer holds the lease", "run 8 took over");
    const { db, ploomes, run, events } = setup({
      schedule: timers.schedule,
      db: {
        heartbeat: () => {
          throw lost;
        },
      },
      steps: [
        slow(async (request) => {
          timers.fireAll();
          await untilAborted(request); // a real request is cut by the run's signal
        }, page(deals(1, 2))),
        ...passEnd(),
      ],
    });
    const outcome = await run();

    expect(outcome.status).toBe(409);
    expect(ploomes.requests).toHaveLength(1);
    expect(db.fns()).toEqual(["claim", "heartbeat", "failRun"]);
    expect(db.callsTo("failRun")[0]).toMatchObject({
      runId: RUN_ID,
      httpStatus: 409,
      error: lost.message,
      hint: "run 8 took over",
    });
    expect(outcome.body).toMatchObject({ error: lost.message, hint: "run 8 took over", ploomesStatus: null });
    expect(events.map((event) => event["event"])).toEqual(["run-start", "run-failed"]);
    expect(timers.pending()).toBe(0);
  });

  it("a lease lost while waiting on a later page ends the run 409 too (the stored page stays, no finish)", async () => {
    const timers = createManualTimers();
    const lost = new DatabaseError("sync_heartbeat", "PT409", "lease lost", null);
    const { db, run } = setup({
      env: { PLOOMES_PAGE_SIZE: "2" },
      schedule: timers.schedule,
      db: {
        heartbeat: () => {
          throw lost;
        },
      },
      steps: [
        page(deals(1, 2)),
        slow(async (request) => {
          timers.fireAll();
          await untilAborted(request);
        }, page(deals(3, 4))),
      ],
    });
    const outcome = await run();
    expect(outcome.status).toBe(409);
    expect(db.fns()).toEqual(["claim", "ingestPage", "heartbeat", "failRun"]);
  });

  it("with the real Ploomes client, a lease lost during a hanging request still ends the run 409", async () => {
    const beatTimers = createManualTimers();
    const requestTimers = createManualTimers();
    const clock = createFakeClock();
    const lost = new DatabaseError("sync_heartbeat", "PT409", "lease lost", null);
    const db = createFakeDb({
      claim: grantedClaim({ runId: RUN_ID }),
      heartbeat: () => {
        throw lost;
      },
    });
    let fetches = 0;
    const ploomes = createPloomesClient({
      baseUrl: PLOOMES_BASE,
      apiKey: API_KEY,
      requestsPerMinute: 90,
      requestTimeoutMs: 30_000,
      now: clock.now,
      sleep: clock.sleep,
      scheduleTimeout: requestTimers.schedule,
      // Hangs until its signal aborts; "20 s" into the wait the heartbeat fires.
      fetch: (_url, init) =>
        new Promise<Response>((_resolve, reject) => {
          fetches += 1;
          const signal = init.signal;
          if (!signal) return reject(new Error("no signal"));
          signal.addEventListener("abort", () => reject(signal.reason), { once: true });
          beatTimers.fireAll();
        }),
    });
    const outcome = await runSync(
      {
        config: makeConfig(),
        db,
        ploomes,
        now: clock.now,
        log: () => undefined,
        schedule: beatTimers.schedule,
        worker: createFakeWorker(clock.now()),
      },
      REQUEST,
    );
    expect(fetches).toBe(1); // not retried as a network error
    expect(outcome.status).toBe(409);
    expect(db.fns()).toEqual(["claim", "heartbeat", "failRun"]);
    expect(db.callsTo("failRun")[0]?.error).toBe(lost.message);
    expect(beatTimers.pending()).toBe(0);
    expect(requestTimers.pending()).toBe(0);
  });

  it("any other failed heartbeat is logged and the next one is armed: the run goes on", async () => {
    const timers = createManualTimers();
    let beats = 0;
    const { db, run, events } = setup({
      schedule: timers.schedule,
      db: {
        heartbeat: () => {
          beats += 1;
          if (beats === 1) throw new Error("connection reset");
        },
      },
      steps: [
        slow(async () => {
          timers.fireAll();
          await flush();
          expect(timers.pending()).toBe(1);
          timers.fireAll();
          await flush();
        }, page(deals(1, 2))),
        ...shortPageEnd(),
      ],
    });
    const outcome = await run();
    expect(outcome.status).toBe(200);
    expect(db.fns()).toEqual(["claim", "heartbeat", "heartbeat", "ingestPage", "finishPass"]);
    expect(events).toContainEqual({
      event: "heartbeat-failed",
      runId: RUN_ID,
      error: "unexpected error: Error: connection reset",
    });
    expect(timers.pending()).toBe(0);
  });
});

describe("runSync: paging rules and warnings reach the database", () => {
  it("an empty answer followed by data: the pass goes on and the page's warning is stored with it", async () => {
    const { db, ploomes, run, events } = setup({
      env: { PLOOMES_PAGE_SIZE: "2" },
      steps: [page(deals(1, 2)), page([]), page(deals(3, 4)), ...passEnd()],
    });
    const outcome = await run();
    expect(outcome.status).toBe(200);
    expect(ploomes.requests.map((_, index) => ploomes.filterOf(index))).toEqual([
      null,
      "Id gt 2",
      "Id gt 2",
      "Id gt 4",
      "Id gt 4",
    ]);
    const [first, second] = db.callsTo("ingestPage");
    expect(first?.warnings).toEqual([]);
    expect(second?.warnings).toHaveLength(1);
    expect(second?.warnings[0]).toContain("empty page after Id 2");
    const pageEvents = events.filter((event) => event["event"] === "page");
    expect(pageEvents[0]).not.toHaveProperty("warnings");
    expect(pageEvents[1]?.["warnings"]).toEqual(second?.warnings);
    expect(db.fns()).toEqual(["claim", "ingestPage", "ingestPage", "finishPass"]);
  });

  it("a nextLink to another origin is not followed: its warning is stored and the keyset goes on", async () => {
    const foreign = "https://public6-api2.ploomes.com/Deals?$skip=2";
    const { db, ploomes, run } = setup({
      env: { PLOOMES_PAGE_SIZE: "2" },
      steps: [pageWithLink(deals(1, 2), foreign), page(deals(3, 4)), ...passEnd()],
    });
    const outcome = await run();
    expect(outcome.status).toBe(200);
    expect(ploomes.requests.map((request) => request.kind)).toEqual(["page", "page", "page", "page"]);
    expect(ploomes.filterOf(1)).toBe("Id gt 2");
    const [first, second] = db.callsTo("ingestPage");
    expect(first?.warnings).toHaveLength(1);
    expect(first?.warnings[0]).toContain("https://public6-api2.ploomes.com");
    expect(first?.warnings[0]).toContain("not followed");
    expect(second?.warnings).toEqual([]);
    expect(second?.rows.map((row) => row.id)).toEqual([3, 4]);
  });

  it("a nextLink on the base origin is followed through getAbsolute", async () => {
    const link = `${PLOOMES_BASE}/Deals?$top=2&$skip=2`;
    const { db, ploomes, run } = setup({
      env: { PLOOMES_PAGE_SIZE: "2" },
      steps: [pageWithLink(deals(1, 2), link), page(deals(3, 4)), ...passEnd()],
    });
    const outcome = await run();
    expect(outcome.status).toBe(200);
    expect(ploomes.requests.map((request) => request.kind)).toEqual(["page", "absolute", "page", "page"]);
    expect(ploomes.requests[1]?.path).toBe(link);
    expect(ploomes.filterOf(2)).toBe("Id gt 4");
    expect(db.callsTo("ingestPage").map((call) => call.warnings)).toEqual([[], []]);
  });

  it("once a short page was followed by more rows (the server caps pages), only two empty answers end the pass", async () => {
    const { db, ploomes, run } = setup({
      steps: [page(deals(1, 5)), page(deals(6, 7)), page(deals(8, 8)), ...passEnd()],
    });
    const outcome = await run();
    expect(outcome.status).toBe(200);
    expect(ploomes.requests).toHaveLength(5);
    expect([3, 4].map((index) => ploomes.filterOf(index))).toEqual(["Id gt 8", "Id gt 8"]);
    const after = (id: number) => ({ ranges: [{ from: null, to: null, after: id, done: false }] });
    expect(db.callsTo("ingestPage").map((call) => call.position)).toEqual([after(5), after(7), after(8)]);
    expect(db.fns().at(-1)).toBe("finishPass");
  });

  it("a short page answered by one empty keyset query ends the pass (no short page was followed by more rows)", async () => {
    const { db, ploomes, run } = setup({ steps: [page(deals(1, 300)), page(deals(301, 305)), ...shortPageEnd()] });
    const outcome = await run();
    expect(outcome.status).toBe(200);
    expect(ploomes.requests.map((_, index) => ploomes.filterOf(index))).toEqual([null, "Id gt 300", "Id gt 305"]);
    expect(db.fns()).toEqual(["claim", "ingestPage", "ingestPage", "finishPass"]);
  });
});
