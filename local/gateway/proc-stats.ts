// Reads one process's CPU time and resident memory from Linux /proc, which is how the local Edge
// Runtime stand-in measures its Deno workers from outside: utime+stime from /proc/<pid>/stat (in
// clock ticks, `getconf CLK_TCK`, normally 100 a second) and VmRSS from /proc/<pid>/status.
// Both cover every thread of the process (V8's compiler and GC threads included).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** POSIX's usual value, used when `getconf CLK_TCK` cannot be run. */
const DEFAULT_CLOCK_TICKS_PER_SECOND = 100;
/**
 * Indexes into the fields that follow "(comm) " in /proc/<pid>/stat: the first of them is field 3
 * (state), so utime (field 14) and stime (field 15) are at 11 and 12 (proc(5)).
 */
const STAT_UTIME_INDEX = 11;
const STAT_STIME_INDEX = 12;
const BYTES_PER_KIB = 1024;
const MS_PER_SECOND = 1000;

export interface ProcSample {
  /** User + system CPU time of the whole process since it started. */
  cpuMs: number;
  /** Resident set size now (0 for a zombie, which has no VmRSS line). */
  rssBytes: number;
}

let clockTicks: number | undefined;

export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      const value = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
      clockTicks = Number.isInteger(value) && value > 0 ? value : DEFAULT_CLOCK_TICKS_PER_SECOND;
    } catch {
      clockTicks = DEFAULT_CLOCK_TICKS_PER_SECOND;
    }
  }
  return clockTicks;
}

/** utime + stime, in clock ticks, from the text of /proc/<pid>/stat. */
export function parseStatCpuTicks(stat: string): number {
  // comm may contain spaces and parentheses; the fields after the last ')' are unambiguous.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).trim().split(/\s+/);
  const utime = Number(fields[STAT_UTIME_INDEX]);
  const stime = Number(fields[STAT_STIME_INDEX]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error(`unexpected /proc/<pid>/stat format: ${JSON.stringify(stat.slice(0, 200))}`);
  }
  return utime + stime;
}

/** VmRSS in bytes from the text of /proc/<pid>/status (0 when absent, as for a zombie). */
export function parseStatusRssBytes(status: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return match?.[1] ? Number(match[1]) * BYTES_PER_KIB : 0;
}

function isGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ESRCH";
}

/** The process's CPU and RSS now, or null when it no longer exists. */
export function readProcSample(pid: number): ProcSample | null {
  let stat: string;
  let status: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch (error) {
    if (isGone(error)) return null;
    throw new Error(`reading /proc/${pid}: ${(error as Error).message}`);
  }
  return {
    cpuMs: (parseStatCpuTicks(stat) * MS_PER_SECOND) / clockTicksPerSecond(),
    rssBytes: parseStatusRssBytes(status),
  };
}
