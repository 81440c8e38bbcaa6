// Serves `/functions/v1/<name>` the way `supabase functions serve` does: one real Deno process per
// function running supabase/functions/<name>/index.ts with the function's env, behind a proxy
// that strips the `/functions/v1` prefix and enforces the platform's 150 s wall clock.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createConnection } from "node:net";
import { join } from "node:path";
import { parseEnvFile } from "../stack/keys.ts";
import { sendJson } from "./http.ts";

/** Edge Runtime's wall-clock limit (Free plan); past it the platform answers 504. */
export const FUNCTION_WALL_CLOCK_MS = 150_000;
const READY_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 100;
const FUNCTION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
/** Hop-by-hop headers a proxy must not forward. */
const HOP_HEADERS = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length"]);

export interface FunctionHostOptions {
  /** Folders searched for <name>/index.ts, in order (the project's, then test fixtures). */
  functionDirs: string[];
  denoBin: string;
  /** Env every function gets (SUPABASE_URL, keys…), like the platform's defaults. */
  baseEnv: Record<string, string>;
  /** Env files layered on top, re-read when they change (like `--env-file`). */
  envFiles: string[];
  logsDir: string;
  cwd: string;
}

interface RunningFunction {
  child: ChildProcess;
  port: number;
  envStamp: string;
  ready: Promise<void>;
}

function waitForPort(port: number, deadline: number, child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null) {
        reject(new Error(`the Deno process exited with code ${child.exitCode} before listening`));
        return;
      }
      const socket = createConnection({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`the Deno process did not listen on port ${port} within ${READY_TIMEOUT_MS} ms`));
        else setTimeout(attempt, READY_POLL_MS);
      });
    };
    attempt();
  });
}

export class FunctionHost {
  private readonly running = new Map<string, RunningFunction>();
  private nextPort = 0;

  constructor(private readonly options: FunctionHostOptions, firstPort: number) {
    this.nextPort = firstPort;
  }

  private entryFor(name: string): string | undefined {
    return this.options.functionDirs.map((dir) => join(dir, name, "index.ts")).find((p) => existsSync(p));
  }

  /**
   * Changes when the env files or any source under the function folders change, so the next
   * request runs the current code with the current env (like `supabase functions serve`).
   */
  private envStamp(): string {
    const envPart = this.options.envFiles.map((f) => (existsSync(f) ? `${f}:${statSync(f).mtimeMs}:${statSync(f).size}` : `${f}:-`));
    const newestSource = Math.max(0, ...this.options.functionDirs.filter((d) => existsSync(d)).flatMap((dir) =>
      readdirSync(dir, { recursive: true, encoding: "utf8" }).map((f) => statSync(join(dir, f)).mtimeMs)));
    return [...envPart, String(newestSource)].join("|");
  }

  private functionEnv(): Record<string, string> {
    const env: Record<string, string> = { ...this.options.baseEnv };
    for (const file of this.options.envFiles) {
      if (existsSync(file)) Object.assign(env, parseEnvFile(readFileSync(file, "utf8")));
    }
    return env;
  }

  private start(name: string, entry: string): RunningFunction {
    const port = this.nextPort++;
    const functionDir = join(entry, "..");
    const configArgs = existsSync(join(functionDir, "deno.json")) ? ["--config", join(functionDir, "deno.json")] : [];
    const log = createWriteStream(join(this.options.logsDir, `function-${name}.log`), { flags: "a" });
    const child = spawn(this.options.denoBin, ["run", "--allow-net", "--allow-env", "--allow-read", ...configArgs, entry], {
      cwd: this.options.cwd,
      env: { ...this.functionEnv(), DENO_SERVE_ADDRESS: `tcp:127.0.0.1:${port}`, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    const running: RunningFunction = {
      child,
      port,
      envStamp: this.envStamp(),
      ready: waitForPort(port, Date.now() + READY_TIMEOUT_MS, child),
    };
    child.once("exit", () => {
      if (this.running.get(name) === running) this.running.delete(name);
    });
    this.running.set(name, running);
    return running;
  }

  private async instance(name: string, entry: string): Promise<RunningFunction> {
    const current = this.running.get(name);
    if (current && current.envStamp === this.envStamp()) return current;
    if (current) this.stopOne(name, current);
    const started = this.start(name, entry);
    await started.ready;
    return started;
  }

  private stopOne(name: string, fn: RunningFunction): void {
    this.running.delete(name);
    fn.child.kill("SIGTERM");
  }

  stopAll(): void {
    for (const [name, fn] of this.running) this.stopOne(name, fn);
  }

  async handle(req: IncomingMessage, res: ServerResponse, name: string, rest: string): Promise<void> {
    if (!FUNCTION_NAME.test(name)) {
      sendJson(res, 400, { error: `invalid function name ${JSON.stringify(name)}` });
      return;
    }
    const entry = this.entryFor(name);
    if (!entry) {
      sendJson(res, 404, { code: "NOT_FOUND", message: `Requested function was not found: no supabase/functions/${name}/index.ts` });
      return;
    }
    let fn: RunningFunction;
    try {
      fn = await this.instance(name, entry);
    } catch (error) {
      sendJson(res, 503, { code: "BOOT_ERROR", message: `Function ${name} failed to start: ${(error as Error).message}; see .local/logs/function-${name}.log` });
      return;
    }
    await this.proxy(req, res, fn.port, name, rest);
  }

  private async proxy(req: IncomingMessage, res: ServerResponse, port: number, name: string, rest: string): Promise<void> {
    const headers = new Headers();
    for (const [key, value] of Object.entries(req.headers)) {
      if (HOP_HEADERS.has(key) || value === undefined) continue;
      headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const chunks: Buffer[] = [];
    if (hasBody) for await (const chunk of req) chunks.push(chunk as Buffer);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), FUNCTION_WALL_CLOCK_MS);
    try {
      const upstream = await fetch(`http://127.0.0.1:${port}/${name}${rest}`, {
        method: req.method ?? "GET",
        headers,
        body: hasBody ? Buffer.concat(chunks) : undefined,
        signal: controller.signal,
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      const outHeaders: Record<string, string> = {};
      upstream.headers.forEach((value, key) => {
        if (!HOP_HEADERS.has(key) && key !== "content-encoding") outHeaders[key] = value;
      });
      res.writeHead(upstream.status, outHeaders);
      res.end(body);
    } catch (error) {
      if (controller.signal.aborted) {
        sendJson(res, 504, { code: "WORKER_TIMEOUT", message: `Function ${name} did not respond within ${FUNCTION_WALL_CLOCK_MS} ms (the Edge Runtime wall clock)` });
      } else {
        sendJson(res, 502, { code: "WORKER_ERROR", message: `Function ${name} failed: ${(error as Error).message}` });
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
