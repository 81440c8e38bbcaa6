// Shared by the edge-runtime-*.test.ts files: an in-process FunctionHost (the gateway's local
// Edge Runtime) behind its own HTTP server on a free port, serving tests/fixtures/functions with
// the limits a test chooses. Needs Deno (node_modules/.bin/deno), not the local stack.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FunctionHost, type FunctionStats } from "../../local/gateway/functions.ts";
import type { WorkerStats } from "../../local/gateway/worker.ts";
import type { WorkerLimits } from "../../local/gateway/worker-limits.ts";
import { platformFunctionEnv } from "../../local/gateway/platform-env.ts";
import { requireStackKeys } from "../../local/stack/keys.ts";
import { binPath, FUNCTIONS_DIR, PROJECT_ROOT } from "../../local/stack/paths.ts";

export const FIXTURES_DIR = join(PROJECT_ROOT, "tests", "fixtures", "functions");
export const FIXTURES_CONFIG = join(FIXTURES_DIR, "config.toml");

export interface TestHost {
  url: string;
  host: FunctionHost;
  jwtSecret: string;
  /** Every line the host logged (worker events). */
  logs: string[];
  /** GET/POST a function; returns status and parsed JSON body. */
  call(path: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }>;
  stats(name: string): FunctionStats | undefined;
  worker(name: string, pid: number): WorkerStats | undefined;
  close(): Promise<void>;
}

export interface TestHostOptions {
  limits?: Partial<WorkerLimits>;
  configFile?: string;
  /** Serve the project's functions (supabase/functions, with supabase/config.toml unless `configFile`) instead of the fixtures. */
  project?: { readonly env: Record<string, string>; readonly configFile?: string };
}

export async function startTestHost(options: TestHostOptions = {}): Promise<TestHost> {
  const logsDir = mkdtempSync(join(tmpdir(), "edge-runtime-test-"));
  const jwtSecret = randomBytes(32).toString("base64url");
  const logs: string[] = [];
  const host = new FunctionHost({
    functionDirs: options.project
      ? [{
        dir: FUNCTIONS_DIR,
        configFile: options.project.configFile ?? join(PROJECT_ROOT, "supabase", "config.toml"),
      }]
      : [{ dir: FIXTURES_DIR, configFile: options.configFile ?? FIXTURES_CONFIG }],
    denoBin: binPath("deno"),
    baseEnv: options.project ? { ...platformFunctionEnv(requireStackKeys()), ...options.project.env } : {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      ...(process.env.DENO_DIR ? { DENO_DIR: process.env.DENO_DIR } : {}),
    },
    envFiles: [],
    logsDir,
    cwd: PROJECT_ROOT,
    jwtSecret,
    limits: options.limits,
    log: (line) => logs.push(line),
  });
  const server: Server = createServer((req, res) => {
    const match = /^\/functions\/v1\/([^/?]+)(\/[^?]*)?(\?.*)?$/.exec(req.url ?? "/");
    if (!match?.[1]) {
      res.writeHead(404).end();
      return;
    }
    host.handle(req, res, match[1], `${match[2] ?? ""}${match[3] ?? ""}`).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address !== "object") throw new Error("the test host's server has no port");
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    host,
    jwtSecret,
    logs,
    async call(path, init) {
      const response = await fetch(`${url}/functions/v1/${path}`, init);
      const text = await response.text();
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = { text };
      }
      return { status: response.status, body };
    },
    stats: (name) => host.stats()[name],
    worker: (name, pid) => host.stats()[name]?.workers.find((w) => w.pid === pid),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await host.stopAll();
      rmSync(logsDir, { recursive: true, force: true });
    },
  };
}

/** True while a process with this pid exists (a zombie counts as gone once reaped). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
