// The worker's clocks, started when the function's module is loaded: its age (the Edge Runtime's
// wall clock belongs to the worker) and the CPU it has used (the runtime retires a worker after
// 1 s of CPU and kills it at 2 s, across all the requests it served). The CPU source is the
// runtime's process CPU counter when it has one; without one the budget falls back to a page cap.
import type { WorkerClock } from "./budget.ts";

/** Process CPU time in microseconds, as `Deno.cpuUsage()` and Node's `process.cpuUsage()` report it. */
export type CpuUsageSource = () => { readonly user: number; readonly system: number };

const MICROS_PER_MS = 1000;

export function startWorkerClock(now: () => number, cpuUsage: CpuUsageSource | null): WorkerClock {
  const startedAtMs = now();
  const cpuMs = (): number | null => {
    if (cpuUsage === null) return null;
    const usage = cpuUsage();
    return (usage.user + usage.system) / MICROS_PER_MS;
  };
  const cpuAtStart = cpuMs();
  return {
    startedAtMs,
    cpuUsedMs: () => {
      const current = cpuMs();
      return current === null || cpuAtStart === null ? null : current - cpuAtStart;
    },
  };
}
