// The pg_net stand-in's worker, run by the local gateway. Like pg_net's background worker
// (supabase/pg_net src/worker.c, pg_net_worker) it handles net.http_request_queue ONE batch at a
// time (pg-net-batch.ts: up to pg_net.batch_size requests, sent concurrently, recorded together
// when the last one has finished or timed out). It is woken when a transaction that queued a
// request commits (NOTIFY from the queue's trigger; pg_net sets its worker's latch at commit);
// while batches find work it runs the next one after at most a second (at once when woken
// meanwhile, as pg_net's one-second latch wait); a batch that finds nothing puts it back to sleep
// until the next wake. A poll every second covers a notification lost while reconnecting.
import pg from "pg";
import type { Pool } from "pg";
import { type BatchResult, readSettings, runBatch } from "./pg-net-batch.ts";
import { type Outcome, type QueuedRequest, RequestCancelled, sendRequest } from "./pg-net-http.ts";

const CHANNEL = "pg_net_stand_in";
/** The longest a request waits when its wake-up notification was lost. */
const POLL_INTERVAL_MS = 1_000;
/** pg_net's pause between two batches that found work (WORKER_WAIT_ONE_SECOND), cut short by a wake. */
const BETWEEN_BATCHES_MS = 1_000;
const RECONNECT_DELAY_MS = 2_000;

export class PgNetWorker {
  private listener: pg.Client | null = null;
  private running: Promise<void> | null = null;
  /** Set by a wake-up; a batch that found nothing still runs again when it is set. */
  private woken = false;
  private endPause: (() => void) | null = null;
  private stopped = false;
  private poller: NodeJS.Timeout | null = null;
  private readonly cancel = new AbortController();
  private lastProblem: string | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly connectionString: string,
    private readonly log: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    this.poller = setInterval(() => this.kick(), POLL_INTERVAL_MS);
    await this.listen();
    this.wake(); // requests queued while the gateway was down
  }

  /** Stops taking batches; a batch in flight is abandoned and rolled back, so its requests stay queued. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    this.cancel.abort();
    this.endPause?.();
    await this.listener?.end().catch(() => undefined);
    await this.running;
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on("notification", () => this.wake());
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

  private wake(): void {
    this.woken = true;
    this.endPause?.();
    this.kick();
  }

  /** Starts the batch loop unless it is already running (one batch at a time). */
  private kick(): void {
    if (this.stopped || this.running) return;
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.woken) this.kick(); // a wake-up that came as the loop was ending
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.woken = false;
      let result: BatchResult;
      try {
        result = await this.batch();
      } catch (error) {
        if (!this.stopped && !(error instanceof RequestCancelled)) {
          this.log(
            `pg_net worker: the batch was rolled back, its requests stay queued and are retried: ${
              (error as Error).message
            }`,
          );
        }
        return; // the poll retries within a second
      }
      const foundWork = result.consumed > 0 || result.expired > 0;
      if (!foundWork && !this.woken) return;
      if (foundWork) await this.pause(BETWEEN_BATCHES_MS);
    }
  }

  private pause(ms: number): Promise<void> {
    if (this.woken || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.endPause = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.endPause = done;
    });
  }

  private async batch(): Promise<BatchResult> {
    const client = await this.pool.connect();
    let failure: Error | undefined;
    try {
      const settings = await readSettings(client);
      if (settings.problem !== this.lastProblem && settings.problem) this.log(`pg_net worker: ${settings.problem}`);
      this.lastProblem = settings.problem;
      const result = await runBatch(client, settings, (request) => this.send(request));
      if (result.consumed > 0) {
        this.log(`pg_net: batch of ${result.consumed} recorded (pg_net.batch_size = ${settings.batchSize})`);
      }
      return result;
    } catch (error) {
      failure = error as Error;
      throw error;
    } finally {
      client.release(failure); // a connection whose batch failed is discarded, not reused
    }
  }

  private async send(request: QueuedRequest): Promise<Outcome> {
    const outcome = await sendRequest(request, this.cancel.signal);
    this.log(
      `pg_net: request ${request.id} ${request.method} ${request.url} → ${outcome.statusCode ?? outcome.errorMsg}`,
    );
    return outcome;
  }
}
