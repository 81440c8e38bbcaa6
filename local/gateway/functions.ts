// Serves `/functions/v1/<name>` the way the Supabase Edge Runtime does, with real Deno processes:
// each worker (worker.ts) runs <dir>/<name>/index.ts with the function's env behind a proxy that
// strips the `/functions/v1` prefix. Per function there is one worker taking new requests; a
// retired one (CPU soft limit, half its wall clock, changed code or env) finishes what it has
// while a fresh one takes the next request. Limits: worker-limits.ts (546 on a hard limit).
// `verify_jwt` comes from the config.toml of the function's folder (function-config.ts) and is
// enforced before the function runs (function-jwt.ts). stats() keeps per-worker figures (CPU,
// peak RSS, how each worker ended) for benchmarks and the gateway's /__gateway/functions.
import { execFile } from "node:child_process";
import { createWriteStream, existsSync, readdirSync, readFileSync, statSync, type WriteStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseEnvFile } from "../stack/keys.ts";
import { FunctionConfigFile } from "./function-config.ts";
import { checkFunctionJwt } from "./function-jwt.ts";
import { headerValue, sendJson } from "./http.ts";
import { FunctionWorker, type WorkerEnd, type WorkerStats } from "./worker.ts";
import {
  PLATFORM_WORKER_LIMITS,
  validateLimits,
  WORKER_LIMIT_STATUS,
  workerLimitBody,
  type WorkerLimits,
} from "./worker-limits.ts";

const FUNCTION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
/** Hop-by-hop headers a proxy must not forward. */
const HOP_HEADERS = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length"]);
/** After a failed upstream call, how long to wait for the worker's death to explain it (546). */
const EXIT_GRACE_MS = 2_000;
/** A request retries routing this often if its worker is retired between boot and first use. */
const MAX_ROUTE_ATTEMPTS = 3;
/** Ended workers kept per function for stats() (their totals are kept beyond that). */
const MAX_WORKER_HISTORY = 50;
const DENO_PROBE_TIMEOUT_MS = 30_000;
const MS_PER_SECOND = 1000;

export interface FunctionDir {
  /** Folder searched for <name>/index.ts. */
  dir: string;
  /** The config.toml with `[functions.<name>]` settings for this folder (may not exist). */
  configFile: string;
}

export interface FunctionHostOptions {
  /** Searched in order (the project's, then test fixtures). */
  functionDirs: FunctionDir[];
  /** Deno launcher; npm's wrapper script is fine, the real executable is looked up once. */
  denoBin: string;
  /** Env every function gets (SUPABASE_URL, keys…), like the platform's defaults. */
  baseEnv: Record<string, string>;
  /** Env files layered on top, re-read when they change (like `--env-file`). */
  envFiles: string[];
  logsDir: string;
  cwd: string;
  /** The stack's JWT secret: verify_jwt accepts HS256 tokens signed with it. */
  jwtSecret: string;
  /** Overrides of the platform's limits (tests shrink them). */
  limits?: Partial<WorkerLimits>;
  /** Gateway log sink for worker events (retired, killed, died…). */
  log?: (line: string) => void;
}

export interface FunctionStats {
  workersStarted: number;
  requests: number;
  /** CPU of every worker of this function since it was ready. */
  cpuMs: number;
  peakRssBytes: number;
  /** The most recent workers, oldest first. */
  workers: WorkerStats[];
}

type UpstreamOutcome =
  | { kind: "response"; status: number; headers: Record<string, string>; body: Buffer }
  | { kind: "error"; error: Error }
  | { kind: "ended"; end: WorkerEnd };

function delay(ms: number): Promise<null> {
  return new Promise((resolve) => setTimeout(() => resolve(null), ms).unref());
}

async function realDenoExecutable(denoBin: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(denoBin, ["eval", "console.log(Deno.execPath())"], {
      encoding: "utf8",
      timeout: DENO_PROBE_TIMEOUT_MS,
    });
    const path = stdout.trim();
    if (!path || !existsSync(path)) throw new Error(`it printed ${JSON.stringify(path)}`);
    return path;
  } catch (error) {
    throw new Error(`could not find the Deno executable behind ${denoBin}: ${(error as Error).message}`);
  }
}

export class FunctionHost {
  readonly limits: WorkerLimits;
  private readonly current = new Map<string, FunctionWorker>();
  private readonly history = new Map<string, FunctionWorker[]>();
  private readonly dropped = new Map<
    string,
    { workers: number; requests: number; cpuMs: number; peakRssBytes: number }
  >();
  private readonly configs = new Map<string, FunctionConfigFile>();
  private readonly logs = new Map<string, WriteStream>();
  private denoExecutable: Promise<string> | undefined;
  private readonly log: (line: string) => void;

  constructor(private readonly options: FunctionHostOptions) {
    this.limits = validateLimits({ ...PLATFORM_WORKER_LIMITS, ...options.limits }, "FunctionHost limits");
    this.log = options.log ?? (() => undefined);
    for (const { configFile } of options.functionDirs) this.configs.set(configFile, new FunctionConfigFile(configFile));
  }

  private entryFor(name: string): { entry: string; config: FunctionConfigFile } | undefined {
    for (const { dir, configFile } of this.options.functionDirs) {
      const entry = join(dir, name, "index.ts");
      const config = this.configs.get(configFile);
      if (existsSync(entry) && config) return { entry, config };
    }
    return undefined;
  }

  /**
   * Changes when the env files or any source under the function folders change, so the next
   * request runs the current code with the current env (like `supabase functions serve`).
   */
  private envStamp(): string {
    const envPart = this.options.envFiles.map((
      f,
    ) => (existsSync(f) ? `${f}:${statSync(f).mtimeMs}:${statSync(f).size}` : `${f}:-`));
    const dirs = this.options.functionDirs.map((d) => d.dir).filter((d) => existsSync(d));
    const newestSource = Math.max(
      0,
      ...dirs.flatMap((dir) =>
        readdirSync(dir, { recursive: true, encoding: "utf8" }).map((f) => statSync(join(dir, f)).mtimeMs)
      ),
    );
    return [...envPart, String(newestSource)].join("|");
  }

  private functionEnv(): Record<string, string> {
    const env: Record<string, string> = { ...this.options.baseEnv };
    for (const file of this.options.envFiles) {
      if (existsSync(file)) Object.assign(env, parseEnvFile(readFileSync(file, "utf8")));
    }
    return env;
  }

  private logFor(name: string): WriteStream {
    let stream = this.logs.get(name);
    if (!stream) {
      stream = createWriteStream(join(this.options.logsDir, `function-${name}.log`), { flags: "a" });
      stream.on("error", (error) => this.log(`function ${name}: log file error: ${error.message}`));
      this.logs.set(name, stream);
    }
    return stream;
  }

  private startWorker(name: string, entry: string, envStamp: string): FunctionWorker {
    this.denoExecutable ??= realDenoExecutable(this.options.denoBin).catch((error: unknown) => {
      this.denoExecutable = undefined; // look again on the next boot
      throw error;
    });
    const functionDir = join(entry, "..");
    const configArgs = existsSync(join(functionDir, "deno.json")) ? ["--config", join(functionDir, "deno.json")] : [];
    const log = this.logFor(name);
    const worker = new FunctionWorker({
      name,
      entry,
      denoExecutable: this.denoExecutable,
      runArgs: [
        "--allow-net",
        "--allow-env",
        "--allow-read",
        `--v8-flags=--max-old-space-size=${this.limits.memoryMb}`,
        ...configArgs,
      ],
      env: this.functionEnv(),
      cwd: this.options.cwd,
      log,
      limits: this.limits,
      envStamp,
      onEvent: (line) => {
        this.log(line);
        if (log.writable) log.write(`${new Date().toISOString()} [gateway] ${line}\n`);
      },
    });
    this.current.set(name, worker);
    const workers = this.history.get(name) ?? [];
    workers.push(worker);
    this.history.set(name, workers);
    this.trimHistory(name, workers);
    return worker;
  }

  private trimHistory(name: string, workers: FunctionWorker[]): void {
    while (workers.length > MAX_WORKER_HISTORY) {
      const index = workers.findIndex((w) => w.state === "ended");
      if (index < 0) return;
      const [old] = workers.splice(index, 1);
      if (!old) return;
      const figures = old.stats(Date.now());
      const sum = this.dropped.get(name) ?? { workers: 0, requests: 0, cpuMs: 0, peakRssBytes: 0 };
      this.dropped.set(name, {
        workers: sum.workers + 1,
        requests: sum.requests + figures.requests,
        cpuMs: sum.cpuMs + figures.cpuMs,
        peakRssBytes: Math.max(sum.peakRssBytes, figures.peakRssBytes),
      });
    }
  }

  /** The worker that takes this request: the current one if it still accepts, else a new one. */
  private async route(name: string, entry: string): Promise<FunctionWorker> {
    for (let attempt = 1;; attempt++) {
      const stamp = this.envStamp();
      let worker = this.current.get(name);
      if (worker && worker.envStamp !== stamp) worker.retire("SourceChanged", "the function's code or env changed");
      if (!worker || !worker.acceptsRequests(Date.now())) worker = this.startWorker(name, entry, stamp);
      await worker.ready;
      if (worker.acceptsRequests(Date.now()) || attempt >= MAX_ROUTE_ATTEMPTS) return worker;
    }
  }

  async handle(req: IncomingMessage, res: ServerResponse, name: string, rest: string): Promise<void> {
    if (!FUNCTION_NAME.test(name)) {
      sendJson(res, 400, { error: `invalid function name ${JSON.stringify(name)}` });
      return;
    }
    const found = this.entryFor(name);
    if (!found) {
      sendJson(res, 404, {
        code: "NOT_FOUND",
        message: `Requested function was not found: no supabase/functions/${name}/index.ts`,
      });
      return;
    }
    let verifyJwt: boolean;
    try {
      verifyJwt = found.config.settingsFor(name).verifyJwt;
    } catch (error) {
      sendJson(res, 500, {
        code: "LOCAL_CONFIG_ERROR",
        message: `Cannot read the settings of function ${name}: ${(error as Error).message}`,
      });
      return;
    }
    if (verifyJwt) {
      const nowSeconds = Math.floor(Date.now() / MS_PER_SECOND);
      const rejected = checkFunctionJwt(
        req.method,
        headerValue(req, "authorization"),
        this.options.jwtSecret,
        nowSeconds,
      );
      if (rejected) {
        sendJson(res, rejected.status, rejected.body);
        return;
      }
    }
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const chunks: Buffer[] = [];
    if (hasBody) { for await (const chunk of req) chunks.push(chunk as Buffer); }
    let worker: FunctionWorker;
    try {
      worker = await this.route(name, found.entry);
    } catch (error) {
      sendJson(res, 503, {
        code: "BOOT_ERROR",
        message: `Function ${name} failed to start: ${(error as Error).message}; see .local/logs/function-${name}.log`,
      });
      return;
    }
    await this.proxy(req, res, worker, name, rest, hasBody ? Buffer.concat(chunks) : undefined);
  }

  private async forward(
    req: IncomingMessage,
    port: number,
    path: string,
    body: Buffer<ArrayBuffer> | undefined,
    signal: AbortSignal,
  ): Promise<UpstreamOutcome> {
    const headers = new Headers();
    for (const [key, value] of Object.entries(req.headers)) {
      if (HOP_HEADERS.has(key) || value === undefined) continue;
      headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    try {
      const upstream = await fetch(`http://127.0.0.1:${port}${path}`, {
        method: req.method ?? "GET",
        headers,
        body,
        signal,
      });
      const responseBody = Buffer.from(await upstream.arrayBuffer());
      const outHeaders: Record<string, string> = {};
      upstream.headers.forEach((value, key) => {
        if (!HOP_HEADERS.has(key) && key !== "content-encoding") outHeaders[key] = value;
      });
      return { kind: "response", status: upstream.status, headers: outHeaders, body: responseBody };
    } catch (error) {
      return { kind: "error", error: error as Error };
    }
  }

  private async proxy(
    req: IncomingMessage,
    res: ServerResponse,
    worker: FunctionWorker,
    name: string,
    rest: string,
    body: Buffer<ArrayBuffer> | undefined,
  ): Promise<void> {
    const done = worker.begin();
    const controller = new AbortController();
    try {
      const port = worker.port;
      if (port === null) throw new Error(`worker of ${name} has no port after booting`);
      const ended = worker.ended.then((end): UpstreamOutcome => ({ kind: "ended", end }));
      let outcome = await Promise.race([this.forward(req, port, `/${name}${rest}`, body, controller.signal), ended]);
      if (outcome.kind === "response") {
        // The last sample of the request: a limit crossed while it ran still answers 546.
        worker.sampleNow();
        if (worker.end) outcome = { kind: "ended", end: worker.end };
      } else if (outcome.kind === "error") {
        // The socket often breaks a moment before the process's exit is seen.
        const end = await Promise.race([worker.ended, delay(EXIT_GRACE_MS)]);
        if (end) outcome = { kind: "ended", end };
      }
      if (outcome.kind === "response") {
        res.writeHead(outcome.status, outcome.headers);
        res.end(outcome.body);
      } else if (outcome.kind === "ended") {
        sendJson(
          res,
          WORKER_LIMIT_STATUS,
          workerLimitBody(outcome.end.reason === "BootFailure" ? "EarlyDrop" : outcome.end.reason),
        );
      } else {
        sendJson(res, 502, { code: "WORKER_ERROR", message: `Function ${name} failed: ${outcome.error.message}` });
      }
    } finally {
      controller.abort();
      done();
    }
  }

  /** Per function: workers started, requests, CPU and peak RSS, and each recent worker's figures. */
  stats(): Record<string, FunctionStats> {
    const now = Date.now();
    const out: Record<string, FunctionStats> = {};
    for (const [name, workers] of this.history) {
      const figures = workers.map((w) => w.stats(now));
      const dropped = this.dropped.get(name) ?? { workers: 0, requests: 0, cpuMs: 0, peakRssBytes: 0 };
      out[name] = {
        workersStarted: dropped.workers + figures.length,
        requests: dropped.requests + figures.reduce((sum, w) => sum + w.requests, 0),
        cpuMs: dropped.cpuMs + figures.reduce((sum, w) => sum + w.cpuMs, 0),
        peakRssBytes: Math.max(dropped.peakRssBytes, ...figures.map((w) => w.peakRssBytes)),
        workers: figures,
      };
    }
    return out;
  }

  /** Stops every worker (SIGTERM, then SIGKILL after a grace period) and closes the logs. */
  async stopAll(): Promise<void> {
    this.current.clear();
    await Promise.all([...this.history.values()].flat().map((w) => w.stop()));
    for (const stream of this.logs.values()) stream.end();
    this.logs.clear();
  }
}
