// The local gateway on 127.0.0.1:54321, standing in for Supabase's Kong + PostgREST + Edge Runtime:
//   POST|GET /rest/v1/rpc/<fn>      → PostgREST-style RPC as the caller's role
//   ANY      /functions/v1/<fn>     → the function's Deno worker (functions.ts), under the Edge
//                                      Runtime's limits and the function's verify_jwt
//   GET      /__local/health        → liveness for the stack scripts (never a Supabase path)
//   GET      /__gateway/functions   → per-worker figures: CPU, peak RSS, how each worker ended
//                                      (local debugging/benchmarks only; no such path on Supabase)
// and anything else → 501 with an explanation. It also runs the pg_net stand-in's worker.
//
// Edge Function limits default to the hosted platform's and can be overridden (integers, read
// once when the gateway starts; a bad value stops it with an error naming the variable):
//   EDGE_CPU_SOFT_MS    CPU ms after which a worker is retired (default 1000)
//   EDGE_CPU_HARD_MS    CPU ms after which a worker is killed, 546 CPUTime (default 2000)
//   EDGE_MEMORY_MB      memory cap per worker, 546 Memory (default 256)
//   EDGE_WALL_CLOCK_MS  worker lifetime: retired at half, killed at all, 546 WallClockTime (default 150000)
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import pg from "pg";
import { requireStackKeys } from "../stack/keys.ts";
import {
  binPath,
  DB_URL,
  FUNCTIONS_DIR,
  FUNCTIONS_ENV_FILE,
  GATEWAY_HOST,
  GATEWAY_PORT,
  GATEWAY_URL,
  LOGS_DIR,
  PROJECT_ROOT,
} from "../stack/paths.ts";
import { resolveRole } from "./auth.ts";
import { FunctionHost } from "./functions.ts";
import { BodyTooLargeError, headerValue, readBody, sendJson } from "./http.ts";
import { PgNetWorker } from "./pg-net-worker.ts";
import { callRpc } from "./rpc.ts";
import { platformFunctionEnv } from "./platform-env.ts";
import { limitsFromEnv } from "./worker-limits.ts";

const RPC_BODY_LIMIT_BYTES = 1024 * 1024;
const FIXTURE_FUNCTIONS_DIR = join(PROJECT_ROOT, "tests", "fixtures", "functions");
const POOL_SIZE = 10;

const keys = requireStackKeys();
const pool = new pg.Pool({ connectionString: DB_URL, max: POOL_SIZE });
pool.on("error", (error) => log(`database pool: ${error.message}`));

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

const functions = new FunctionHost({
  // Test fixtures are served too, so tests can exercise the proxy without touching real functions.
  // Each folder's verify_jwt settings come from its config.toml ([functions.<name>]).
  functionDirs: [
    { dir: FUNCTIONS_DIR, configFile: join(PROJECT_ROOT, "supabase", "config.toml") },
    { dir: FIXTURE_FUNCTIONS_DIR, configFile: join(FIXTURE_FUNCTIONS_DIR, "config.toml") },
  ],
  denoBin: binPath("deno"),
  baseEnv: platformFunctionEnv(keys),
  envFiles: [join(FUNCTIONS_DIR, ".env"), FUNCTIONS_ENV_FILE],
  logsDir: LOGS_DIR,
  cwd: PROJECT_ROOT,
  jwtSecret: keys.JWT_SECRET,
  limits: limitsFromEnv(process.env),
  log,
});

function notImplemented(res: ServerResponse, path: string): void {
  sendJson(res, 501, {
    code: "LOCAL_STACK_NOT_IMPLEMENTED",
    message: `${path} is not served by the local gateway`,
    hint:
      "The Docker-free stack implements only /rest/v1/rpc/<fn> and /functions/v1/<fn>. Use `supabase start` (Docker) for the full API.",
  });
}

async function handleRpc(req: IncomingMessage, res: ServerResponse, fn: string, url: URL): Promise<void> {
  const auth = resolveRole(
    headerValue(req, "apikey"),
    headerValue(req, "authorization"),
    keys,
    Math.floor(Date.now() / 1000),
  );
  if (!auth.ok) {
    sendJson(res, auth.status, auth.body);
    return;
  }
  let args: Record<string, unknown>;
  if (req.method === "GET") {
    args = Object.fromEntries(url.searchParams.entries());
  } else {
    const raw = (await readBody(req, RPC_BODY_LIMIT_BYTES)).toString("utf8");
    try {
      const parsed: unknown = raw.trim() === "" ? {} : JSON.parse(raw);
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new Error("the body must be a JSON object of named arguments");
      }
      args = parsed as Record<string, unknown>;
    } catch (error) {
      sendJson(res, 400, {
        code: "PGRST102",
        message: `Invalid JSON body: ${(error as Error).message}`,
        details: null,
        hint: null,
      });
      return;
    }
  }
  const result = await callRpc(pool, fn, args, auth.role, auth.claims);
  if (result.status === 204) {
    res.writeHead(204);
    res.end();
  } else {
    sendJson(res, result.status, "body" in result ? result.body : null);
  }
}

async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", GATEWAY_URL);
  const rpc = /^\/rest\/v1\/rpc\/([^/]+)$/.exec(url.pathname);
  const fn = /^\/functions\/v1\/([^/?]+)(\/.*)?$/.exec(url.pathname);
  if (url.pathname === "/__local/health") {
    sendJson(res, 200, { ok: true, pid: process.pid });
  } else if (url.pathname === "/__gateway/functions" && req.method === "GET") {
    sendJson(res, 200, { limits: functions.limits, functions: functions.stats() });
  } else if (rpc?.[1] && (req.method === "POST" || req.method === "GET")) {
    await handleRpc(req, res, decodeURIComponent(rpc[1]), url);
  } else if (fn?.[1]) {
    await functions.handle(req, res, fn[1], `${fn[2] ?? ""}${url.search}`);
  } else {
    notImplemented(res, `${req.method} ${url.pathname}`);
  }
}

const server = createServer((req, res) => {
  route(req, res).catch((error: unknown) => {
    if (error instanceof BodyTooLargeError) {
      sendJson(res, 413, { code: "PGRST413", message: error.message, details: null, hint: null });
      return;
    }
    log(`gateway error on ${req.method} ${req.url}: ${(error as Error).stack ?? String(error)}`);
    if (!res.headersSent) sendJson(res, 500, { code: "LOCAL_GATEWAY_ERROR", message: (error as Error).message });
    else res.end();
  });
});

const worker = new PgNetWorker(pool, DB_URL, log);

async function shutdown(signal: string): Promise<void> {
  log(`gateway stopping (${signal})`);
  server.close();
  await functions.stopAll();
  await worker.stop();
  await pool.end();
  process.exit(0);
}

process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

server.listen(GATEWAY_PORT, GATEWAY_HOST, () => {
  log(`gateway listening on ${GATEWAY_URL}`);
  void worker.start();
});
