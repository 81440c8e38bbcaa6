// The local gateway's per-worker figures (`GET /__gateway/functions`): what the bench reads to
// tell how much memory a function's workers took and when a new worker booted. Only the local
// stack offers them; elsewhere the answer is null and the bench says the figure is unavailable.
import { GATEWAY_URL } from "../../local/stack/paths.ts";

export interface GatewayWorker {
  readonly startedAt?: string;
  readonly bootMs?: number;
  readonly peakRssBytes?: number;
}

/** Every worker the gateway remembers, by function name; null when the figures are unavailable. */
export async function gatewayWorkers(): Promise<Record<string, GatewayWorker[]> | null> {
  try {
    const response = await fetch(`${GATEWAY_URL}/__gateway/functions`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const stats = (await response.json()) as { functions?: Record<string, { workers?: GatewayWorker[] }> };
    return Object.fromEntries(Object.entries(stats.functions ?? {}).map(([name, fn]) => [name, fn.workers ?? []]));
  } catch (error) {
    process.stderr.write(`bench: the gateway's worker figures are unavailable (${(error as Error).message})\n`);
    return null;
  }
}
