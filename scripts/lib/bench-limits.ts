// `npm run bench`, Edge Runtime limits: a full pass over a large account at the most the
// configuration allows (PLOOMES_REQUESTS_PER_MINUTE=120, no latency), invoked like the
// continuation job does until it completes. Reports what the platform limits: the function's CPU
// per invocation and per 10 000 deals (from each response's `cpuMs`), any 546 (a worker the
// runtime killed), and the workers' peak RSS as the local gateway measured it.
import { startSimulator } from "../../local/ploomes-simulator/index.ts";
import { writeFunctionEnv } from "../../local/stack/function-env.ts";
import { requireStackKeys } from "../../local/stack/keys.ts";
import { callFunction, passToEnd, type SyncCall } from "./gateway-sync.ts";
import { gatewayWorkers } from "./gateway-workers.ts";

/** Invocations after which the bench gives up (a pass that needs more is a finding in itself). */
const MAX_INVOCATIONS = 40;
const DEALS_PER_FIGURE = 10_000;
const HTTP_WORKER_KILLED = 546;

export interface LimitsFigures {
  readonly deals: number;
  readonly invocations: number;
  readonly status: string;
  readonly cpuMsPerInvocation: number[];
  readonly maxCpuMsPerInvocation: number | null;
  readonly cpuMsPer10kDeals: number | null;
  readonly killed546: number;
  readonly peakRssMb: number | null;
  readonly seconds: number;
}

const BYTES_PER_MB = 1024 * 1024;

/** The largest peak RSS of any function worker the gateway remembers. */
async function peakRssMb(): Promise<number | null> {
  const workers = await gatewayWorkers();
  const peaks = Object.values(workers ?? {}).flatMap((list) => list.map((w) => w.peakRssBytes ?? 0));
  return peaks.length === 0 ? null : Math.round(Math.max(...peaks) / BYTES_PER_MB);
}

export interface IncrementalFigures {
  /** Requests the incremental pass sent to Ploomes. */
  readonly requests: number;
  readonly seconds: number;
  readonly changed: number;
}

/** One in this many deals changes before the incremental pass (1 %). */
const CHANGED_EVERY = 100;

export async function measureLimits(
  dataset: { seed: number; contacts: number; products: number; deals: number },
  resetState: () => Promise<void>,
): Promise<{ limits: LimitsFigures; incremental: IncrementalFigures }> {
  const sim = await startSimulator({ port: 0, ...dataset });
  await resetState();
  writeFunctionEnv(
    {
      PLOOMES_BASE_URL: sim.url,
      PLOOMES_API_KEY: sim.apiKey,
      PLOOMES_REQUESTS_PER_MINUTE: "120",
      CRON_SECRET: requireStackKeys().CRON_SECRET,
    },
    "Written by npm run bench (Edge Runtime limits); npm start rewrites it.",
  );
  const started = performance.now();
  let calls: SyncCall[] = [];
  let incremental: IncrementalFigures | null = null;
  let passSeconds = 0;
  try {
    calls = await passToEnd({ mode: "full", trigger: "cli" }, MAX_INVOCATIONS);
    passSeconds = Math.round((performance.now() - started) / 1000);
    incremental = await measureIncremental(sim);
  } finally {
    await sim.stop();
  }
  if (incremental === null) throw new Error("bench: the incremental pass did not run");
  const cpu = calls.flatMap((call) => (typeof call.body["cpuMs"] === "number" ? [call.body["cpuMs"]] : []));
  const last = calls.at(-1);
  const totalCpu = cpu.reduce((sum, value) => sum + value, 0);
  const limits: LimitsFigures = {
    deals: dataset.deals,
    invocations: calls.length,
    status: String(last?.body["status"] ?? last?.status ?? ""),
    cpuMsPerInvocation: cpu,
    maxCpuMsPerInvocation: cpu.length === 0 ? null : Math.max(...cpu),
    cpuMsPer10kDeals: cpu.length === 0 ? null : Math.round((totalCpu / dataset.deals) * DEALS_PER_FIGURE),
    killed546: calls.filter((call) => call.status === HTTP_WORKER_KILLED).length,
    peakRssMb: await peakRssMb(),
    seconds: passSeconds,
  };
  return { limits, incremental };
}

/** 1 % of the deals change in Ploomes; one incremental pass reads them: its requests and time. */
async function measureIncremental(sim: Awaited<ReturnType<typeof startSimulator>>): Promise<IncrementalFigures> {
  const ids = (sim.snapshot().deals as { Id: number }[]).map((deal) => deal.Id).filter((_, i) =>
    i % CHANGED_EVERY === 0
  );
  for (const id of ids) sim.update("deals", id, { Amount: 1234.5 });
  const started = performance.now();
  const call = await callFunction({ mode: "incremental", trigger: "cli" });
  if (call.body["status"] !== "succeeded") {
    throw new Error(`bench: the incremental pass ended ${JSON.stringify(call.body).slice(0, 300)}`);
  }
  return {
    requests: Number(call.body["requests"] ?? Number.NaN),
    seconds: Math.round((performance.now() - started) / 100) / 10,
    changed: ids.length,
  };
}
