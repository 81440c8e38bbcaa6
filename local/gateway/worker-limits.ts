// The Edge Runtime's per-worker limits and the accounting that applies them (pure: no processes,
// no timers). A worker is one Deno process; its CPU and wall clock count from when it is ready
// (module loading excluded: the platform boots from a pre-built bundle) and accumulate over every
// request it serves. Soft CPU limit or half the wall clock → the worker is retired (finishes what
// it has, takes nothing new); hard CPU limit, memory cap or the full wall clock → it is killed and
// its requests in flight get 546. Sources: supabase/edge-runtime (PR #183, .cargo/config.toml),
// the CLI's serve template (internal/functions/serve/templates/main.ts: 1000/2000 ms, 256 MB) and
// https://supabase.com/docs/guides/functions/limits (150 s wall clock on the Free plan).
import type { ProcSample } from "./proc-stats.ts";

export interface WorkerLimits {
  /** CPU ms after which the worker is retired. */
  cpuSoftMs: number;
  /** CPU ms after which the worker is killed (546, reason CPUTime). */
  cpuHardMs: number;
  /** Resident memory cap in MiB (546, reason Memory); also the V8 old-space cap. */
  memoryMb: number;
  /** Worker lifetime; retired at half of it, killed at all of it (546, reason WallClockTime). */
  wallClockMs: number;
}

export const PLATFORM_WORKER_LIMITS: Readonly<WorkerLimits> = Object.freeze({
  cpuSoftMs: 1_000,
  cpuHardMs: 2_000,
  memoryMb: 256,
  wallClockMs: 150_000,
});

/** Env variables main.ts reads to override a limit when the gateway starts. */
export const WORKER_LIMIT_ENV: Readonly<Record<keyof WorkerLimits, string>> = Object.freeze({
  cpuSoftMs: "EDGE_CPU_SOFT_MS",
  cpuHardMs: "EDGE_CPU_HARD_MS",
  memoryMb: "EDGE_MEMORY_MB",
  wallClockMs: "EDGE_WALL_CLOCK_MS",
});

const BYTES_PER_MIB = 1024 * 1024;
const WALL_CLOCK_RETIRE_FRACTION = 0.5;

/** Names the runtime gives a worker's end (the ShutdownEvent `reason`). */
export type LimitReason = "CPUTime" | "Memory" | "WallClockTime";
export type ShutdownReason = LimitReason | "EarlyDrop" | "TerminationRequested";
/** Why a worker stopped taking new requests. SourceChanged is local: the code or env changed. */
export type RetireReason = "CPUTime" | "WallClockTime" | "SourceChanged";

export type LimitVerdict =
  | { action: "none" }
  | { action: "retire"; reason: "CPUTime" | "WallClockTime"; detail: string }
  | { action: "kill"; reason: LimitReason; detail: string };

export function validateLimits(limits: WorkerLimits, source: string): WorkerLimits {
  for (const key of Object.keys(WORKER_LIMIT_ENV) as (keyof WorkerLimits)[]) {
    const value = limits[key];
    if (!Number.isInteger(value) || value <= 0) {
      throw new Error(`${source}: ${key} must be a positive integer, got ${String(value)}`);
    }
  }
  if (limits.cpuSoftMs > limits.cpuHardMs) {
    throw new Error(`${source}: cpuSoftMs (${limits.cpuSoftMs}) must not exceed cpuHardMs (${limits.cpuHardMs})`);
  }
  return limits;
}

/** The platform's limits with any EDGE_* overrides from `env` (invalid values throw). */
export function limitsFromEnv(env: Record<string, string | undefined>): WorkerLimits {
  const limits: WorkerLimits = { ...PLATFORM_WORKER_LIMITS };
  for (const [key, name] of Object.entries(WORKER_LIMIT_ENV) as [keyof WorkerLimits, string][]) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === "") continue;
    if (!/^\d+$/.test(raw)) throw new Error(`${name}=${JSON.stringify(raw)}: expected a positive integer`);
    limits[key] = Number(raw);
  }
  return validateLimits(limits, `edge runtime limits from env (${Object.values(WORKER_LIMIT_ENV).join(", ")})`);
}

export function mib(bytes: number): string {
  return `${(bytes / BYTES_PER_MIB).toFixed(1)} MiB`;
}

/** One worker's running account: CPU since ready, peak RSS, age; and what the limits say now. */
export class WorkerBudget {
  private cpuAtReadyMs: number | null = null;
  private readyAtMs: number | null = null;
  cpuMs = 0;
  peakRssBytes = 0;
  lastRssBytes = 0;

  constructor(readonly limits: WorkerLimits) {}

  /** Starts the clocks: `sample` is the process's CPU at the moment it began listening. */
  start(sample: ProcSample, nowMs: number): void {
    this.cpuAtReadyMs = sample.cpuMs;
    this.readyAtMs = nowMs;
    this.record(sample);
  }

  get started(): boolean {
    return this.readyAtMs !== null;
  }

  ageMs(nowMs: number): number {
    return this.readyAtMs === null ? 0 : nowMs - this.readyAtMs;
  }

  msUntilRetire(nowMs: number): number {
    return this.limits.wallClockMs * WALL_CLOCK_RETIRE_FRACTION - this.ageMs(nowMs);
  }

  msUntilWallClock(nowMs: number): number {
    return this.limits.wallClockMs - this.ageMs(nowMs);
  }

  private record(sample: ProcSample): void {
    this.cpuMs = Math.max(this.cpuMs, sample.cpuMs - (this.cpuAtReadyMs ?? sample.cpuMs));
    this.lastRssBytes = sample.rssBytes;
    this.peakRssBytes = Math.max(this.peakRssBytes, sample.rssBytes);
  }

  /** Records a sample (null: none available) and says what the limits require now. */
  check(sample: ProcSample | null, nowMs: number): LimitVerdict {
    if (!this.started) return { action: "none" };
    if (sample) this.record(sample);
    const { cpuSoftMs, cpuHardMs, memoryMb, wallClockMs } = this.limits;
    if (this.lastRssBytes > memoryMb * BYTES_PER_MIB) {
      return { action: "kill", reason: "Memory", detail: `RSS ${mib(this.lastRssBytes)} over the ${memoryMb} MiB cap` };
    }
    if (this.cpuMs >= cpuHardMs) {
      return {
        action: "kill",
        reason: "CPUTime",
        detail: `CPU ${Math.round(this.cpuMs)} ms reached the hard limit of ${cpuHardMs} ms`,
      };
    }
    if (this.msUntilWallClock(nowMs) <= 0) {
      return {
        action: "kill",
        reason: "WallClockTime",
        detail: `age ${this.ageMs(nowMs)} ms reached the wall clock of ${wallClockMs} ms`,
      };
    }
    if (this.cpuMs >= cpuSoftMs) {
      return {
        action: "retire",
        reason: "CPUTime",
        detail: `CPU ${Math.round(this.cpuMs)} ms reached the soft limit of ${cpuSoftMs} ms`,
      };
    }
    if (this.msUntilRetire(nowMs) <= 0) {
      return {
        action: "retire",
        reason: "WallClockTime",
        detail: `age ${this.ageMs(nowMs)} ms passed half the wall clock of ${wallClockMs} ms`,
      };
    }
    return { action: "none" };
  }
}

/** The status the platform answers when a worker is shut down by a resource limit. */
export const WORKER_LIMIT_STATUS = 546;
/**
 * The hosted platform's 546 body as reported in 2026 (several independent reports quote it
 * verbatim: `{"code":"WORKER_RESOURCE_LIMIT","message":"Function failed due to not having enough
 * compute resources"}`). Earlier hosted reports show code WORKER_LIMIT with the same message plus
 * " (please check logs)", and `supabase functions serve` (CLI serve template) answers
 * `{"code":"WORKER_LIMIT","message":"Worker failed to respond due to a resource limit (please check
 * logs)"}`. The platform puts the shutdown reason only in its logs; this stand-in appends it to
 * the message, "(shutdown reason: X)", so callers and tests can tell the limits apart.
 */
export const WORKER_LIMIT_CODE = "WORKER_RESOURCE_LIMIT";
const WORKER_LIMIT_MESSAGE = "Function failed due to not having enough compute resources";

export function workerLimitBody(reason: ShutdownReason): { code: string; message: string } {
  return { code: WORKER_LIMIT_CODE, message: `${WORKER_LIMIT_MESSAGE} (shutdown reason: ${reason})` };
}
