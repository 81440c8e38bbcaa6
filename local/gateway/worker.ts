// One Edge Function worker: a Deno process serving one function on a private port, with the Edge
// Runtime's per-worker limits applied from outside (see worker-limits.ts). It samples the
// process's CPU and RSS (/proc) every BUSY_SAMPLE_MS while requests are in flight (and more
// slowly when idle, so background work counts too), retires itself at the soft CPU limit or half
// its wall clock, and is SIGKILLed at the hard CPU limit, the memory cap or the full wall clock.
// `ended` settles the moment the worker is killed or dies, so requests in flight answer 546 at
// once instead of waiting for a socket error. Deno also gets V8's old-space cap, and a V8
// out-of-memory abort (seen on stderr) is reported as reason Memory.
import { type ChildProcess, spawn } from "node:child_process";
import type { WriteStream } from "node:fs";
import { createConnection, createServer } from "node:net";
import { denoNetworkEnv } from "./deno-network-env.ts";
import { readProcSample } from "./proc-stats.ts";
import {
  type LimitVerdict,
  mib,
  type RetireReason,
  type ShutdownReason,
  WorkerBudget,
  type WorkerLimits,
} from "./worker-limits.ts";

const READY_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 25;
/** Sampling period while a request is in flight: catches the hard limit within ~1 period. */
const BUSY_SAMPLE_MS = 25;
const IDLE_SAMPLE_MS = 250;
/** Added to wall-clock timers so the check they trigger sees the deadline passed. */
const TIMER_SLACK_MS = 5;
/** After SIGTERM, how long a worker may take to exit before it is SIGKILLed. */
const STOP_GRACE_MS = 2_000;
const OOM_PATTERN = /Fatal JavaScript out of memory|JavaScript heap out of memory|Fatal process out of memory/;
const STDERR_TAIL_CHARS = 512;
const HOST = "127.0.0.1";

export type WorkerState = "booting" | "active" | "retired" | "ended";
/** A ShutdownEvent reason, or BootFailure for a worker that never started listening. */
export type WorkerEndReason = ShutdownReason | "BootFailure";

export interface WorkerEnd {
  reason: WorkerEndReason;
  detail: string;
}

export interface WorkerSpec {
  name: string;
  entry: string;
  /** The real Deno executable (not npm's wrapper script), so the pid is Deno's own. */
  denoExecutable: Promise<string>;
  /** Arguments after `deno run` and before the entry (permissions, --config…). */
  runArgs: string[];
  env: Record<string, string>;
  cwd: string;
  log: WriteStream;
  limits: WorkerLimits;
  envStamp: string;
  /** One line per lifecycle event (ready, retired, killed, exited). */
  onEvent: (line: string) => void;
}

export interface WorkerStats {
  pid: number | null;
  port: number | null;
  state: WorkerState;
  startedAt: string;
  bootMs: number | null;
  /** Since ready (frozen when the worker ended). */
  ageMs: number;
  /** CPU since ready, summed over every request served. */
  cpuMs: number;
  peakRssBytes: number;
  requests: number;
  inFlight: number;
  retiredBecause: RetireReason | null;
  endedBecause: WorkerEndReason | null;
  endDetail: string | null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once(
      "error",
      (error) => reject(new Error(`could not reserve a port for a function worker: ${error.message}`)),
    );
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("the OS gave no port for a function worker"))));
    });
  });
}

function waitForPort(port: number, deadline: number, gone: () => string | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const why = gone();
      if (why) {
        reject(new Error(why));
        return;
      }
      const socket = createConnection({ host: HOST, port });
      socket.once("connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline) {
          reject(new Error(`the Deno process did not listen on port ${port} within ${READY_TIMEOUT_MS} ms`));
        } else setTimeout(attempt, READY_POLL_MS);
      });
    };
    attempt();
  });
}

export class FunctionWorker {
  state: WorkerState = "booting";
  port: number | null = null;
  end: WorkerEnd | null = null;
  retiredBecause: RetireReason | null = null;
  requests = 0;
  readonly ready: Promise<void>;
  readonly ended: Promise<WorkerEnd>;
  private resolveEnded: (end: WorkerEnd) => void = () => undefined;
  private readonly exited: Promise<void>;
  private resolveExited: () => void = () => undefined;
  private child: ChildProcess | null = null;
  private hasExited = false;
  private inFlight = 0;
  private readonly budget: WorkerBudget;
  private sampleTimer: NodeJS.Timeout | null = null;
  private readonly wallTimers: NodeJS.Timeout[] = [];
  private stderrTail = "";
  private oomSeen = false;
  private readonly startedAtMs = Date.now();
  private readyAtMs: number | null = null;
  private endedAtMs: number | null = null;
  private pendingRetire: { reason: RetireReason; detail: string } | null = null;

  constructor(private readonly spec: WorkerSpec) {
    this.budget = new WorkerBudget(spec.limits);
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    this.ready = this.boot();
    // Whoever routes a request awaits `ready`; this only keeps an unawaited failure quiet.
    this.ready.catch(() => undefined);
  }

  /** Read through a method: TypeScript keeps `this.end` narrowed across awaits. */
  private currentEnd(): WorkerEnd | null {
    return this.end;
  }

  get envStamp(): string {
    return this.spec.envStamp;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  private async boot(): Promise<void> {
    let executable: string;
    let port: number;
    try {
      executable = await this.spec.denoExecutable;
      port = await freePort();
    } catch (error) {
      this.finish({ reason: "BootFailure", detail: (error as Error).message }, "failed to boot");
      throw error;
    }
    if (this.end) throw new Error(`the worker was stopped before it started (${this.end.reason})`);
    this.port = port;
    const child = spawn(executable, ["run", ...this.spec.runArgs, this.spec.entry], {
      cwd: this.spec.cwd,
      env: { ...denoNetworkEnv(), ...this.spec.env, DENO_SERVE_ADDRESS: `tcp:${HOST}:${port}`, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    child.stdout?.pipe(this.spec.log, { end: false });
    child.stderr?.pipe(this.spec.log, { end: false });
    child.stderr?.on("data", (chunk: Buffer) => this.watchStderr(chunk));
    child.once("error", (error) => this.onExit(null, null, `could not run ${executable}: ${error.message}`));
    child.once("close", (code: number | null, signal: NodeJS.Signals | null) => this.onExit(code, signal, null));
    try {
      await waitForPort(
        port,
        Date.now() + READY_TIMEOUT_MS,
        () =>
          this.end
            ? `the worker ended while booting: ${this.end.detail}`
            : this.hasExited
            ? "the Deno process exited before listening"
            : null,
      );
    } catch (error) {
      this.finish({ reason: "BootFailure", detail: (error as Error).message }, "failed to boot");
      child.kill("SIGKILL");
      throw error;
    }
    const sample = child.pid === undefined ? null : readProcSample(child.pid);
    const endedMeanwhile = this.currentEnd();
    if (!sample || endedMeanwhile) {
      const why = endedMeanwhile ? endedMeanwhile.detail : "the Deno process vanished right after listening";
      this.finish({ reason: "BootFailure", detail: why }, "failed to boot");
      throw new Error(why);
    }
    this.readyAtMs = Date.now();
    this.budget.start(sample, this.readyAtMs);
    this.state = "active";
    for (const delay of [this.budget.msUntilRetire(this.readyAtMs), this.budget.msUntilWallClock(this.readyAtMs)]) {
      this.wallTimers.push(setTimeout(() => this.sampleNow(), delay + TIMER_SLACK_MS).unref());
    }
    this.scheduleSample();
    if (this.pendingRetire) this.retire(this.pendingRetire.reason, this.pendingRetire.detail);
  }

  private watchStderr(chunk: Buffer): void {
    if (this.oomSeen) return;
    this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL_CHARS);
    if (OOM_PATTERN.test(this.stderrTail)) this.oomSeen = true;
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, spawnError: string | null): void {
    if (this.hasExited) return;
    this.hasExited = true;
    this.resolveExited();
    if (!this.end) {
      const how = spawnError ?? `Deno exited on its own (${signal ? `signal ${signal}` : `code ${code}`})`;
      if (this.state === "booting") {
        this.finish({ reason: "BootFailure", detail: how }, "failed to boot");
      } else if (this.oomSeen) {
        this.finish({ reason: "Memory", detail: `${how} after a V8 out-of-memory error` }, "died");
      } else {
        this.finish({ reason: "EarlyDrop", detail: how }, "died");
      }
    }
  }

  private figures(now: number): string {
    const age = this.readyAtMs === null ? "booting" : `${((now - this.readyAtMs) / 1000).toFixed(1)} s`;
    return `cpu=${Math.round(this.budget.cpuMs)} ms rss=${mib(this.budget.lastRssBytes)} peak_rss=${
      mib(this.budget.peakRssBytes)
    } ` +
      `age=${age} requests=${this.requests} in_flight=${this.inFlight}`;
  }

  private event(level: "info" | "warning", what: string): void {
    this.spec.onEvent(
      `edge-runtime ${level}: function ${this.spec.name} worker pid=${this.pid ?? "-"} ${what} ${
        this.figures(Date.now())
      }`,
    );
  }

  private finish(end: WorkerEnd, verb: string): void {
    if (this.end) return;
    this.end = end;
    this.endedAtMs = Date.now();
    this.state = "ended";
    if (this.sampleTimer) clearTimeout(this.sampleTimer);
    for (const timer of this.wallTimers) clearTimeout(timer);
    const expected = end.reason === "TerminationRequested" ||
      (end.reason === "EarlyDrop" && this.retiredBecause !== null && verb === "stopped");
    this.event(expected ? "info" : "warning", `${verb} (shutdown reason ${end.reason}: ${end.detail})`);
    this.resolveEnded(end);
  }

  /** Takes no new requests; stops as soon as nothing is in flight (a booting worker: once ready). */
  retire(reason: RetireReason, detail: string): void {
    if (this.state === "booting") {
      this.pendingRetire ??= { reason, detail };
      return;
    }
    if (this.state !== "active") return;
    this.state = "retired";
    this.retiredBecause = reason;
    this.event(
      reason === "SourceChanged" ? "info" : "warning",
      `retired, takes no new requests (${reason}: ${detail})`,
    );
    if (this.inFlight === 0) this.stopIdle();
  }

  /** SIGKILL now; requests in flight see `ended` settle with `reason`. */
  kill(reason: ShutdownReason, detail: string): void {
    if (this.end) return;
    this.finish({ reason, detail }, "killed");
    this.child?.kill("SIGKILL");
  }

  private terminate(): Promise<void> {
    if (!this.child || this.hasExited) return Promise.resolve();
    this.child.kill("SIGTERM");
    const forceKill = setTimeout(() => this.child?.kill("SIGKILL"), STOP_GRACE_MS).unref();
    return this.exited.finally(() => clearTimeout(forceKill));
  }

  private stopIdle(): void {
    this.finish({ reason: "EarlyDrop", detail: `retired (${this.retiredBecause}) with nothing in flight` }, "stopped");
    void this.terminate();
  }

  /** Graceful stop (gateway shutdown); resolves once the process has exited. */
  stop(): Promise<void> {
    this.finish({ reason: "TerminationRequested", detail: "the gateway is stopping its workers" }, "stopped");
    return this.terminate();
  }

  /** True while booting, or active and within its limits (re-checked now). */
  acceptsRequests(nowMs: number): boolean {
    if (this.state === "active") this.apply(this.budget.check(null, nowMs));
    return (this.state === "booting" && this.pendingRetire === null) || this.state === "active";
  }

  /** Counts a request in; the returned function counts it out (idempotent). */
  begin(): () => void {
    this.inFlight++;
    this.requests++;
    this.scheduleSample();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight--;
      if (this.state === "retired" && this.inFlight === 0) this.stopIdle();
    };
  }

  /** Samples CPU and RSS now and applies the limits (also called at the end of every request). */
  sampleNow(): void {
    const pid = this.pid;
    if (this.end || pid === null || this.readyAtMs === null) return;
    try {
      this.apply(this.budget.check(readProcSample(pid), Date.now()));
    } catch (error) {
      this.spec.onEvent(
        `edge-runtime warning: function ${this.spec.name} worker pid=${pid}: sampling failed: ${
          (error as Error).message
        }`,
      );
    }
  }

  private apply(verdict: LimitVerdict): void {
    if (verdict.action === "kill") this.kill(verdict.reason, verdict.detail);
    else if (verdict.action === "retire") this.retire(verdict.reason, verdict.detail);
  }

  private scheduleSample(): void {
    if (this.sampleTimer) clearTimeout(this.sampleTimer);
    if (this.end || this.readyAtMs === null) return;
    this.sampleTimer = setTimeout(() => {
      this.sampleNow();
      this.scheduleSample();
    }, this.inFlight > 0 ? BUSY_SAMPLE_MS : IDLE_SAMPLE_MS).unref();
  }

  stats(nowMs: number): WorkerStats {
    return {
      pid: this.pid,
      port: this.port,
      state: this.state,
      startedAt: new Date(this.startedAtMs).toISOString(),
      bootMs: this.readyAtMs === null ? null : this.readyAtMs - this.startedAtMs,
      ageMs: this.readyAtMs === null ? 0 : (this.endedAtMs ?? nowMs) - this.readyAtMs,
      cpuMs: Math.round(this.budget.cpuMs),
      peakRssBytes: this.budget.peakRssBytes,
      requests: this.requests,
      inFlight: this.inFlight,
      retiredBecause: this.retiredBecause,
      endedBecause: this.end?.reason ?? null,
      endDetail: this.end?.detail ?? null,
    };
  }
}
