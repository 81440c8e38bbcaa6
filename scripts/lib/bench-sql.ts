// `npm run bench`, the SQL API at scale, as service_role: (1) the median time to store a 300-deal
// full-pass page with a small and a large mirror — the page path must not grow with the mirror —
// and (2) the finish of a first full pass over a large account (every customer to compute, 1 % of
// the deals gone, every row to refresh), call by call: each call is one statement, which hosted
// Supabase cuts at service_role's 8 s statement timeout. Mirrors are written straight in SQL
// (generate_series) in the shape pages would leave them; the pages stored are built in TypeScript
// with the same values, 1 in 10 deals changed, as a weekly full pass would find them.
import pg from "pg";
import { DB_URL } from "../../local/stack/paths.ts";
import { resetSyncState } from "./bench-state.ts";

const PAGE = 300;
/** Pages sampled per mirror, spread over its Id space. */
const PAGE_SAMPLES = 60;
/** One deal in this many has changed since the mirror was written. */
const CHANGED_EVERY = 10;
/** Deals per customer in the generated accounts (1 000 000 deals → 100 000 customers). */
const DEALS_PER_CUSTOMER = 10;
/** Share of a large account's deals gone by its finish. */
const GONE_SHARE = 0.01;
const LAST_UPDATE = "2024-01-01T10:00:00-03:00";

export interface PageStoreFigures {
  readonly mirror10k: number;
  readonly mirror1M: number;
  readonly ratio: number;
  /** The mirror sizes actually measured (smaller in --quick). */
  readonly mirrors: readonly [number, number];
}

export interface FinishFigures {
  readonly maxStatementMs: number;
  readonly totalMs: number;
  readonly calls: number;
  readonly deals: number;
  readonly customers: number;
  readonly dealsDeleted: number;
}

/** The mirror of `deals` deals (Ids 1..deals) for `customers` customers, written in SQL. */
async function writeMirror(db: pg.Client, deals: number, customers: number): Promise<void> {
  await resetSyncState(db);
  await db.query(
    `
    insert into ploomes_sync.deals (deal_id, contact_id, contact_name, contact_type_id, contact_cnpj, contact_cpf,
                                    status_id, amount, create_date, finish_date, last_update_date, last_update_raw, line_items, seen_pass_id)
    select i, 1 + (i % $2), 'Cliente ' || (1 + (i % $2)), 1, null, null, 1 + (i % 3), (i % 1000) + 0.5,
           '${LAST_UPDATE}', '${LAST_UPDATE}', '${LAST_UPDATE}', '${LAST_UPDATE}',
           jsonb_build_array(jsonb_build_object('product_id', i % 50, 'quantity', 2, 'unit_price', 10, 'discount', 0, 'total', 20, 'catalog_unit_price', 10)),
           0
      from generate_series(1, $1::integer) i`,
    [deals, customers],
  );
  // As a mirror written over time would be: hint bits set, visibility map up to date.
  await db.query("vacuum analyze ploomes_sync.deals");
}

/** A 300-deal page as the function sends it: the mirror's values, one deal in CHANGED_EVERY changed. */
function pageRows(firstId: number, customers: number): Record<string, unknown>[] {
  return Array.from({ length: PAGE }, (_, k) => {
    const id = firstId + k;
    const changed = id % CHANGED_EVERY === 0;
    return {
      id,
      contact_id: 1 + (id % customers),
      contact_name: `Cliente ${1 + (id % customers)}`,
      contact_type_id: 1,
      contact_cnpj: null,
      contact_cpf: null,
      status_id: 1 + (id % 3),
      amount: changed ? (id % 1000) + 7.25 : (id % 1000) + 0.5,
      create_date: LAST_UPDATE,
      finish_date: LAST_UPDATE,
      last_update_date: LAST_UPDATE,
      last_update_raw: LAST_UPDATE,
      line_items: [{
        product_id: id % 50,
        quantity: 2,
        unit_price: 10,
        discount: 0,
        total: 20,
        catalog_unit_price: 10,
      }],
    };
  });
}

async function asService<T extends pg.QueryResultRow>(
  db: pg.Client,
  sql: string,
  params: unknown[],
): Promise<pg.QueryResult<T>> {
  await db.query("begin; set local role service_role");
  try {
    const result = await db.query<T>(sql, params);
    await db.query("commit");
    return result;
  } catch (error) {
    await db.query("rollback");
    throw error;
  }
}

async function claimFull(db: pg.Client): Promise<number> {
  const claim =
    (await asService<{ c: { runId: number } }>(db, "select public.sync_claim('cli', 'full', false, 3600) as c", []))
      .rows[0]?.c;
  if (!claim) throw new Error("bench: sync_claim answered nothing");
  return claim.runId;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Median ms to store a 300-deal full-pass page into a mirror of `deals` deals. */
async function pageStoreMedian(db: pg.Client, deals: number): Promise<number> {
  const customers = Math.max(1, Math.floor(deals / DEALS_PER_CUSTOMER));
  await writeMirror(db, deals, customers);
  const runId = await claimFull(db);
  const stride = Math.floor((deals - PAGE) / PAGE_SAMPLES);
  const times: number[] = [];
  for (let sample = 0; sample < PAGE_SAMPLES; sample += 1) {
    const firstId = 1 + sample * stride;
    const rows = pageRows(firstId, customers);
    const last = firstId + PAGE - 1;
    // One range, standing right before this page (set outside the timing): the page's span is
    // exactly its own Ids, as in a pass that walks the whole mirror.
    await db.query(
      "update ploomes_sync.passes p set position = $1 where p.id = (select r.pass_id from ploomes_sync.runs r where r.id = $2)",
      [JSON.stringify({ ranges: [{ from: null, to: null, after: firstId - 1, done: false }] }), runId],
    );
    const position = { ranges: [{ from: null, to: null, after: last, done: false }] };
    const started = performance.now();
    await asService(
      db,
      "select public.sync_ingest_page(p_run_id => $1, p_deals => $2::jsonb, p_position => $3::jsonb, p_lease_seconds => 3600, p_range => 0)",
      [runId, JSON.stringify(rows), JSON.stringify(position)],
    );
    times.push(performance.now() - started);
  }
  return median(times);
}

export async function measurePageStore(small: number, large: number): Promise<PageStoreFigures> {
  const db = new pg.Client({ connectionString: DB_URL });
  await db.connect();
  try {
    const atSmall = await pageStoreMedian(db, small);
    const atLarge = await pageStoreMedian(db, large);
    return {
      mirror10k: round(atSmall),
      mirror1M: round(atLarge),
      ratio: round(atLarge / atSmall, 2),
      mirrors: [small, large],
    };
  } finally {
    await resetSyncState(db);
    await db.end();
  }
}

/**
 * The finish of a first full pass over `deals` deals: every customer dirty (none published yet),
 * GONE_SHARE of the deals proved gone, every row to refresh. Each sync_finish_pass call is timed.
 */
export async function measureFinish(deals: number): Promise<FinishFigures> {
  const customers = Math.floor(deals / DEALS_PER_CUSTOMER);
  const db = new pg.Client({ connectionString: DB_URL });
  await db.connect();
  try {
    await writeMirror(db, deals, customers);
    const runId = await claimFull(db);
    // What the pages of this pass would have left: the whole Id space read, every customer dirty,
    // the gone deals staged.
    await db.query(
      `
      update ploomes_sync.passes p set position = jsonb_build_object('ranges', jsonb_build_array(
               jsonb_build_object('from', null, 'to', null, 'after', $1::bigint, 'done', true)))
       where p.id = (select r.pass_id from ploomes_sync.runs r where r.id = $2);
      insert into ploomes_sync.dirty_customers (customer_id) select distinct d.contact_id from ploomes_sync.deals d;
      insert into ploomes_sync.pass_gone (pass_id, deal_id)
      select r.pass_id, g from ploomes_sync.runs r, generate_series(1, $1::integer, ${
        Math.round(1 / GONE_SHARE)
      }) g where r.id = $2;
      analyze ploomes_sync.dirty_customers; analyze ploomes_sync.pass_gone;`.replace(/\$1/g, String(deals)).replace(
        /\$2/g,
        String(runId),
      ),
    );
    const times: number[] = [];
    let summary: Record<string, unknown> = {};
    for (;;) {
      const started = performance.now();
      summary =
        (await asService<{ s: Record<string, unknown> }>(db, "select public.sync_finish_pass($1) as s", [runId]))
          .rows[0]?.s ?? {};
      times.push(performance.now() - started);
      if (process.env["BENCH_DEBUG"]) {
        process.stderr.write(
          `finish call: ${Math.round(times.at(-1) ?? 0)} ms, then ${String(summary["finishing"])}\n`,
        );
      }
      if (summary["status"] !== "running") break;
    }
    if (summary["status"] !== "succeeded") {
      throw new Error(`bench: the finish ended ${JSON.stringify(summary).slice(0, 300)}`);
    }
    return {
      maxStatementMs: round(Math.max(...times)),
      totalMs: round(times.reduce((a, b) => a + b, 0)),
      calls: times.length,
      deals,
      customers,
      dealsDeleted: Number(summary["dealsDeleted"] ?? 0),
    };
  } finally {
    await resetSyncState(db);
    await db.end();
  }
}

function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
