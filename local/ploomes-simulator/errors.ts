// Error types that carry an HTTP status. Query errors mirror what Ploomes answers (400 for a
// malformed query, 403 for a name it does not know); admin errors are the simulator's own API.

/** A query the real API would refuse. `detail` is for the request log, never the response body. */
export class ODataError extends Error {
  constructor(
    readonly status: 400 | 403,
    message: string,
    readonly detail: string = message,
  ) {
    super(message);
    this.name = "ODataError";
  }
}

export const FORBIDDEN_MESSAGE = "Your request has been forbidden";

/** 403 for a property or navigation the entity does not have ([obs]). */
export function forbidden(detail: string): ODataError {
  return new ODataError(403, FORBIDDEN_MESSAGE, detail);
}

export function badRequest(message: string): ODataError {
  return new ODataError(400, message);
}

/** A refused admin call: 400 lists every problem at once, 404 names the missing id. */
export class AdminError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(problems.length > 0 ? `${message}: ${problems.join("; ")}` : message);
    this.name = "AdminError";
  }
}
