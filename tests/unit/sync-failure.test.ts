import { describe, expect, it } from "vitest";
import { DatabaseError } from "../../supabase/functions/_shared/db/rpc.ts";
import {
  BudgetExceededError,
  PloomesHttpError,
  PloomesInvalidResponseError,
  PloomesNetworkError,
  PloomesTimeoutError,
} from "../../supabase/functions/_shared/ploomes/errors.ts";
import { describeFailure } from "../../supabase/functions/_shared/sync/failure.ts";

const CONTEXT = { method: "GET", url: "https://public-api2.ploomes.com/Deals?$top=1", displayUrl: "/Deals?$top=1" };

describe("describeFailure: Ploomes errors → 502", () => {
  it("a PloomesHttpError keeps Ploomes' status, message and hint", () => {
    const error = new PloomesHttpError(401, '{"Message":"Invalid key"}', CONTEXT);
    const failure = describeFailure(error);
    expect(failure).toEqual({
      status: 502,
      error:
        "Ploomes GET /Deals?$top=1 → 401: Invalid key; hint: the key is not accepted; check PLOOMES_API_KEY (Ploomes > Settings > Integration > API)",
      hint: "the key is not accepted; check PLOOMES_API_KEY (Ploomes > Settings > Integration > API)",
      ploomesStatus: 401,
    });
  });

  it("a 403 keeps 403 as ploomesStatus", () => {
    const failure = describeFailure(new PloomesHttpError(403, "", CONTEXT));
    expect(failure.status).toBe(502);
    expect(failure.ploomesStatus).toBe(403);
  });

  it("a 5xx after retries is still 502 with the upstream status", () => {
    const failure = describeFailure(new PloomesHttpError(503, "busy", { ...CONTEXT, attempts: 4 }));
    expect(failure).toMatchObject({ status: 502, ploomesStatus: 503, hint: "Ploomes is failing; retry later" });
    expect(failure.error).toContain("(after 4 attempts)");
  });

  it.each([
    ["timeout", new PloomesTimeoutError(30_000, CONTEXT)],
    ["network", new PloomesNetworkError("ECONNRESET", CONTEXT)],
    [
      "invalid response (has a status, but is no HTTP error)",
      new PloomesInvalidResponseError(200, "no value array", "{}", CONTEXT),
    ],
  ])("any other PloomesError (%s) → 502 without ploomesStatus", (_label, error) => {
    expect(describeFailure(error)).toEqual({
      status: 502,
      error: error.message,
      hint: error.hint,
      ploomesStatus: null,
    });
  });

  it("the budget running out before the first page → 502 whose hint says nothing was stored", () => {
    const error = new BudgetExceededError("throttle wait", 1_000, 5_000, CONTEXT);
    const failure = describeFailure(error);
    expect(failure).toMatchObject({ status: 502, error: error.message, ploomesStatus: null });
    expect(failure.hint).toContain("nothing was stored");
    expect(failure.hint).toContain("PLOOMES_REQUESTS_PER_MINUTE");
  });
});

describe("describeFailure: database errors", () => {
  it("lease lost (PT409) → 409", () => {
    const error = new DatabaseError("sync_ingest_page", "PT409", "lease lost to run 12", "another run took over");
    expect(describeFailure(error)).toEqual({
      status: 409,
      error: "database call sync_ingest_page failed (PT409): lease lost to run 12; hint: another run took over",
      hint: "another run took over",
      ploomesStatus: null,
    });
  });

  it("any other SQLSTATE → 500", () => {
    const error = new DatabaseError("sync_claim", "42883", "function public.sync_claim does not exist", null);
    expect(describeFailure(error)).toEqual({
      status: 500,
      error: "database call sync_claim failed (42883): function public.sync_claim does not exist",
      hint: null,
      ploomesStatus: null,
    });
  });

  it("an invalid RPC result → 500 with its hint", () => {
    const error = new DatabaseError(
      "sync_finish_pass",
      "invalid-result",
      "unexpected result: status: bad",
      "Are the migrations applied?",
    );
    expect(describeFailure(error)).toMatchObject({
      status: 500,
      hint: "Are the migrations applied?",
      ploomesStatus: null,
    });
  });
});

describe("describeFailure: anything else → 500", () => {
  it("an Error gets its name and message and a pointer to the logs", () => {
    expect(describeFailure(new TypeError("x is not a function"))).toEqual({
      status: 500,
      error: "unexpected error: TypeError: x is not a function",
      hint: "See the function's logs for the stack trace.",
      ploomesStatus: null,
    });
  });

  it("a thrown non-Error is stringified", () => {
    expect(describeFailure("boom")).toMatchObject({
      status: 500,
      error: "unexpected error: boom",
      ploomesStatus: null,
    });
    expect(describeFailure(42).error).toBe("unexpected error: 42");
  });
});
