// The HTTP front: every request goes to the admin API (`/__sim/…`) or to the Ploomes-shaped API.
// For the API it applies, in order: a scheduled fault (a hold first of all), latency, answers that
// replace the API's, the User-Key check, the per-account rate limit, then the query (with page
// faults and row overrides); and it logs the outcome. `/Webhooks` passes the same steps and is the
// one API path that takes POST and DELETE (webhooks.ts). Admin calls skip all of that
// (no key, no rate limit, not logged) so tests can inspect and steer without side effects.

import type { IncomingMessage, ServerResponse } from "node:http";
import { handleAdmin } from "./admin.ts";
import { answerApi, type PageTamper } from "./api.ts";
import { AdminError, FORBIDDEN_MESSAGE, ODataError } from "./errors.ts";
import { faultResponse, pageTamperOf, replacesAnswer } from "./fault-answers.ts";
import type { Fault } from "./faults.ts";
import { type Answer, errorAnswer, json, readBody, writeAnswer } from "./http-util.ts";
import type { HoldOutcome } from "./hold.ts";
import type { SimState } from "./state.ts";
import { answerWebhooks, isWebhooksPath } from "./webhooks.ts";

export interface ServerEnv {
  /** Milliseconds since the epoch; injectable so tests can slide the rate-limit window. */
  readonly now: () => number;
  /** Waits for latency faults; injectable so tests need not wait for real. */
  readonly sleep: (ms: number) => Promise<void>;
  /** The server's own address, for requests without a Host header. */
  readonly fallbackBaseUrl: () => string;
}

const AUTH_FAILURE_MESSAGE = "Authorization has been denied for this request.";
const RATE_LIMIT_MESSAGE = "Too many requests";
const MS_PER_SECOND = 1000;
const ADMIN_PREFIX = "/__sim";

export function createHandler(state: SimState, env: ServerEnv): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(state, env, req, res).catch((error: unknown) => {
      // A bug in the simulator: say so loudly, answer 500 if still possible.
      console.error(`ploomes-simulator: ${req.method ?? "?"} ${req.url ?? "?"} failed:`, error);
      if (!res.headersSent) {
        writeAnswer(res, json(500, { error: { code: "", message: `simulator bug: ${String(error)}` } }));
      } else res.destroy();
    });
  };
}

async function handle(state: SimState, env: ServerEnv, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const rawUrl = req.url ?? "/";
  const url = new URL(rawUrl, "http://simulator.invalid");
  const path = safeDecode(url.pathname);
  if (path === null) {
    writeAnswer(
      res,
      json(400, { error: { code: "", message: `malformed percent-encoding in the path of ${rawUrl}` } }),
    );
    return;
  }
  if (path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`)) {
    writeAnswer(res, await handleAdmin(state, req, path.slice(ADMIN_PREFIX.length), url.searchParams));
    return;
  }
  await handleApi(state, env, req, res, { rawUrl, url, path });
}

function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch (error) {
    if (error instanceof URIError) return null;
    throw error;
  }
}

const userKeyOf = (req: IncomingMessage): string | undefined => {
  const value = req.headers["user-key"];
  return Array.isArray(value) ? value[0] : value;
};

async function handleApi(
  state: SimState,
  env: ServerEnv,
  req: IncomingMessage,
  res: ServerResponse,
  target: { rawUrl: string; url: URL; path: string },
): Promise<void> {
  const arrived = env.now();
  const method = req.method ?? "GET";
  const key = userKeyOf(req);
  const account = state.keys.accountOf(key) ?? null;
  const fault = state.faults.take(
    target.path,
    target.rawUrl,
    safeDecode(target.rawUrl.replace(/\+/g, " ")) ?? target.rawUrl,
  );
  const notes: string[] = [];
  const log = (status: number, note?: string) => {
    if (note !== undefined) notes.push(note);
    state.log.add({
      method,
      url: target.rawUrl,
      status,
      at: new Date(arrived).toISOString(),
      account,
      ...(fault ? { fault: fault.kind } : {}),
      ...(notes.length > 0 ? { note: notes.join("; ") } : {}),
    });
  };

  if (fault?.kind === "hold") {
    // Before anything else, so whatever the test changes meanwhile shows in the answer.
    const outcome = await holdRequest(state, fault, res);
    if (outcome === "clientGone") {
      log(0, "held; the connection closed (client gone or simulator stopped) before the release");
      return;
    }
    notes.push(outcome === "released" ? "held until released" : `held until the ${fault.latencyMs} ms bound`);
  }
  const settings = state.settings.get();
  if (settings.latencyMs > 0) await env.sleep(settings.latencyMs);
  if (fault?.kind === "latency") await env.sleep(fault.latencyMs);
  if (fault?.kind === "reset") {
    // Drop the connection without a byte of answer: the client sees ECONNRESET / "socket hang up".
    log(0);
    req.socket.destroy();
    return;
  }
  if (fault && replacesAnswer(fault)) {
    const answer = faultResponse(fault);
    writeAnswer(res, answer);
    log(answer.status);
    return;
  }

  const baseUrl = req.headers.host ? `http://${req.headers.host}` : env.fallbackBaseUrl();
  const body = isWebhooksPath(target.path) ? await bodyOrNull(req) : "";
  const { answer, note } = answerRequest(
    state,
    { ...target, baseUrl },
    { arrived, method, key, account, body },
    pageTamperOf(fault),
  );
  const sent = fault?.kind === "truncated" ? truncate(answer, fault) : answer;
  writeAnswer(res, sent);
  log(sent.status, note);
}

/** The body, or null when it is larger than the server reads. */
async function bodyOrNull(req: IncomingMessage): Promise<string | null> {
  try {
    return await readBody(req);
  } catch (error) {
    if (error instanceof AdminError) return null;
    throw error;
  }
}

/** Parks the request until released or its bound; a client that hangs up ends the hold. */
async function holdRequest(state: SimState, fault: Fault, res: ServerResponse): Promise<HoldOutcome> {
  const clientGone = new AbortController();
  // Nothing has been written yet, so a "close" now means the connection went away.
  const onClose = () => clientGone.abort();
  res.once("close", onClose);
  try {
    return await state.held.hold(fault.latencyMs, clientGone.signal);
  } finally {
    res.off("close", onClose);
  }
}

function answerRequest(
  state: SimState,
  target: { url: URL; path: string; baseUrl: string },
  request: { arrived: number; method: string; key: string | undefined; account: string | null; body: string | null },
  tamper: PageTamper,
): { answer: Answer; note?: string | undefined } {
  const settings = state.settings.get();
  if (request.account === null) {
    return {
      answer: errorAnswer(settings.authFailureStatus, AUTH_FAILURE_MESSAGE, settings.authFailureFormat),
      note: request.key === undefined ? "missing User-Key header" : "unknown User-Key",
    };
  }
  const admission = state.limiter.admit(
    request.account,
    request.arrived,
    settings.rateLimitPerMinute,
    settings.rateLimitWindowMs,
    settings.countRejectedRequests,
  );
  if (!admission.allowed) {
    const headers: Record<string, string> = {};
    if (settings.retryAfter === "seconds") {
      headers["retry-after"] = String(Math.max(1, Math.ceil(admission.retryAfterMs / MS_PER_SECOND)));
    }
    if (settings.retryAfter === "httpDate") {
      headers["retry-after"] = new Date(request.arrived + admission.retryAfterMs).toUTCString();
    }
    return {
      answer: errorAnswer(429, RATE_LIMIT_MESSAGE, "json", headers),
      note: `rate limit of ${settings.rateLimitPerMinute} per window reached`,
    };
  }
  if (isWebhooksPath(target.path)) {
    const { method, body, account } = request;
    return { answer: answerWebhooks(state.webhooks, { method, path: target.path, body, account }) };
  }
  if (request.method !== "GET") {
    return {
      answer: json(405, {
        error: {
          code: "",
          message: `The simulator serves GET only; change data through ${ADMIN_PREFIX}/ instead of ${request.method}`,
        },
      }),
    };
  }
  try {
    const { path, url, baseUrl } = target;
    return answerApi(state, { path, params: url.searchParams, baseUrl, account: request.account }, tamper);
  } catch (error) {
    if (!(error instanceof ODataError)) throw error;
    const answer = error.status === 403
      ? errorAnswer(403, FORBIDDEN_MESSAGE, settings.forbiddenFormat)
      : errorAnswer(400, error.message, "json");
    return { answer, note: error.detail };
  }
}

/** Half of the real body with a matching Content-Length: a well-formed answer whose JSON cannot parse. */
function truncate(answer: Answer, fault: Fault): Answer {
  const cut = Math.floor(answer.body.length / 2);
  return {
    ...answer,
    headers: { ...answer.headers, "x-simulator-fault": fault.kind },
    body: answer.body.slice(0, cut),
  };
}
