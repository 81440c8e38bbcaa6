// The Edge Function's HTTP contract (README "Triggering a sync", docs/operations.md), runtime-neutral: Request in, Response out.
// Order matters: a missing or weak CRON_SECRET fails closed (500) before anything else; then the
// caller must present it (401); then the body is checked (400/413); only then does the rest of
// the configuration get reported (500) or the sync run (200/409/502).
// A check request ({"check": true} or ?check=true) stops at the configuration: 200 with the effective
// settings, or the same 500 — never recorded, no lease, no Ploomes call. It wins over `mode`/`dryRun`.
import {
  type Config,
  type ConfigProblem,
  type ConfigResult,
  type DatabaseAccess,
  formatProblems,
} from "../config/config.ts";
import type { SyncRequest } from "./request-body.ts";
import { readSyncRequest, syncRequestFromQuery } from "./request-body.ts";
import { checkReport } from "./check.ts";
import { presentedSecret, secretsMatch } from "./secret.ts";
import type { SyncOutcome } from "../sync/runner.ts";

export interface HandlerDeps {
  /** The configuration, parsed once at start-up; its CRON_SECRET check stands even when the rest is broken. */
  readonly config: ConfigResult;
  readonly runSync: (config: Config, request: SyncRequest) => Promise<SyncOutcome>;
  /** Records a configuration failure as a failed run; returns its id. */
  readonly recordFailure: (
    database: DatabaseAccess,
    request: SyncRequest,
    error: string,
    hint: string,
  ) => Promise<number>;
  readonly log: (event: Record<string, unknown>) => void;
}

const ALLOWED_METHODS = "GET, POST";

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

const CONFIG_HINT =
  "Set the function's secrets (supabase secrets set NAME=value) and call it again; see docs/deploy.md.";

function configurationError(problems: readonly ConfigProblem[], extra: Record<string, unknown> = {}): Response {
  return json(500, {
    error: `configuration error: ${formatProblems(problems)}`,
    problems,
    hint: CONFIG_HINT,
    ...extra,
  });
}

export async function handleSyncRequest(request: Request, deps: HandlerDeps): Promise<Response> {
  if (request.method !== "POST" && request.method !== "GET") {
    return json(405, { error: `method ${request.method} not allowed; use POST or GET` }, { allow: ALLOWED_METHODS });
  }
  const cron = deps.config.cronSecret;
  if (!cron.ok) return configurationError([cron.problem]);

  const presented = presentedSecret(request.headers);
  if (presented === null || !(await secretsMatch(presented, cron.secret))) {
    return json(401, { error: "unauthorized" });
  }

  const body = request.method === "GET" ? syncRequestFromQuery(new URL(request.url)) : await readSyncRequest(request);
  if (!body.ok) {
    return json(body.status, {
      error: body.status === 413 ? "request body too large" : "invalid request",
      problems: body.problems,
      hint:
        'Send an optional JSON body like {"mode":"auto"|"incremental"|"full","dryRun":false,"trigger":"manual","check":false}.',
    });
  }
  if (!deps.config.ok) {
    const { problems, database } = deps.config;
    // A check only reports: recording it would count a configuration probe as a failed sync run.
    if (database === null || body.check) return configurationError(problems, { recorded: false });
    try {
      const runId = await deps.recordFailure(
        database,
        body.request,
        `configuration error: ${formatProblems(problems)}`,
        CONFIG_HINT,
      );
      return configurationError(problems, { runId, recorded: true });
    } catch (error) {
      const recordError = error instanceof Error ? error.message : String(error);
      return configurationError(problems, { recorded: false, recordError });
    }
  }

  if (body.check) return json(200, checkReport(deps.config.config));

  try {
    const outcome = await deps.runSync(deps.config.config, body.request);
    return json(outcome.status, outcome.body);
  } catch (error) {
    // Reaching here means the database could not even record a run (e.g. unreachable).
    const message = error instanceof Error ? error.message : String(error);
    deps.log({ event: "request-failed", error: message });
    return json(500, {
      error: message,
      hint:
        "The run could not be recorded. Check that SUPABASE_URL and the secret key are right and that the migrations are applied (supabase db push).",
    });
  }
}
