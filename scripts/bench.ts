// `npm run bench [-- --quick] [-- --json]`: performance figures, all measured in one run, printed
// as a table and written to bench/reports/<timestamp>.{md,json} and bench/reports/latest.json.
// Nothing here is asserted (tests never assert speed). The JSON keys are a contract (README,
// "Performance"): fullPass30k, predecessor30k, pageStoreMs, finish1M, incremental1pct,
// cpuMsPer10kDeals, maxInvocationCpuMs, peakRssMb, plus details under edgeLimits and dealCpu.
// --quick measures the same things on smaller accounts (each figure says its size) in under two
// minutes; --json also prints the JSON on stdout.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../local/stack/paths.ts";
import { stackUp } from "../local/stack/stack.ts";
import { measureDealCpu } from "./lib/bench-cpu.ts";
import { resetLocalSyncState } from "./lib/bench-state.ts";
import { measureFullPass, measurePredecessor, type PassSetting } from "./lib/bench-full-pass.ts";
import { measureLimits } from "./lib/bench-limits.ts";
import { measureFinish, measurePageStore } from "./lib/bench-sql.ts";
import { measureWebhooks, type WebhookSetting } from "./lib/bench-webhooks.ts";

interface Sizes {
  readonly pass: PassSetting;
  readonly mirrors: readonly [number, number];
  readonly finishDeals: number;
  readonly limits: { seed: number; contacts: number; products: number; deals: number };
  readonly cpuDeals: number;
  readonly webhooks: WebhookSetting;
}

/** The account sizes the issue names; --quick divides them. */
const FULL: Sizes = {
  pass: { deals: 30_000, latencyMs: 1_500, requestsPerMinute: 90, seed: 30 },
  mirrors: [10_000, 1_000_000],
  finishDeals: 1_000_000,
  limits: { seed: 42, contacts: 5_000, products: 300, deals: 100_000 },
  cpuDeals: 10_000,
  webhooks: { deals: 5_000, samples: 20, latencyMs: 1_500, requestsPerMinute: 90, seed: 60 },
};
const QUICK: Sizes = {
  pass: { deals: 3_000, latencyMs: 1_500, requestsPerMinute: 90, seed: 30 },
  mirrors: [10_000, 100_000],
  finishDeals: 100_000,
  limits: { seed: 42, contacts: 1_000, products: 100, deals: 10_000 },
  cpuDeals: 3_000,
  webhooks: { deals: 2_000, samples: 5, latencyMs: 1_500, requestsPerMinute: 90, seed: 60 },
};

function table(rows: [string, string, string][]): string {
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)));
  const line = (row: readonly string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [
    line(rows[0] ?? ["", "", ""]),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.slice(1).map(line),
  ].join("\n");
}

const round = (value: number): number => Math.round(value * 10) / 10;

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const printJson = process.argv.includes("--json");
  const sizes = quick ? QUICK : FULL;
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  await stackUp();
  const startedAt = new Date();

  log(
    `full pass of ${sizes.pass.deals} deals, ${sizes.pass.latencyMs} ms latency, ${sizes.pass.requestsPerMinute}/min…`,
  );
  const fullPass = await measureFullPass(sizes.pass, resetLocalSyncState);
  log("the predecessor's algorithm on the same account…");
  const predecessor = await measurePredecessor(sizes.pass);
  log(`storing a page with ${sizes.mirrors[0]} and ${sizes.mirrors[1]} deals mirrored…`);
  const pageStore = await measurePageStore(sizes.mirrors[0], sizes.mirrors[1]);
  log(`finishing a first full pass of ${sizes.finishDeals} deals…`);
  const finish = await measureFinish(sizes.finishDeals);
  log(`Edge Runtime limits: a full pass of ${sizes.limits.deals} deals at 120/min, then 1 % changed…`);
  const { limits, incremental } = await measureLimits(sizes.limits, resetLocalSyncState);
  log("CPU of parse + validate + map per 10 000 deals…");
  const dealCpu = await measureDealCpu({ deals: sizes.cpuDeals });
  log(
    `webhooks: ${sizes.webhooks.samples} single changes, then a burst of 1 000, ${sizes.webhooks.latencyMs} ms latency…`,
  );
  const webhooks = await measureWebhooks(sizes.webhooks, resetLocalSyncState);
  await resetLocalSyncState();

  const report = {
    measuredAt: startedAt.toISOString(),
    quick,
    fullPass30k: {
      seconds: fullPass.seconds,
      floorSeconds: fullPass.floorSeconds,
      ratio: fullPass.ratio,
      deals: fullPass.deals,
      orders: fullPass.orders,
      lineItemsSource: fullPass.lineItemsSource,
      invocations: fullPass.invocations,
      requests: fullPass.requests,
    },
    predecessor30k: predecessor,
    pageStoreMs: pageStore,
    finish1M: finish,
    incremental1pct: {
      requests: incremental.requests,
      seconds: incremental.seconds,
      changed: incremental.changed,
      deals: sizes.limits.deals,
    },
    cpuMsPer10kDeals: limits.cpuMsPer10kDeals,
    maxInvocationCpuMs: limits.maxCpuMsPerInvocation,
    peakRssMb: limits.peakRssMb,
    parseValidateMapMsPer10kDeals: round(dealCpu.parseMs + dealCpu.validateMapMs),
    edgeLimits: limits,
    dealCpu,
    webhookLatency: {
      p50Seconds: webhooks.p50Seconds,
      p95Seconds: webhooks.p95Seconds,
      requestsFor1000Events: webhooks.requestsFor1000Events,
      burstSeconds: webhooks.burstSeconds,
      receiverP95Ms: webhooks.receiverP95Ms,
      receiverMaxMs: webhooks.receiverMaxMs,
      receiverSlowAnswers: webhooks.receiverSlowAnswers,
      receiverBoots: webhooks.receiverBoots,
      samples: webhooks.samples,
      deals: webhooks.deals,
    },
  };

  const rows: [string, string, string][] = [
    ["figure", "value", "measured on"],
    [
      "fullPass30k",
      `${fullPass.seconds} s (floor ${fullPass.floorSeconds} s, ratio ${fullPass.ratio})`,
      `${fullPass.deals} deals + ${fullPass.orders} orders (line items from ${fullPass.lineItemsSource}), ${sizes.pass.latencyMs} ms latency, ` +
      `${sizes.pass.requestsPerMinute}/min, ${fullPass.invocations} invocation(s), ${fullPass.requests} requests`,
    ],
    [
      "predecessor30k",
      `${predecessor.seconds} s for ${predecessor.deals} deals`,
      "same account: $skip pages one at a time, ≤ 100 pages, upserts of 500",
    ],
    [
      "pageStoreMs",
      `${pageStore.mirror10k} ms → ${pageStore.mirror1M} ms (ratio ${pageStore.ratio})`,
      `median 300-deal page, ${pageStore.mirrors[0]} vs ${pageStore.mirrors[1]} deals mirrored`,
    ],
    [
      "finish1M",
      `max ${finish.maxStatementMs} ms per statement, ${finish.totalMs} ms in all`,
      `${finish.deals} deals, ${finish.customers} customers, ${finish.dealsDeleted} gone, ${finish.calls} calls`,
    ],
    [
      "incremental1pct",
      `${incremental.requests} requests, ${incremental.seconds} s`,
      `${incremental.changed} of ${sizes.limits.deals} deals changed`,
    ],
    [
      "cpuMsPer10kDeals",
      `${limits.cpuMsPer10kDeals ?? "?"} ms`,
      `function CPU, full pass of ${limits.deals} deals at 120/min`,
    ],
    [
      "maxInvocationCpuMs",
      `${limits.maxCpuMsPerInvocation ?? "?"} ms`,
      `${limits.invocations} invocations, ${limits.killed546} killed (546)`,
    ],
    ["peakRssMb", `${limits.peakRssMb ?? "?"} MB`, "a function worker's peak RSS (local gateway)"],
    [
      "parseValidateMapMs",
      `${round(dealCpu.parseMs + dealCpu.validateMapMs)} ms (JSON.parse ${dealCpu.parseMs} ms)`,
      `per 10 000 deals, Node; the rpc payload, built once: ${dealCpu.payloadMs} ms`,
    ],
    [
      "webhookLatency",
      `p50 ${webhooks.p50Seconds} s, p95 ${webhooks.p95Seconds} s; ${webhooks.requestsFor1000Events} requests for 1 000 events`,
      `deal change → customer_sales, ${webhooks.samples} changes, ${webhooks.deals} deals, ${sizes.webhooks.latencyMs} ms latency; ` +
      `the burst converged in ${webhooks.burstSeconds} s; the receiver answered Ploomes in ` +
      `p95 ${webhooks.receiverP95Ms} ms, max ${webhooks.receiverMaxMs} ms (${webhooks.receiverSlowAnswers} answers over 200 ms, ` +
      `${webhooks.receiverBoots ?? "?"} receiver workers booted)`,
    ],
  ];
  const text = `# Benchmark ${startedAt.toISOString()}${quick ? " (--quick)" : ""}\n\n${table(rows)}\n`;
  process.stdout.write(`${text}\n`);

  const dir = join(PROJECT_ROOT, "bench", "reports");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${startedAt.toISOString().replace(/[:.]/g, "-")}${quick ? "-quick" : ""}`);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(`${file}.md`, text);
  writeFileSync(`${file}.json`, json);
  writeFileSync(join(dir, "latest.json"), json);
  if (printJson) process.stdout.write(json);
  log(`report written to ${file}.md, .json and bench/reports/latest.json`);
}

main().catch((error: unknown) => {
  process.stderr.write(`npm run bench: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
