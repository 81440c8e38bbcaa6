// Waiting for webhooks to be served, for the tests and the bench: until the simulator has delivered
// every call and the sync has drained the queue — nothing queued, no run running, no request
// waiting in pg_net. A queue left non-empty while idle gets the per-minute job's own command
// (ploomes_sync.continue_partial_pass), so nobody waits for the next minute.
import type pg from "pg";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";

const POLL_INTERVAL_MS = 100;

interface QueueState {
  queued: number;
  busy: boolean;
}

async function queueState(db: pg.Client): Promise<QueueState> {
  const { rows } = await db.query<QueueState>(
    `select (select count(*)::integer from ploomes_sync.webhook_events) as queued,
            exists (select 1 from ploomes_sync.state s where s.lease_run_id is not null and s.lease_expires_at > now())
              or exists (select 1 from net.http_request_queue q where q.url like '%/functions/v1/sync-customer-sales%')
              or exists (select 1 from ploomes_sync.runs r where r.status = 'running') as busy`,
  );
  return rows[0] ?? { queued: 0, busy: false };
}

export async function settleWebhooks(db: pg.Client, sim: Simulator, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await sim.webhooksIdle();
  for (;;) {
    const state = await queueState(db);
    if (!state.busy) {
      if (state.queued === 0) return;
      await db.query("select ploomes_sync.continue_partial_pass()");
    }
    if (Date.now() > deadline) {
      throw new Error(`the webhook queue was not drained within ${timeoutMs} ms (${state.queued} deals queued)`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}
