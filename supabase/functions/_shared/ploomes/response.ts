// Classification of one HTTP answer from Ploomes: an OData page (`value` array, optional
// `@odata.nextLink`), or a failure that knows whether it is worth retrying and how to become a
// PloomesError. Separate from the client so the rules can be read (and tested) on their own.

import { PloomesHttpError, PloomesInvalidResponseError } from "./errors.ts";
import type { PloomesError, PloomesErrorInit } from "./errors.ts";
import { isRecord, parseJson } from "./json.ts";
import { redactUrl } from "./redact.ts";
import { isRedirectStatus } from "./status-hints.ts";

/** Status used in retry decisions for a 2xx whose body is unusable for a deterministic reason. */
export const HTTP_OK = 200;

export interface PageResponse {
  readonly value: unknown[];
  readonly nextLink: string | null;
  /** The URL requested (absolute, key-free). */
  readonly url: string;
}

/** The result of one attempt that did not produce a page. */
export interface Failure {
  /** Status for the retry decision: null = no usable HTTP answer (always transient). */
  readonly retryStatus: number | null;
  readonly retryAfter: string | null;
  /** Short description for logs and the budget message, e.g. `503` or `timeout`. */
  readonly label: string;
  /** Failures that must not be retried whatever their status (e.g. the deadline cut the request). */
  readonly final: boolean;
  readonly toError: (attempts: number) => PloomesError;
}

/** Classifies a complete HTTP answer: a page, or a failure with its error. */
export function interpretResponse(
  url: string,
  response: Response,
  body: string,
  context: (attempts: number) => PloomesErrorInit,
): { page: PageResponse } | Failure {
  const status = response.status;
  if (isRedirectStatus(status)) {
    // Never followed (the User-Key would go along); only where it points is reported.
    const location = response.headers.get("location");
    const target = location !== null && URL.canParse(location, url) ? new URL(location, url).origin : null;
    const text = target === null ? "a redirect without a usable Location" : `a redirect to ${target}`;
    return {
      retryStatus: status,
      retryAfter: null,
      label: String(status),
      final: true,
      toError: (attempts) => new PloomesHttpError(status, text, context(attempts)),
    };
  }
  if (!response.ok) {
    return {
      retryStatus: status,
      retryAfter: response.headers.get("retry-after"),
      label: String(status),
      final: false,
      toError: (attempts) => new PloomesHttpError(status, body, context(attempts)),
    };
  }
  const invalid = (reason: string, transient: boolean): Failure => ({
    // A cut connection is transient (retry like a network error); a wrong shape is not.
    retryStatus: transient ? null : HTTP_OK,
    retryAfter: null,
    label: `invalid response (${reason})`,
    final: false,
    toError: (attempts) => new PloomesInvalidResponseError(status, reason, body, context(attempts)),
  });
  if (body.trim() === "") return invalid("an empty body", true);
  const parsed = parseJson(body);
  if (!parsed.ok) return invalid(`the body is not valid JSON (${parsed.reason}; truncated?)`, true);
  const json = parsed.value;
  if (!isRecord(json) || !Array.isArray(json["value"])) return invalid('no "value" array in the JSON', false);
  const rawNext = json["@odata.nextLink"];
  let nextLink: string | null = null;
  if (typeof rawNext === "string" && rawNext !== "") nextLink = rawNext;
  else if (rawNext !== undefined && rawNext !== null) return invalid('"@odata.nextLink" is not a URL string', false);
  return { page: { value: json["value"], nextLink, url: redactUrl(url) } };
}

export function describeThrown(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici reports "fetch failed" with the real reason (ECONNREFUSED, ENOTFOUND…) in `cause`.
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
  return `${error.name}: ${error.message}${cause}`;
}
