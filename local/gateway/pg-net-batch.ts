// One batch of the pg_net stand-in, run the way pg_net's worker runs it since 0.18
// (supabase/pg_net src/worker.c, pg_net_worker; src/core.c): inside ONE transaction it deletes
// expired responses (at most batch_size, oldest first), takes up to pg_net.batch_size queued
// requests in id order (DELETE … RETURNING, the same statement as consume_request_queue), sends
// them all concurrently, waits until every one has an outcome (an answer, an error or its
// timeout), inserts their net._http_response rows and commits. So:
//   - a request in flight is still visible in net.http_request_queue to every other session (its
//     delete is not committed yet), and the queue rows disappear in the same commit that makes
//     the responses appear;
//   - `created` keeps its default now(), the transaction's start: the moment the batch was
//     taken, the same for every response of a batch (pg_net's insert leaves it to the default);
//   - the slowest request of a batch holds back everything queued after it.
import type { PoolClient } from "pg";
import type { Outcome, QueuedRequest } from "./pg-net-http.ts";

/** pg_net's defaults (src/worker.c, _PG_init), used when the setting is absent or unusable. */
export const DEFAULT_BATCH_SIZE = 200;
export const DEFAULT_TTL = "6 hours";
/** pg_net.batch_size's upper bound in pg_net (PG_INT16_MAX). */
const MAX_BATCH_SIZE = 32_767;

export interface WorkerSettings {
  batchSize: number;
  ttl: string;
  /** Set when pg_net.batch_size holds something unusable (the default is used instead). */
  problem: string | null;
}

export interface BatchResult {
  consumed: number;
  expired: number;
}

/**
 * Reads pg_net.batch_size and pg_net.ttl as this connection sees them now: the cluster declares
 * them (local/stack/cluster.ts), so `alter system set …` + pg_reload_conf() (or
 * net.worker_restart()) changes them for the next batch.
 */
export async function readSettings(client: PoolClient): Promise<WorkerSettings> {
  const { rows } = await client.query<{ batch_size: string | null; ttl: string | null }>(
    "select current_setting('pg_net.batch_size', true) as batch_size, current_setting('pg_net.ttl', true) as ttl",
  );
  const raw = rows[0]?.batch_size ?? null;
  const ttl = rows[0]?.ttl || DEFAULT_TTL;
  const batchSize = raw === null || raw === "" ? DEFAULT_BATCH_SIZE : Number(raw);
  if (Number.isInteger(batchSize) && batchSize >= 0 && batchSize <= MAX_BATCH_SIZE) {
    return { batchSize, ttl, problem: null };
  }
  return {
    batchSize: DEFAULT_BATCH_SIZE,
    ttl,
    problem:
      `pg_net.batch_size = ${JSON.stringify(raw)} is not an integer from 0 to ${MAX_BATCH_SIZE}, so the worker uses ` +
      `${DEFAULT_BATCH_SIZE}; fix it as the superuser: alter system set pg_net.batch_size = <n>; select net.worker_restart();`,
  };
}

type Send = (request: QueuedRequest) => Promise<Outcome>;

/** Runs one batch on `client` (which must not be in a transaction); see the header. */
export async function runBatch(client: PoolClient, settings: WorkerSettings, send: Send): Promise<BatchResult> {
  await client.query("begin");
  try {
    const expired = await client.query(
      `with rows as (select ctid from net._http_response where created < now() - $1::interval order by created limit $2)
       delete from net._http_response r using rows where r.ctid = rows.ctid`,
      [settings.ttl, settings.batchSize],
    );
    const { rows: requests } = await client.query<QueuedRequest>(
      `with rows as (select id from net.http_request_queue order by id limit $1)
       delete from net.http_request_queue q using rows where q.id = rows.id
       returning q.id, q.method, q.url, q.headers, q.body, q.timeout_milliseconds`,
      [settings.batchSize],
    );
    requests.sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
    const outcomes = await Promise.all(requests.map(send));
    if (requests.length > 0) {
      await client.query(
        `insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg)
         select * from unnest($1::bigint[], $2::int[], $3::text[], $4::jsonb[], $5::text[], $6::bool[], $7::text[])`,
        [
          requests.map((r) => r.id),
          outcomes.map((o) => o.statusCode),
          outcomes.map((o) => o.contentType),
          outcomes.map((o) => (o.headers === null ? null : JSON.stringify(o.headers))),
          outcomes.map((o) => o.content),
          outcomes.map((o) => o.timedOut),
          outcomes.map((o) => o.errorMsg),
        ],
      );
    }
    await client.query("commit");
    return { consumed: requests.length, expired: expired.rowCount ?? 0 };
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  }
}
