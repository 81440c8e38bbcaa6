// The errors of the Ploomes client: one class per kind, each message self-explaining, e.g.
//   Ploomes GET /Deals?$filter=Id gt 5 → 403: Your request has been forbidden; hint: …
// Nothing here may ever contain the User-Key: URLs are redacted (redact.ts) and the client
// scrubs the key out of any server text before it reaches these constructors. How bodies and
// statuses read in a message lives in error-body.ts and status-hints.ts.

import { BODY_SNIPPET_MAX, describeSuccessBody, summarizeErrorBody } from "./error-body.ts";
import { hintForStatus } from "./status-hints.ts";

export type PloomesErrorKind = "http" | "network" | "timeout" | "invalid-response" | "loop" | "budget";

export interface PloomesErrorInit {
  readonly method?: string | null;
  /** Key-free URL of the request (see redactUrl); null when no request is involved. */
  readonly url?: string | null;
  /** Short form for the message (path + query on the base host); defaults to `url`. */
  readonly displayUrl?: string | null;
  readonly attempts?: number;
  readonly cause?: unknown;
}

/**
 * Base of every client error. It only describes: whether to retry is decided before an error is
 * built (response.ts classifies an answer, retry.ts decides), so errors carry no retry flag.
 */
export class PloomesError extends Error {
  readonly kind: PloomesErrorKind;
  readonly method: string | null;
  readonly url: string | null;
  readonly hint: string;
  readonly attempts: number;
  /** The message's core, without location, attempts and hint. */
  readonly detail: string;

  constructor(kind: PloomesErrorKind, detail: string, hint: string, init: PloomesErrorInit) {
    const where = init.method && (init.displayUrl ?? init.url) ? `${init.method} ${init.displayUrl ?? init.url}` : null;
    const attempts = init.attempts ?? 1;
    const tries = attempts > 1 ? ` (after ${attempts} attempts)` : "";
    const head = where === null ? "Ploomes:" : `Ploomes ${where} →`;
    super(`${head} ${detail}${tries}; hint: ${hint}`, { cause: init.cause });
    this.name = "PloomesError";
    this.kind = kind;
    this.method = init.method ?? null;
    this.url = init.url ?? null;
    this.hint = hint;
    this.attempts = attempts;
    this.detail = detail;
  }
}

export class PloomesHttpError extends PloomesError {
  readonly status: number;
  /** First BODY_SNIPPET_MAX characters of the body (HTML, JSON or empty). */
  readonly bodySnippet: string;
  readonly isHtml: boolean;

  constructor(status: number, body: string, init: PloomesErrorInit) {
    const summary = summarizeErrorBody(body);
    super("http", `${status}: ${summary.text}`, hintForStatus(status, summary.isHtml), init);
    this.name = "PloomesHttpError";
    this.status = status;
    this.bodySnippet = body.slice(0, BODY_SNIPPET_MAX);
    this.isHtml = summary.isHtml;
  }
}

export class PloomesNetworkError extends PloomesError {
  readonly causeMessage: string;
  constructor(causeMessage: string, init: PloomesErrorInit) {
    super(
      "network",
      `network error: ${causeMessage}`,
      "the request never got an HTTP answer; check connectivity to PLOOMES_BASE_URL (DNS, TLS, firewall)",
      init,
    );
    this.name = "PloomesNetworkError";
    this.causeMessage = causeMessage;
  }
}

export class PloomesTimeoutError extends PloomesError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number, init: PloomesErrorInit) {
    super(
      "timeout",
      `no complete response within ${timeoutMs} ms`,
      "Ploomes is slow (heavy $expand can time out); retry later or raise PLOOMES_REQUEST_TIMEOUT_MS",
      init,
    );
    this.name = "PloomesTimeoutError";
    this.timeoutMs = timeoutMs;
  }
}

export class PloomesInvalidResponseError extends PloomesError {
  readonly status: number;
  constructor(status: number, reason: string, body: string, init: PloomesErrorInit) {
    super(
      "invalid-response",
      `${status} but ${reason}; body: ${describeSuccessBody(body)}`,
      'expected an OData envelope {"value": [...]}; a cut connection truncates it, a proxy may answer HTML — check PLOOMES_BASE_URL',
      init,
    );
    this.name = "PloomesInvalidResponseError";
    this.status = status;
  }
}

/** A URL the client will not send the User-Key to (another origin than PLOOMES_BASE_URL's). */
export class PloomesForeignUrlError extends PloomesError {
  constructor(targetOrigin: string, origin: string, init: PloomesErrorInit) {
    super(
      "invalid-response",
      `refused to request ${targetOrigin}: it is not PLOOMES_BASE_URL's origin ${origin}`,
      "the User-Key is sent only to PLOOMES_BASE_URL; if Ploomes moved the account to that host, set PLOOMES_BASE_URL to it",
      init,
    );
    this.name = "PloomesForeignUrlError";
  }
}

export class PloomesLoopError extends PloomesError {
  constructor(detail: string, init: PloomesErrorInit) {
    super(
      "loop",
      `paging did not advance: ${detail}`,
      "stopped instead of looping forever; Ploomes did not honour the keyset filter/order (or repeated a nextLink)",
      init,
    );
    this.name = "PloomesLoopError";
  }
}

/** The time budget ends before the next wait (throttle or retry) would: stop, resume later. */
export class BudgetExceededError extends PloomesError {
  readonly deadlineMs: number;
  readonly wantedWaitMs: number;
  constructor(detail: string, deadlineMs: number, wantedWaitMs: number, init: PloomesErrorInit) {
    super(
      "budget",
      `time budget reached: ${detail}`,
      "the invocation's time budget (SYNC_TIME_BUDGET_MS) is spent; the pass continues on the next invocation",
      init,
    );
    this.name = "BudgetExceededError";
    this.deadlineMs = deadlineMs;
    this.wantedWaitMs = wantedWaitMs;
  }
}
