// The local Edge Runtime (local/gateway/functions.ts) applies the platform's per-worker limits to
// real Deno workers: CPU soft limit → retired, CPU hard limit → 546 CPUTime, memory cap → 546
// Memory, half the wall clock → retired, full wall clock → 546 WallClockTime, a worker dying on
// its own → 546. Limits are shrunk per test and kept far from the work asked for (e.g. 300 ms
// hard limit vs a 3000 ms burn); every assertion waits for the event it checks (no sleeps).
// Runs an in-process FunctionHost on free ports; needs Deno, not the local stack.
import { afterEach, describe, expect, it } from "vitest";
import { parseStatCpuTicks, parseStatusRssBytes } from "../../local/gateway/proc-stats.ts";
import { limitsFromEnv, PLATFORM_WORKER_LIMITS, WORKER_LIMIT_CODE } from "../../local/gateway/worker-limits.ts";
import { waitFor } from "../support/stack.ts";
import { processAlive, startTestHost, type TestHost } from "./edge-runtime-harness.ts";

/** Limits no test reaches unless it means to. */
const ROOMY = { cpuSoftMs: 20_000, cpuHardMs: 40_000, memoryMb: 512, wallClockMs: 600_000 };
const EVENT_TIMEOUT_MS = 10_000;

let current: TestHost | undefined;

async function host(limits: Partial<typeof ROOMY>): Promise<TestHost> {
  current = await startTestHost({ limits: { ...ROOMY, ...limits } });
  return current;
}

afterEach(async () => {
  await current?.close();
  current = undefined;
});

function pidOf(body: Record<string, unknown>): number {
  expect(typeof body.pid).toBe("number");
  return body.pid as number;
}

function expectWorkerLimit(response: { status: number; body: Record<string, unknown> }, reason: string): void {
  expect(response.status).toBe(546);
  expect(response.body.code).toBe(WORKER_LIMIT_CODE);
  expect(response.body.message).toBe(
    `Function failed due to not having enough compute resources (shutdown reason: ${reason})`,
  );
}

async function waitGone(pid: number): Promise<void> {
  await waitFor(`pid ${pid} to exit`, EVENT_TIMEOUT_MS, async () => (processAlive(pid) ? undefined : true));
}

describe("edge runtime limits", () => {
  it("CPU soft limit: the worker finishes its request, then a new worker takes the next one", async () => {
    const t = await host({ cpuSoftMs: 300, cpuHardMs: 20_000 });
    const first = await t.call("burn-cpu?ms=10");
    expect(first.status).toBe(200);
    const pidA = pidOf(first.body);
    // Well under the soft limit the worker is reused.
    expect(pidOf((await t.call("burn-cpu?ms=10")).body)).toBe(pidA);

    const heavy = await t.call("burn-cpu?ms=900");
    expect(heavy.status).toBe(200);
    expect(pidOf(heavy.body)).toBe(pidA);
    expect(t.worker("burn-cpu", pidA)?.retiredBecause).toBe("CPUTime");

    const next = await t.call("burn-cpu?ms=0");
    expect(next.status).toBe(200);
    expect(pidOf(next.body)).not.toBe(pidA);
    await waitGone(pidA);
    const retired = t.worker("burn-cpu", pidA);
    expect(retired).toMatchObject({ state: "ended", endedBecause: "EarlyDrop", requests: 3 });
    expect(retired?.cpuMs).toBeGreaterThanOrEqual(300);
    expect(t.logs.some((l) => l.includes("warning") && l.includes(`pid=${pidA} retired`) && l.includes("CPUTime")))
      .toBe(true);
  });

  it("module loading does not count: a worker that burned CPU while booting is not retired", async () => {
    const t = await host({ cpuSoftMs: 300, cpuHardMs: 20_000 });
    const pid = pidOf((await t.call("boot-burn")).body);
    expect(pidOf((await t.call("boot-burn")).body)).toBe(pid);
    expect(t.worker("boot-burn", pid)).toMatchObject({ state: "active", retiredBecause: null });
    expect(t.worker("boot-burn", pid)?.cpuMs).toBeLessThan(300);
  });

  it("CPU hard limit: 546 CPUTime for the request in flight, then a new worker", async () => {
    const t = await host({ cpuSoftMs: 100, cpuHardMs: 300 });
    const first = await t.call("burn-cpu?ms=0");
    const pidA = pidOf(first.body);
    expectWorkerLimit(await t.call("burn-cpu?ms=3000"), "CPUTime");
    await waitGone(pidA);
    const killed = t.worker("burn-cpu", pidA);
    expect(killed).toMatchObject({ state: "ended", endedBecause: "CPUTime" });
    expect(killed?.cpuMs).toBeGreaterThanOrEqual(300);
    expect(killed?.cpuMs).toBeLessThan(3000);
    expect(
      t.logs.some((l) => l.includes(`pid=${pidA} killed`) && l.includes("CPUTime") && /cpu=\d+ ms rss=.* age=/.test(l)),
    ).toBe(true);

    const after = await t.call("burn-cpu?ms=0");
    expect(after.status).toBe(200);
    expect(pidOf(after.body)).not.toBe(pidA);
  });

  it("memory cap: 546 Memory when RSS passes it (memory outside V8's heap), then a new worker", async () => {
    const t = await host({ memoryMb: 160 });
    const pidA = pidOf((await t.call("alloc?mb=0")).body);
    expectWorkerLimit(await t.call("alloc?mb=1024"), "Memory");
    await waitGone(pidA);
    expect(t.worker("alloc", pidA)).toMatchObject({ endedBecause: "Memory" });
    expect(t.worker("alloc", pidA)?.peakRssBytes).toBeGreaterThan(160 * 1024 * 1024);

    const after = await t.call("alloc?mb=8");
    expect(after.status).toBe(200);
    expect(pidOf(after.body)).not.toBe(pidA);
  });

  it("memory cap: 546 Memory when V8's heap fills up", async () => {
    const t = await host({ memoryMb: 160 });
    // Whichever comes first, the RSS check or V8's own out-of-memory abort, the reason is Memory.
    expectWorkerLimit(await t.call("alloc?mb=1024&kind=heap"), "Memory");
  });

  it("a worker that dies on its own mid-request answers 546, not a hang", async () => {
    const t = await host({});
    expectWorkerLimit(await t.call("crash"), "EarlyDrop");
    const [crashed] = t.stats("crash")?.workers ?? [];
    expect(crashed).toMatchObject({ state: "ended", endedBecause: "EarlyDrop" });
    expect(crashed?.endDetail).toContain("code 70");
  });

  it("wall clock: past half of it a new worker takes requests; at all of it requests in flight get 546", async () => {
    const t = await host({ wallClockMs: 3_000 });
    const pidA = pidOf((await t.call("sleep?ms=0")).body);
    await waitFor(
      "the first worker to retire at half its wall clock",
      EVENT_TIMEOUT_MS,
      async () => (t.worker("sleep", pidA)?.retiredBecause === "WallClockTime" ? true : undefined),
    );
    const second = await t.call("sleep?ms=0");
    const pidB = pidOf(second.body);
    expect(pidB).not.toBe(pidA);
    await waitGone(pidA);

    // This request outlives worker B's wall clock (3 s from B's start vs a 60 s sleep).
    expectWorkerLimit(await t.call("sleep?ms=60000"), "WallClockTime");
    expect(t.worker("sleep", pidB)).toMatchObject({ endedBecause: "WallClockTime", retiredBecause: "WallClockTime" });
    expect(t.logs.some((l) => l.includes(`pid=${pidB} killed`) && l.includes("WallClockTime"))).toBe(true);
  });

  it("stats count workers, requests, CPU and peak RSS per function", async () => {
    const t = await host({});
    await t.call("burn-cpu?ms=50");
    await t.call("burn-cpu?ms=50");
    const stats = t.stats("burn-cpu");
    expect(stats).toMatchObject({ workersStarted: 1, requests: 2 });
    expect(stats?.cpuMs).toBeGreaterThanOrEqual(80); // 100 ms burned; /proc counts in 10 ms ticks
    expect(stats?.peakRssBytes).toBeGreaterThan(0);
    expect(stats?.workers[0]).toMatchObject({ state: "active", inFlight: 0, requests: 2 });
  });
});

describe("limit settings and /proc parsing", () => {
  it("defaults to the platform's limits; EDGE_* env variables override them", () => {
    expect(limitsFromEnv({})).toEqual({ cpuSoftMs: 1000, cpuHardMs: 2000, memoryMb: 256, wallClockMs: 150_000 });
    expect(
      limitsFromEnv({
        EDGE_CPU_SOFT_MS: "200",
        EDGE_CPU_HARD_MS: "400",
        EDGE_MEMORY_MB: "128",
        EDGE_WALL_CLOCK_MS: "5000",
      }),
    )
      .toEqual({ cpuSoftMs: 200, cpuHardMs: 400, memoryMb: 128, wallClockMs: 5000 });
    expect(limitsFromEnv({ EDGE_CPU_SOFT_MS: "" })).toEqual(PLATFORM_WORKER_LIMITS);
  });

  it("rejects a bad override, naming the variable", () => {
    expect(() => limitsFromEnv({ EDGE_MEMORY_MB: "lots" })).toThrow(
      /EDGE_MEMORY_MB="lots": expected a positive integer/,
    );
    expect(() => limitsFromEnv({ EDGE_WALL_CLOCK_MS: "0" })).toThrow(/wallClockMs must be a positive integer/);
    expect(() => limitsFromEnv({ EDGE_CPU_SOFT_MS: "3000" })).toThrow(
      /cpuSoftMs \(3000\) must not exceed cpuHardMs \(2000\)/,
    );
  });

  it("reads utime+stime past a process name with spaces and parentheses, and VmRSS", () => {
    const stat = "4242 (deno (main) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 37 5 0 0 20 0 9 0 123 456 789";
    expect(parseStatCpuTicks(stat)).toBe(42);
    expect(parseStatusRssBytes("Name:\tdeno\nVmRSS:\t   41132 kB\nThreads:\t9\n")).toBe(41132 * 1024);
    expect(parseStatusRssBytes("Name:\tdeno\nState:\tZ (zombie)\n")).toBe(0);
  });
});
