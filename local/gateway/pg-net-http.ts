// One request of the pg_net stand-in: sent with fetch, bounded by its timeout_milliseconds, and
// its outcome mapped to net._http_response's columns with pg_net's conventions — a status for any
// HTTP answer, `timed_out` plus "Timeout of N ms reached. Total time: …" when the timeout fires,
// curl's wording (pg_net uses libcurl) for connection failures.

export interface QueuedRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer | null;
  timeout_milliseconds: number;
}

export interface Outcome {
  statusCode: number | null;
  contentType: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timedOut: boolean;
  errorMsg: string | null;
}

/** Thrown when the worker stops while the request is in flight: nothing is recorded for it. */
export class RequestCancelled extends Error {}

/** Maps a fetch failure to the message curl (and so pg_net) would record. */
function curlStyleError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  switch (cause?.code) {
    case "ECONNREFUSED":
      return "Couldn't connect to server";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "Couldn't resolve host name";
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return "Failure when receiving data from the peer";
    default:
      return cause?.message ?? (error as Error).message;
  }
}

const failure = (errorMsg: string, timedOut: boolean): Outcome => ({
  statusCode: null,
  contentType: null,
  headers: null,
  content: null,
  timedOut,
  errorMsg,
});

/** Sends one queued request; `cancel` aborts it without an outcome (RequestCancelled). */
export async function sendRequest(request: QueuedRequest, cancel: AbortSignal): Promise<Outcome> {
  const started = Date.now();
  const timeout = AbortSignal.timeout(request.timeout_milliseconds);
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body ? new Uint8Array(request.body) : undefined,
      signal: AbortSignal.any([timeout, cancel]),
    });
    const content = await response.text();
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      headers[key] = value;
    });
    return {
      statusCode: response.status,
      contentType: response.headers.get("content-type"),
      headers,
      // pg_net stores NULL, not '', for an empty body (src/core.c insert_response).
      content: content === "" ? null : content,
      timedOut: false,
      errorMsg: null,
    };
  } catch (error) {
    if (cancel.aborted) throw new RequestCancelled(`request ${request.id} cancelled: the pg_net worker is stopping`);
    if (timeout.aborted) {
      return failure(
        `Timeout of ${request.timeout_milliseconds} ms reached. Total time: ${Date.now() - started} ms`,
        true,
      );
    }
    return failure(curlStyleError(error), false);
  }
}
