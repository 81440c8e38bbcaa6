// The pg_net stand-in's worker: sends the requests queued in net.http_request_queue (only
// committed ones — it is woken by a NOTIFY that Postgres delivers at commit, and polls as a
// fallback), honours timeout_milliseconds, and records each outcome in net._http_response with
// pg_net's columns and error conventions (timed_out, error_msg), deleting old responses after
// pg_net's default TTL.
import pg from "pg";
import type { Pool } from "pg";

const CHANNEL = "pg_net_stand_in";
const POLL_INTERVAL_MS = 1_000;
/** pg_net.batch_size default. */
const BATCH_SIZE = 200;
/** pg_net.ttl default: responses older than this are deleted. */
const RESPONSE_TTL = "6 hours";
const RECONNECT_DELAY_MS = 2_000;
/** Expired responses are swept at most this often, not on every wake-up. */
const TTL_SWEEP_INTERVAL_MS = 60_000;

interface QueuedRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer | null;
  timeout_milliseconds: number;
}

interface Outcome {
  statusCode: number | null;
  contentType: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timedOut: boolean;
  errorMsg: string | null;
}

/** Maps a fetch failure to the message curl (and so pg_net) would record. */
function curlStyleError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  switch (cause?.code) {
    case "ECONNREFUSED":
      return "Couldn't connect to server";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "Couldn't resolve host name";
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return "Failure when receiving data from the peer";
    default:
      return cause?.message ?? (error as Error).message;
  }
}

export async function sendRequest(request: QueuedRequest): Promise<Outcome> {
  const started = Date.now();
  const signal = AbortSignal.timeout(request.timeout_milliseconds);
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body ? new Uint8Array(request.body) : undefined,
      signal,
    });
    const content = await response.text();
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      headers[key] = value;
    });
    return {
      statusCode: response.status,
      contentType: response.headers.get("content-type"),
      headers,
      content,
      timedOut: false,
      errorMsg: null,
    };
  } catch (error) {
    if (signal.aborted) {
      return {
        statusCode: null, contentType: null, headers: null, content: null, timedOut: true,
        errorMsg: `Timeout of ${request.timeout_milliseconds} ms reached. Total time: ${Date.now() - started} ms`,
      };
    }
    return { statusCode: null, contentType: null, headers: null, content: null, timedOut: false, errorMsg: curlStyleError(error) };
  }
}

export class PgNetWorker {
  private listener: pg.Client | null = null;
  private draining = false;
  private again = false;
  private stopped = false;
  private poller: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private lastTtlSweep = 0;

  constructor(private readonly pool: Pool, private readonly connectionString: string, private readonly log: (line: string) => void) {}

  async start(): Promise<void> {
    this.poller = setInterval(() => void this.drain(), POLL_INTERVAL_MS);
    await this.listen();
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on("notification", () => void this.drain());
    client.on("error", (error) => {
      this.log(`pg_net worker: listener connection lost (${error.message}); reconnecting`);
      this.listener = null;
      setTimeout(() => void this.listen(), RECONNECT_DELAY_MS);
    });
    try {
      await client.connect();
      await client.query(`listen ${CHANNEL}`);
      this.listener = client;
    } catch (error) {
      this.log(`pg_net worker: cannot listen (${(error as Error).message}); retrying`);
      setTimeout(() => void this.listen(), RECONNECT_DELAY_MS);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    await this.listener?.end();
    await Promise.allSettled([...this.inFlight]);
  }

  private async complete(request: QueuedRequest): Promise<void> {
    const outcome = await sendRequest(request);
    try {
      await this.pool.query(
        `insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg)
         values ($1, $2, $3, $4, $5, $6, $7)`,
        [request.id, outcome.statusCode, outcome.contentType, outcome.headers, outcome.content, outcome.timedOut, outcome.errorMsg],
      );
      this.log(`pg_net: request ${request.id} ${request.method} ${request.url} → ${outcome.statusCode ?? outcome.errorMsg}`);
    } catch (error) {
      this.log(`pg_net: request ${request.id}: could not record the response: ${(error as Error).message}`);
    }
  }

  /** Sends everything queued; a wake-up during a drain schedules one more pass. */
  async drain(): Promise<void> {
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = true;
    try {
      do {
        this.again = false;
        await this.drainOnce();
      } while (this.again);
    } catch (error) {
      this.log(`pg_net worker: ${(error as Error).message}`);
    } finally {
      this.draining = false;
    }
  }

  private async drainOnce(): Promise<void> {
    const { rows } = await this.pool.query<QueuedRequest>(
      `delete from net.http_request_queue
        where id in (select id from net.http_request_queue order by id limit $1 for update skip locked)
        returning id, method, url, headers, body, timeout_milliseconds`,
      [BATCH_SIZE],
    );
    // Requests run concurrently and independently (pg_net uses curl's multi interface): a slow
    // function call must not hold back requests queued after it.
    for (const request of rows) {
      const inFlight = this.complete(request).finally(() => this.inFlight.delete(inFlight));
      this.inFlight.add(inFlight);
    }
    if (Date.now() - this.lastTtlSweep >= TTL_SWEEP_INTERVAL_MS) {
      this.lastTtlSweep = Date.now();
      await this.pool.query(`delete from net._http_response where created < now() - interval '${RESPONSE_TTL}'`);
    }
    if (rows.length === BATCH_SIZE) this.again = true;
  }
}
