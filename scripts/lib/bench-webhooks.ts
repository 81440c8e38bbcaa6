// `npm run bench`, webhook freshness: how long a deal change takes to reach customer_sales through
// the real path (simulator → ploomes-webhook → queue → pg_net → sync function → SQL), and how
// many Ploomes requests a burst of 1 000 update events over 1 000 deals costs until every row is
// in step. Ploomes answers with the bench's latency and rate limit.
import pg from "pg";
import { startSimulator } from "../../local/ploomes-simulator/index.ts";
import { writeFunctionEnv } from "../../local/stack/function-env.ts";
import { requireStackKeys } from "../../local/stack/keys.ts";
import { DB_URL, GATEWAY_URL } from "../../local/stack/paths.ts";
import { passToEnd } from "./gateway-sync.ts";
import { gatewayWorkers } from "./gateway-workers.ts";
import { settleWebhooks } from "./webhook-drain.ts";
import {
  DEFAULT_ACTION_IDS,
  DEFAULT_DEAL_ENTITY_ID,
  RECEIVER_PATH,
  registerWebhooks,
} from "./webhook-registrations.ts";

export interface WebhookFigures {
  readonly p50Seconds: number;
  readonly p95Seconds: number;
  readonly requestsFor1000Events: number;
  readonly burstSeconds: number;
  /** How long ploomes-webhook took to answer Ploomes' calls (through the gateway), over every call. */
  readonly receiverP95Ms: number;
  readonly receiverMaxMs: number;
  /** Answers slower than the receiver's budget, and the receiver's workers booted meanwhile (null: unknown). */
  readonly receiverSlowAnswers: number;
  readonly receiverBoots: number | null;
  readonly samples: number;
  readonly deals: number;
}

export interface WebhookSetting {
  readonly deals: number;
  readonly samples: number;
  readonly latencyMs: number;
  readonly requestsPerMinute: number;
  readonly seed: number;
}

const BURST_EVENTS = 1_000;
const MAX_INVOCATIONS = 40;
/** A change that has not arrived after this long is a failure of the bench, not a figure. */
const CHANGE_TIMEOUT_MS = 120_000;
const BURST_TIMEOUT_MS = 300_000;
const POLL_INTERVAL_MS = 50;
const WON = 2;
/** The receiver's answer budget (one insert, no Ploomes call; README, Performance): slower answers are counted. */
const RECEIVER_ANSWER_BUDGET_MS = 200;
const RECEIVER_FUNCTION = "ploomes-webhook";
const CENTS = 100;

/** The receiver's answer times of every delivered call, sorted. */
function answerTimes(sim: Awaited<ReturnType<typeof startSimulator>>): number[] {
  const times = sim.webhookDeliveries().flatMap((line) => (line.answerMs === null ? [] : [line.answerMs]));
  if (times.length === 0) throw new Error("bench: no webhook call was answered");
  return times.sort((a, b) => a - b);
}

function percentile(sorted: readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round((sorted[Math.max(0, index)] ?? Number.NaN) * 10) / 10;
}

async function totalCents(db: pg.Client, customerId: number): Promise<number> {
  const { rows } = await db.query<{ cents: string }>(
    "select (total_sales * 100)::bigint::text as cents from public.customer_sales where customer_id = $1",
    [customerId],
  );
  return Number(rows[0]?.cents ?? Number.NaN);
}

/** One won deal's amount changes by one cent per sample; seconds until its customer's total shows it. */
async function sampleLatency(db: pg.Client, sim: Awaited<ReturnType<typeof startSimulator>>, sample: number) {
  const won = (sim.snapshot().deals as { Id: number; ContactId: number; StatusId: number; Amount: number }[])
    .filter((d) => d.StatusId === WON && d.ContactId);
  const deal = won[sample % won.length];
  if (!deal) throw new Error("bench: the account has no won deal");
  const before = await totalCents(db, deal.ContactId);
  const amountCents = Math.round(deal.Amount * CENTS) + 1;
  const started = performance.now();
  sim.update("deals", deal.Id, { Amount: amountCents / CENTS });
  const expected = before + 1;
  while ((await totalCents(db, deal.ContactId)) !== expected) {
    if (performance.now() - started > CHANGE_TIMEOUT_MS) {
      throw new Error(`bench: deal ${deal.Id}'s change did not reach customer_sales within ${CHANGE_TIMEOUT_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  const seconds = (performance.now() - started) / 1000;
  await settleWebhooks(db, sim, CHANGE_TIMEOUT_MS);
  return seconds;
}

export async function measureWebhooks(
  setting: WebhookSetting,
  resetState: () => Promise<void>,
): Promise<WebhookFigures> {
  const sim = await startSimulator({ port: 0, seed: setting.seed, deals: setting.deals, latencyMs: setting.latencyMs });
  const db = new pg.Client({ connectionString: DB_URL });
  await db.connect();
  try {
    await resetState();
    const keys = requireStackKeys();
    writeFunctionEnv(
      {
        PLOOMES_BASE_URL: sim.url,
        PLOOMES_API_KEY: sim.apiKey,
        PLOOMES_REQUESTS_PER_MINUTE: String(setting.requestsPerMinute),
        CRON_SECRET: keys.CRON_SECRET,
        PLOOMES_WEBHOOK_KEY: keys.PLOOMES_WEBHOOK_KEY,
      },
      "Written by npm run bench (webhooks); npm start rewrites it.",
    );
    const first = await passToEnd({ mode: "full", trigger: "cli" }, MAX_INVOCATIONS);
    if (first.at(-1)?.body["status"] !== "succeeded") throw new Error("bench: the first full pass did not complete");
    await registerWebhooks({
      ploomesBaseUrl: sim.url,
      apiKey: sim.apiKey,
      callbackUrl: `${GATEWAY_URL}${RECEIVER_PATH}`,
      validationKey: keys.PLOOMES_WEBHOOK_KEY,
      dealEntityId: DEFAULT_DEAL_ENTITY_ID,
      actionIds: DEFAULT_ACTION_IDS,
    });

    const measuredFrom = Date.now();
    const latencies: number[] = [];
    for (let sample = 0; sample < setting.samples; sample += 1) latencies.push(await sampleLatency(db, sim, sample));
    latencies.sort((a, b) => a - b);

    const requestsBefore = sim.requests().length;
    const burstStarted = performance.now();
    const deals = (sim.snapshot().deals as { Id: number; Amount: number | null }[]).slice(0, BURST_EVENTS);
    for (const deal of deals) sim.update("deals", deal.Id, { Amount: (deal.Amount ?? 0) + 1 });
    await settleWebhooks(db, sim, BURST_TIMEOUT_MS);
    const burstSeconds = Math.round((performance.now() - burstStarted) / 100) / 10;
    const requests = sim.requests().slice(requestsBefore).filter((r) => !r.url.startsWith("/Webhooks")).length;
    const answers = answerTimes(sim);
    const workers = await gatewayWorkers();
    const boots = workers?.[RECEIVER_FUNCTION]?.filter((w) => Date.parse(w.startedAt ?? "") >= measuredFrom);

    return {
      p50Seconds: percentile(latencies, 50),
      p95Seconds: percentile(latencies, 95),
      requestsFor1000Events: requests,
      burstSeconds,
      receiverP95Ms: percentile(answers, 95),
      receiverMaxMs: answers.at(-1) ?? Number.NaN,
      receiverSlowAnswers: answers.filter((ms) => ms > RECEIVER_ANSWER_BUDGET_MS).length,
      receiverBoots: boots?.length ?? null,
      samples: latencies.length,
      deals: setting.deals,
    };
  } finally {
    await db.end();
    await sim.stop();
  }
}
