// What an HTTP status from Ploomes means for the person reading the error: a hint pointing at
// the variable or field most likely at fault. The hints encode what we learned the hard way
// (Ploomes answers 403 for unknown field names too; some 403 bodies are HTML pages).

const HTTP_REDIRECT_MIN = 300;
const HTTP_REDIRECT_END = 400;

/** 3xx: never followed by the client (the User-Key would go along). */
export function isRedirectStatus(status: number): boolean {
  return status >= HTTP_REDIRECT_MIN && status < HTTP_REDIRECT_END;
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
