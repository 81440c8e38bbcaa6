// Errors of the Ploomes client: one class per kind, each message self-explaining, e.g.
//   Ploomes GET /Deals?$filter=Id gt 5 → 403: Your request has been forbidden; hint: …
// Hints encode what we learned the hard way (Ploomes answers 403 for unknown field names too,
// some 403 bodies are HTML). Nothing here may ever contain the User-Key: URLs are redacted and
// the client scrubs the key out of any server text before it reaches these constructors.

export type PloomesErrorKind = "http" | "network" | "timeout" | "invalid-response" | "loop" | "budget";

/** How much of a response body an error keeps (it may be a whole HTML page). */
export const BODY_SNIPPET_MAX = 500;
const HTTP_REDIRECT_MIN = 300;
const HTTP_REDIRECT_END = 400;

/** 3xx: never followed by the client (the User-Key would go along). */
export function isRedirectStatus(status: number): boolean {
  return status >= HTTP_REDIRECT_MIN && status < HTTP_REDIRECT_END;
}
/** How much of the server's own message goes into the one-line error message. */
export const SUMMARY_MAX = 200;

export interface PloomesErrorInit {
  readonly method?: string | null;
  /** Key-free URL of the request (see redactUrl); null when no request is involved. */
  readonly url?: string | null;
  /** Short form for the message (path + query on the base host); defaults to `url`. */
  readonly displayUrl?: string | null;
  readonly attempts?: number;
  readonly cause?: unknown;
}

export class PloomesError extends Error {
  readonly kind: PloomesErrorKind;
  readonly method: string | null;
  readonly url: string | null;
  readonly hint: string;
  readonly retryable: boolean;
  readonly attempts: number;
  /** The message's core, without location, attempts and hint. */
  readonly detail: string;

  constructor(kind: PloomesErrorKind, detail: string, hint: string, retryable: boolean, init: PloomesErrorInit) {
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
    this.retryable = retryable;
    this.attempts = attempts;
    this.detail = detail;
  }
}

export class PloomesHttpError extends PloomesError {
  readonly status: number;
  /** First BODY_SNIPPET_MAX characters of the body (HTML, JSON or empty). */
  readonly bodySnippet: string;
  readonly isHtml: boolean;

  constructor(status: number, body: string, retryable: boolean, init: PloomesErrorInit) {
    const summary = summarizeErrorBody(body);
    super("http", `${status}: ${summary.text}`, hintForStatus(status, summary.isHtml), retryable, init);
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
      true,
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
      true,
      init,
    );
    this.name = "PloomesTimeoutError";
    this.timeoutMs = timeoutMs;
  }
}

export class PloomesInvalidResponseError extends PloomesError {
  readonly status: number;
  constructor(status: number, reason: string, body: string, retryable: boolean, init: PloomesErrorInit) {
    super(
      "invalid-response",
      `${status} but ${reason}; body: ${describeSuccessBody(body)}`,
      'expected an OData envelope {"value": [...]}; a cut connection truncates it, a proxy may answer HTML — check PLOOMES_BASE_URL',
      retryable,
      init,
    );
    this.name = "PloomesInvalidResponseError";
    this.status = status;
  }
}

/**
 * A successful answer's body described without its content: a Deals page carries customer names
 * and documents, which must not reach run errors or logs. HTML (a proxy's page) shows its title.
 */
export function describeSuccessBody(body: string): string {
  const trimmed = body.trim();
  if (trimmed === "") return "(empty)";
  // Only a body that IS a page (it starts like one) shows its <title>; the rest of any body is
  // never quoted, and JSON that merely contains "<html" stays JSON.
  if (HTML_START.test(trimmed)) {
    const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(trimmed.slice(0, BODY_SNIPPET_MAX))?.[1];
    return title === undefined ? "an HTML page without a title" : `HTML page: ${collapse(title).slice(0, SUMMARY_MAX)}`;
  }
  return `${body.length} characters starting with ${JSON.stringify(trimmed.slice(0, 1))}`;
}

/** The start of an HTML document. */
const HTML_START = /^<(!doctype\s+html|html|head|body)\b/i;

/** A URL the client will not send the User-Key to (another origin than PLOOMES_BASE_URL's). */
export class PloomesForeignUrlError extends PloomesError {
  constructor(targetOrigin: string, origin: string, init: PloomesErrorInit) {
    super(
      "invalid-response",
      `refused to request ${targetOrigin}: it is not PLOOMES_BASE_URL's origin ${origin}`,
      "the User-Key is sent only to PLOOMES_BASE_URL; if Ploomes moved the account to that host, set PLOOMES_BASE_URL to it",
      false,
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
      false,
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
      true,
      init,
    );
    this.name = "BudgetExceededError";
    this.deadlineMs = deadlineMs;
    this.wantedWaitMs = wantedWaitMs;
  }
}

/** The hint for an HTTP status, pointing at the variable or field most likely at fault. */
export function hintForStatus(status: number, isHtml: boolean): string {
  if (status === 401) {
    return "the key is not accepted; check PLOOMES_API_KEY (Ploomes > Settings > Integration > API)";
  }
  if (status === 403) {
    const html = isHtml
      ? " The body is an HTML page, which Ploomes (or a proxy in front of it) sends for some 403s."
      : "";
    return (
      "Ploomes answers 403 both for a User-Key without access and for an unknown field name in " +
      "$select/$filter/$orderby/$expand; check PLOOMES_API_KEY first, then the field names in the URL." +
      html
    );
  }
  if (status === 404) return "check PLOOMES_BASE_URL and the path (e.g. /Deals)";
  if (status === 400) return "malformed OData query; check $filter/$orderby/$expand syntax in the URL";
  if (status === 408) return "Ploomes timed the request out (heavy $expand can do that); retry later";
  if (status === 429) {
    return (
      "the account's shared limit of 120 requests/minute is exhausted even after retries; lower " +
      "PLOOMES_REQUESTS_PER_MINUTE or check other integrations using the same Ploomes account"
    );
  }
  if (status >= 500) return "Ploomes is failing; retry later";
  if (isRedirectStatus(status)) {
    return (
      "Ploomes (or a proxy) redirected the request; redirects are not followed, so the User-Key never " +
      "leaves PLOOMES_BASE_URL's origin. If the API moved, set PLOOMES_BASE_URL to the new address " +
      "(the Location header names it)"
    );
  }
  return "unexpected status from Ploomes";
}

/** A one-line summary of an error body and whether it is HTML. */
export function summarizeErrorBody(body: string): { text: string; isHtml: boolean } {
  const trimmed = body.trim();
  if (trimmed === "") return { text: "(empty body)", isHtml: false };
  if (looksLikeHtml(trimmed)) {
    const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(trimmed)?.[1];
    const text = collapse(title ?? trimmed.replace(/<[^>]*>/g, " "));
    return { text: `HTML page: ${text}`.slice(0, SUMMARY_MAX), isHtml: true };
  }
  const parsed = parseJson(trimmed);
  const fromJson = parsed.ok ? messageFromJson(parsed.value) : null;
  return { text: collapse(fromJson ?? trimmed).slice(0, SUMMARY_MAX), isHtml: false };
}

function looksLikeHtml(text: string): boolean {
  return /^<(!doctype\s+html|html|head|body)\b/i.test(text) || /<html[\s>]/i.test(text.slice(0, BODY_SNIPPET_MAX));
}

/** Error-body shapes seen in the wild: OData `error.message`, ASP.NET `Message`, Ploomes `value`. */
function messageFromJson(json: unknown): string | null {
  if (typeof json === "string") return json;
  if (!isRecord(json)) return null;
  const error = json["error"];
  if (isRecord(error) && typeof error["message"] === "string") return error["message"];
  if (typeof error === "string") return error;
  for (const key of ["Message", "message", "value"]) {
    const candidate = json[key];
    if (typeof candidate === "string") return candidate;
  }
  return null;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** JSON.parse as a result value; the error text never echoes the input (it may be sensitive). */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    // V8 quotes the input in its message; keep only the error's type.
    return { ok: false, reason: error instanceof Error ? error.name : "parse error" };
  }
}

function collapse(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** Replaces every occurrence of `secret` in `text` (no-op for an empty secret). */
export function redactSecret(text: string, secret: string): string {
  return secret === "" ? text : text.split(secret).join("[redacted]");
}

const SENSITIVE_PARAM = /key|token|secret|password|signature/i;

/**
 * A URL safe to log: drops user:password and blanks the value of any query parameter whose name
 * looks like a credential. The rest of the query is kept byte-for-byte.
 */
export function redactUrl(url: string): string {
  const withoutUserInfo = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, "$1");
  const queryStart = withoutUserInfo.indexOf("?");
  if (queryStart < 0) return withoutUserInfo;
  const base = withoutUserInfo.slice(0, queryStart);
  const query = withoutUserInfo
    .slice(queryStart + 1)
    .split("&")
    .map((part) => {
      const equals = part.indexOf("=");
      const name = equals < 0 ? part : part.slice(0, equals);
      return equals >= 0 && SENSITIVE_PARAM.test(name) ? `${name}=[redacted]` : part;
    })
    .join("&");
  return `${base}?${query}`;
}

const DISPLAY_DECODES: Readonly<Record<string, string>> = {
  "%20": " ",
  "%24": "$",
  "%28": "(",
  "%29": ")",
  "%2C": ",",
  "%3A": ":",
  "%3B": ";",
  "%3D": "=",
  "%27": "'",
  "%2F": "/",
};

/**
 * The URL as a human reads it in a message: path + query when it is under the base URL (full URL
 * otherwise, e.g. a nextLink on a shard host), with harmless escapes such as `%20` decoded.
 * Escapes that change meaning (`%2B`, `%26`, `%23`, `%25`) stay encoded.
 */
export function displayUrl(url: string, baseUrl: string): string {
  const safe = redactUrl(url);
  const short = safe.startsWith(`${baseUrl}/`) ? safe.slice(baseUrl.length) : safe;
  return short.replace(/%[0-9A-F]{2}/gi, (escape) => DISPLAY_DECODES[escape.toUpperCase()] ?? escape);
}
