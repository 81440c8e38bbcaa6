// Keeping credentials out of what we report: the User-Key is scrubbed from any text, URLs lose
// user:password and credential-looking query values, and a URL is shortened for messages.

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
