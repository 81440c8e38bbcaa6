// What a failed run answers: the HTTP status (502 when Ploomes fails for good, 500
// otherwise), a one-line error and a hint. Pure, so every mapping is unit-testable.
import { DatabaseError } from "../db/rpc.ts";
import { BudgetExceededError, PloomesError, PloomesHttpError } from "../ploomes/errors.ts";

export interface Failure {
  status: number;
  error: string;
  hint: string | null;
  /** Ploomes' own HTTP status, when Ploomes answered. */
  ploomesStatus: number | null;
}

export function describeFailure(error: unknown): Failure {
  if (error instanceof PloomesHttpError) {
    return { status: 502, error: error.message, hint: error.hint, ploomesStatus: error.status };
  }
  if (error instanceof BudgetExceededError) {
    // Only reached when not even the first page could be stored (later pages end `partial`).
    return {
      status: 502,
      error: error.message,
      hint:
        "Ploomes did not deliver a page within the time budget (slow answers or rate limiting); nothing was stored and the next run retries. If it repeats, lower PLOOMES_REQUESTS_PER_MINUTE or check other integrations sharing the account's 120 requests/minute.",
      ploomesStatus: null,
    };
  }
  if (error instanceof PloomesError) {
    return { status: 502, error: error.message, hint: error.hint, ploomesStatus: null };
  }
  if (error instanceof DatabaseError) {
    return { status: error.leaseLost ? 409 : 500, error: error.message, hint: error.hint, ploomesStatus: null };
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return {
    status: 500,
    error: `unexpected error: ${message}`,
    hint: "See the function's logs for the stack trace.",
    ploomesStatus: null,
  };
}
