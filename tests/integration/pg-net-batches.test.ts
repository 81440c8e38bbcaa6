// The pg_net stand-in's worker handles the queue the way pg_net's worker does (src/worker.c): ONE
// batch at a time, at most pg_net.batch_size requests, the next batch only once every request of
// the current one has finished; in one transaction, so a request in flight stays in
// net.http_request_queue and its queue row disappears in the same commit that inserts its
// response. A local server holds each request until the test releases it, and records send times.
import type pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type HeldServer, startHeldServer } from "../support/held-server.ts";
import { connectAdminDb, connectDb, waitFor } from "../support/stack.ts";

/** Long enough that nothing times out while the test holds it. */
const REQUEST_TIMEOUT_MS = 30_000;
const ARRIVAL_TIMEOUT_MS = 10_000;
/** How long a request must NOT go out: over two of the worker's one-second polls and pauses. */
const NOT_SENT_WINDOW_MS = 2_500;
const SETTING_TIMEOUT_MS = 10_000;
const DEFAULT_BATCH_SIZE = "200";

let db: pg.Client;
let server: HeldServer;

interface Snapshot {
  queued: string[];
  responded: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The requests of one batch are sent concurrently: their arrival order among themselves is free. */
const sorted = (paths: string[]) => [...paths].sort();

/** Queues GETs to the held server in one transaction; returns their request ids in order. */
async function queue(paths: string[]): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `select net.http_get(url := $1 || p, timeout_milliseconds := $2) as id from unnest($3::text[]) with ordinality as t(p, n) order by n`,
    [server.url, REQUEST_TIMEOUT_MS, paths],
  );
  return rows.map((r) => r.id);
}

/** Which of `ids` are queued and which have a response, read in ONE snapshot. */
async function snapshot(ids: string[]): Promise<Snapshot> {
  const { rows } = await db.query<Snapshot>(
    // Ordered by the numeric id (a bare `order by id` would sort the text output column: "10" < "6").
    `select array(select q.id::text from net.http_request_queue q where q.id = any($1::bigint[]) order by q.id) as queued,
            array(select r.id::text from net._http_response r where r.id = any($1::bigint[]) order by r.id) as responded`,
    [ids],
  );
  const row = rows[0];
  if (!row) throw new Error("no snapshot row");
  return row;
}

async function created(ids: string[]): Promise<number[]> {
  const { rows } = await db.query<{ created: Date }>(
    "select created from net._http_response where id = any($1::bigint[]) order by id",
    [ids],
  );
  return rows.map((r) => r.created.getTime());
}

/** Polls one-snapshot states until every id has a response; returns all states seen on the way. */
async function statesUntilAnswered(ids: string[]): Promise<Snapshot[]> {
  const seen: Snapshot[] = [];
  await waitFor(`responses for ${ids.join(", ")}`, ARRIVAL_TIMEOUT_MS, async () => {
    const state = await snapshot(ids);
    seen.push(state);
    return state.responded.length === ids.length ? state : undefined;
  });
  return seen;
}

/** Sets pg_net.batch_size as a hosted project would have it set: alter system as the superuser, then net.worker_restart(). */
async function setBatchSize(value: string | null): Promise<void> {
  const admin = await connectAdminDb();
  try {
    await admin.query(
      value === null ? "alter system reset pg_net.batch_size" : `alter system set pg_net.batch_size = ${Number(value)}`,
    );
  } finally {
    await admin.end();
  }
  await db.query("select net.worker_restart()");
  const expected = value ?? DEFAULT_BATCH_SIZE;
  // A new session sees the setting once the postmaster has reloaded and signalled every backend,
  // the worker's included (it applies the reload before its next statement).
  await waitFor(`pg_net.batch_size = ${expected}`, SETTING_TIMEOUT_MS, async () => {
    const probe = await connectDb();
    try {
      const { rows } = await probe.query<{ v: string }>("select current_setting('pg_net.batch_size') as v");
      return rows[0]?.v === expected ? true : undefined;
    } finally {
      await probe.end();
    }
  });
}

beforeAll(async () => {
  db = await connectDb();
});
afterAll(async () => {
  await db.end();
});
beforeEach(async () => {
  server = await startHeldServer();
});
afterEach(async () => {
  await server.stop();
});

describe("pg_net stand-in: one batch at a time", () => {
  it("a slow request holds the next batch: a request queued meanwhile stays queued until the first is answered", async () => {
    const [a] = await queue(["/slow"]);
    await server.waitForArrivals(1, ARRIVAL_TIMEOUT_MS);
    const [b] = await queue(["/next"]);
    if (!a || !b) throw new Error("no request ids");

    await sleep(NOT_SENT_WINDOW_MS);
    expect(server.arrivals()).toEqual(["/slow"]);
    // Both rows are in the queue: A in flight (its delete is not committed), B waiting.
    expect(await snapshot([a, b])).toEqual({ queued: [a, b], responded: [] });

    const releasedAt = server.release("/slow");
    await server.waitForArrivals(2, ARRIVAL_TIMEOUT_MS);
    expect(server.arrivedAt("/next")).toBeGreaterThanOrEqual(releasedAt);
    // A's batch is over: its response is in, and B is now the one in flight.
    expect(await snapshot([a, b])).toEqual({ queued: [b], responded: [a] });

    server.release("/next");
    await statesUntilAnswered([a, b]);
    expect(await snapshot([a, b])).toEqual({ queued: [], responded: [a, b] });
    const [createdA, createdB] = await created([a, b]);
    expect(createdB).toBeGreaterThan(createdA ?? Infinity); // two batches, two transactions
  });

  it("takes at most pg_net.batch_size requests, in id order, and records a batch in one commit", async () => {
    await setBatchSize("2");
    try {
      const ids = await queue(["/b1", "/b2", "/b3", "/b4", "/b5"]);
      const [b1, b2, b3, b4, b5] = ids;
      if (!b1 || !b2 || !b3 || !b4 || !b5) throw new Error("no request ids");

      expect(sorted(await server.waitForArrivals(2, ARRIVAL_TIMEOUT_MS))).toEqual(["/b1", "/b2"]);
      await sleep(NOT_SENT_WINDOW_MS);
      expect(sorted(server.arrivals())).toEqual(["/b1", "/b2"]);
      expect(await snapshot(ids)).toEqual({ queued: ids, responded: [] });

      // b1 is answered, but its batch is not over while b2 is in flight: nothing is recorded yet.
      server.release("/b1");
      await sleep(NOT_SENT_WINDOW_MS);
      expect(await snapshot(ids)).toEqual({ queued: ids, responded: [] });
      expect(sorted(server.arrivals())).toEqual(["/b1", "/b2"]);

      // b2 ends the batch: both queue rows go in the same commit that inserts both responses.
      server.release("/b2");
      const states = await statesUntilAnswered([b1, b2]);
      for (const state of states) {
        expect([
          JSON.stringify({ queued: [b1, b2], responded: [] }),
          JSON.stringify({ queued: [], responded: [b1, b2] }),
        ])
          .toContain(JSON.stringify(state));
      }
      const [created1, created2] = await created([b1, b2]);
      expect(created1).toBe(created2); // `created` is the batch transaction's start, as in pg_net

      expect(sorted((await server.waitForArrivals(4, ARRIVAL_TIMEOUT_MS)).slice(2))).toEqual(["/b3", "/b4"]);
      expect(await snapshot(ids)).toEqual({ queued: [b3, b4, b5], responded: [b1, b2] });
      server.release("/b3");
      server.release("/b4");
      expect((await server.waitForArrivals(5, ARRIVAL_TIMEOUT_MS))[4]).toBe("/b5");
      server.release("/b5");
      await statesUntilAnswered(ids);
      const [, , created3, , created5] = await created(ids);
      expect(created3).toBeGreaterThan(created2 ?? Infinity);
      expect(created5).toBeGreaterThan(created3 ?? Infinity);
    } finally {
      await setBatchSize(null);
    }
  });

  it("postgres cannot change pg_net.batch_size itself: alter system needs the superuser (42501)", async () => {
    await expect(db.query("alter system set pg_net.batch_size = 5")).rejects.toMatchObject({ code: "42501" });
  });
});
