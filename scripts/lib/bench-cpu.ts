// `npm run bench`, the function's CPU per page outside I/O: how long, per 10 000 deals, the Edge
// Function spends on (1) JSON.parse of the Ploomes page bodies (the floor: nothing here can lower
// it), (2) validating the deals and mapping them to rows, and (3) building the rpc payload string
// (what supabase-js `.rpc()` sends: JSON.stringify of the rows). The pages are the ones the
// simulator serves to a full pass with the Products expansion, 300 deals each, handled one at a
// time as the function does. Each figure is the median of several rounds after a warm-up, so JIT
// tiering and one GC pause do not decide it. Nothing is asserted: tests never assert speed.
import { startSimulator } from "../../local/ploomes-simulator/index.ts";
import { parseDealPageToRows, toSqlDeal } from "../../supabase/functions/_shared/db/deal-payload.ts";
import { parseDealPage, toDealRow } from "../../supabase/functions/_shared/ploomes/deal-schema.ts";
import { buildFullDealsQuery } from "../../supabase/functions/_shared/ploomes/odata.ts";

const PAGE_SIZE = 300;
const DEALS_PER_FIGURE = 10_000;
const DEFAULT_SEED = 42;
const DEFAULT_REPETITIONS = 15;
const WARM_UP_ROUNDS = 5;
/** The simulator's rate limit is not what is measured here. */
const UNLIMITED_RPM = 1_000_000;

/**
 * `rows` (default): the single-step path the function uses, `parseDealPageToRows` then
 * JSON.stringify. `two-step`: the former path, `parseDealPage` + `toDealRow`, then `toSqlDeal` +
 * JSON.stringify — kept to compare against.
 */
export type CpuPipeline = "rows" | "two-step";

export interface DealCpuOptions {
  /** How many deals the simulator generates (all are fetched, in 300-deal pages). */
  readonly deals: number;
  readonly seed?: number;
  readonly repetitions?: number;
  readonly pipeline?: CpuPipeline;
}

/** Milliseconds per 10 000 deals, medians over the repetitions. */
export interface DealCpuFigures {
  readonly deals: number;
  readonly pages: number;
  readonly rejected: number;
  readonly pipeline: CpuPipeline;
  /** JSON.parse of the page bodies. */
  readonly parseMs: number;
  /** Validation of the parsed deals and their mapping to rows. */
  readonly validateMapMs: number;
  /** The rpc payload: JSON.stringify of each page's rows (plus toSqlDeal on the two-step path). */
  readonly payloadMs: number;
  /** validateMapMs + payloadMs: the part this code controls (JSON.parse excluded). */
  readonly totalMsPer10kDeals: number;
  /**
   * (validate+map + payload) / JSON.parse, the median of the rounds' ratios: the cost relative to
   * the floor, steadier than the milliseconds on a shared machine whose speed drifts.
   */
  readonly totalVsParse: number;
}

/** Fetches every page of a full pass with Products, as raw bodies. */
async function fetchBodies(deals: number, seed: number): Promise<string[]> {
  const sim = await startSimulator({ port: 0, seed, deals, rpm: UNLIMITED_RPM });
  try {
    const bodies: string[] = [];
    for (let after: number | null = null;;) {
      const query = buildFullDealsQuery({ lastId: after }, { pageSize: PAGE_SIZE, includeProducts: true });
      const response = await fetch(`${sim.url}${query}`, { headers: { "User-Key": sim.apiKey } });
      if (!response.ok) throw new Error(`simulator answered ${response.status}`);
      const body = await response.text();
      const page = JSON.parse(body) as { value: { Id: number }[] };
      if (page.value.length === 0) break;
      bodies.push(body);
      after = page.value.at(-1)?.Id ?? null;
    }
    return bodies;
  } finally {
    await sim.stop();
  }
}

interface Round {
  readonly parseMs: number;
  readonly validateMapMs: number;
  readonly payloadMs: number;
  readonly rejected: number;
  /** Kept so the engine cannot drop the payload as dead code. */
  readonly payloadChars: number;
}

/**
 * One pass over every page, a page at a time as the function handles them (so the garbage
 * collector sees one page live, not the whole dataset); each phase's time is summed over pages,
 * which needs Node's sub-microsecond performance.now (Deno's is coarser).
 */
function round(bodies: readonly string[], pipeline: CpuPipeline): Round {
  let parseMs = 0;
  let validateMapMs = 0;
  let payloadMs = 0;
  let rejected = 0;
  let payloadChars = 0;
  for (const body of bodies) {
    const started = performance.now();
    const values = (JSON.parse(body) as { value: unknown[] }).value;
    const parsed = performance.now();
    let payload: string;
    if (pipeline === "rows") {
      const { rows, rejects } = parseDealPageToRows(values, true);
      rejected += rejects.length;
      validateMapMs += performance.now() - parsed;
      const mapped = performance.now();
      payload = JSON.stringify(rows);
      payloadMs += performance.now() - mapped;
    } else {
      const { deals, rejects } = parseDealPage(values);
      const rows = deals.map((deal) => toDealRow(deal, true));
      rejected += rejects.length;
      validateMapMs += performance.now() - parsed;
      const mapped = performance.now();
      payload = JSON.stringify(rows.map(toSqlDeal));
      payloadMs += performance.now() - mapped;
    }
    parseMs += parsed - started;
    payloadChars += payload.length;
  }
  return { parseMs, validateMapMs, payloadMs, rejected, payloadChars };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? upper) + upper) / 2;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/**
 * Generates `deals` deals in the simulator, fetches them as a full pass would (300 per page,
 * Contact and Products expanded), then times parse / validate+map / payload over all pages,
 * WARM_UP_ROUNDS untimed rounds first. Figures are per 10 000 deals.
 */
export async function measureDealCpu(options: DealCpuOptions): Promise<DealCpuFigures> {
  const pipeline = options.pipeline ?? "rows";
  const bodies = await fetchBodies(options.deals, options.seed ?? DEFAULT_SEED);
  for (let i = 0; i < WARM_UP_ROUNDS; i += 1) round(bodies, pipeline);
  const rounds: Round[] = [];
  for (let i = 0; i < (options.repetitions ?? DEFAULT_REPETITIONS); i += 1) rounds.push(round(bodies, pipeline));
  const scale = DEALS_PER_FIGURE / options.deals;
  const parseMs = round2(median(rounds.map((r) => r.parseMs)) * scale);
  const validateMapMs = round2(median(rounds.map((r) => r.validateMapMs)) * scale);
  const payloadMs = round2(median(rounds.map((r) => r.payloadMs)) * scale);
  return {
    deals: options.deals,
    pages: bodies.length,
    rejected: rounds[0]?.rejected ?? 0,
    pipeline,
    parseMs,
    validateMapMs,
    payloadMs,
    totalMsPer10kDeals: round2(validateMapMs + payloadMs),
    totalVsParse: round2(median(rounds.map((r) => (r.validateMapMs + r.payloadMs) / r.parseMs))),
  };
}
