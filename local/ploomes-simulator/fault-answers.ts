// What each scheduled fault does to an answer. Two families: faults that answer *instead of* the
// API (a gateway error, an HTML page, a redirect — they come from something in front of the
// service, so the request never reaches the User-Key check or the rate limit), and page faults
// that take the real 200 answer and change its page (emptyPage, nextLink, prependRows). Latency,
// hold, reset and truncated act on timing or on the bytes and are applied by the server.

import type { PageTamper } from "./api.ts";
import type { Fault, FaultKind } from "./faults.ts";
import type { Answer } from "./http-util.ts";

const HTML_CONTENT_TYPE = "text/html; charset=utf-8";
/** The content type says JSON, the body is empty: what a misconfigured proxy or a crashed handler sends. */
const PLAIN_JSON_CONTENT_TYPE = "application/json; charset=utf-8";
const REDIRECT_STATUS = 302;

const REPLACING_KINDS: ReadonlySet<FaultKind> = new Set<FaultKind>([
  "status",
  "retryAfter429",
  "html403",
  "html200",
  "empty200",
  "redirect",
]);

/** Whether this fault answers in place of the API (before the User-Key check and the rate limit). */
export function replacesAnswer(fault: Fault): boolean {
  return REPLACING_KINDS.has(fault.kind);
}

/** What a replacing fault answers. */
export function faultResponse(fault: Fault): Answer {
  switch (fault.kind) {
    case "html403":
      return { status: 403, headers: { "content-type": HTML_CONTENT_TYPE }, body: HTML_403 };
    case "retryAfter429":
      return {
        status: 429,
        headers: { "content-type": PLAIN_JSON_CONTENT_TYPE, "retry-after": String(fault.retryAfterSeconds) },
        body: JSON.stringify({ error: { code: "", message: "Too many requests" } }),
      };
    case "html200":
      return { status: 200, headers: { "content-type": HTML_CONTENT_TYPE }, body: PROXY_LOGIN_PAGE };
    case "empty200":
      return { status: 200, headers: { "content-type": PLAIN_JSON_CONTENT_TYPE }, body: "" };
    case "redirect":
      if (fault.location === null) {
        throw new Error(`fault ${fault.id} (redirect) has no location; faults.ts should have refused it`);
      }
      return { status: REDIRECT_STATUS, headers: { location: fault.location }, body: "" };
    case "status":
      return statusAnswer(fault.status);
    default:
      throw new Error(`fault kind "${fault.kind}" does not replace the answer; the server should not have asked`);
  }
}

function statusAnswer(status: number): Answer {
  // Gateways answer 502/503/504 with an HTML page; the service itself answers JSON [inf].
  if (status === 502 || status === 503 || status === 504) {
    return { status, headers: { "content-type": HTML_CONTENT_TYPE }, body: gatewayPage(status) };
  }
  return {
    status,
    headers: { "content-type": PLAIN_JSON_CONTENT_TYPE },
    body: JSON.stringify({
      error: { code: "", message: status === 429 ? "Too many requests" : "An error has occurred." },
    }),
  };
}

/** How a page fault changes the real answer; nothing for other faults or no fault. */
export function pageTamperOf(fault: Fault | undefined): PageTamper {
  switch (fault?.kind) {
    case "emptyPage":
      return { emptyValue: true };
    case "nextLink":
      if (fault.location === null) {
        throw new Error(`fault ${fault.id} (nextLink) has no location; faults.ts should have refused it`);
      }
      return { nextLink: fault.location };
    case "prependRows":
      return { extraLeadingIds: fault.ids };
    default:
      return {};
  }
}

/** The shape of the HTML 403 seen in the wild [obs: a page starting `<!DOCTYPE html PUBLIC`]. */
const HTML_403 =
  `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>403 - Forbidden: Access is denied.</title></head>
<body><div id="header"><h1>Server Error</h1></div><div id="content"><fieldset>
<h2>403 - Forbidden: Access is denied.</h2>
<h3>You do not have permission to view this directory or page using the credentials that you supplied.</h3>
</fieldset></div></body></html>
`;

/**
 * A 200 that is not the API at all: the sign-in page of a corporate proxy or captive portal [inf:
 * any HTTP client behind one can get this]. A client that trusts the status and parses JSON fails.
 */
const PROXY_LOGIN_PAGE = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - Web Gateway</title></head>
<body><h1>Authentication required</h1>
<p>Your session with the web gateway has expired. Sign in to continue to public-api2.ploomes.com.</p>
<form method="post" action="/gateway/login"><input name="user"><input name="password" type="password">
<button type="submit">Sign in</button></form></body></html>
`;

const GATEWAY_TITLES: Readonly<Record<number, string>> = {
  502: "502 Bad Gateway",
  503: "503 Service Unavailable",
  504: "504 Gateway Time-out",
};

function gatewayPage(status: number): string {
  const title = GATEWAY_TITLES[status] ?? `${status} Error`;
  return `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center></body></html>\n`;
}
