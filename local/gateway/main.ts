// The local gateway on 127.0.0.1:54321, standing in for Supabase's Kong + PostgREST + Edge Runtime:
//   POST|GET /rest/v1/rpc/<fn>   → PostgREST-style RPC as the caller's role
//   ANY      /functions/v1/<fn>  → the function's Deno process
//   GET      /__local/health     → liveness for the stack scripts (never a Supabase path)
// and anything else → 501 with an explanation. It also runs the pg_net stand-in's worker.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import pg from "pg";
import { requireStackKeys } from "../stack/keys.ts";
import {
  DB_URL, FUNCTIONS_DIR, FUNCTIONS_ENV_FILE, GATEWAY_HOST, GATEWAY_PORT, GATEWAY_URL, LOGS_DIR, PROJECT_ROOT, binPath,
} from "../stack/paths.ts";
import { resolveRole } from "./auth.ts";
import { FunctionHost } from "./functions.ts";
import { BodyTooLargeError, headerValue, readBody, sendJson } from "./http.ts";
import { PgNetWorker } from "./pg-net-worker.ts";
import { callRpc } from "./rpc.ts";

const RPC_BODY_LIMIT_BYTES = 1024 * 1024;
const FIRST_FUNCTION_PORT = 54400;
const POOL_SIZE = 10;

const keys = requireStackKeys();
const pool = new pg.Pool({ connectionString: DB_URL, max: POOL_SIZE });
pool.on("error", (error) => log(`database pool: ${error.message}`));

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

const functions = new FunctionHost(
  {
    // Test fixtures are served too, so tests can exercise the proxy without touching real functions.
    functionDirs: [FUNCTIONS_DIR, join(PROJECT_ROOT, "tests", "fixtures", "functions")],
    denoBin: binPath("deno"),
    baseEnv: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      ...(process.env.DENO_DIR ? { DENO_DIR: process.env.DENO_DIR } : {}),
      SUPABASE_URL: GATEWAY_URL,
      SUPABASE_ANON_KEY: keys.ANON_KEY,
      SUPABASE_SERVICE_ROLE_KEY: keys.SERVICE_ROLE_KEY,
      SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: keys.PUBLISHABLE_KEY }),
      SUPABASE_SECRET_KEYS: JSON.stringify({ default: keys.SECRET_KEY }),
      SUPABASE_DB_URL: DB_URL,
    },
    envFiles: [join(FUNCTIONS_DIR, ".env"), FUNCTIONS_ENV_FILE],
    logsDir: LOGS_DIR,
    cwd: PROJECT_ROOT,
  },
  FIRST_FUNCTION_PORT,
);

function notImplemented(res: ServerResponse, path: string): void {
  sendJson(res, 501, {
    code: "LOCAL_STACK_NOT_IMPLEMENTED",
    message: `${path} is not served by the local gateway`,
    hint: "The Docker-free stack implements only /rest/v1/rpc/<fn> and /functions/v1/<fn>. Use `supabase start` (Docker) for the full API.",
  });
}

async function handleRpc(req: IncomingMessage, res: ServerResponse, fn: string, url: URL): Promise<void> {
  const auth = resolveRole(headerValue(req, "apikey"), headerValue(req, "authorization"), keys, Math.floor(Date.now() / 1000));
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
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("the body must be a JSON object of named arguments");
      args = parsed as Record<string, unknown>;
    } catch (error) {
      sendJson(res, 400, { code: "PGRST102", message: `Invalid JSON body: ${(error as Error).message}`, details: null, hint: null });
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
  functions.stopAll();
  server.close();
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
