// `npm run bench`, a full pass end to end against the floor Ploomes sets, and the predecessor's
// algorithm on the same simulator and rate limit:
//   * ours: the real function through the gateway (the path pg_net takes), invoked again at once
//     while it answers `partial`, as a continuation that never waits for the next minute;
//   * the predecessor's: sequential `$skip` paging, 300 per page, at most 100 pages, the same
//     client-side rate limit, then one upsert per 500 rows (into a scratch table).
// The account keeps its line items on orders (the case that costs most: PLOOMES_LINE_ITEMS_SOURCE
// =auto finds them there and the pass walks the orders after the deals). The floor: every page the
// pass cannot do without, ⌈deals / 300⌉ + ⌈orders / 300⌉, at PLOOMES_REQUESTS_PER_MINUTE; the
// source probes and the highest-Id requests are overhead the ratio includes.
import pg from "pg";
import { type Simulator, startSimulator } from "../../local/ploomes-simulator/index.ts";
import { writeFunctionEnv } from "../../local/stack/function-env.ts";
import { requireStackKeys } from "../../local/stack/keys.ts";
import { DB_URL } from "../../local/stack/paths.ts";
import {
  buildDealsExpand,
  DEAL_FIELDS,
  DEALS_PATH,
  MAX_PAGE_SIZE,
} from "../../supabase/functions/_shared/ploomes/odata.ts";
import { callFunction, passToEnd } from "./gateway-sync.ts";

const MS_PER_MINUTE = 60_000;
const HTTP_BAD_REQUEST = 400;
/** Invocations after which a pass counts as stuck (a finding in itself). */
const MAX_INVOCATIONS = 40;
/** The predecessor's limits: 100 pages, upserts of 500 rows. */
const PREDECESSOR_MAX_PAGES = 100;
const PREDECESSOR_UPSERT_ROWS = 500;

export interface PassSetting {
  readonly deals: number;
  readonly latencyMs: number;
  readonly requestsPerMinute: number;
  readonly seed: number;
}

export interface FullPassFigures {
  readonly seconds: number;
  readonly floorSeconds: number;
  readonly ratio: number;
  readonly deals: number;
  /** The orders walked for their line items. */
  readonly orders: number;
  readonly lineItemsSource: string;
  readonly invocations: number;
  /** Every request of the pass: deals, probes and orders. */
  readonly requests: number;
}

export interface PredecessorFigures {
  readonly seconds: number;
  /** Deals it stored: at most 100 pages' worth, whatever the account holds. */
  readonly deals: number;
}

async function simulatorFor(setting: PassSetting): Promise<Simulator> {
  const contacts = Math.max(10, Math.floor(setting.deals / 10));
  const sim = await startSimulator({ port: 0, seed: setting.seed, deals: setting.deals, contacts, products: 100 });
  sim.updateSettings({ latencyMs: setting.latencyMs, lineItemsOn: BENCH_LINE_ITEMS_ON });
  return sim;
}

/** Where the bench account keeps its line items (see the header). */
const BENCH_LINE_ITEMS_ON = "orders";

/** The time the pages a pass needs take at the rate limit: `records` per collection walked. */
export function floorSeconds(records: readonly number[], requestsPerMinute: number): number {
  const pages = records.reduce((sum, count) => sum + Math.ceil(count / MAX_PAGE_SIZE), 0);
  return (pages * MS_PER_MINUTE) / requestsPerMinute / 1000;
}

/** Our full pass, from an empty mirror, timed from the first call to the answer that says succeeded. */
export async function measureFullPass(setting: PassSetting, resetState: () => Promise<void>): Promise<FullPassFigures> {
  const sim = await simulatorFor(setting);
  try {
    await resetState();
    writeFunctionEnv(
      {
        PLOOMES_BASE_URL: sim.url,
        PLOOMES_API_KEY: sim.apiKey,
        CRON_SECRET: requireStackKeys().CRON_SECRET,
        PLOOMES_REQUESTS_PER_MINUTE: String(setting.requestsPerMinute),
        PLOOMES_LINE_ITEMS_SOURCE: "auto",
      },
      "Written by npm run bench (full pass); npm start rewrites it.",
    );
    // The gateway starts a fresh worker for the new env; a call the function refuses (an unknown
    // body field: 400) keeps that start out of the timing without syncing anything.
    const warmUp = await callFunction({ benchWarmUp: true });
    if (warmUp.status !== HTTP_BAD_REQUEST) {
      throw new Error(`bench: the warm-up call was not refused: ${JSON.stringify(warmUp.body).slice(0, 200)}`);
    }
    sim.clearRequests();
    const started = performance.now();
    const calls = await passToEnd({ mode: "full", trigger: "cli" }, MAX_INVOCATIONS);
    const unfinished = calls.find((call) => call.body["status"] !== "succeeded" && call.body["status"] !== "partial") ??
      (calls.at(-1)?.body["status"] === "succeeded" ? undefined : calls.at(-1));
    if (unfinished !== undefined) {
      throw new Error(`bench: the full pass ended ${JSON.stringify(unfinished.body).slice(0, 400)}`);
    }
    const invocations = calls.length;
    const seconds = (performance.now() - started) / 1000;
    const orders = sim.counts().orders;
    const floor = floorSeconds([setting.deals, orders], setting.requestsPerMinute);
    return {
      seconds: round(seconds),
      floorSeconds: round(floor),
      ratio: round(seconds / floor, 3),
      deals: setting.deals,
      orders,
      lineItemsSource: String(calls.at(-1)?.body["lineItemsSource"]),
      invocations,
      requests: sim.requests().length,
    };
  } finally {
    await sim.stop();
  }
}

/** The predecessor's pass: `$skip` pages one after another, then upserts of 500 rows. */
export async function measurePredecessor(setting: PassSetting): Promise<PredecessorFigures> {
  const sim = await simulatorFor(setting);
  const db = new pg.Client({ connectionString: DB_URL });
  await db.connect();
  try {
    await db.query("create temp table predecessor_deals (id bigint primary key, deal jsonb not null)");
    const intervalMs = MS_PER_MINUTE / setting.requestsPerMinute;
    const query = (skip: number) =>
      `${DEALS_PATH}?$select=${DEAL_FIELDS.join(",")}&$expand=${encodeURIComponent(buildDealsExpand(true))}` +
      `&$orderby=Id&$top=${MAX_PAGE_SIZE}&$skip=${skip}`;
    const started = performance.now();
    const fetched: { Id: number }[] = [];
    let nextSlot = started;
    for (let page = 0; page < PREDECESSOR_MAX_PAGES; page += 1) {
      // The same rate limit, as a fixed pace: one request per interval.
      const wait = nextSlot - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      nextSlot = Math.max(nextSlot, performance.now()) + intervalMs;
      const response = await fetch(`${sim.url}${query(page * MAX_PAGE_SIZE)}`, { headers: { "User-Key": sim.apiKey } });
      if (!response.ok) throw new Error(`bench: predecessor page ${page} → ${response.status}`);
      const body = (await response.json()) as { value: { Id: number }[] };
      fetched.push(...body.value);
      if (body.value.length < MAX_PAGE_SIZE) break;
    }
    for (let i = 0; i < fetched.length; i += PREDECESSOR_UPSERT_ROWS) {
      const chunk = fetched.slice(i, i + PREDECESSOR_UPSERT_ROWS);
      await db.query(
        `insert into predecessor_deals (id, deal) select (d ->> 'Id')::bigint, d from jsonb_array_elements($1::jsonb) d
         on conflict (id) do update set deal = excluded.deal`,
        [JSON.stringify(chunk)],
      );
    }
    return { seconds: round((performance.now() - started) / 1000), deals: fetched.length };
  } finally {
    await db.end();
    await sim.stop();
  }
}

function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
