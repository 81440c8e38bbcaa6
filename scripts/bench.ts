// `npm run bench`: performance figures, printed and written to bench/reports/<timestamp>.md.
// Nothing here is asserted (tests never assert speed); the figures show where time goes:
//   1. the simulator: generating 100 000 deals, serving a 300-deal page with expansions;
//   2. the SQL API on 100 000 deals: storing pages, and the full-pass finish (sweep + recompute of
//      every customer), which must stay far below the 8 s statement timeout of service_role;
//   3. a full pass of 10 000 deals end to end (gateway → Deno → simulator → SQL API) and an
//      incremental pass with nothing new;
//   4. the Edge Runtime's limits: a full pass of 100 000 deals at 120 requests/minute through
//      continuations — CPU per invocation and per 10 000 deals, 546s, peak RSS (scripts/lib/bench-limits.ts).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { startSimulator } from "../local/ploomes-simulator/index.ts";
import { DB_URL, PROJECT_ROOT } from "../local/stack/paths.ts";
import { stackUp } from "../local/stack/stack.ts";
import { toDealRow, parseDealPage } from "../supabase/functions/_shared/ploomes/deal-schema.ts";
import { toSqlDeal } from "../supabase/functions/_shared/db/rpc.ts";
import { buildFullDealsQuery } from "../supabase/functions/_shared/ploomes/odata.ts";
import { measureLimits } from "./lib/bench-limits.ts";
import { callFunction } from "./lib/gateway-sync.ts";
import { prepareLocalFunction } from "./lib/local-function.ts";

const BIG = { seed: 42, contacts: 5_000, products: 300, deals: 100_000 };
const PAGE = 300;
const PAGE_SAMPLES = 100;
const lines: string[] = [];
/** Figures also written as JSON next to the Markdown report, for tools. */
const json: Record<string, unknown> = {};
const say = (line: string) => {
  lines.push(line);
  process.stdout.write(`${line}\n`);
};

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
const ms = (n: number) => `${n.toFixed(1)} ms`;

async function simulatorFigures(): Promise<unknown[]> {
  say("## Simulator");
  const generation: number[] = [];
  let sim = await startSimulator({ port: 0, ...BIG });
  generation.push(sim.generationMs);
  await sim.stop();
  sim = await startSimulator({ port: 0, ...BIG, rpm: 1_000_000 });
  generation.push(sim.generationMs);
  say(`- generate ${BIG.deals} deals, ${BIG.contacts} contacts: ${generation.map(ms).join(", ")}`);
  const ids = (sim.snapshot().deals as { Id: number }[]).map((d) => d.Id).sort((a, b) => a - b);
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < PAGE_SAMPLES; i += 1) {
    const after = i === 0 ? null : (ids[i * Math.floor(ids.length / PAGE_SAMPLES)] ?? null);
    const started = performance.now();
    const response = await fetch(`${sim.url}${buildFullDealsQuery({ lastId: after }, { pageSize: PAGE, includeProducts: true })}`, {
      headers: { "User-Key": sim.apiKey },
    });
    const body = await response.text();
    times.push(performance.now() - started);
    bytes += body.length;
  }
  say(`- 300-deal page with Contact and Products expansions: median ${ms(percentile(times, 50))}, p95 ${ms(percentile(times, 95))}, ${Math.round(bytes / PAGE_SAMPLES / 1024)} KiB`);
  // The whole dataset, as the sync would receive it, for the SQL figures.
  const all: unknown[] = [];
  for (let after: number | null = null; ;) {
    const response = await fetch(`${sim.url}${buildFullDealsQuery({ lastId: after }, { pageSize: PAGE, includeProducts: true })}`, { headers: { "User-Key": sim.apiKey } });
    const page = (await response.json()) as { value: { Id: number }[] };
    all.push(...page.value);
    if (page.value.length < PAGE) break;
    after = page.value.at(-1)?.Id ?? null;
  }
  await sim.stop();
  return all;
}

async function sqlFigures(deals: unknown[]): Promise<void> {
  say("\n## SQL API (100 000 deals, as service_role, one transaction per call)");
  const db = new pg.Client({ connectionString: DB_URL });
  await db.connect();
  const asService = async <T extends pg.QueryResultRow>(sql: string, params: unknown[]) => {
    await db.query("begin; set local role service_role");
    const result = await db.query<T>(sql, params);
    await db.query("commit");
    return result;
  };
  await db.query(`update ploomes_sync.state set cursor = null, current_pass_id = null, last_full_pass_at = null, lease_run_id = null, lease_expires_at = null;
    truncate public.customer_sales, ploomes_sync.deals, ploomes_sync.dirty_customers, ploomes_sync.rejected_deals; delete from ploomes_sync.runs; delete from ploomes_sync.passes;`);
  const claim = (await asService<{ c: { runId: number } }>("select public.sync_claim('cli', 'full', false, 3600) as c", [])).rows[0]?.c;
  if (!claim) throw new Error("claim failed");
  const pageTimes: number[] = [];
  for (let i = 0; i < deals.length; i += PAGE) {
    const { deals: parsed } = parseDealPage(deals.slice(i, i + PAGE));
    const rows = parsed.map((d) => toSqlDeal(toDealRow(d, true)));
    const started = performance.now();
    await asService("select public.sync_ingest_page(p_run_id => $1, p_deals => $2::jsonb, p_position => $3::jsonb, p_lease_seconds => 3600)",
      [claim.runId, JSON.stringify(rows), JSON.stringify({ lastId: rows.at(-1)?.id ?? null })]);
    pageTimes.push(performance.now() - started);
  }
  say(`- store a 300-deal page: median ${ms(percentile(pageTimes, 50))}, p95 ${ms(percentile(pageTimes, 95))} (${pageTimes.length} pages)`);
  let started = performance.now();
  const finished = (await asService<{ s: Record<string, unknown> }>("select public.sync_finish_pass($1) as s", [claim.runId])).rows[0]?.s;
  say(`- finish a full pass (sweep + recompute ${String(finished?.customersInserted)} customers + confirm rows): ${ms(performance.now() - started)}`);
  const again = (await asService<{ c: { runId: number } }>("select public.sync_claim('cli', 'full', false, 3600) as c", [])).rows[0]?.c;
  if (!again) throw new Error("claim failed");
  started = performance.now();
  // Every deal unseen is far above the mass-delete guard's ratio: allowed explicitly here.
  await asService("select public.sync_finish_pass($1, p_max_delete_ratio => 1)", [again.runId]);
  say(`- finish a full pass that saw no page (sweeps every deal, deletes every customer): ${ms(performance.now() - started)}`);
  await db.end();
}

async function endToEndFigures(): Promise<void> {
  say("\n## End to end: gateway → Deno function → demo simulator (10 000 deals) → SQL API");
  await prepareLocalFunction(() => undefined);
  const full = await callFunction({ mode: "full", trigger: "cli" });
  const b = full.body;
  say(`- full pass: ${String(b.status)} in ${String(b.durationMs)} ms, ${String(b.pages)} pages, ${String(b.requests)} requests, ${String(b.throttledWaits)} throttled waits (client limit ${process.env.PLOOMES_REQUESTS_PER_MINUTE ?? 90}/min dominates)`);
  const incremental = await callFunction({ trigger: "cli" });
  say(`- incremental pass with nothing new: ${String(incremental.body.status)} in ${String(incremental.body.durationMs)} ms, ${String(incremental.body.requests)} request(s)`);
}

async function limitsFigures(): Promise<void> {
  say(`\n## Edge Runtime limits: full pass of ${BIG.deals} deals, PLOOMES_REQUESTS_PER_MINUTE=120, no latency`);
  const f = await measureLimits(BIG);
  say(`- ${f.status} after ${f.invocations} invocations in ${f.seconds} s; 546 (worker killed): ${f.killed546}`);
  say(`- function CPU per invocation: max ${f.maxCpuMsPerInvocation ?? "?"} ms (${f.cpuMsPerInvocation.join(", ")}); per 10 000 deals: ${f.cpuMsPer10kDeals ?? "?"} ms`);
  say(`- peak RSS of a function worker: ${f.peakRssMb === null ? "not reported by the gateway" : `${f.peakRssMb} MB`}`);
  json["edgeLimits"] = f;
}

async function main(): Promise<void> {
  await stackUp();
  say(`# Benchmark ${new Date().toISOString()}\n`);
  const deals = await simulatorFigures();
  await sqlFigures(deals);
  await endToEndFigures();
  await limitsFigures();
  const dir = join(PROJECT_ROOT, "bench", "reports");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, "-")}.md`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  writeFileSync(file.replace(/\.md$/, ".json"), `${JSON.stringify(json, null, 2)}\n`);
  process.stdout.write(`\nreport written to ${file} (and .json)\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`npm run bench: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
