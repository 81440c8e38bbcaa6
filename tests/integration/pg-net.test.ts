// The pg_net stand-in: pg_net's SQL surface (named arguments, defaults, tables) and its worker's
// outcomes in net._http_response — a status, a 404, a refused connection and a timeout.
import { createServer } from "node:net";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDb, GATEWAY_URL, waitFor } from "../support/stack.ts";

interface ResponseRow {
  status_code: number | null;
  content: string | null;
  timed_out: boolean | null;
  error_msg: string | null;
}

const OUTCOME_TIMEOUT_MS = 15_000;
let db: pg.Client;

beforeAll(async () => {
  db = await connectDb();
});
afterAll(async () => {
  await db.end();
});

async function outcomeOf(requestId: string): Promise<ResponseRow> {
  return waitFor(`net._http_response row ${requestId}`, OUTCOME_TIMEOUT_MS, async () => {
    const { rows } = await db.query<ResponseRow>(
      "select status_code, content, timed_out, error_msg from net._http_response where id = $1",
      [requestId],
    );
    return rows[0];
  });
}

async function post(sql: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>(sql);
  const id = rows[0]?.id;
  if (!id) throw new Error(`no request id from: ${sql}`);
  return id;
}

/** A port that nothing listens on: bind to an ephemeral port, then release it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("net.http_post / net.http_get", () => {
  it("delivers a POST with its JSON body and headers and records the status", async () => {
    const id = await post(`select net.http_post(
      url := '${GATEWAY_URL}/functions/v1/echo',
      body := '{"trigger":"manual"}'::jsonb,
      headers := '{"x-cron-secret":"abc"}'::jsonb,
      timeout_milliseconds := 5000) as id`);
    const row = await outcomeOf(id);
    expect(row.status_code).toBe(200);
    expect(row.timed_out).toBe(false);
    const echo = JSON.parse(row.content ?? "{}") as { method: string; headers: Record<string, string>; body: string };
    expect(echo.method).toBe("POST");
    expect(echo.headers["x-cron-secret"]).toBe("abc");
    expect(echo.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(echo.body)).toEqual({ trigger: "manual" });
  });

  it("sends committed requests only: a rolled-back request never goes out", async () => {
    await db.query("begin");
    const rolledBack = await post(`select net.http_get(url := '${GATEWAY_URL}/functions/v1/echo?status=299') as id`);
    await db.query("rollback");
    await db.query("begin");
    const committed = await post(`select net.http_get(url := '${GATEWAY_URL}/functions/v1/echo?status=298') as id`);
    await db.query("commit");
    expect((await outcomeOf(committed)).status_code).toBe(298);
    // The worker takes the queue in id order, so by now it would have handled the earlier id.
    const { rows } = await db.query("select count(*)::int as n from net._http_response where id = $1", [rolledBack]);
    expect(rows[0]).toEqual({ n: 0 });
  });

  it("records a 404 as a status, not an error", async () => {
    const id = await post(
      `select net.http_get(url := '${GATEWAY_URL}/functions/v1/echo', params := '{"status":"404"}'::jsonb) as id`,
    );
    const row = await outcomeOf(id);
    expect(row.status_code).toBe(404);
    expect(row.error_msg).toBeNull();
  });

  it("records a refused connection in error_msg with no status", async () => {
    const port = await closedPort();
    const id = await post(
      `select net.http_post(url := 'http://127.0.0.1:${port}/x', timeout_milliseconds := 2000) as id`,
    );
    const row = await outcomeOf(id);
    expect(row.status_code).toBeNull();
    expect(row.timed_out).toBe(false);
    expect(row.error_msg).toBe("Couldn't connect to server");
  });

  it("honours timeout_milliseconds: timed_out and pg_net's message", async () => {
    const id = await post(`select net.http_post(url := '${GATEWAY_URL}/functions/v1/echo?delayMs=5000',
      timeout_milliseconds := 300) as id`);
    const row = await outcomeOf(id);
    expect(row.timed_out).toBe(true);
    expect(row.status_code).toBeNull();
    expect(row.error_msg).toMatch(/^Timeout of 300 ms reached\. Total time: \d+ ms$/);
  });

  it("rejects a non-JSON Content-Type like pg_net", async () => {
    await expect(
      db.query(`select net.http_post(url := 'http://127.0.0.1/x', headers := '{"Content-Type":"text/plain"}'::jsonb)`),
    )
      .rejects.toThrow('Content-Type header must be "application/json"');
  });

  it("has pg_net's signatures: argument names, order and defaults", async () => {
    const { rows } = await db.query<{ sig: string }>(`
      select p.proname || '(' || pg_get_function_arguments(p.oid) || ')' as sig
        from pg_proc p where p.pronamespace = 'net'::regnamespace and p.proname in ('http_get', 'http_post', 'http_delete')
       order by p.proname`);
    expect(rows.map((r) => r.sig)).toEqual([
      "http_delete(url text, params jsonb DEFAULT '{}'::jsonb, headers jsonb DEFAULT '{}'::jsonb, timeout_milliseconds integer DEFAULT 5000, body jsonb DEFAULT NULL::jsonb)",
      "http_get(url text, params jsonb DEFAULT '{}'::jsonb, headers jsonb DEFAULT '{}'::jsonb, timeout_milliseconds integer DEFAULT 5000)",
      `http_post(url text, body jsonb DEFAULT '{}'::jsonb, params jsonb DEFAULT '{}'::jsonb, headers jsonb DEFAULT '{"Content-Type": "application/json"}'::jsonb, timeout_milliseconds integer DEFAULT 5000)`,
    ]);
  });
});
